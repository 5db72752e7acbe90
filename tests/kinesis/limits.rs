use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::ShardIteratorType;

use super::*;

fn batch(n: usize) -> Vec<PutRecordsRequestEntry> {
    (0..n).map(|i| entry("same-key", &format!("r{i}"))).collect()
}

#[tokio::test]
async fn writes_throttle_at_a_thousand_records_per_second_per_shard() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "hot", 1).await;
    let first = k.put_records().stream_name("hot").set_records(Some(batch(500))).send().await.unwrap();
    assert_eq!(first.failed_record_count(), Some(0));
    let second = k.put_records().stream_name("hot").set_records(Some(batch(500))).send().await.unwrap();
    assert_eq!(second.failed_record_count(), Some(0));
    let third = k.put_records().stream_name("hot").set_records(Some(batch(10))).send().await.unwrap();
    assert_eq!(third.failed_record_count(), Some(10));
    for r in third.records() {
        assert_eq!(r.error_code(), Some("ProvisionedThroughputExceededException"));
        assert!(r.sequence_number().is_none());
    }
    let err = k.put_record().stream_name("hot").partition_key("k").data(Blob::new("x")).send().await.unwrap_err();
    assert_eq!(code(&err), "ProvisionedThroughputExceededException");

    cloud.advance(Duration::from_secs(1));
    let next = k.put_records().stream_name("hot").set_records(Some(batch(500))).send().await.unwrap();
    assert_eq!(next.failed_record_count(), Some(0));
    k.put_record().stream_name("hot").partition_key("k").data(Blob::new("x")).send().await.unwrap();
    let mixed = k.put_records().stream_name("hot").set_records(Some(batch(500))).send().await.unwrap();
    assert_eq!(mixed.failed_record_count(), Some(1), "the rest of the batch is accepted");
    let accepted = mixed.records().iter().filter(|r| r.sequence_number().is_some()).count();
    assert_eq!(accepted, 499);
    assert!(mixed.records()[499].error_code().is_some(), "the record past the limit is the one refused");
}

#[tokio::test]
async fn writes_throttle_at_one_mebibyte_per_second_per_shard() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "wide", 1).await;
    let big = "x".repeat(256 * 1024 - 1);
    let entries: Vec<_> = (0..5).map(|_| entry("k", &big)).collect();
    let out = k.put_records().stream_name("wide").set_records(Some(entries)).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(1), "four records of 256 KiB fill the second");
    assert!(out.records()[4].error_code().is_some());
}

#[tokio::test]
async fn reads_throttle_at_five_calls_per_second_per_shard() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "read", 1).await;
    let it = iterator(&k, "read", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    for _ in 0..5 {
        k.get_records().shard_iterator(&it).send().await.unwrap();
    }
    let err = k.get_records().shard_iterator(&it).send().await.unwrap_err();
    assert_eq!(code(&err), "ProvisionedThroughputExceededException");
    cloud.advance(Duration::from_secs(1));
    k.get_records().shard_iterator(&it).send().await.unwrap();
}

#[tokio::test]
async fn limits_switch_off_per_stream() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "bulk", 1).await;
    cloud.cloud.ctx.limits.set_for("bulk", Some(false));
    for _ in 0..4 {
        let out = k.put_records().stream_name("bulk").set_records(Some(batch(500))).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
}
