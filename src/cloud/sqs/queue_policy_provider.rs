//! `AWS::SQS::QueuePolicy`: PolicyDocument (an object or JSON text) set as the Policy attribute of each
//! queue URL in Queues. `Ref` is a generated id, as CloudFormation gives this type; `Fn::GetAtt Id`
//! the same. Both properties update in place (queues dropped from the list lose the policy); delete
//! removes the policy from every queue still there.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Sqs;
use super::errors;
use super::queue_provider::policy_text;
use crate::cloud::error::ApiError;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct QueuePolicyProvider {
    sqs: Arc<Sqs>,
}

impl QueuePolicyProvider {
    pub fn new(sqs: &Arc<Sqs>) -> Self {
        QueuePolicyProvider { sqs: sqs.clone() }
    }

    fn set(&self, url: &str, policy: &str) -> Result<(), ApiError> {
        self.sqs.run("SetQueueAttributes", json!({ "QueueUrl": url, "Attributes": { "Policy": policy } })).map(drop)
    }

    fn apply(
        &self,
        id: String,
        request: &ResourceRequest,
        old: Option<&Properties>,
    ) -> Result<Provisioned, ProviderError> {
        check_known(&request.properties, &["PolicyDocument", "Queues"])?;
        let policy = policy_text(&request.properties)?;
        let queues = queue_urls(&request.properties)?;
        if queues.is_empty() {
            return Err(ProviderError::invalid_property("Queues", "expected at least one queue URL"));
        }
        for url in &queues {
            self.set(url, &policy)?;
        }
        for gone in old.map(queue_urls).transpose()?.unwrap_or_default().iter().filter(|u| !queues.contains(u)) {
            self.clear(gone)?;
        }
        Ok(Provisioned::new(id.clone()).attribute("Id", id))
    }

    fn clear(&self, url: &str) -> Result<(), ProviderError> {
        match self.set(url, "") {
            Err(e) if e.code != errors::NON_EXISTENT_QUEUE => Err(e.into()),
            _ => Ok(()),
        }
    }
}

fn queue_urls(props: &Properties) -> Result<Vec<String>, ProviderError> {
    match props.get("Queues") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| ProviderError::invalid_property("Queues/0", "expected type: String"))
            })
            .collect(),
        _ => Err(ProviderError::invalid_property("Queues", "required key [Queues] not found")),
    }
}

impl ResourceProvider for QueuePolicyProvider {
    fn type_name(&self) -> &'static str {
        "AWS::SQS::QueuePolicy"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Id"]
    }

    fn needs_replacement(&self, _old: &Properties, _new: &Properties) -> bool {
        false
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.apply(request.generated_name(128), &request, None) })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.apply(physical_id, &request, Some(&old)) })
    }

    fn delete(&self, _physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            for url in queue_urls(&request.properties).unwrap_or_default() {
                self.clear(&url)?;
            }
            Ok(())
        })
    }
}
