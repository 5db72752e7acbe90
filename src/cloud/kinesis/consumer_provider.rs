//! `AWS::Kinesis::StreamConsumer`: an enhanced fan-out consumer registered through the Kinesis
//! service's own RegisterStreamConsumer. Its physical id (and `Ref`) is the consumer's ARN; a change of
//! either property replaces it, as AWS documents.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Kinesis;
use super::stream_provider::{POLL, kinesis_api};
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::BoxFuture;

const TYPE: &str = "AWS::Kinesis::StreamConsumer";
const KNOWN: &[&str] = &["ConsumerName", "StreamARN"];

pub struct ConsumerProvider {
    api: ServiceApi,
}

fn required<'p>(props: &'p Properties, name: &str) -> Result<&'p str, ProviderError> {
    props
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| match props.get(name) {
            Some(v) => ProviderError::invalid_property(name, format!("expected type: String, found: {v}")),
            None => ProviderError::new(format!(
                "Properties validation failed for resource: #: required key [{name}] not found (HandlerErrorCode: InvalidRequest)"
            )),
        })
}

/// The consumer's description as the GetAtt attributes; the creation time in ISO 8601, as CloudFormation
/// returns it.
fn provisioned(d: &Value) -> Provisioned {
    let arn = d["ConsumerARN"].as_str().unwrap_or_default();
    let created = d["ConsumerCreationTimestamp"].as_f64().unwrap_or_default();
    let iso = time::OffsetDateTime::from_unix_timestamp(created as i64)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    Provisioned::new(arn)
        .attribute("ConsumerARN", arn)
        .attribute("ConsumerName", d["ConsumerName"].clone())
        .attribute("ConsumerStatus", d["ConsumerStatus"].clone())
        .attribute("ConsumerCreationTimestamp", iso)
        .attribute("StreamARN", d["StreamARN"].clone())
}

impl ConsumerProvider {
    pub fn new(ctx: &Arc<CloudContext>, kinesis: &Arc<Kinesis>) -> Self {
        ConsumerProvider { api: kinesis_api(ctx, kinesis) }
    }

    async fn describe(&self, region: &str, arn: &str) -> Result<Option<Value>, ProviderError> {
        match self.api.call(region, "DescribeStreamConsumer", json!({ "ConsumerARN": arn })).await {
            Ok(d) => Ok(Some(d["ConsumerDescription"].clone())),
            Err(e) if e.code == "ResourceNotFoundException" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn register(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let input =
            json!({ "StreamARN": required(props, "StreamARN")?, "ConsumerName": required(props, "ConsumerName")? });
        let registered = self.api.call(&request.region, "RegisterStreamConsumer", input).await?;
        let arn = registered["Consumer"]["ConsumerARN"].as_str().unwrap_or_default().to_string();
        loop {
            match self.describe(&request.region, &arn).await? {
                Some(d) if d["ConsumerStatus"] == "ACTIVE" => return Ok(provisioned(&d)),
                Some(_) => self.api.sleep(POLL).await,
                None => {
                    return Err(ProviderError::new(format!("Consumer {arn} disappeared while it was being created")));
                }
            }
        }
    }

    async fn deregister(&self, region: &str, arn: &str) -> Result<(), ProviderError> {
        match self.api.call(region, "DeregisterStreamConsumer", json!({ "ConsumerARN": arn })).await {
            Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        while self.describe(region, arn).await?.is_some() {
            self.api.sleep(POLL).await;
        }
        Ok(())
    }
}

impl ResourceProvider for ConsumerProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["ConsumerARN", "ConsumerCreationTimestamp", "ConsumerName", "ConsumerStatus", "StreamARN"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        KNOWN.iter().any(|p| old.get(*p) != new.get(*p))
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.register(&request).await })
    }

    /// Nothing of a consumer updates in place; CloudFormation calls this only when no property changed.
    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            check_known(&request.properties, KNOWN)?;
            match self.describe(&request.region, &physical_id).await? {
                Some(d) => Ok(provisioned(&d)),
                None => {
                    Err(ProviderError::new(format!("Consumer {physical_id} not found (HandlerErrorCode: NotFound)")))
                }
            }
        })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.deregister(&request.region, &physical_id).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_come_from_the_description_with_an_iso_creation_time() {
        let d = json!({
            "ConsumerARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1700000000",
            "ConsumerName": "c",
            "ConsumerStatus": "ACTIVE",
            "ConsumerCreationTimestamp": 1_700_000_000.0,
            "StreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s",
        });
        let p = provisioned(&d);
        assert_eq!(p.reference(), "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1700000000");
        assert_eq!(p.attributes["ConsumerCreationTimestamp"], "2023-11-14T22:13:20Z");
        assert_eq!(p.attributes["StreamARN"], "arn:aws:kinesis:us-east-1:000000000000:stream/s");
    }

    #[test]
    fn a_missing_property_is_named() {
        let p = Properties::new();
        assert!(required(&p, "StreamARN").unwrap_err().reason.contains("#: required key [StreamARN] not found"));
        let mut q = Properties::new();
        q.insert("StreamARN".into(), json!(3));
        assert!(required(&q, "StreamARN").unwrap_err().reason.contains("#/StreamARN: expected type: String"));
    }
}
