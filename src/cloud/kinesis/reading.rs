//! Reading: GetShardIterator (TRIM_HORIZON, LATEST, AT/AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP) and
//! GetRecords, which reads the shard log from the iterator's position.

use std::fmt::Write as _;
use std::time::Instant;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::{Iter, SeqNo, parse_shard_id, shard_id};
use super::model::{ShardMeta, Status, StreamMeta};
use super::op::{Op, StreamRef, is_stream_arn, parse};
use super::state::{ShardRt, Stream, missing_shard, unknown_shard};
use super::validate::{
    ARN_PATTERN, Checks, NAME_PATTERN, SEQ_PATTERN, invalid, is_name, is_seq_pattern, not_found, throughput_exceeded,
};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::storage::StoredRecord;

pub const ITERATOR_TTL_MS: i64 = 300_000;
pub const MAX_GET_RECORDS: usize = 10_000;
pub const MAX_GET_BYTES: usize = 10 * 1024 * 1024;
pub const TYPES: &[&str] = &["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IteratorInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    shard_id: Option<String>,
    shard_iterator_type: Option<String>,
    starting_sequence_number: Option<String>,
    timestamp: Option<f64>,
}

/// Where a reader asks to start: GetShardIterator's iterator type, SubscribeToShard's StartingPosition.
pub struct Start<'a> {
    /// TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP (already validated).
    pub kind: &'a str,
    pub sequence_number: Option<&'a str>,
    /// Epoch seconds.
    pub timestamp: Option<f64>,
    /// The operation asking, as error messages name it.
    pub operation: &'a str,
}

impl Start<'_> {
    /// The log position the read begins at.
    pub fn position(&self, op: &Op, m: &StreamMeta, shard: &ShardMeta, rt: &ShardRt) -> Result<u64, ApiError> {
        let kind = self.kind;
        if self.sequence_number.is_some() && !kind.ends_with("SEQUENCE_NUMBER") {
            return Err(invalid(format!(
                "Request specified StartingSequenceNumber with iterator type {kind}; it is only allowed with AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER."
            )));
        }
        match kind {
            "TRIM_HORIZON" => Ok(horizon(rt, m.retention_ms(), op.now)),
            "LATEST" => Ok(rt.log.next_seq()),
            "AT_SEQUENCE_NUMBER" => self.at_sequence_number(op, m, shard, false),
            "AFTER_SEQUENCE_NUMBER" => self.at_sequence_number(op, m, shard, true),
            _ => {
                let Some(ts) = self.timestamp else {
                    return Err(invalid(
                        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.",
                    ));
                };
                let ms = (ts * 1000.0).round() as i64;
                if ms > op.now {
                    return Err(invalid(format!(
                        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {ms}, currentTimestampInMillis: {}",
                        op.now
                    )));
                }
                Ok(rt.log.seq_at_time(ms))
            }
        }
    }

    fn at_sequence_number(&self, op: &Op, m: &StreamMeta, shard: &ShardMeta, after: bool) -> Result<u64, ApiError> {
        let kind = self.kind;
        let Some(s) = self.sequence_number else {
            return Err(invalid(format!("Must specify StartingSequenceNumber for iterator type {kind}.")));
        };
        let parsed = SeqNo::parse(s).ok_or_else(|| {
            invalid(format!(
                "StartingSequenceNumber {s} used in {} on shard {} in stream {} under account {} is invalid.",
                self.operation,
                shard.id(),
                m.name,
                op.ctx.account_id()
            ))
        })?;
        if parsed.stream_ms != m.created_ms || parsed.shard != shard.index {
            return Err(invalid(format!(
                "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {}",
                shard_id(parsed.shard),
                shard.id()
            )));
        }
        Ok(parsed.log_seq + u64::from(after))
    }
}

/// The oldest log position still inside the stream's retention.
pub fn horizon(rt: &ShardRt, retention_ms: i64, now: i64) -> u64 {
    rt.log.first_seq().max(rt.log.seq_at_time(now - retention_ms))
}

pub fn get_shard_iterator(op: &Op, input: Value) -> Result<Value, ApiError> {
    let i: IteratorInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("shardId", &i.shard_id).len("shardId", i.shard_id.as_deref(), 1, 128).pattern(
        "shardId",
        i.shard_id.as_deref(),
        is_name,
        NAME_PATTERN,
    );
    c.required("shardIteratorType", &i.shard_iterator_type).one_of(
        "shardIteratorType",
        i.shard_iterator_type.as_deref(),
        TYPES,
    );
    c.pattern("startingSequenceNumber", i.starting_sequence_number.as_deref(), is_seq_pattern, SEQ_PATTERN);
    c.finish()?;
    let kind = i.shard_iterator_type.as_deref().unwrap_or_default();
    let name = i.stream_ref.name()?;
    let id = i.shard_id.as_deref().unwrap_or_default();
    let index = parse_shard_id(id).ok_or_else(|| unknown_shard(id, &name))?;
    // AWS names the shard, not the stream, when the stream does not exist.
    let stream = match op.stream(&i.stream_ref) {
        Err(_) if !op.state.exists(&name) => return Err(missing_shard(index, &name)),
        found => found?,
    };
    let inner = stream.read();
    let m = &inner.meta;
    if m.status == Status::Deleting {
        return Err(not_found(&m.name));
    }
    // A CREATING stream has no shards yet: the shard "does not exist".
    let (shard, rt) = inner.shard_by_id(id)?;
    let start = Start {
        kind,
        sequence_number: i.starting_sequence_number.as_deref(),
        timestamp: i.timestamp,
        operation: "GetShardIterator",
    };
    let pos = start.position(op, m, shard, rt)?;
    let it =
        Iter { stream: m.name.clone(), stream_ms: m.created_ms, shard: shard.index, log_seq: pos, created_ms: op.now };
    Ok(json!({ "ShardIterator": it.encode(&op.state.iterator_key) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordsInput {
    shard_iterator: Option<String>,
    limit: Option<i64>,
    #[serde(rename = "StreamARN")]
    stream_arn: Option<String>,
}

/// Answers with the response body already rendered as JSON.
pub fn get_records(op: &Op, input: Value) -> Result<Vec<u8>, ApiError> {
    let started = Instant::now();
    let i: RecordsInput = parse(input)?;
    let mut c = Checks::new();
    c.required("shardIterator", &i.shard_iterator).len("shardIterator", i.shard_iterator.as_deref(), 1, 512);
    c.range("limit", i.limit, 1, MAX_GET_RECORDS as i64);
    c.pattern("streamARN", i.stream_arn.as_deref(), is_stream_arn, ARN_PATTERN);
    c.finish()?;
    // A tag that does not match means the iterator was not made here: forged, altered, or from
    // another data dir. It is refused before its expiry is even read.
    let it = op
        .state
        .iterator_key
        .open(i.shard_iterator.as_deref().unwrap_or_default())
        .ok_or_else(|| invalid("Invalid ShardIterator."))?;
    if op.now - it.created_ms > ITERATOR_TTL_MS {
        return Err(ApiError::bad_request(
            "ExpiredIteratorException",
            format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_TTL_MS} milliseconds.",
                it.created_ms, op.now
            ),
        ));
    }
    if let Some(arn) = &i.stream_arn
        && super::keys::stream_name_from_arn(arn) != Some(it.stream.as_str())
    {
        return Err(invalid(format!("StreamARN {arn} does not match the stream of the shard iterator.")));
    }
    let stream = op.state.get(&it.stream, op.now)?;
    let inner = stream.read();
    let m = &inner.meta;
    if m.created_ms != it.stream_ms {
        return Err(not_found(&m.name));
    }
    let (shard, rt) = inner.shard_by_id(&shard_id(it.shard))?;
    let limit = i.limit.map(|l| l as usize).unwrap_or(MAX_GET_RECORDS);
    let read =
        read_shard(op.ctx, &stream, ShardAt { meta: m, shard, rt }, it.log_seq, limit, MAX_GET_BYTES, op.now, started)?;
    let mut body = String::with_capacity(64 + read.records.iter().map(|r| 160 + r.data.len() * 4 / 3).sum::<usize>());
    render_records(&mut body, m, shard, &read.records)?;
    let _ = write!(body, r#","MillisBehindLatest":{}"#, read.millis_behind);
    if read.end_of_shard {
        let children =
            serde_json::to_string(&m.child_shards_of(shard.index)).map_err(|e| ApiError::internal(e.to_string()))?;
        let _ = write!(body, r#","ChildShards":{children}}}"#);
    } else {
        let next = Iter { log_seq: read.next_position, created_ms: op.now, ..it };
        let _ = write!(body, r#","NextShardIterator":"{}"}}"#, next.encode(&op.state.iterator_key));
    }
    Ok(body.into_bytes())
}

/// A shard of a stream, as a read sees it under the stream's read lock.
pub struct ShardAt<'a> {
    pub meta: &'a StreamMeta,
    pub shard: &'a ShardMeta,
    pub rt: &'a ShardRt,
}

/// What one read of a shard found.
pub struct ShardRead {
    pub records: Vec<StoredRecord>,
    /// Where the next read starts: after the last record, or where this read started (moved past
    /// records retention dropped) when it found none.
    pub next_position: u64,
    pub millis_behind: i64,
    /// The shard is closed and the read reached its end.
    pub end_of_shard: bool,
}

/// One read of a shard from `from`, shared by GetRecords and the in-process stream source so both
/// meet the same shard read limits (a refusal counts as GetRecords throttling), feed the same
/// GetRecords, OutgoingRecords and IteratorAge statistics, and skip what retention dropped.
#[allow(clippy::too_many_arguments)]
pub fn read_shard(
    ctx: &CloudContext,
    stream: &Stream,
    at: ShardAt<'_>,
    from: u64,
    max_records: usize,
    max_bytes: usize,
    now: i64,
    started: Instant,
) -> Result<ShardRead, ApiError> {
    let ShardAt { meta: m, shard, rt } = at;
    let enforce = ctx.limits.enforced(&m.name);
    if enforce && !rt.limits.lock().unwrap_or_else(|p| p.into_inner()).try_read(now) {
        rt.stats.lock().unwrap_or_else(|p| p.into_inner()).read_exceeded += 1;
        let mut s = stream.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.read_exceeded += 1;
        s.get_records.record(false, 0, started.elapsed().as_secs_f64() * 1000.0);
        return Err(throughput_exceeded(&m.name, &shard.id()));
    }
    let from = from.max(horizon(rt, m.retention_ms(), now));
    let records = rt
        .log
        .read(from, max_records, max_bytes)
        .map_err(|e| ApiError::internal(format!("reading {} of {}: {e}", shard.id(), m.name)))?;
    let bytes: u64 = records.iter().map(|r| (r.data.len() + r.partition_key.len()) as u64).sum();
    if enforce {
        rt.limits.lock().unwrap_or_else(|p| p.into_inner()).charge_read(now, bytes);
    }
    let next_position = records.last().map(|r| r.seq + 1).unwrap_or(from);
    let tip = rt.log.next_seq();
    let millis_behind =
        if next_position >= tip { 0 } else { records.last().map(|r| now - r.arrival_ms).unwrap_or(0).max(0) };
    let age = records.first().map(|r| (now - r.arrival_ms).max(0) as f64);
    let n = records.len() as u64;
    {
        let mut s = rt.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.outgoing_bytes += bytes;
        s.outgoing_records += n;
        s.iterator_age_ms.push(age.unwrap_or(0.0));
    }
    let mut s = stream.stats.lock().unwrap_or_else(|p| p.into_inner());
    s.get_records.record(true, bytes, started.elapsed().as_secs_f64() * 1000.0);
    s.get_records_records += n;
    s.iterator_age_ms.push(age.unwrap_or(0.0));
    let end_of_shard = shard.closed.is_some() && next_position >= tip;
    Ok(ShardRead { records, next_position, millis_behind, end_of_shard })
}

/// Writes `{"Records":[...]` straight into the response body: a JSON tree of 10,000 records would
/// take several times the memory of the text.
pub fn render_records(
    out: &mut String,
    m: &StreamMeta,
    shard: &ShardMeta,
    records: &[StoredRecord],
) -> Result<(), ApiError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let encryption = if m.encryption_key.is_some() { r#","EncryptionType":"KMS""# } else { "" };
    out.push_str(r#"{"Records":["#);
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let key = serde_json::to_string(&r.partition_key).map_err(|e| ApiError::internal(e.to_string()))?;
        let ms = r.arrival_ms.max(0);
        let _ = write!(
            out,
            r#"{{"SequenceNumber":"{}","ApproximateArrivalTimestamp":{}.{:03},"PartitionKey":{key}{encryption},"Data":""#,
            m.seq(shard, r.seq),
            ms / 1000,
            ms % 1000
        );
        b64.encode_string(&r.data, out);
        out.push_str("\"}");
    }
    out.push(']');
    Ok(())
}
