//! ListShards with ShardFilter and NextToken pagination.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::keys::parse_shard_id;
use super::model::{ShardMeta, Status, StreamMeta};
use super::op::{Op, StreamRef, parse};
use super::state::unknown_shard;
use super::validate::{Checks, NAME_PATTERN, in_use, invalid, is_name};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

const TOKEN_TTL_MS: i64 = 300_000;
const FILTERS: &[&str] =
    &["AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"];

#[derive(Deserialize, Serialize, Clone, Default)]
#[serde(rename_all = "PascalCase")]
struct Filter {
    #[serde(rename = "Type")]
    kind: Option<String>,
    shard_id: Option<String>,
    timestamp: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    #[serde(flatten)]
    stream_ref: StreamRef,
    next_token: Option<String>,
    exclusive_start_shard_id: Option<String>,
    max_results: Option<i64>,
    stream_creation_timestamp: Option<f64>,
    shard_filter: Option<Filter>,
}

#[derive(Serialize, Deserialize)]
struct Token {
    stream: String,
    after: Option<u32>,
    filter: Option<Filter>,
    issued_ms: i64,
}

fn decode_token(t: &str) -> Option<Token> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether a shard was open at `t` (shards made with the stream count as open from its start).
fn open_at(s: &ShardMeta, t: i64) -> bool {
    (s.created_ms <= t || s.parents.is_empty()) && s.closed.is_none_or(|c| c.at_ms > t)
}

fn keep(m: &StreamMeta, s: &ShardMeta, f: &Filter, now: i64) -> bool {
    let ts = f.timestamp.map(|t| (t * 1000.0) as i64).unwrap_or(now);
    match f.kind.as_deref() {
        Some("AT_TRIM_HORIZON") => open_at(s, now - m.retention_ms()),
        Some("AT_LATEST") => s.is_open(),
        Some("AT_TIMESTAMP") => open_at(s, ts),
        Some("FROM_TIMESTAMP") => s.closed.is_none_or(|c| c.at_ms > ts),
        _ => true,
    }
}

/// The shard number an id names (any form AWS reads), or AWS's error for an id it cannot read.
fn shard_number(id: Option<&str>, stream: &str) -> Result<Option<u32>, ApiError> {
    id.map(|id| parse_shard_id(id).ok_or_else(|| unknown_shard(id, stream))).transpose()
}

pub fn list_shards(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: Input = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.range("maxResults", i.max_results, 1, 10_000).len("nextToken", i.next_token.as_deref(), 1, 1_048_576);
    c.len("exclusiveStartShardId", i.exclusive_start_shard_id.as_deref(), 1, 128);
    c.pattern("exclusiveStartShardId", i.exclusive_start_shard_id.as_deref(), is_name, NAME_PATTERN);
    if let Some(f) = &i.shard_filter {
        c.required("shardFilter.type", &f.kind).one_of("shardFilter.type", f.kind.as_deref(), FILTERS);
        c.len("shardFilter.shardId", f.shard_id.as_deref(), 1, 128);
        c.pattern("shardFilter.shardId", f.shard_id.as_deref(), is_name, NAME_PATTERN);
    }
    c.finish()?;
    let (name, mut after, filter) = match &i.next_token {
        Some(t) => {
            if i.stream_ref.stream_name.is_some() || i.stream_ref.stream_arn.is_some() {
                return Err(invalid("NextToken and StreamName cannot be provided together."));
            }
            let token = decode_token(t).ok_or_else(|| invalid(format!("Invalid NextToken: {t}.")))?;
            if op.now - token.issued_ms > TOKEN_TTL_MS {
                return Err(ApiError::bad_request(
                    "ExpiredNextTokenException",
                    format!("The NextToken {t} has expired."),
                ));
            }
            (token.stream, token.after, token.filter)
        }
        None => (i.stream_ref.name()?, None, i.shard_filter.clone()),
    };
    let filter = filter.unwrap_or_default();
    match filter.kind.as_deref() {
        Some("AFTER_SHARD_ID") if filter.shard_id.is_none() => {
            return Err(invalid("ShardId must be provided with the AFTER_SHARD_ID shard filter."));
        }
        Some("AT_TIMESTAMP" | "FROM_TIMESTAMP") if filter.timestamp.is_none() => {
            return Err(invalid("Timestamp must be provided with the AT_TIMESTAMP and FROM_TIMESTAMP shard filters."));
        }
        Some("AFTER_SHARD_ID") => after = after.max(shard_number(filter.shard_id.as_deref(), &name)?),
        _ => {}
    }
    after = after.max(shard_number(i.exclusive_start_shard_id.as_deref(), &name)?);
    let stream = op.state.get(&name, op.now)?;
    let inner = stream.read();
    let m = &inner.meta;
    // A stream lists its shards once ACTIVE: AWS refuses ListShards before (and while deleting).
    if !matches!(m.status, Status::Active | Status::Updating) {
        return Err(in_use(format!(
            "Stream {name} under account {LOCAL_ACCOUNT_ID} not ACTIVE or UPDATING, instead in state {}",
            m.status.as_str()
        )));
    }
    if let Some(ts) = i.stream_creation_timestamp
        && (ts * 1000.0) as i64 / 1000 != m.created_ms / 1000
    {
        return Err(ApiError::bad_request(
            "ResourceNotFoundException",
            format!("Stream {name} with the given creation timestamp was not found."),
        ));
    }
    let limit = i.max_results.unwrap_or(1000) as usize;
    let listed: Vec<&ShardMeta> = m
        .shards
        .iter()
        .filter(|s| !s.gone && after.is_none_or(|a| s.index > a) && keep(m, s, &filter, op.now))
        .collect();
    let page: Vec<Value> = listed.iter().take(limit).map(|s| m.shard_json(s)).collect();
    let mut out = json!({ "Shards": page });
    if listed.len() > limit {
        let token =
            Token { stream: name, after: Some(listed[limit - 1].index), filter: Some(filter), issued_ms: op.now };
        let bytes = serde_json::to_vec(&token).map_err(|e| ApiError::internal(e.to_string()))?;
        out["NextToken"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    }
    Ok(out)
}
