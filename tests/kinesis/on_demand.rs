//! On-demand streams grow their shards to twice their peak write throughput.

use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{ShardFilter, ShardFilterType, StreamMode, StreamModeDetails};

use super::*;

/// Records `from..from + n`, record `i` in the middle of hash range `i % ranges` of `ranges` equal
/// ones, so a stream whose shards have those ranges gets the same share on every shard.
fn spread(from: usize, n: usize, ranges: u128) -> Vec<PutRecordsRequestEntry> {
    let width = u128::MAX / ranges;
    (from..from + n)
        .map(|i| {
            let hash = width * (i as u128 % ranges) + width / 2;
            PutRecordsRequestEntry::builder()
                .partition_key(format!("k{i}"))
                .explicit_hash_key(hash.to_string())
                .data(Blob::new(format!("r{i}")))
                .build()
                .expect("entry")
        })
        .collect()
}

/// Puts `batches` batches of 500 and returns how many records were refused.
async fn put(k: &Client, stream: &str, batches: usize, ranges: u128) -> i32 {
    let mut failed = 0;
    for b in 0..batches {
        let batch = spread(b * 500, 500, ranges);
        let out = k.put_records().stream_name(stream).set_records(Some(batch)).send().await.unwrap();
        failed += out.failed_record_count().unwrap_or(0);
    }
    failed
}

async fn open_shards(k: &Client, stream: &str) -> usize {
    let open = ShardFilter::builder().r#type(ShardFilterType::AtLatest).build().unwrap();
    k.list_shards().stream_name(stream).shard_filter(open).send().await.unwrap().shards().len()
}

#[tokio::test]
async fn on_demand_streams_scale_to_twice_their_peak_and_provisioned_ones_do_not() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    let mode = StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap();
    k.create_stream().stream_name("auto").stream_mode_details(mode.clone()).send().await.unwrap();
    k.create_stream().stream_name("allout").stream_mode_details(mode).send().await.unwrap();
    // Named to sort before "auto": the scaler visits streams in name order, so once "auto" has
    // grown, "allout" has had its chance to.
    cloud.cloud.ctx.limits.set_for("allout", Some(false));
    create(&k, "fixed", 4).await;
    assert_eq!(open_shards(&k, "auto").await, 4, "a new on-demand stream starts at 4 MiB/s, 4,000 records/s");
    let refused = k
        .update_shard_count()
        .stream_name("auto")
        .target_shard_count(8)
        .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "ValidationException", "only provisioned streams take UpdateShardCount");

    for stream in ["auto", "fixed"] {
        assert_eq!(put(&k, stream, 8, 4).await, 0, "{stream}: 1,000 records on each of 4 shards fit");
        assert_eq!(put(&k, stream, 1, 4).await, 500, "{stream}: the shards are full for this second");
    }
    assert_eq!(put(&k, "allout", 9, 4).await, 0);
    cloud.advance(Duration::from_secs(1));
    assert_eq!(open_shards(&k, "auto").await, 8);
    assert_eq!(open_shards(&k, "fixed").await, 4, "a provisioned stream keeps its shards");
    assert_eq!(open_shards(&k, "allout").await, 4, "a stream without limits has no capacity to outgrow");

    let summary = k.describe_stream_summary().stream_name("auto").send().await.unwrap();
    let summary = summary.stream_description_summary().unwrap();
    assert_eq!(summary.open_shard_count(), 8);
    assert_eq!(summary.stream_mode_details().unwrap().stream_mode(), &StreamMode::OnDemand);
    let closed = k.list_shards().stream_name("auto").send().await.unwrap();
    let children = closed.shards().iter().filter(|s| s.parent_shard_id().is_some()).count();
    assert_eq!(children, 8, "the new shards descend from the first four");

    assert_eq!(put(&k, "auto", 16, 8).await, 0, "twice the peak now fits in one second");
    assert_eq!(put(&k, "fixed", 16, 8).await, 4_000, "the provisioned stream takes only its 4,000");
    cloud.advance(Duration::from_secs(1));
    assert_eq!(open_shards(&k, "auto").await, 16);

    let it = iterator(&k, "auto", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let first = drain(&k, it).await;
    assert_eq!(first.len(), 1_000, "a scaled-away shard keeps its records");
}
