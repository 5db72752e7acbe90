//! A local cloud whose provider table the test holds, so CloudFormation providers can be driven
//! directly through the `ResourceProvider` trait while the SDK checks what the service's API sees.
#![allow(dead_code)]

use std::sync::Arc;

use aws_config::SdkConfig;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::host::EndpointInfo;
use kinesis_console::cloud::registry::{self, ProviderTable};
use kinesis_console::cloud::resource_provider::{ResourceProvider, ResourceRequest};
use kinesis_console::cloud::{CloudConfig, CloudContext, LocalCredentials, server};
use serde_json::Value;
use tokio::net::TcpListener;

pub struct Hosted {
    pub ctx: Arc<CloudContext>,
    pub providers: Arc<ProviderTable>,
    pub url: String,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hosted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn hosted() -> Hosted {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = CloudConfig::ephemeral(dir.path());
    config.clock = ClockMode::Virtual;
    let listener = TcpListener::bind(config.bind).await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let ctx = Arc::new(CloudContext::new(config, LocalCredentials::generate()));
    let _ = ctx.endpoint_url.set(url.clone());
    let registry = registry::build(&ctx).expect("registry");
    let providers = registry.providers().clone();
    for service in registry.all() {
        service.clone().start(ctx.clone());
    }
    let host = Arc::new(server::Host { ctx: ctx.clone(), registry });
    let task = tokio::spawn(server::serve(host, listener));
    Hosted { ctx, providers, url, _dir: dir, task }
}

impl Hosted {
    pub async fn sdk_config(&self) -> SdkConfig {
        let c = &self.ctx.credentials;
        let info = EndpointInfo {
            url: self.url.clone(),
            region: "us-east-1".into(),
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            pid: std::process::id(),
            version: kinesis_console::VERSION.to_string(),
        };
        kinesis_console::target::local_sdk_config(&info).await
    }

    pub fn provider(&self, type_name: &str) -> Arc<dyn ResourceProvider> {
        self.providers.get(type_name).unwrap_or_else(|| panic!("{type_name} is in the provider table")).clone()
    }
}

/// A request from stack `stack`, logical id `logical`, with the stack's tags.
pub fn request(logical: &str, properties: Value) -> ResourceRequest {
    ResourceRequest {
        stack_name: "demo".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/demo/1".into(),
        logical_id: logical.into(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        properties: properties.as_object().cloned().expect("properties are an object"),
        tags: vec![
            ("pattern".into(), "kds-kdf-s3".into()),
            ("aws:cloudformation:stack-name".into(), "demo".into()),
            ("aws:cloudformation:logical-id".into(), logical.into()),
        ],
    }
}
