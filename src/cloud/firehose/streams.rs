//! CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream and
//! UpdateDestination.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::destination;
use super::model::{
    DESTINATION_ID, DeliveryStream, KinesisSource, Progress, ShardProgress, Status, StreamType, stream_arn,
};
use super::op::Op;
use super::validate::{self, arn, constraint, in_use, invalid, not_found, opt_int, opt_str, req_str};
use crate::cloud::error::ApiError;

/// Destinations the service model offers that the local cloud does not deliver to.
const OTHER_DESTINATIONS: &[&str] = &[
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
];

fn stream_type(input: &Value) -> Result<StreamType, ApiError> {
    match opt_str(input, "DeliveryStreamType")? {
        None | Some("DirectPut") => Ok(StreamType::DirectPut),
        Some("KinesisStreamAsSource") => Ok(StreamType::KinesisStreamAsSource),
        Some(other) => Err(constraint(
            other,
            "deliveryStreamType",
            "Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]",
        )),
    }
}

/// The Kinesis source, and the positions reading starts from: every open shard's tip now (LATEST,
/// fixed at creation), closed shards as already read. A source that cannot be read now makes the
/// delivery stream fail its creation, with the reason.
fn source(
    op: &Op<'_>,
    input: &Value,
    kind: StreamType,
) -> Result<(Option<KinesisSource>, Progress, Option<String>), ApiError> {
    let config = input.get("KinesisStreamSourceConfiguration").filter(|v| !v.is_null());
    let config = match (kind, config) {
        (StreamType::DirectPut, Some(_)) => {
            return Err(invalid("KinesisSourceStreamConfig is only applicable for KinesisStreamAsSource stream type"));
        }
        (StreamType::DirectPut, None) => return Ok((None, Progress::default(), None)),
        (StreamType::KinesisStreamAsSource, None) => {
            return Err(invalid("KinesisSourceStreamConfig is required for KinesisStreamAsSource stream type"));
        }
        (StreamType::KinesisStreamAsSource, Some(c)) => c,
    };
    let stream_arn = req_str(config, "KinesisStreamARN", "kinesisStreamSourceConfiguration.kinesisStreamARN")?;
    arn(stream_arn, "kinesisStreamSourceConfiguration.kinesisStreamARN", 512)?;
    let role_arn = req_str(config, "RoleARN", "kinesisStreamSourceConfiguration.roleARN")?;
    arn(role_arn, "kinesisStreamSourceConfiguration.roleARN", 512)?;
    let source = KinesisSource { stream_arn: stream_arn.into(), role_arn: role_arn.into(), start_ms: op.now };
    let mut progress = Progress::default();
    let stream = match op.ctx.stream_reader.describe(stream_arn) {
        Ok(s) => s,
        Err(e) => return Ok((Some(source), progress, Some(source_failure(stream_arn, &e)))),
    };
    progress.source_created_ms = stream.created_ms;
    for shard in &stream.shards {
        let start = if shard.closed {
            ShardProgress { position: 0, done: true }
        } else {
            match op.ctx.stream_reader.tip(stream_arn, &shard.shard_id) {
                Ok(position) => ShardProgress { position, done: false },
                Err(e) => return Ok((Some(source), progress, Some(source_failure(stream_arn, &e)))),
            }
        };
        progress.shards.insert(shard.shard_id.clone(), start);
    }
    Ok((Some(source), progress, None))
}

fn source_failure(stream_arn: &str, e: &ApiError) -> String {
    if e.code == "ResourceNotFoundException" {
        format!("Kinesis stream {stream_arn} does not exist or is not ACTIVE: {}", e.message)
    } else {
        format!("Kinesis stream {stream_arn} could not be read: {}", e.message)
    }
}

pub fn create(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let kind = stream_type(&input)?;
    if let Some(other) = OTHER_DESTINATIONS.iter().find(|m| input.get(**m).is_some_and(|v| !v.is_null())) {
        return Err(invalid(format!(
            "{other} is not supported by the local cloud; use ExtendedS3DestinationConfiguration."
        )));
    }
    let extended = input.get("ExtendedS3DestinationConfiguration").filter(|v| !v.is_null());
    let plain = input.get("S3DestinationConfiguration").filter(|v| !v.is_null());
    let destination = match (extended, plain) {
        (Some(e), None) => destination::parse(e, "extendedS3DestinationConfiguration", true)?,
        (None, Some(p)) => destination::parse(p, "s3DestinationConfiguration", false)?,
        (Some(_), Some(_)) => return Err(invalid("Only one destination configuration can be specified.")),
        (None, None) => return Err(invalid("A destination configuration must be specified.")),
    };
    let tags: BTreeMap<String, String> = validate::tags(&input, "Tags", "tags")?.into_iter().collect();
    {
        let streams = op.state.lock();
        if streams.contains_key(name) {
            return Err(in_use(format!("Firehose {name} under accountId {} already exists", op.account())));
        }
        if streams.len() >= op.ctx.config.firehose.delivery_stream_limit {
            return Err(ApiError::bad_request(
                "LimitExceededException",
                format!(
                    "You have already consumed your firehose quota of {} hoses.",
                    op.ctx.config.firehose.delivery_stream_limit
                ),
            ));
        }
    }
    let (source, progress, failure) = source(op, &input, kind)?;
    let arn = stream_arn(op.region, op.account(), name);
    let meta = DeliveryStream {
        name: name.to_string(),
        arn: arn.clone(),
        kind,
        status: Status::Creating,
        failure: failure.map(|details| super::model::Failure { kind: "UNKNOWN_ERROR".into(), details }),
        version: 1,
        created_ms: op.now,
        updated_ms: op.now,
        transition_at_ms: Some(op.now + op.ctx.config.firehose.transition_ms),
        source,
        destination,
        tags,
    };
    let mut streams = op.state.lock();
    if streams.contains_key(name) {
        return Err(in_use(format!("Firehose {name} under accountId {} already exists", op.account())));
    }
    op.state.create(&mut streams, meta, progress)?;
    Ok(json!({ "DeliveryStreamARN": arn }))
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

pub fn description(meta: &DeliveryStream, limit: usize, exclusive_start: Option<&str>) -> Value {
    let destinations = if limit == 0 || exclusive_start == Some(DESTINATION_ID) {
        Vec::new()
    } else {
        vec![json!({
            "DestinationId": DESTINATION_ID,
            "S3DestinationDescription": destination::describe_plain(&meta.destination),
            "ExtendedS3DestinationDescription": destination::describe_extended(&meta.destination),
        })]
    };
    let mut d = json!({
        "DeliveryStreamName": meta.name,
        "DeliveryStreamARN": meta.arn,
        "DeliveryStreamStatus": meta.status.as_str(),
        "DeliveryStreamType": meta.kind.as_str(),
        "DeliveryStreamEncryptionConfiguration": { "Status": "DISABLED" },
        "VersionId": meta.version.to_string(),
        "CreateTimestamp": secs(meta.created_ms),
        "Destinations": destinations,
        "HasMoreDestinations": false,
    });
    if meta.version > 1 {
        d["LastUpdateTimestamp"] = secs(meta.updated_ms).into();
    }
    if let Some(src) = &meta.source {
        d["Source"] = json!({ "KinesisStreamSourceDescription": {
            "KinesisStreamARN": src.stream_arn,
            "RoleARN": src.role_arn,
            "DeliveryStartTimestamp": secs(src.start_ms),
        }});
    }
    if let Some(f) =
        meta.failure.as_ref().filter(|_| matches!(meta.status, Status::CreatingFailed | Status::DeletingFailed))
    {
        d["FailureDescription"] = json!({ "Type": f.kind, "Details": f.details });
    }
    d
}

pub fn describe(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let limit = opt_int(&input, "Limit", "limit", 1..=10_000)?.unwrap_or(10_000) as usize;
    let start = opt_str(&input, "ExclusiveStartDestinationId")?;
    let streams = op.state.lock();
    let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
    Ok(json!({ "DeliveryStreamDescription": description(&entry.meta, limit, start) }))
}

pub fn list(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let limit = opt_int(&input, "Limit", "limit", 1..=10_000)?.unwrap_or(10) as usize;
    let kind = match opt_str(&input, "DeliveryStreamType")? {
        None => None,
        Some(_) => Some(stream_type(&input)?),
    };
    let start = opt_str(&input, "ExclusiveStartDeliveryStreamName")?;
    let streams = op.state.lock();
    let mut matching = streams
        .values()
        .filter(|e| kind.is_none_or(|k| e.meta.kind == k))
        .filter(|e| start.is_none_or(|s| e.meta.name.as_str() > s))
        .map(|e| e.meta.name.clone());
    let names: Vec<String> = matching.by_ref().take(limit).collect();
    let more = matching.next().is_some();
    Ok(json!({ "DeliveryStreamNames": names, "HasMoreDeliveryStreams": more }))
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let mut streams = op.state.lock();
    let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
    match entry.meta.status {
        Status::Deleting => return Ok(json!({})),
        Status::Creating => {
            return Err(in_use(format!(
                "Firehose {name} is in CREATING state and cannot be deleted until it is ACTIVE."
            )));
        }
        Status::Active | Status::CreatingFailed | Status::DeletingFailed => {}
    }
    let mut meta = entry.meta.clone();
    meta.status = Status::Deleting;
    meta.transition_at_ms = Some(op.now + op.ctx.config.firehose.transition_ms);
    op.state.update(&mut streams, meta)?;
    Ok(json!({}))
}

pub fn update_destination(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "DeliveryStreamName", "deliveryStreamName")?;
    validate::stream_name(name)?;
    let version = req_str(&input, "CurrentDeliveryStreamVersionId", "currentDeliveryStreamVersionId")?;
    validate::length(version, "currentDeliveryStreamVersionId", 1, 50)?;
    let destination_id = req_str(&input, "DestinationId", "destinationId")?;
    if let Some(other) = OTHER_DESTINATIONS
        .iter()
        .map(|m| m.replace("Configuration", "Update"))
        .find(|m| input.get(m.as_str()).is_some_and(|v| !v.is_null()))
    {
        return Err(invalid(format!("{other} is not supported by the local cloud.")));
    }
    let mut streams = op.state.lock();
    let entry = streams.get(name).ok_or_else(|| not_found(name, op.account()))?;
    let mut meta = entry.meta.clone();
    if meta.status != Status::Active {
        return Err(in_use(format!("Firehose {name} is not in the ACTIVE state: {}", meta.status.as_str())));
    }
    if version != meta.version.to_string() {
        return Err(ApiError::bad_request(
            "ConcurrentModificationException",
            format!(
                "Cannot update firehose: {name} since the current version id: {} and specified version id: {version} do not match",
                meta.version
            ),
        ));
    }
    if destination_id != DESTINATION_ID {
        return Err(invalid(format!("Destination Id {destination_id} not found")));
    }
    let extended = input.get("ExtendedS3DestinationUpdate").filter(|v| !v.is_null());
    let plain = input.get("S3DestinationUpdate").filter(|v| !v.is_null());
    meta.destination = match (extended, plain) {
        (Some(e), None) => destination::merge(&meta.destination, e, "extendedS3DestinationUpdate", true)?,
        (None, Some(p)) => destination::merge(&meta.destination, p, "s3DestinationUpdate", false)?,
        (Some(_), Some(_)) => return Err(invalid("Only one destination update can be specified.")),
        (None, None) => return Err(invalid("A destination update must be specified.")),
    };
    meta.version += 1;
    meta.updated_ms = op.now;
    op.state.update(&mut streams, meta)?;
    Ok(json!({}))
}
