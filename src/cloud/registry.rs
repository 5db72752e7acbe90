//! The services the local cloud hosts. Adding a service: a folder under `src/cloud/`, one line here.

use std::sync::Arc;

use super::context::CloudContext;
use super::service::{Descriptor, Service};

pub fn build(ctx: &Arc<CloudContext>) -> anyhow::Result<Registry> {
    Ok(Registry::new(vec![Arc::new(super::sts::Sts::new()), Arc::new(super::cloudwatch::CloudWatch::new(ctx)?)]))
}

pub struct Registry {
    services: Vec<Arc<dyn Service>>,
}

impl Registry {
    pub fn new(services: Vec<Arc<dyn Service>>) -> Self {
        Registry { services }
    }

    pub fn all(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    fn find(&self, pred: impl Fn(&Descriptor) -> bool) -> Option<&Arc<dyn Service>> {
        self.services.iter().find(|s| pred(s.descriptor()))
    }

    pub fn by_json_target(&self, prefix: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.json_target == Some(prefix))
    }

    pub fn by_cbor_service(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.cbor_service == Some(name))
    }

    pub fn by_query(&self, signing_name: Option<&str>, version: Option<&str>) -> Option<&Arc<dyn Service>> {
        signing_name
            .and_then(|n| self.find(|d| d.query.is_some() && d.signing_name == n))
            .or_else(|| version.and_then(|v| self.find(|d| d.query.is_some_and(|q| q.version == v))))
    }

    pub fn by_rest(&self, signing_name: &str) -> Option<&Arc<dyn Service>> {
        self.find(|d| d.rest && d.signing_name == signing_name)
    }
}
