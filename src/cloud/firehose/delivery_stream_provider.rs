//! `AWS::KinesisFirehose::DeliveryStream`: DeliveryStreamName (or a generated one),
//! DeliveryStreamType, KinesisStreamSourceConfiguration, ExtendedS3DestinationConfiguration or
//! S3DestinationConfiguration, Tags. `Ref` is the name, `Fn::GetAtt Arn` its ARN. A new name, type or
//! source replaces the delivery stream (as the resource spec says); a destination change is an
//! UpdateDestination in place, tags are updated in place. Create and delete wait, on the cloud clock,
//! until the delivery stream is ACTIVE or gone.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Firehose;
use super::model::stream_arn;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

const KNOWN: &[&str] = &[
    "DeliveryStreamName",
    "DeliveryStreamType",
    "KinesisStreamSourceConfiguration",
    "ExtendedS3DestinationConfiguration",
    "S3DestinationConfiguration",
    "DeliveryStreamEncryptionConfigurationInput",
    "Tags",
];
/// Changing any of these replaces the delivery stream.
const REPLACING: &[&str] = &["DeliveryStreamName", "DeliveryStreamType", "KinesisStreamSourceConfiguration"];
/// A wait on CREATING or DELETING gives up after this much cloud time.
const WAIT_LIMIT_MS: i64 = 30 * 60 * 1000;

pub struct DeliveryStreamProvider {
    firehose: Arc<Firehose>,
    ctx: Arc<CloudContext>,
}

impl DeliveryStreamProvider {
    pub fn new(ctx: &Arc<CloudContext>, firehose: &Arc<Firehose>) -> Self {
        DeliveryStreamProvider { firehose: firehose.clone(), ctx: ctx.clone() }
    }

    fn describe(&self, region: &str, name: &str) -> Result<Value, ApiError> {
        self.firehose.run("DescribeDeliveryStream", region, json!({ "DeliveryStreamName": name }))
    }

    /// Waits for CREATING to end: ACTIVE, or the failure AWS reports.
    async fn wait_active(&self, region: &str, name: &str) -> Result<(), ProviderError> {
        let deadline = self.ctx.clock.now_ms() + WAIT_LIMIT_MS;
        loop {
            let d = self.describe(region, name)?;
            let d = &d["DeliveryStreamDescription"];
            match d["DeliveryStreamStatus"].as_str() {
                Some("ACTIVE") => return Ok(()),
                Some("CREATING_FAILED") => {
                    let details = d["FailureDescription"]["Details"].as_str().unwrap_or("unknown reason");
                    return Err(ProviderError::new(format!(
                        "Resource handler returned message: \"Delivery stream {name} failed to create: {details}\" (HandlerErrorCode: NotStabilized)"
                    )));
                }
                _ if self.ctx.clock.now_ms() > deadline => {
                    return Err(ProviderError::new(format!("Delivery stream {name} did not become ACTIVE")));
                }
                _ => self.ctx.clock.sleep(Duration::from_secs(1)).await,
            }
        }
    }

    async fn create_now(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        check_known(&request.properties, KNOWN)?;
        let p = &request.properties;
        let name = match p.get("DeliveryStreamName").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(64),
        };
        let mut input = json!({ "DeliveryStreamName": name, "Tags": tags(request)? });
        for member in REPLACING.iter().chain(&["ExtendedS3DestinationConfiguration", "S3DestinationConfiguration"]) {
            if *member != "DeliveryStreamName"
                && let Some(v) = p.get(*member)
            {
                input[*member] = v.clone();
            }
        }
        if input["Tags"].as_array().is_some_and(Vec::is_empty)
            && let Some(o) = input.as_object_mut()
        {
            o.remove("Tags");
        }
        self.firehose.run("CreateDeliveryStream", &request.region, input)?;
        self.wait_active(&request.region, &name).await?;
        Ok(provisioned(request, &name))
    }

    async fn update_now(
        &self,
        name: &str,
        old: &Properties,
        request: &ResourceRequest,
    ) -> Result<Provisioned, ProviderError> {
        check_known(&request.properties, KNOWN)?;
        let p = &request.properties;
        let region = &request.region;
        for (member, update) in [
            ("ExtendedS3DestinationConfiguration", "ExtendedS3DestinationUpdate"),
            ("S3DestinationConfiguration", "S3DestinationUpdate"),
        ] {
            if let Some(new) = p.get(member)
                && old.get(member) != Some(new)
            {
                let d = self.describe(region, name)?;
                let d = &d["DeliveryStreamDescription"];
                self.firehose.run(
                    "UpdateDestination",
                    region,
                    json!({
                        "DeliveryStreamName": name,
                        "CurrentDeliveryStreamVersionId": d["VersionId"],
                        "DestinationId": d["Destinations"][0]["DestinationId"],
                        update: new,
                    }),
                )?;
            }
        }
        let wanted: BTreeMap<String, String> = tag_pairs(request)?.into_iter().collect();
        let current = self.firehose.run("ListTagsForDeliveryStream", region, json!({ "DeliveryStreamName": name }))?;
        let stale: Vec<&str> = current["Tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["Key"].as_str())
            .filter(|k| !wanted.contains_key(*k))
            .collect();
        if !stale.is_empty() {
            self.firehose.run(
                "UntagDeliveryStream",
                region,
                json!({ "DeliveryStreamName": name, "TagKeys": stale }),
            )?;
        }
        if !wanted.is_empty() {
            self.firehose.run(
                "TagDeliveryStream",
                region,
                json!({ "DeliveryStreamName": name, "Tags": tags(request)? }),
            )?;
        }
        Ok(provisioned(request, name))
    }

    async fn delete_now(&self, name: &str, region: &str) -> Result<(), ProviderError> {
        match self.firehose.run("DeleteDeliveryStream", region, json!({ "DeliveryStreamName": name })) {
            Ok(_) => {}
            Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let deadline = self.ctx.clock.now_ms() + WAIT_LIMIT_MS;
        loop {
            match self.describe(region, name) {
                Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(d) if d["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "DELETING_FAILED" => {
                    let details =
                        d["DeliveryStreamDescription"]["FailureDescription"]["Details"].as_str().unwrap_or("");
                    return Err(ProviderError::new(format!("Delivery stream {name} failed to delete: {details}")));
                }
                Ok(_) if self.ctx.clock.now_ms() > deadline => {
                    return Err(ProviderError::new(format!("Delivery stream {name} was not deleted")));
                }
                Ok(_) => self.ctx.clock.sleep(Duration::from_secs(1)).await,
            }
        }
    }
}

fn tag_pairs(request: &ResourceRequest) -> Result<Vec<(String, String)>, ProviderError> {
    Ok(tag_map(&request.properties, &request.tags)?.into_iter().collect())
}

fn tags(request: &ResourceRequest) -> Result<Value, ProviderError> {
    Ok(Value::Array(tag_pairs(request)?.into_iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect()))
}

fn provisioned(request: &ResourceRequest, name: &str) -> Provisioned {
    Provisioned::new(name).attribute("Arn", stream_arn(&request.region, &request.account_id, name))
}

impl ResourceProvider for DeliveryStreamProvider {
    fn type_name(&self) -> &'static str {
        "AWS::KinesisFirehose::DeliveryStream"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        REPLACING.iter().any(|m| old.get(*m) != new.get(*m))
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request).await })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_now(&physical_id, &old, &request).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_now(&physical_id, &request.region).await })
    }
}
