//! Writing: PutRecord and PutRecords. Records are routed by the MD5 of their partition key (or their
//! ExplicitHashKey) to the open shard whose range holds it; each shard's records are appended as one
//! batch, shards in parallel, and acknowledged once the shard log has synced them.
//!
//! Sizes, as the API model of 2025 states them: a record (data plus partition key) up to the stream's
//! `MaxRecordSizeInKiB` (1 MiB by default, at most 10 MiB); a PutRecords request up to 500 records
//! and 10 MiB, partition keys included.

use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::{partition_hash, shard_id};
use super::model::Status;
use super::op::{Op, StreamRef, parse};
use super::state::{ShardRt, Stream};
use super::validate::{Checks, HASH_KEY_PATTERN, invalid, is_hash_key, not_found, throughput_exceeded};
use crate::cloud::error::ApiError;
use crate::cloud::storage::NewRecord;

/// The largest data blob the API model admits whatever the stream's limit: 10 MiB.
pub const MAX_RECORD_BYTES: usize = super::model::MAX_RECORD_KIB as usize * 1024;
pub const MAX_BATCH_RECORDS: usize = 500;
pub const MAX_BATCH_BYTES: usize = 10 * 1024 * 1024;
/// The largest request body Kinesis reads: a PutRecords of `MAX_BATCH_BYTES` in awsJson, whose data
/// grows by a third in base64, plus 2 MiB: room for the JSON around 500 records (names, escaped
/// partition keys, explicit hash keys), and for a request somewhat over the limit to get AWS's
/// InvalidArgumentException rather than the host's refusal. Anything larger cannot be a valid request
/// and is refused unread.
pub const MAX_REQUEST_BODY: usize = MAX_BATCH_BYTES / 3 * 4 + 4 + 2 * 1024 * 1024;
const THROTTLED: &str = "ProvisionedThroughputExceededException";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    data: Option<String>,
    partition_key: Option<String>,
    explicit_hash_key: Option<String>,
}

struct PutRecordsInput {
    stream_ref: StreamRef,
    records: Option<Vec<Entry>>,
}

fn take_str(map: &mut serde_json::Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match map.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::serialization(format!("{key} must be a string"))),
    }
}

/// Takes the request apart by hand: a derived flattening deserializer would copy every record first.
fn put_records_input(input: Value) -> Result<PutRecordsInput, ApiError> {
    let Value::Object(mut map) = input else { return Err(ApiError::serialization("expected a JSON object")) };
    let stream_ref =
        StreamRef { stream_name: take_str(&mut map, "StreamName")?, stream_arn: take_str(&mut map, "StreamARN")? };
    let records = match map.remove("Records") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .map(|item| {
                    let Value::Object(mut m) = item else {
                        return Err(ApiError::serialization("Records members must be objects"));
                    };
                    Ok(Entry {
                        data: take_str(&mut m, "Data")?,
                        partition_key: take_str(&mut m, "PartitionKey")?,
                        explicit_hash_key: take_str(&mut m, "ExplicitHashKey")?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(ApiError::serialization("Records must be a list")),
    };
    Ok(PutRecordsInput { stream_ref, records })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutRecordInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    #[serde(flatten)]
    entry: Entry,
    sequence_number_for_ordering: Option<String>,
}

/// A record ready to route: its position in the request, hash key, and decoded payload.
struct Pending {
    pos: usize,
    hash: u128,
    record: NewRecord,
}

/// Member names are built only for a violation: a batch of valid records allocates none.
fn decode(c: &mut Checks, in_batch: bool, pos: usize, e: Entry) -> Result<Option<Pending>, ApiError> {
    let member = |m: &str| if in_batch { format!("records.{}.member.{m}", pos + 1) } else { m.to_string() };
    if e.data.is_none() {
        c.required(&member("data"), &e.data);
    }
    match &e.partition_key {
        None => {
            c.required(&member("partitionKey"), &e.partition_key);
        }
        Some(k) if k.is_empty() || (k.len() > 256 && k.chars().count() > 256) => {
            c.len(&member("partitionKey"), Some(k), 1, 256);
        }
        Some(_) => {}
    }
    if e.explicit_hash_key.as_deref().is_some_and(|h| !is_hash_key(h)) {
        c.pattern(&member("explicitHashKey"), e.explicit_hash_key.as_deref(), is_hash_key, HASH_KEY_PATTERN);
    }
    let data = match e.data.as_deref().map(|d| base64::engine::general_purpose::STANDARD.decode(d)) {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            return Err(ApiError::serialization(format!("Base64 decoding failed for {}", member("data"))));
        }
        None => Vec::new(),
    };
    if data.len() > MAX_RECORD_BYTES {
        c.blob_len(&member("data"), MAX_RECORD_BYTES);
    }
    let (Some(key), true) = (e.partition_key, e.data.is_some()) else {
        return Ok(None);
    };
    let hash = match e.explicit_hash_key.as_deref() {
        Some(h) if is_hash_key(h) => h.parse::<u128>().map_err(|_| {
            invalid(format!(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was {h}"
            ))
        })?,
        _ => partition_hash(&key),
    };
    Ok(Some(Pending { pos, hash, record: NewRecord { partition_key: key, data: Bytes::from(data) } }))
}

/// Refuses records larger than the stream takes, in AWS's words (observed: `Value at
/// 'records.1.member.data' failed to satisfy constraint: Member must have length less than or equal to
/// 1048576` for a 1 MiB stream). The limit holds for data plus partition key, so a record whose data
/// alone fits is told the room its key leaves.
fn check_record_sizes(stream: &Stream, in_batch: bool, pending: &[Pending]) -> Result<(), ApiError> {
    let max = stream.read().meta.max_record_bytes();
    let mut c = Checks::new();
    for p in pending {
        let (data, key) = (p.record.data.len(), p.record.partition_key.len());
        if data + key <= max {
            continue;
        }
        let member = if in_batch { format!("records.{}.member.data", p.pos + 1) } else { "data".to_string() };
        c.blob_len(&member, if data > max { max } else { max - key });
    }
    c.finish()
}

/// Per-record outcome.
enum Outcome {
    Stored { shard: u32, seq: u64 },
    Throttled { shard: u32 },
    Failed(String),
}

pub async fn put_records(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let started = Instant::now();
    let i = put_records_input(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("records", &i.records);
    let entries = i.records.unwrap_or_default();
    if entries.is_empty() {
        c.custom("'[]'".into(), "records", "have length greater than or equal to 1");
    } else if entries.len() > MAX_BATCH_RECORDS {
        c.custom(format!("'{}' records", entries.len()), "records", "have length less than or equal to 500");
    }
    let mut pending = Vec::with_capacity(entries.len());
    for (pos, e) in entries.into_iter().enumerate() {
        if let Some(p) = decode(&mut c, true, pos, e)? {
            pending.push(p);
        }
    }
    c.finish()?;
    let total: usize = pending.iter().map(|p| p.record.data.len() + p.record.partition_key.len()).sum();
    if total > MAX_BATCH_BYTES {
        return Err(invalid(format!("Records size exceeds 10 MB limit: {total} bytes")));
    }
    let stream = writable(op, &i.stream_ref)?;
    check_record_sizes(&stream, true, &pending)?;
    let n = pending.len();
    let outcomes = store(op, &stream, pending).await?;
    let inner = stream.read();
    let (name, kms) = (inner.meta.name.clone(), inner.meta.encryption_key.is_some());
    let mut failed = 0;
    let mut throttled = 0;
    let results: Vec<Value> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Stored { shard, seq } => {
                json!({ "SequenceNumber": inner.meta.seq_at(*shard, *seq).to_string(), "ShardId": shard_id(*shard) })
            }
            Outcome::Throttled { shard } => {
                failed += 1;
                throttled += 1;
                json!({ "ErrorCode": THROTTLED, "ErrorMessage": throughput_exceeded(&name, &shard_id(*shard)).message })
            }
            Outcome::Failed(msg) => {
                failed += 1;
                json!({ "ErrorCode": "InternalFailure", "ErrorMessage": msg })
            }
        })
        .collect();
    drop(inner);
    {
        let mut s = stream.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.put_records.record(failed < n, total as u64, started.elapsed().as_secs_f64() * 1000.0);
        s.put_records_total += n as u64;
        s.put_records_successful += (n - failed) as u64;
        s.put_records_failed += failed as u64;
        s.put_records_throttled += throttled as u64;
        s.write_exceeded += throttled as u64;
    }
    let mut out = json!({ "FailedRecordCount": failed, "Records": results });
    if kms {
        out["EncryptionType"] = json!("KMS");
    }
    Ok(out)
}

pub async fn put_record(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let started = Instant::now();
    let i: PutRecordInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.pattern(
        "sequenceNumberForOrdering",
        i.sequence_number_for_ordering.as_deref(),
        super::validate::is_seq_pattern,
        super::validate::SEQ_PATTERN,
    );
    let pending = decode(&mut c, false, 0, i.entry)?;
    c.finish()?;
    let Some(pending) = pending else {
        return Err(ApiError::validation("The record is incomplete"));
    };
    let bytes = (pending.record.data.len() + pending.record.partition_key.len()) as u64;
    let stream = writable(op, &i.stream_ref)?;
    check_record_sizes(&stream, false, std::slice::from_ref(&pending))?;
    let outcome = store(op, &stream, vec![pending]).await?.pop();
    let inner = stream.read();
    let ok = matches!(outcome, Some(Outcome::Stored { .. }));
    {
        let mut s = stream.stats.lock().unwrap_or_else(|p| p.into_inner());
        s.put_record.record(ok, bytes, started.elapsed().as_secs_f64() * 1000.0);
        s.write_exceeded += u64::from(matches!(outcome, Some(Outcome::Throttled { .. })));
    }
    match outcome {
        Some(Outcome::Stored { shard, seq }) => {
            let mut out = json!({
                "ShardId": shard_id(shard),
                "SequenceNumber": inner.meta.seq_at(shard, seq).to_string(),
            });
            if inner.meta.encryption_key.is_some() {
                out["EncryptionType"] = json!("KMS");
            }
            Ok(out)
        }
        Some(Outcome::Throttled { shard }) => Err(throughput_exceeded(&inner.meta.name, &shard_id(shard))),
        Some(Outcome::Failed(msg)) => Err(ApiError::internal(msg)),
        None => Err(ApiError::internal("the record was not stored")),
    }
}

fn writable(op: &Op, stream_ref: &StreamRef) -> Result<Arc<Stream>, ApiError> {
    let stream = op.stream(stream_ref)?;
    let inner = stream.read();
    if !matches!(inner.meta.status, Status::Active | Status::Updating) {
        return Err(not_found(&inner.meta.name));
    }
    drop(inner);
    Ok(stream)
}

/// One shard's share of a request.
struct Batch {
    shard: Arc<ShardRt>,
    pos: Vec<usize>,
    hashes: Vec<u128>,
    records: Vec<NewRecord>,
}

/// Routes, admits (limits) and appends records; records whose shard closed meanwhile are routed again.
async fn store(op: &Op<'_>, stream: &Arc<Stream>, mut pending: Vec<Pending>) -> Result<Vec<Outcome>, ApiError> {
    let n = pending.iter().map(|p| p.pos + 1).max().unwrap_or(0);
    let mut outcomes: Vec<Option<Outcome>> = (0..n).map(|_| None).collect();
    for _attempt in 0..3 {
        if pending.is_empty() {
            break;
        }
        let batches = route(op, stream, std::mem::take(&mut pending), &mut outcomes)?;
        let mut tasks = tokio::task::JoinSet::new();
        let now = op.now;
        for b in batches {
            tasks.spawn(append(b, now));
        }
        while let Some(joined) = tasks.join_next().await {
            let (shard, pos, result) = joined.map_err(|e| ApiError::internal(format!("append task failed: {e}")))?;
            match result {
                Appended::Stored(seqs) => {
                    for (p, seq) in pos.into_iter().zip(seqs) {
                        outcomes[p] = Some(Outcome::Stored { shard, seq });
                    }
                }
                Appended::Closed(again) => pending.extend(again),
                Appended::Failed(msg) => {
                    for p in pos {
                        outcomes[p] = Some(Outcome::Failed(msg.clone()));
                    }
                }
            }
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Failed("the shard was closed while writing".into())))
        .collect())
}

fn route(
    op: &Op,
    stream: &Arc<Stream>,
    pending: Vec<Pending>,
    outcomes: &mut [Option<Outcome>],
) -> Result<Vec<Batch>, ApiError> {
    let inner = stream.read();
    let mut open: Vec<(u128, u128, u32)> =
        inner.meta.open_shards().map(|s| (s.start_hash, s.end_hash, s.index)).collect();
    open.sort_unstable();
    let enforce = op.ctx.limits.enforced(&inner.meta.name);
    let mut batches: Vec<Batch> = Vec::new();
    for p in pending {
        let at = open.partition_point(|(start, _, _)| *start <= p.hash).saturating_sub(1);
        let Some(&(_, end, index)) = open.get(at).filter(|(s, e, _)| *s <= p.hash && p.hash <= *e) else {
            return Err(ApiError::internal(format!(
                "no open shard of stream {} holds hash key {}",
                inner.meta.name, p.hash
            )));
        };
        let _ = end;
        let Some(shard) = inner.shard(index) else {
            return Err(ApiError::internal(format!(
                "shard {} of stream {} has no log",
                shard_id(index),
                inner.meta.name
            )));
        };
        if enforce {
            let bytes = (p.record.data.len() + p.record.partition_key.len()) as u64;
            if !shard.limits.lock().unwrap_or_else(|e| e.into_inner()).try_write(op.now, bytes) {
                outcomes[p.pos] = Some(Outcome::Throttled { shard: index });
                shard.stats.lock().unwrap_or_else(|e| e.into_inner()).write_exceeded += 1;
                continue;
            }
        }
        let batch = match batches.iter_mut().position(|b| b.shard.index == index) {
            Some(i) => &mut batches[i],
            None => {
                batches.push(Batch { shard: shard.clone(), pos: Vec::new(), hashes: Vec::new(), records: Vec::new() });
                let last = batches.len() - 1;
                &mut batches[last]
            }
        };
        batch.pos.push(p.pos);
        batch.hashes.push(p.hash);
        batch.records.push(p.record);
    }
    Ok(batches)
}

enum Appended {
    Stored(Vec<u64>),
    Closed(Vec<Pending>),
    Failed(String),
}

async fn append(b: Batch, now: i64) -> (u32, Vec<usize>, Appended) {
    let gate = b.shard.gate.read().await;
    if *gate {
        let again = b
            .pos
            .iter()
            .zip(b.hashes)
            .zip(b.records)
            .map(|((pos, hash), record)| Pending { pos: *pos, hash, record })
            .collect();
        return (b.shard.index, b.pos, Appended::Closed(again));
    }
    let bytes: u64 = b.records.iter().map(|r| (r.data.len() + r.partition_key.len()) as u64).sum();
    let count = b.records.len() as u64;
    let result = b.shard.log.append(b.records, now).await;
    drop(gate);
    match result {
        Ok(seqs) => {
            let mut s = b.shard.stats.lock().unwrap_or_else(|e| e.into_inner());
            s.incoming_bytes += bytes;
            s.incoming_records += count;
            (b.shard.index, b.pos, Appended::Stored(seqs))
        }
        Err(e) => (b.shard.index, b.pos, Appended::Failed(format!("shard {}: {e}", shard_id(b.shard.index)))),
    }
}
