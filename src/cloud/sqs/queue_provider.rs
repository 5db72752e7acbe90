//! `AWS::SQS::Queue`: QueueName (or a generated `<stack>-<logical>-<RANDOM>`, at most 80 characters),
//! the queue attributes as properties (RedrivePolicy and RedriveAllowPolicy as objects or JSON text),
//! Tags. `Ref` is the queue URL; `Fn::GetAtt` gives Arn, QueueName and QueueUrl. QueueName and
//! FifoQueue replace the queue (the resource specification's "Update requires: Replacement");
//! everything else updates in place, a property removed going back to its default. The queue's
//! Policy belongs to `AWS::SQS::QueuePolicy` and is left alone here.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Sqs;
use super::attributes;
use super::errors;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

/// The properties that are queue attributes of the same name.
const ATTRIBUTES: &[&str] = &[
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
];

const FIFO: &[&str] = &["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

pub struct QueueProvider {
    sqs: Arc<Sqs>,
}

impl QueueProvider {
    pub fn new(sqs: &Arc<Sqs>) -> Self {
        QueueProvider { sqs: sqs.clone() }
    }

    fn provisioned(&self, name: &str) -> Result<Provisioned, ProviderError> {
        let url = self.sqs.run("GetQueueUrl", json!({ "QueueName": name }))?["QueueUrl"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let arn = self.sqs.run("GetQueueAttributes", json!({ "QueueUrl": url, "AttributeNames": ["QueueArn"] }))?;
        Ok(Provisioned::new(url.clone())
            .attribute("Arn", arn["Attributes"]["QueueArn"].clone())
            .attribute("QueueName", name)
            .attribute("QueueUrl", url))
    }

    fn create_now(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        let mut known: Vec<&str> = ATTRIBUTES.to_vec();
        known.extend(FIFO);
        known.extend(["QueueName", "Tags"]);
        check_known(props, &known)?;
        if props.get("FifoQueue").is_some_and(|v| v == &json!(true) || v == &json!("true")) {
            return Err(ProviderError::invalid_property(
                "FifoQueue",
                "FIFO queues are not supported by the local cloud",
            ));
        }
        let name = match props.get("QueueName").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(80),
        };
        let tags = tag_map(props, &request.tags)?;
        let input = json!({ "QueueName": name, "Attributes": attribute_values(props)?, "tags": tags });
        self.sqs.run("CreateQueue", input)?;
        self.provisioned(&name)
    }

    fn update_now(&self, url: &str, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        let name = url.rsplit('/').next().unwrap_or_default().to_string();
        let mut values = attributes::defaults();
        values.remove("SqsManagedSseEnabled");
        for optional in ["RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"] {
            values.insert(optional.to_string(), String::new());
        }
        values.extend(attribute_values(props)?);
        // Attributes that only apply with a KMS key are left out when there is none.
        if values.get("KmsMasterKeyId").is_some_and(String::is_empty) {
            values.remove("KmsMasterKeyId");
        }
        self.sqs.run("SetQueueAttributes", json!({ "QueueUrl": url, "Attributes": values }))?;
        let tags = tag_map(props, &request.tags)?;
        let current = self.sqs.run("ListQueueTags", json!({ "QueueUrl": url }))?;
        let stale: Vec<&String> = current["Tags"]
            .as_object()
            .map(|m| m.keys().filter(|k| !tags.contains_key(*k)).collect())
            .unwrap_or_default();
        if !stale.is_empty() {
            self.sqs.run("UntagQueue", json!({ "QueueUrl": url, "TagKeys": stale }))?;
        }
        if !tags.is_empty() {
            self.sqs.run("TagQueue", json!({ "QueueUrl": url, "Tags": tags }))?;
        }
        self.provisioned(&name)
    }
}

/// The attribute properties as the text values the API takes.
fn attribute_values(props: &Properties) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut out = BTreeMap::new();
    for name in ATTRIBUTES {
        let text = match props.get(*name) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(v @ Value::Object(_)) => v.to_string(),
            Some(_) => {
                return Err(ProviderError::invalid_property(name, "expected type: String, Integer or JSONObject"));
            }
        };
        out.insert(name.to_string(), text);
    }
    Ok(out)
}

impl ResourceProvider for QueueProvider {
    fn type_name(&self) -> &'static str {
        "AWS::SQS::Queue"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn", "QueueName", "QueueUrl"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        let fifo = |p: &Properties| p.get("FifoQueue").map(|v| v.to_string().trim_matches('"').to_string());
        old.get("QueueName") != new.get("QueueName") || fifo(old) != fifo(new)
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request) })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_now(&physical_id, &request) })
    }

    fn delete(&self, physical_id: String, _request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match self.sqs.run("DeleteQueue", json!({ "QueueUrl": physical_id })) {
                Ok(_) => Ok(()),
                Err(e) if e.code == errors::NON_EXISTENT_QUEUE => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// Used by the QueuePolicy provider: the policy document as the text the Policy attribute holds.
pub fn policy_text(props: &Map<String, Value>) -> Result<String, ProviderError> {
    match props.get("PolicyDocument") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v @ Value::Object(_)) => Ok(v.to_string()),
        _ => Err(ProviderError::invalid_property("PolicyDocument", "required key [PolicyDocument] not found")),
    }
}
