//! Kinesis event source mappings: every record once, in per-partition-key order, with
//! ParallelizationFactor > 1; bisection isolating a record that is not JSON into one failure record;
//! RecordAgeExceeded; durable positions across a restart; IteratorAge; the API's state transitions.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::types::{DestinationConfig, EventSourcePosition, OnFailure};
use serde_json::Value;

use super::{CONSUMER, Env, env};

const DLQ: &str = "arn:aws:sqs:us-east-1:000000000000:dlq";

async fn put(env: &Env, stream: &str, records: &[(String, Vec<u8>)]) -> Vec<String> {
    let mut seqs = Vec::new();
    for chunk in records.chunks(500) {
        let entries = chunk
            .iter()
            .map(|(k, d)| {
                PutRecordsRequestEntry::builder().partition_key(k).data(Blob::new(d.clone())).build().unwrap()
            })
            .collect();
        let out = env.kinesis.put_records().stream_name(stream).set_records(Some(entries)).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
        seqs.extend(out.records().iter().map(|r| r.sequence_number().unwrap().to_string()));
    }
    seqs
}

/// The `Decoded payload` documents the consumer logged, in log order.
async fn decoded(env: &Env, function: &str) -> Vec<Value> {
    env.log_messages(&format!("/aws/lambda/{function}"))
        .await
        .iter()
        .filter_map(|l| l.split_once("Decoded payload: ").map(|(_, p)| serde_json::from_str(p.trim()).unwrap()))
        .collect()
}

fn json_records(n: usize, keys: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let key = format!("k{}", i % keys);
            let data = serde_json::json!({ "key": key, "n": i }).to_string().into_bytes();
            (key, data)
        })
        .collect()
}

#[tokio::test]
async fn every_record_reaches_the_consumer_once_in_per_key_order_with_parallelization() {
    let env = env().await;
    let stream = env.stream("orders", 2).await;
    env.function("consumer", Some(CONSUMER)).await;
    put(&env, "orders", &json_records(300, 12)).await;
    let created = env
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::TrimHorizon)
        .batch_size(10)
        .parallelization_factor(3)
        .send()
        .await
        .unwrap();
    assert_eq!(created.state(), Some("Creating"));
    let uuid = created.uuid().unwrap().to_string();
    env.until(120, "300 records decoded", async || decoded(&env, "consumer").await.len() >= 300).await;
    env.seconds(3).await;
    let got = decoded(&env, "consumer").await;
    assert_eq!(got.len(), 300, "each record exactly once");
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for v in &got {
        let (k, n) = (v["key"].as_str().unwrap().to_string(), v["n"].as_i64().unwrap());
        if let Some(prev) = last.insert(k.clone(), n) {
            assert!(prev < n, "key {k}: {n} after {prev}");
        }
    }
    let m = env.lambda.get_event_source_mapping().uuid(&uuid).send().await.unwrap();
    assert_eq!(m.state(), Some("Enabled"));
    assert_eq!(m.last_processing_result(), Some("OK"));
    assert_eq!(m.parallelization_factor(), Some(3));
    let age = env.cw.list_metrics().namespace("AWS/Lambda").metric_name("IteratorAge").send().await.unwrap();
    assert!(!age.metrics().is_empty(), "IteratorAge is published");
}

async fn mapping(env: &Env, stream: &str, bisect: bool) -> String {
    let created = env
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(stream)
        .starting_position(EventSourcePosition::TrimHorizon)
        .batch_size(8)
        .maximum_retry_attempts(2)
        .bisect_batch_on_function_error(bisect)
        .destination_config(
            DestinationConfig::builder().on_failure(OnFailure::builder().destination(DLQ).build()).build(),
        )
        .send()
        .await
        .unwrap();
    created.uuid().unwrap().to_string()
}

#[tokio::test]
async fn bisection_isolates_a_record_that_is_not_json_into_one_failure_record() {
    let env = env().await;
    let stream = env.stream("orders", 1).await;
    env.function("consumer", Some(CONSUMER)).await;
    let mut records = json_records(8, 1);
    records[5].1 = b"not json".to_vec();
    let seqs = put(&env, "orders", &records).await;
    mapping(&env, &stream, true).await;
    env.until(30, "a failure record", async || !env.dlq_bodies().await.is_empty()).await;
    env.seconds(5).await;
    let sent = env.dlq_bodies().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    // Read from the `dlq` queue of the local SQS: the destination ARN reached its queue.
    let r = &sent[0];
    assert_eq!(r["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(r["requestContext"]["functionArn"], "arn:aws:lambda:us-east-1:000000000000:function:consumer");
    // Invocations that carried the record: in batches of 8, 4 and 2 (each failing, then split), alone
    // once, and two retries.
    assert_eq!(r["requestContext"]["approximateInvokeCount"], 6, "{r}");
    assert_eq!(r["responseContext"]["functionError"], "Unhandled");
    assert_eq!(r["responseContext"]["statusCode"], 200);
    assert_eq!(r["responseContext"]["executedVersion"], "$LATEST");
    assert_eq!(r["version"], "1.0");
    let info = &r["KinesisBatchInfo"];
    assert_eq!(info["batchSize"], 1);
    assert_eq!(info["shardId"], "shardId-000000000000");
    assert_eq!(info["startSequenceNumber"], seqs[5].as_str());
    assert_eq!(info["endSequenceNumber"], seqs[5].as_str());
    assert_eq!(info["streamArn"], stream.as_str());
    assert!(info["approximateArrivalOfFirstRecord"].as_str().unwrap().ends_with('Z'));
    let good: HashSet<i64> = decoded(&env, "consumer").await.iter().map(|v| v["n"].as_i64().unwrap()).collect();
    assert_eq!(good, [0, 1, 2, 3, 4, 6, 7].into_iter().collect(), "every good record was processed");
}

#[tokio::test]
async fn without_bisection_the_whole_batch_is_retried_then_sent_to_the_destination() {
    let env = env().await;
    let stream = env.stream("orders", 1).await;
    env.function("consumer", Some(CONSUMER)).await;
    let mut records = json_records(8, 1);
    records[5].1 = b"not json".to_vec();
    let seqs = put(&env, "orders", &records).await;
    let uuid = mapping(&env, &stream, false).await;
    env.until(30, "a failure record", async || !env.dlq_bodies().await.is_empty()).await;
    let r = &env.dlq_bodies().await[0];
    assert_eq!(r["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(r["KinesisBatchInfo"]["batchSize"], 8);
    assert_eq!(r["KinesisBatchInfo"]["startSequenceNumber"], seqs[0].as_str());
    assert_eq!(r["KinesisBatchInfo"]["endSequenceNumber"], seqs[7].as_str());
    let m = env.lambda.get_event_source_mapping().uuid(&uuid).send().await.unwrap();
    assert_eq!(m.last_processing_result(), Some("PROBLEM: Function call failed"));
}

#[tokio::test]
async fn records_older_than_the_maximum_age_are_skipped_and_reported() {
    let env = env().await;
    let stream = env.stream("orders", 1).await;
    env.function("consumer", Some(CONSUMER)).await;
    put(&env, "orders", &json_records(3, 1)).await;
    env.lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::TrimHorizon)
        .maximum_record_age_in_seconds(60)
        .destination_config(
            DestinationConfig::builder().on_failure(OnFailure::builder().destination(DLQ).build()).build(),
        )
        .send()
        .await
        .unwrap();
    // The mapping's first look at the shard comes two minutes after the records arrived.
    env.cloud.advance_settled(std::time::Duration::from_secs(120)).await;
    env.seconds(1).await;
    let sent = env.dlq_bodies().await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(sent[0]["KinesisBatchInfo"]["batchSize"], 3);
    assert!(decoded(&env, "consumer").await.is_empty());
}

#[tokio::test]
async fn positions_are_durable_so_a_restart_processes_nothing_twice_and_latest_is_fixed_at_creation() {
    let env = env().await;
    let stream = env.stream("orders", 2).await;
    env.function("consumer", Some(CONSUMER)).await;
    put(&env, "orders", &json_records(20, 4)).await;
    env.lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::Latest)
        .batch_size(5)
        .send()
        .await
        .unwrap();
    // Written after creation but before the mapping first reads: LATEST was fixed when it was created.
    let later: Vec<(String, Vec<u8>)> =
        (100..130).map(|i| (format!("k{}", i % 4), format!("{{\"n\":{i}}}").into_bytes())).collect();
    put(&env, "orders", &later).await;
    env.until(30, "30 records decoded", async || decoded(&env, "consumer").await.len() >= 30).await;
    let env = env.restart().await;
    let more: Vec<(String, Vec<u8>)> =
        (200..240).map(|i| (format!("k{}", i % 4), format!("{{\"n\":{i}}}").into_bytes())).collect();
    put(&env, "orders", &more).await;
    env.until(30, "70 records decoded", async || decoded(&env, "consumer").await.len() >= 70).await;
    env.seconds(3).await;
    let got: Vec<i64> = decoded(&env, "consumer").await.iter().map(|v| v["n"].as_i64().unwrap()).collect();
    assert_eq!(got.len(), 70, "nothing processed twice: {got:?}");
    let set: HashSet<i64> = got.iter().copied().collect();
    assert_eq!(set, (100..130).chain(200..240).collect(), "the 20 records before creation were skipped");
}

#[tokio::test]
async fn mappings_go_through_their_states_and_bad_input_is_refused() {
    let env = env().await;
    let stream = env.stream("orders", 1).await;
    env.function("consumer", Some(CONSUMER)).await;
    let missing_fn = env
        .lambda
        .create_event_source_mapping()
        .function_name("nope")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::Latest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing_fn.code(), Some("ResourceNotFoundException"));
    let no_position = env
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .send()
        .await
        .unwrap_err();
    assert_eq!(no_position.code(), Some("InvalidParameterValueException"));
    let bad_factor = env
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::Latest)
        .parallelization_factor(11)
        .send()
        .await
        .unwrap_err();
    assert_eq!(bad_factor.code(), Some("ValidationException"));
    let created = env
        .lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::Latest)
        .send()
        .await
        .unwrap();
    let uuid = created.uuid().unwrap();
    let busy = env.lambda.update_event_source_mapping().uuid(uuid).batch_size(5).send().await.unwrap_err();
    assert_eq!(busy.code(), Some("ResourceInUseException"));
    env.seconds(1).await;
    let updating = env.lambda.update_event_source_mapping().uuid(uuid).enabled(false).send().await.unwrap();
    assert_eq!(updating.state(), Some("Disabling"));
    env.seconds(1).await;
    let m = env.lambda.get_event_source_mapping().uuid(uuid).send().await.unwrap();
    assert_eq!(m.state(), Some("Disabled"));
    let listed = env.lambda.list_event_source_mappings().function_name("consumer").send().await.unwrap();
    assert_eq!(listed.event_source_mappings().len(), 1);
    let deleting = env.lambda.delete_event_source_mapping().uuid(uuid).send().await.unwrap();
    assert_eq!(deleting.state(), Some("Deleting"));
    env.seconds(2).await;
    let gone = env.lambda.get_event_source_mapping().uuid(uuid).send().await.unwrap_err();
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
}

#[tokio::test]
async fn a_resharded_stream_is_followed_with_parents_read_before_children() {
    let env = env().await;
    let stream = env.stream("orders", 1).await;
    env.function("consumer", Some(CONSUMER)).await;
    put(&env, "orders", &json_records(40, 5)).await;
    env.lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::TrimHorizon)
        .batch_size(7)
        .send()
        .await
        .unwrap();
    env.kinesis
        .update_shard_count()
        .stream_name("orders")
        .target_shard_count(2)
        .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    env.seconds(2).await;
    let more: Vec<(String, Vec<u8>)> = (40..100)
        .map(|i| {
            let key = format!("k{}", i % 5);
            (key.clone(), serde_json::json!({ "key": key, "n": i }).to_string().into_bytes())
        })
        .collect();
    put(&env, "orders", &more).await;
    env.until(60, "100 records decoded", async || decoded(&env, "consumer").await.len() >= 100).await;
    env.seconds(2).await;
    let got = decoded(&env, "consumer").await;
    assert_eq!(got.len(), 100, "each record once");
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for v in &got {
        let (k, n) = (v["key"].as_str().unwrap().to_string(), v["n"].as_i64().unwrap());
        if let Some(prev) = last.insert(k.clone(), n) {
            assert!(prev < n, "key {k}: {n} after {prev} (a child read before its parent ended)");
        }
    }
}

#[tokio::test]
async fn a_batching_window_gathers_records_until_it_ends() {
    let env = env().await;
    let stream = env.stream("orders", 1).await;
    env.function("consumer", Some(CONSUMER)).await;
    env.lambda
        .create_event_source_mapping()
        .function_name("consumer")
        .event_source_arn(&stream)
        .starting_position(EventSourcePosition::TrimHorizon)
        .batch_size(100)
        .maximum_batching_window_in_seconds(5)
        .send()
        .await
        .unwrap();
    env.seconds(2).await;
    put(&env, "orders", &json_records(3, 1)).await;
    env.seconds(3).await;
    assert!(decoded(&env, "consumer").await.is_empty(), "the window has not ended");
    env.seconds(4).await;
    assert_eq!(decoded(&env, "consumer").await.len(), 3);
    let starts = env.log_messages("/aws/lambda/consumer").await.iter().filter(|l| l.starts_with("START")).count();
    assert_eq!(starts, 1, "one invocation for the window's records");
}
