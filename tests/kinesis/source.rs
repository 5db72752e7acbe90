//! Kinesis as a source for other local services: the stream reader on the cloud's context reads what
//! the SDK put, through the same shard read limits and metrics as GetRecords, and follows resharding
//! and retention as a GetRecords reader would.

use std::time::Duration;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_kinesis::types::ScalingType;
use kinesis_console::cloud::stream_source::{SourceBatch, StreamReader};

use super::*;

const SHARD0: &str = "shardId-000000000000";

fn reader(cloud: &TestCloud) -> &StreamReader {
    &cloud.cloud.ctx.stream_reader
}

async fn arn(k: &Client, stream: &str) -> String {
    let out = k.describe_stream_summary().stream_name(stream).send().await.expect("DescribeStreamSummary");
    out.stream_description_summary().expect("a summary").stream_arn().to_string()
}

/// Puts `n` records tagged `tag` under one key (so on one shard of a one-shard stream, in order);
/// returns their sequence numbers.
async fn put(k: &Client, stream: &str, tag: &str, n: usize) -> Vec<String> {
    let entries: Vec<_> = (0..n).map(|i| entry("same-key", &format!("{tag}-{i}"))).collect();
    let out = k.put_records().stream_name(stream).set_records(Some(entries)).send().await.expect("PutRecords");
    assert_eq!(out.failed_record_count(), Some(0));
    out.records().iter().map(|r| r.sequence_number().expect("a sequence number").to_string()).collect()
}

fn texts(batch: &SourceBatch) -> Vec<String> {
    batch.records.iter().map(|r| String::from_utf8_lossy(&r.data).into_owned()).collect()
}

/// A stream metric's sum over the last ten minutes and the next hour of cloud time.
async fn metric_sum(cloud: &TestCloud, name: &str, stream: &str) -> f64 {
    let now = cloud.cloud.ctx.clock.now();
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let out = cw
        .get_metric_statistics()
        .namespace("AWS/Kinesis")
        .metric_name(name)
        .dimensions(Dimension::builder().name("StreamName").value(stream).build())
        .start_time(DateTime::from(now - Duration::from_secs(600)))
        .end_time(DateTime::from(now + Duration::from_secs(3600)))
        .period(3600)
        .statistics(Statistic::Sum)
        .send()
        .await
        .expect("GetMetricStatistics");
    out.datapoints().iter().filter_map(|p| p.sum()).sum()
}

#[tokio::test]
async fn reads_return_what_was_put_in_order_with_positions() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "source", 1).await;
    let arn = arn(&k, "source").await;
    let described = reader(&cloud).describe(&arn).expect("describe");
    assert_eq!(described.name, "source");
    assert_eq!(described.arn, arn);
    let created = k.describe_stream_summary().stream_name("source").send().await.unwrap();
    let created_ms = created.stream_description_summary().unwrap().stream_creation_timestamp().to_millis().unwrap();
    // The wire carries the creation time as fractional seconds, which may round the last millisecond.
    assert!((described.created_ms - created_ms).abs() <= 1, "{} vs {created_ms}", described.created_ms);
    assert_eq!(described.shards.len(), 1);
    assert_eq!(described.shards[0].shard_id, SHARD0);
    assert!(!described.shards[0].closed && described.shards[0].parent.is_none());

    let start = reader(&cloud).tip(&arn, SHARD0).expect("tip");
    let sequence_numbers = put(&k, "source", "r", 5).await;
    let batch = reader(&cloud).read(&arn, SHARD0, start, 100, 1 << 20).expect("read");
    assert_eq!(texts(&batch), ["r-0", "r-1", "r-2", "r-3", "r-4"]);
    let positions: Vec<u64> = batch.records.iter().map(|r| r.position).collect();
    assert_eq!(positions, (start..start + 5).collect::<Vec<_>>());
    let got: Vec<&str> = batch.records.iter().map(|r| r.sequence_number.as_str()).collect();
    assert_eq!(got, sequence_numbers, "the sequence numbers PutRecords answered");
    assert!(batch.records.iter().all(|r| r.partition_key == "same-key"));
    assert_eq!(batch.next_position, start + 5);
    assert_eq!(batch.millis_behind, 0);
    assert!(!batch.end_of_shard);

    let limited = reader(&cloud).read(&arn, SHARD0, start + 1, 2, 1 << 20).expect("read two");
    assert_eq!(texts(&limited), ["r-1", "r-2"]);
    assert_eq!(limited.next_position, start + 3);
    let caught_up = reader(&cloud).read(&arn, SHARD0, start + 5, 100, 1 << 20).expect("read at the tip");
    assert!(caught_up.records.is_empty());
    assert_eq!(caught_up.next_position, start + 5);
}

#[tokio::test]
async fn latest_is_the_tip_when_asked() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "latest", 1).await;
    let arn = arn(&k, "latest").await;
    put(&k, "latest", "before", 2).await;
    let tip = reader(&cloud).tip(&arn, SHARD0).expect("tip");
    put(&k, "latest", "after", 3).await;
    let batch = reader(&cloud).read(&arn, SHARD0, tip, 100, 1 << 20).expect("read");
    assert_eq!(texts(&batch), ["after-0", "after-1", "after-2"]);
    assert_eq!(reader(&cloud).tip(&arn, SHARD0).unwrap(), tip + 3);
}

#[tokio::test]
async fn the_sixth_read_in_a_second_is_refused_and_counted_as_throttling() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "throttled", 1).await;
    let arn = arn(&k, "throttled").await;
    put(&k, "throttled", "r", 3).await;
    for _ in 0..5 {
        reader(&cloud).read(&arn, SHARD0, 0, 100, 1 << 20).expect("five reads a second");
    }
    let refused = reader(&cloud).read(&arn, SHARD0, 0, 100, 1 << 20).unwrap_err();
    assert_eq!(refused.code, "ProvisionedThroughputExceededException", "{}", refused.message);
    assert!(refused.message.contains(SHARD0) && refused.message.contains("throttled"), "{}", refused.message);

    cloud.advance(Duration::from_secs(1));
    let again = reader(&cloud).read(&arn, SHARD0, 0, 100, 1 << 20).expect("a new second");
    assert_eq!(texts(&again), ["r-0", "r-1", "r-2"]);
    cloud.advance(Duration::from_millis(1500));
    catch_up(&k).await;
    assert_eq!(metric_sum(&cloud, "ReadProvisionedThroughputExceeded", "throttled").await, 1.0);
    assert_eq!(metric_sum(&cloud, "GetRecords.Records", "throttled").await, 18.0, "six successful reads of 3");
    assert_eq!(metric_sum(&cloud, "GetRecords.Success", "throttled").await, 6.0);
}

#[tokio::test]
async fn reads_are_not_refused_with_the_limits_off() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "bulk", 1).await;
    cloud.cloud.ctx.limits.set_for("bulk", Some(false));
    let arn = arn(&k, "bulk").await;
    put(&k, "bulk", "r", 1).await;
    for i in 0..20 {
        let batch = reader(&cloud).read(&arn, SHARD0, 0, 100, 1 << 20).unwrap_or_else(|e| panic!("read {i}: {e:?}"));
        assert_eq!(batch.records.len(), 1);
    }
}

#[tokio::test]
async fn after_resharding_parents_end_and_children_name_them() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "split", 1).await;
    let arn = arn(&k, "split").await;
    put(&k, "split", "old", 4).await;
    k.update_shard_count()
        .stream_name("split")
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    catch_up(&k).await;

    let described = reader(&cloud).describe(&arn).expect("describe after the split");
    let parent = &described.shards[0];
    assert_eq!(parent.shard_id, SHARD0);
    assert!(parent.closed, "the split closed the parent");
    let children: Vec<_> = described.shards.iter().filter(|s| s.parent.as_deref() == Some(SHARD0)).collect();
    assert_eq!(children.len(), 2, "{described:?}");
    assert!(children.iter().all(|c| !c.closed && c.adjacent_parent.is_none()));

    let first = reader(&cloud).read(&arn, SHARD0, 0, 2, 1 << 20).expect("read the parent");
    assert_eq!(texts(&first), ["old-0", "old-1"]);
    assert!(!first.end_of_shard, "records remain in the parent");
    let rest = reader(&cloud).read(&arn, SHARD0, first.next_position, 100, 1 << 20).expect("read the rest");
    assert_eq!(texts(&rest), ["old-2", "old-3"]);
    assert!(rest.end_of_shard, "the closed parent ends");

    let keys: Vec<_> = (0..20).map(|i| entry(&format!("key-{i}"), &format!("new-{i}"))).collect();
    k.put_records().stream_name("split").set_records(Some(keys)).send().await.expect("PutRecords");
    let mut new = Vec::new();
    for child in &children {
        let tip = reader(&cloud).tip(&arn, &child.shard_id).unwrap();
        let batch = reader(&cloud).read(&arn, &child.shard_id, 0, 100, 1 << 20).expect("read a child");
        assert_eq!(batch.next_position, tip);
        new.extend(texts(&batch));
    }
    new.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("new-{i}")).collect();
    expected.sort();
    assert_eq!(new, expected, "the children hold every record put after the split");
}

#[tokio::test]
async fn positions_retention_dropped_skip_forward() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "aging", 1).await;
    let arn = arn(&k, "aging").await;
    put(&k, "aging", "old", 3).await;
    cloud.advance(Duration::from_secs(25 * 3600));
    put(&k, "aging", "new", 2).await;
    let batch = reader(&cloud).read(&arn, SHARD0, 0, 100, 1 << 20).expect("read from a trimmed position");
    assert_eq!(texts(&batch), ["new-0", "new-1"]);
    assert_eq!(batch.records[0].position, 3, "positions keep counting past the dropped records");
    assert_eq!(batch.next_position, 5);

    let later = reader(&cloud).read(&arn, SHARD0, 1, 100, 1 << 20).expect("read");
    assert_eq!(texts(&later), ["new-0", "new-1"], "a read from a dropped position starts at the horizon");
}

#[tokio::test]
async fn streams_that_are_not_there_are_not_found() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "gone", 1).await;
    let arn = arn(&k, "gone").await;
    let other_region = arn.replace("us-east-1", "eu-west-1");
    let e = reader(&cloud).describe(&other_region).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException", "{}", e.message);
    let e = reader(&cloud).read(&arn, "shardId-000000000007", 0, 10, 1 << 20).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException", "{}", e.message);
    assert!(e.message.contains("shardId-000000000007"), "{}", e.message);
    let e = reader(&cloud).read(&arn, SHARD0, 5, 10, 1 << 20).unwrap_err();
    assert_eq!(e.code, "InvalidArgumentException", "a position past the tip: {}", e.message);

    k.delete_stream().stream_name("gone").send().await.expect("DeleteStream");
    catch_up(&k).await;
    let e = reader(&cloud).describe(&arn).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException", "{}", e.message);
    let e = reader(&cloud).tip(&arn, SHARD0).unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException", "{}", e.message);
}
