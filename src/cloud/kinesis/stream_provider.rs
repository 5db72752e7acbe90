//! `AWS::Kinesis::Stream`: a stack's stream, made through the Kinesis service's own operations, so what
//! a stack creates is exactly what DescribeStream then shows and validation is the service's own.
//!
//! Updates are done as CloudFormation's handler does them: ShardCount → UpdateShardCount (a real
//! reshard), RetentionPeriodHours → Increase/DecreaseStreamRetentionPeriod, StreamModeDetails →
//! UpdateStreamMode, StreamEncryption → Start/StopStreamEncryption, DesiredShardLevelMetrics →
//! Enable/DisableEnhancedMonitoring, Tags → AddTagsToStream/RemoveTagsFromStream; a new Name replaces.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::Kinesis;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::{BoxFuture, Protocol};

const TYPE: &str = "AWS::Kinesis::Stream";
const KNOWN: &[&str] = &[
    "Name",
    "ShardCount",
    "RetentionPeriodHours",
    "StreamModeDetails",
    "StreamEncryption",
    "DesiredShardLevelMetrics",
    "MaxRecordSizeInKiB",
    "WarmThroughputMiBps",
    "Tags",
];
/// AWS's default record size limit, which a template without `MaxRecordSizeInKiB` gets.
const DEFAULT_MAX_RECORD_KIB: i64 = 1024;
const DEFAULT_RETENTION_HOURS: i64 = 24;
/// How often a wait re-reads the stream's (or consumer's) status, on the cloud clock.
pub(super) const POLL: Duration = Duration::from_millis(100);
const NAME_MAX: usize = 128;

/// The Kinesis service seen through its own API (awsJson 1.1), in process: what every Kinesis provider
/// calls.
pub fn kinesis_api(ctx: &Arc<CloudContext>, kinesis: &Arc<Kinesis>) -> ServiceApi {
    ServiceApi::new(ctx, kinesis.clone(), Protocol::AwsJson1_1)
}

/// CloudFormation's `[{Key, Value}]` tags, after the stack's propagated ones (the resource's own win).
pub fn merged_tags(request: &ResourceRequest) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut tags: BTreeMap<String, String> = request.tags.iter().cloned().collect();
    let Some(own) = request.properties.get("Tags") else { return Ok(tags) };
    let list = own.as_array().ok_or_else(|| ProviderError::invalid_property("Tags", "expected type: JSONArray"))?;
    for t in list {
        let (Some(k), Some(v)) = (t.get("Key").and_then(Value::as_str), t.get("Value").and_then(Value::as_str)) else {
            return Err(ProviderError::invalid_property("Tags", "each tag needs a string Key and Value"));
        };
        tags.insert(k.to_string(), v.to_string());
    }
    Ok(tags)
}

fn int(props: &Properties, name: &str) -> Result<Option<i64>, ProviderError> {
    match props.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ProviderError::invalid_property(name, format!("expected type: Integer, found: {n}"))),
        // Parameters and Fn::Sub hand numbers over as strings, which CloudFormation accepts for integers.
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
            ProviderError::invalid_property(name, format!("expected type: Integer, found: String \"{s}\""))
        }),
        Some(other) => Err(ProviderError::invalid_property(name, format!("expected type: Integer, found: {other}"))),
    }
}

fn mode(props: &Properties) -> &str {
    props.get("StreamModeDetails").and_then(|m| m.get("StreamMode")).and_then(Value::as_str).unwrap_or("PROVISIONED")
}

fn metrics(props: &Properties) -> Vec<String> {
    props
        .get("DesiredShardLevelMetrics")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The encryption a template asks for: `Some((type, key))` for KMS, `None` for none.
fn encryption(props: &Properties) -> Option<(String, String)> {
    let e = props.get("StreamEncryption")?;
    let kind = e.get("EncryptionType").and_then(Value::as_str).unwrap_or("KMS");
    if kind == "NONE" {
        return None;
    }
    Some((kind.to_string(), e.get("KeyId").and_then(Value::as_str).unwrap_or_default().to_string()))
}

/// Properties the local service does not implement, refused by name rather than silently ignored.
fn check_unsupported(props: &Properties) -> Result<(), ProviderError> {
    if props.contains_key("WarmThroughputMiBps") {
        return Err(ProviderError::new(
            "WarmThroughputMiBps is not supported by the local cloud: its on-demand streams scale from observed \
             traffic and cannot be pre-warmed; remove the property",
        ));
    }
    Ok(())
}

pub struct StreamProvider {
    api: ServiceApi,
}

impl StreamProvider {
    pub fn new(ctx: &Arc<CloudContext>, kinesis: &Arc<Kinesis>) -> Self {
        StreamProvider { api: kinesis_api(ctx, kinesis) }
    }

    /// Waits until the stream is ACTIVE (after CREATING or UPDATING), on the cloud clock.
    async fn until_active(&self, region: &str, name: &str) -> Result<String, ProviderError> {
        loop {
            let d = self.api.call(region, "DescribeStreamSummary", json!({ "StreamName": name })).await?;
            let summary = &d["StreamDescriptionSummary"];
            if summary["StreamStatus"] == "ACTIVE" {
                return Ok(summary["StreamARN"].as_str().unwrap_or_default().to_string());
            }
            self.api.sleep(POLL).await;
        }
    }

    /// Waits until the stream no longer exists.
    async fn until_gone(&self, region: &str, name: &str) -> Result<(), ProviderError> {
        loop {
            match self.api.call(region, "DescribeStreamSummary", json!({ "StreamName": name })).await {
                Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(_) => self.api.sleep(POLL).await,
            }
        }
    }

    async fn create_stream(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        check_unsupported(props)?;
        let name = match props.get("Name").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(NAME_MAX),
        };
        let region = &request.region;
        let mut input = json!({ "StreamName": name, "Tags": merged_tags(request)? });
        if let Some(kib) = int(props, "MaxRecordSizeInKiB")? {
            input["MaxRecordSizeInKiB"] = json!(kib);
        }
        if mode(props) == "ON_DEMAND" {
            input["StreamModeDetails"] = json!({ "StreamMode": "ON_DEMAND" });
        } else {
            // CloudFormation's handler creates a provisioned stream of one shard when ShardCount is absent.
            input["ShardCount"] = json!(int(props, "ShardCount")?.unwrap_or(1));
            if props.contains_key("StreamModeDetails") {
                input["StreamModeDetails"] = json!({ "StreamMode": mode(props) });
            }
        }
        self.api.call(region, "CreateStream", input).await?;
        match self.configure_new(request, &name).await {
            Ok(arn) => Ok(Provisioned::new(name).attribute("Arn", arn)),
            Err(e) => {
                // The stack never learns this stream's name, so its rollback could not delete it.
                let _ = self.delete_stream(region, &name).await;
                Err(e)
            }
        }
    }

    /// Applies what CreateStream does not take, once the stream is ACTIVE.
    async fn configure_new(&self, request: &ResourceRequest, name: &str) -> Result<String, ProviderError> {
        let region = &request.region;
        let props = &request.properties;
        let mut arn = self.until_active(region, name).await?;
        let hours = int(props, "RetentionPeriodHours")?.unwrap_or(DEFAULT_RETENTION_HOURS);
        if hours != DEFAULT_RETENTION_HOURS {
            self.change_retention(region, name, DEFAULT_RETENTION_HOURS, hours).await?;
        }
        if let Some((kind, key)) = encryption(props) {
            let input = json!({ "StreamName": name, "EncryptionType": kind, "KeyId": key });
            self.api.call(region, "StartStreamEncryption", input).await?;
            arn = self.until_active(region, name).await?;
        }
        let wanted = metrics(props);
        if !wanted.is_empty() {
            let input = json!({ "StreamName": name, "ShardLevelMetrics": wanted });
            self.api.call(region, "EnableEnhancedMonitoring", input).await?;
        }
        Ok(arn)
    }

    async fn change_retention(&self, region: &str, name: &str, from: i64, to: i64) -> Result<(), ProviderError> {
        let op = if to > from { "IncreaseStreamRetentionPeriod" } else { "DecreaseStreamRetentionPeriod" };
        self.api.call(region, op, json!({ "StreamName": name, "RetentionPeriodHours": to })).await?;
        self.until_active(region, name).await.map(|_| ())
    }

    async fn update_stream(
        &self,
        name: &str,
        old: &Properties,
        request: &ResourceRequest,
    ) -> Result<Provisioned, ProviderError> {
        let new = &request.properties;
        check_known(new, KNOWN)?;
        check_unsupported(new)?;
        let region = &request.region;
        let mut arn = self.until_active(region, name).await?;
        if mode(old) != mode(new) {
            let input = json!({ "StreamARN": arn, "StreamModeDetails": { "StreamMode": mode(new) } });
            self.api.call(region, "UpdateStreamMode", input).await?;
            self.until_active(region, name).await?;
        }
        let (old_shards, new_shards) = (int(old, "ShardCount")?.unwrap_or(1), int(new, "ShardCount")?.unwrap_or(1));
        if mode(new) == "PROVISIONED" && (old_shards != new_shards || mode(old) != mode(new)) {
            let open = self.open_shards(region, name).await?;
            if open != new_shards {
                let input =
                    json!({ "StreamName": name, "TargetShardCount": new_shards, "ScalingType": "UNIFORM_SCALING" });
                self.api.call(region, "UpdateShardCount", input).await?;
                self.until_active(region, name).await?;
            }
        }
        let kib = |p| int(p, "MaxRecordSizeInKiB").map(|k| k.unwrap_or(DEFAULT_MAX_RECORD_KIB));
        if kib(old)? != kib(new)? {
            let input = json!({ "StreamARN": arn, "MaxRecordSizeInKiB": kib(new)? });
            self.api.call(region, "UpdateMaxRecordSize", input).await?;
        }
        let retention = |p| int(p, "RetentionPeriodHours").map(|h| h.unwrap_or(DEFAULT_RETENTION_HOURS));
        let (old_hours, new_hours) = (retention(old)?, retention(new)?);
        if old_hours != new_hours {
            self.change_retention(region, name, old_hours, new_hours).await?;
        }
        if encryption(old) != encryption(new) {
            // Stopping names the key in use; starting (also a key change) names the new one.
            let change = match (encryption(new), encryption(old)) {
                (Some(e), _) => Some(("StartStreamEncryption", e)),
                (None, old) => old.map(|e| ("StopStreamEncryption", e)),
            };
            if let Some((op, (kind, key))) = change {
                self.api.call(region, op, json!({ "StreamName": name, "EncryptionType": kind, "KeyId": key })).await?;
                arn = self.until_active(region, name).await?;
            }
        }
        self.update_metrics(region, name, &metrics(old), &metrics(new)).await?;
        self.update_tags(request, name).await?;
        Ok(Provisioned::new(name).attribute("Arn", arn))
    }

    async fn open_shards(&self, region: &str, name: &str) -> Result<i64, ProviderError> {
        let d = self.api.call(region, "DescribeStreamSummary", json!({ "StreamName": name })).await?;
        Ok(d["StreamDescriptionSummary"]["OpenShardCount"].as_i64().unwrap_or_default())
    }

    async fn update_metrics(
        &self,
        region: &str,
        name: &str,
        old: &[String],
        new: &[String],
    ) -> Result<(), ProviderError> {
        let removed: Vec<&String> = old.iter().filter(|m| !new.contains(m)).collect();
        if !removed.is_empty() {
            let input = json!({ "StreamName": name, "ShardLevelMetrics": removed });
            self.api.call(region, "DisableEnhancedMonitoring", input).await?;
        }
        let added: Vec<&String> = new.iter().filter(|m| !old.contains(m)).collect();
        if !added.is_empty() {
            let input = json!({ "StreamName": name, "ShardLevelMetrics": added });
            self.api.call(region, "EnableEnhancedMonitoring", input).await?;
        }
        Ok(())
    }

    /// Makes the stream's tags exactly the stack's and the template's.
    async fn update_tags(&self, request: &ResourceRequest, name: &str) -> Result<(), ProviderError> {
        let region = &request.region;
        let wanted = merged_tags(request)?;
        let listed = self.api.call(region, "ListTagsForStream", json!({ "StreamName": name })).await?;
        let current: BTreeMap<String, String> = listed["Tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| Some((t["Key"].as_str()?.to_string(), t["Value"].as_str().unwrap_or_default().to_string())))
            .collect();
        let stale: Vec<&String> = current.keys().filter(|k| !wanted.contains_key(*k)).collect();
        if !stale.is_empty() {
            self.api.call(region, "RemoveTagsFromStream", json!({ "StreamName": name, "TagKeys": stale })).await?;
        }
        let changed: BTreeMap<&String, &String> = wanted.iter().filter(|(k, v)| current.get(*k) != Some(v)).collect();
        if !changed.is_empty() {
            self.api.call(region, "AddTagsToStream", json!({ "StreamName": name, "Tags": changed })).await?;
        }
        Ok(())
    }

    async fn delete_stream(&self, region: &str, name: &str) -> Result<(), ProviderError> {
        let input = json!({ "StreamName": name, "EnforceConsumerDeletion": true });
        match self.api.call(region, "DeleteStream", input).await {
            Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        self.until_gone(region, name).await
    }
}

impl ResourceProvider for StreamProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("Name") != new.get("Name")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_stream(&request).await })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_stream(&physical_id, &old, &request).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_stream(&request.region, &physical_id).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stack: &str, logical: &str) -> ResourceRequest {
        ResourceRequest {
            stack_name: stack.into(),
            stack_id: String::new(),
            logical_id: logical.into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            properties: Properties::new(),
            tags: vec![("team".into(), "data".into())],
        }
    }

    #[test]
    fn template_tags_override_the_stacks_and_malformed_tags_are_refused() {
        let mut r = request("s", "L");
        r.properties.insert("Tags".into(), json!([{ "Key": "team", "Value": "ops" }, { "Key": "x", "Value": "1" }]));
        let tags = merged_tags(&r).expect("tags");
        assert_eq!(tags["team"], "ops");
        assert_eq!(tags["x"], "1");
        r.properties.insert("Tags".into(), json!([{ "Key": "team" }]));
        assert!(merged_tags(&r).unwrap_err().reason.contains("#/Tags"));
    }

    #[test]
    fn unsupported_and_unknown_properties_are_refused_by_name() {
        let mut p = Properties::new();
        p.insert("MaxRecordSizeInKiB".into(), json!(1024));
        assert!(check_unsupported(&p).is_ok(), "AWS's default size is what the local service does");
        p.insert("MaxRecordSizeInKiB".into(), json!(2048));
        assert!(check_unsupported(&p).is_ok(), "records up to 10 MiB are supported");
        let mut w = Properties::new();
        w.insert("WarmThroughputMiBps".into(), json!(10));
        assert!(check_unsupported(&w).unwrap_err().reason.contains("WarmThroughputMiBps"));
        w.insert("Shards".into(), json!(1));
        assert!(check_known(&w, KNOWN).unwrap_err().reason.contains("extraneous key [Shards]"));
    }

    #[test]
    fn integers_arrive_as_numbers_or_parameter_strings() {
        let mut p = Properties::new();
        p.insert("ShardCount".into(), json!("4"));
        assert_eq!(int(&p, "ShardCount").expect("int"), Some(4));
        p.insert("ShardCount".into(), json!("four"));
        assert!(int(&p, "ShardCount").unwrap_err().reason.contains("#/ShardCount"));
    }
}
