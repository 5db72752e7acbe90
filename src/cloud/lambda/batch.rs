//! What an event source mapping sends, as pure functions: the Kinesis event Lambda gives the function,
//! the split of a read into ParallelizationFactor groups (a partition key always in the same group, so
//! its order holds), the function's partial-failure answer, and the invocation record sent to the
//! on-failure destination.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::cloud::clock::Millis;
use crate::cloud::stream_source::SourceRecord;

/// Where a batch comes from, for its event and failure record.
pub struct Origin<'a> {
    pub stream_arn: &'a str,
    pub shard_id: &'a str,
    pub region: &'a str,
    pub role: &'a str,
}

pub fn event(origin: &Origin, records: &[SourceRecord]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key,
                    "sequenceNumber": r.sequence_number,
                    "data": STANDARD.encode(&r.data),
                    "approximateArrivalTimestamp": r.arrival_ms as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{}:{}", origin.shard_id, r.sequence_number),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": origin.role,
                "awsRegion": origin.region,
                "eventSourceARN": origin.stream_arn,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// `records` in `groups` groups by partition key (the Kinesis key hash, as Lambda keeps a key on one
/// concurrent batch), each cut into batches of at most `batch_size`, in arrival order.
pub fn partition(records: Vec<SourceRecord>, groups: usize, batch_size: usize) -> Vec<Vec<Vec<SourceRecord>>> {
    let groups = groups.max(1);
    let mut by_group: Vec<Vec<SourceRecord>> = vec![Vec::new(); groups];
    for r in records {
        let g = (crate::cloud::kinesis::keys::partition_hash(&r.partition_key) % groups as u128) as usize;
        by_group[g].push(r);
    }
    by_group.into_iter().map(|g| g.chunks(batch_size.max(1)).map(<[SourceRecord]>::to_vec).collect()).collect()
}

/// How a function answered a batch, for the mapping.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Done,
    /// `ReportBatchItemFailures`: the records from this index on are retried (the earliest failed one).
    FailedFrom(usize),
    Failed,
}

/// Reads an invocation's answer: a function error fails the batch; with ReportBatchItemFailures, a
/// `batchItemFailures` list names the first failed record (an identifier that is empty, missing or
/// not in the batch fails the whole batch, as Lambda treats it).
pub fn answer(records: &[SourceRecord], function_error: bool, payload: &[u8], report_items: bool) -> Answer {
    if function_error {
        return Answer::Failed;
    }
    if !report_items {
        return Answer::Done;
    }
    let Ok(v) = serde_json::from_slice::<Value>(payload) else { return Answer::Done };
    let Some(failures) = v.get("batchItemFailures").and_then(Value::as_array) else { return Answer::Done };
    if failures.is_empty() {
        return Answer::Done;
    }
    let mut first = None;
    for f in failures {
        let id = f.get("itemIdentifier").and_then(Value::as_str).unwrap_or_default();
        let Some(i) = records.iter().position(|r| r.sequence_number == id) else { return Answer::Failed };
        first = Some(first.map_or(i, |j: usize| j.min(i)));
    }
    first.map_or(Answer::Done, Answer::FailedFrom)
}

/// The last invocation of a discarded batch, for the failure record's `responseContext`.
#[derive(Debug, Clone, Default)]
pub struct LastResponse {
    pub status_code: u16,
    pub function_error: Option<String>,
}

pub struct Discarded<'a> {
    pub request_id: &'a str,
    pub function_arn: &'a str,
    pub condition: &'a str,
    pub invoke_count: u32,
    pub response: &'a LastResponse,
    pub now_ms: Millis,
}

/// The invocation record Lambda sends to an on-failure destination for discarded Kinesis records.
pub fn failure_record(origin: &Origin, d: &Discarded, records: &[SourceRecord]) -> Value {
    let first = records.first();
    let last = records.last();
    let time = |r: Option<&SourceRecord>| r.map(|r| crate::text_format::timestamp_ms(r.arrival_ms)).unwrap_or_default();
    json!({
        "requestContext": {
            "requestId": d.request_id,
            "functionArn": d.function_arn,
            "condition": d.condition,
            "approximateInvokeCount": d.invoke_count,
        },
        "responseContext": {
            "statusCode": d.response.status_code,
            "executedVersion": "$LATEST",
            "functionError": d.response.function_error.clone().unwrap_or_default(),
        },
        "version": "1.0",
        "timestamp": crate::text_format::timestamp_ms(d.now_ms),
        "KinesisBatchInfo": {
            "shardId": origin.shard_id,
            "startSequenceNumber": first.map(|r| r.sequence_number.clone()).unwrap_or_default(),
            "endSequenceNumber": last.map(|r| r.sequence_number.clone()).unwrap_or_default(),
            "approximateArrivalOfFirstRecord": time(first),
            "approximateArrivalOfLastRecord": time(last),
            "batchSize": records.len(),
            "streamArn": origin.stream_arn,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u64, key: &str) -> SourceRecord {
        SourceRecord {
            position: i,
            sequence_number: format!("s{i}"),
            partition_key: key.into(),
            data: b"{}".to_vec(),
            arrival_ms: 1_000 * i as i64,
        }
    }

    #[test]
    fn a_partition_key_stays_in_one_group_in_order_and_batches_are_bounded() {
        let records: Vec<SourceRecord> = (0..100).map(|i| rec(i, &format!("k{}", i % 7))).collect();
        let groups = partition(records, 3, 4);
        assert_eq!(groups.len(), 3);
        let mut seen = std::collections::HashMap::<String, (usize, u64)>::new();
        for (g, batches) in groups.iter().enumerate() {
            for b in batches {
                assert!(b.len() <= 4);
                for r in b {
                    let prev = seen.insert(r.partition_key.clone(), (g, r.position));
                    if let Some((pg, pp)) = prev {
                        assert_eq!(pg, g, "key {} in one group", r.partition_key);
                        assert!(pp < r.position);
                    }
                }
            }
        }
        assert_eq!(seen.len(), 7);
    }

    #[test]
    fn partial_failures_name_the_first_failed_record_and_unknown_ids_fail_the_batch() {
        let rs: Vec<SourceRecord> = (0..4).map(|i| rec(i, "k")).collect();
        let p = br#"{"batchItemFailures":[{"itemIdentifier":"s2"},{"itemIdentifier":"s1"}]}"#;
        assert_eq!(answer(&rs, false, p, true), Answer::FailedFrom(1));
        assert_eq!(answer(&rs, false, p, false), Answer::Done);
        assert_eq!(answer(&rs, false, br#"{"batchItemFailures":[{"itemIdentifier":""}]}"#, true), Answer::Failed);
        assert_eq!(answer(&rs, true, b"{}", true), Answer::Failed);
        assert_eq!(answer(&rs, false, br#"{"batchItemFailures":[]}"#, true), Answer::Done);
    }
}
