//! Stream lifecycle and listing: CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary,
//! ListStreams, UpdateStreamMode, DescribeLimits, DescribeAccountSettings.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::split_range;
use super::model::{Mode, ShardMeta, Status, StreamMeta, epoch_seconds};
use super::op::{Op, StreamRef, parse};
use super::state::{listed_shards, unknown_shard};
use super::validate::{Checks, NAME_PATTERN, in_use, invalid, is_name, limit_exceeded};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

pub const ON_DEMAND_SHARDS: u32 = 4;
pub const MAX_SHARDS_PER_STREAM: i64 = 100_000;
pub const DEFAULT_RETENTION_HOURS: u32 = 24;
const MODES: &[&str] = &["PROVISIONED", "ON_DEMAND"];

#[derive(Deserialize, Default)]
pub struct ModeDetails {
    #[serde(rename = "StreamMode")]
    pub stream_mode: Option<String>,
}

impl ModeDetails {
    pub fn check(&self, c: &mut Checks) {
        c.required("streamModeDetails.streamMode", &self.stream_mode);
        c.one_of("streamModeDetails.streamMode", self.stream_mode.as_deref(), MODES);
    }

    pub fn mode(&self) -> Mode {
        if self.stream_mode.as_deref() == Some("ON_DEMAND") { Mode::OnDemand } else { Mode::Provisioned }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    stream_name: Option<String>,
    shard_count: Option<i64>,
    stream_mode_details: Option<ModeDetails>,
    tags: Option<BTreeMap<String, String>>,
    #[serde(flatten)]
    limits: super::stream_settings::CreateLimits,
}

pub fn check_shard_room(op: &Op, adding: usize) -> Result<(), ApiError> {
    let open = op.state.shards_held();
    if open + adding > op.state.opts.shard_limit {
        return Err(limit_exceeded(format!(
            "This request would exceed the shard limit for the account {LOCAL_ACCOUNT_ID} in {}. Current shard count for the \
             account: {open}. Limit: {}. Number of additional shards that would have resulted from this request: {adding}. \
             Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for \
             current limits and how to request higher limits.",
            op.region, op.state.opts.shard_limit
        )));
    }
    Ok(())
}

/// Refuses a stream past the local stream cap (AWS has no stream quota for provisioned streams).
fn check_stream_room(op: &Op, streams: usize) -> Result<(), ApiError> {
    if streams >= op.state.opts.stream_limit {
        return Err(limit_exceeded(format!(
            "This request would exceed the local cloud's limit of {} streams for the account {LOCAL_ACCOUNT_ID} in {}. \
             Delete streams you no longer need.",
            op.state.opts.stream_limit, op.region
        )));
    }
    Ok(())
}

fn on_demand_count(op: &Op) -> usize {
    op.state.all().iter().filter(|s| s.read().meta.mode == Mode::OnDemand).count()
}

/// Refuses one more ON_DEMAND stream past the account's quota (AWS: 50 by default).
fn check_on_demand_room(op: &Op) -> Result<(), ApiError> {
    let current = on_demand_count(op);
    if current >= op.state.opts.on_demand_stream_limit {
        return Err(limit_exceeded(format!(
            "This request would exceed the limit of {} streams with the ON_DEMAND capacity mode for the account \
             {LOCAL_ACCOUNT_ID} in {}. Current ON_DEMAND stream count: {current}.",
            op.state.opts.on_demand_stream_limit, op.region
        )));
    }
    Ok(())
}

pub fn create(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: CreateInput = parse(input)?;
    let mut c = Checks::new();
    c.required("streamName", &i.stream_name).stream_name("streamName", i.stream_name.as_deref());
    c.range("shardCount", i.shard_count, 1, MAX_SHARDS_PER_STREAM);
    if let Some(m) = &i.stream_mode_details {
        m.check(&mut c);
    }
    if let Some(tags) = &i.tags {
        super::tags::check_tags(&mut c, tags);
    }
    i.limits.check(&mut c);
    c.finish()?;
    let name = i.stream_name.unwrap_or_default();
    super::tags::check_tag_count(&name, i.tags.as_ref().map_or(0, BTreeMap::len))?;
    let mode = i.stream_mode_details.as_ref().map(ModeDetails::mode).unwrap_or(Mode::Provisioned);
    i.limits.check_for_mode(&name, mode)?;
    let count = match (mode, i.shard_count) {
        (Mode::OnDemand, _) => ON_DEMAND_SHARDS,
        (Mode::Provisioned, Some(n)) => n as u32,
        (Mode::Provisioned, None) => {
            return Err(invalid("ShardCount is required for a stream in PROVISIONED mode."));
        }
    };
    let end = op.transition_end();
    let shards = split_range(0, u128::MAX, count)
        .into_iter()
        .enumerate()
        .map(|(i, (start_hash, end_hash))| ShardMeta {
            index: i as u32,
            parent: None,
            adjacent_parent: None,
            start_hash,
            end_hash,
            created_ms: op.now,
            first_log_seq: 0,
            closed: None,
            gone: false,
            parents: Vec::new(),
        })
        .collect();
    let meta = StreamMeta {
        name,
        region: op.region.to_string(),
        created_ms: op.now,
        status: if end.is_some() { Status::Creating } else { Status::Active },
        transition_at_ms: end,
        pending_shards: Vec::new(),
        mode,
        mode_changed_ms: None,
        retention_hours: DEFAULT_RETENTION_HOURS,
        shards,
        enhanced_metrics: Vec::new(),
        encryption_key: None,
        tags: i.tags.unwrap_or_default(),
        consumers: Vec::new(),
        write_peaks: Vec::new(),
        max_record_kib: i.limits.max_record_kib(),
    };
    op.state.create(meta, |state| {
        check_stream_room(op, state.stream_count())?;
        if mode == Mode::OnDemand {
            check_on_demand_room(op)?;
        }
        check_shard_room(op, count as usize)
    })?;
    Ok(json!({}))
}

#[derive(Deserialize)]
struct DeleteInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    #[serde(rename = "EnforceConsumerDeletion")]
    enforce_consumer_deletion: Option<bool>,
}

pub fn delete(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: DeleteInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.finish()?;
    let stream = op.stream(&i.stream_ref)?;
    {
        let mut inner = stream.write();
        let name = inner.meta.name.clone();
        if inner.meta.active_consumers() > 0 && !i.enforce_consumer_deletion.unwrap_or(false) {
            return Err(in_use(format!(
                "Stream {name} under account {LOCAL_ACCOUNT_ID} has registered consumers. Deregister them or set \
                 EnforceConsumerDeletion to true."
            )));
        }
        let mut meta = inner.meta.clone();
        // AWS deletes a stream in any state, a CREATING one too; a stream deleted before it was ACTIVE
        // never lists a shard (DescribeStream shows DELETING with no shards), so its shards go now.
        let never_active = meta.status == Status::Creating;
        if never_active {
            meta.shards.clear();
        }
        meta.pending_shards.clear();
        meta.status = Status::Deleting;
        meta.transition_at_ms = Some(op.transition_end().unwrap_or(op.now));
        for consumer in &mut meta.consumers {
            consumer.status = Status::Deleting;
        }
        op.state.persist(&meta)?;
        inner.meta = meta;
        if never_active {
            inner.shards.clear();
        }
    }
    op.state.settle(&stream, op.now);
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    limit: Option<i64>,
    exclusive_start_shard_id: Option<String>,
}

pub fn describe(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: DescribeInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.range("limit", i.limit, 1, 10_000).len("exclusiveStartShardId", i.exclusive_start_shard_id.as_deref(), 1, 128);
    c.pattern("exclusiveStartShardId", i.exclusive_start_shard_id.as_deref(), is_name, NAME_PATTERN);
    c.finish()?;
    let stream = op.stream(&i.stream_ref)?;
    let inner = stream.read();
    let m = &inner.meta;
    let limit = i.limit.unwrap_or(100) as usize;
    let after = match i.exclusive_start_shard_id.as_deref() {
        Some(id) => Some(super::keys::parse_shard_id(id).ok_or_else(|| unknown_shard(id, &m.name))?),
        None => None,
    };
    let listed: Vec<&ShardMeta> = listed_shards(m).filter(|s| !s.gone && after.is_none_or(|a| s.index > a)).collect();
    let shards: Vec<Value> = listed.iter().take(limit).map(|s| m.shard_json(s)).collect();
    let mut d = json!({
        "StreamName": m.name,
        "StreamARN": m.arn(),
        "StreamStatus": m.status.as_str(),
        "StreamModeDetails": m.mode_details(),
        "Shards": shards,
        "HasMoreShards": listed.len() > limit,
        "RetentionPeriodHours": m.retention_hours,
        "StreamCreationTimestamp": epoch_seconds(m.created_ms),
        "EnhancedMonitoring": m.enhanced_monitoring(),
    });
    if let Some(obj) = d.as_object_mut() {
        m.encryption(obj);
    }
    Ok(json!({ "StreamDescription": d }))
}

pub fn describe_summary(op: &Op, input: Value) -> Result<Value, ApiError> {
    let stream_ref: StreamRef = parse(input)?;
    let mut c = Checks::new();
    stream_ref.check(&mut c);
    c.finish()?;
    let stream = op.stream(&stream_ref)?;
    let inner = stream.read();
    let m = &inner.meta;
    let mut d = json!({
        "StreamName": m.name,
        "StreamARN": m.arn(),
        "StreamStatus": m.status.as_str(),
        "StreamModeDetails": m.mode_details(),
        "RetentionPeriodHours": m.retention_hours,
        "StreamCreationTimestamp": epoch_seconds(m.created_ms),
        "EnhancedMonitoring": m.enhanced_monitoring(),
        "OpenShardCount": listed_shards(m).filter(|s| s.is_open()).count(),
        "ConsumerCount": m.active_consumers(),
    });
    if let Some(obj) = d.as_object_mut() {
        m.encryption(obj);
        m.summary_limits(obj);
    }
    Ok(json!({ "StreamDescriptionSummary": d }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    limit: Option<i64>,
    exclusive_start_stream_name: Option<String>,
    next_token: Option<String>,
}

pub fn list(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ListInput = parse(input)?;
    let mut c = Checks::new();
    c.range("limit", i.limit, 1, 10_000)
        .stream_name("exclusiveStartStreamName", i.exclusive_start_stream_name.as_deref());
    c.len("nextToken", i.next_token.as_deref(), 1, 1_048_576);
    c.finish()?;
    let after = match (&i.next_token, &i.exclusive_start_stream_name) {
        (Some(_), Some(_)) => {
            return Err(invalid("NextToken and ExclusiveStartStreamName cannot be provided together."));
        }
        (Some(t), None) => Some(decode_list_token(t)?),
        (None, name) => name.clone(),
    };
    let limit = i.limit.unwrap_or(100) as usize;
    let names: Vec<String> = op.state.names().into_iter().filter(|n| after.as_ref().is_none_or(|a| n > a)).collect();
    let page: Vec<&String> = names.iter().take(limit).collect();
    let mut summaries = Vec::with_capacity(page.len());
    for name in &page {
        if let Ok(stream) = op.state.get(name, op.now) {
            summaries.push(stream.read().meta.summary_json());
        }
    }
    let more = names.len() > limit;
    let mut out = json!({ "StreamNames": page, "HasMoreStreams": more, "StreamSummaries": summaries });
    if let (true, Some(last)) = (more, page.last()) {
        out["NextToken"] = json!(base64::engine::general_purpose::STANDARD.encode(format!("streams:{last}")));
    }
    Ok(out)
}

fn decode_list_token(token: &str) -> Result<String, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("streams:").map(str::to_string))
        .ok_or_else(|| invalid(format!("Invalid NextToken: {token}.")))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ModeInput {
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
    stream_mode_details: Option<ModeDetails>,
    #[serde(rename = "WarmThroughputMiBps")]
    warm_throughput_mibps: Option<i64>,
}

pub fn update_mode(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: ModeInput = parse(input)?;
    let stream_ref = StreamRef { stream_name: None, stream_arn: i.stream_arn.clone() };
    let mut c = Checks::new();
    c.required("streamARN", &i.stream_arn).required("streamModeDetails", &i.stream_mode_details);
    stream_ref.check(&mut c);
    if let Some(m) = &i.stream_mode_details {
        m.check(&mut c);
    }
    c.finish()?;
    let mode = i.stream_mode_details.as_ref().map(ModeDetails::mode).unwrap_or(Mode::Provisioned);
    if i.warm_throughput_mibps.is_some() {
        let name = op.stream(&stream_ref)?.read().meta.name.clone();
        return Err(super::stream_settings::warm_refused(&name, mode));
    }
    let end = op.transition_end();
    let _quota = op.state.quota_lock();
    if mode == Mode::OnDemand && op.stream(&stream_ref)?.read().meta.mode != Mode::OnDemand {
        check_on_demand_room(op)?;
    }
    op.mutate(&stream_ref, |inner| {
        if inner.meta.mode == mode {
            return Err(invalid(format!("Stream {} is already in {} mode.", inner.meta.name, mode.as_str())));
        }
        inner.meta.mode = mode;
        inner.meta.mode_changed_ms = Some(op.now);
        if end.is_some() {
            inner.meta.status = Status::Updating;
            inner.meta.transition_at_ms = end;
        }
        Ok(json!({}))
    })
}

pub fn describe_limits(op: &Op, _input: Value) -> Result<Value, ApiError> {
    let on_demand = on_demand_count(op);
    Ok(json!({
        "ShardLimit": op.state.opts.shard_limit,
        "OpenShardCount": op.state.open_shard_total(),
        "OnDemandStreamCount": on_demand,
        "OnDemandStreamCountLimit": op.state.opts.on_demand_stream_limit,
    }))
}

pub fn describe_account_settings(_op: &Op, _input: Value) -> Result<Value, ApiError> {
    Ok(json!({ "MinimumThroughputBillingCommitment": { "Status": "DISABLED" } }))
}
