//! The built-in jobs' Kinesis source against the local Kinesis: LATEST fixed at the start, every
//! shard read, a split followed into its children only after the parent's end, KPL aggregates taken
//! apart, and positions that resume exactly where they were taken.

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::kinesisanalytics::jobs::kinesis_source::KinesisSource;
use kinesis_console::kpl::{Aggregator, UserRecord};

use crate::support::TestCloud;

async fn put(k: &aws_sdk_kinesis::Client, key: &str, data: &[u8]) {
    k.put_record().stream_name("in").partition_key(key).data(Blob::new(data)).send().await.expect("PutRecord");
}

fn texts(records: &[kinesis_console::cloud::kinesisanalytics::jobs::kinesis_source::InputRecord]) -> Vec<String> {
    let mut t: Vec<String> = records.iter().map(|r| String::from_utf8_lossy(&r.data).into_owned()).collect();
    t.sort();
    t
}

#[tokio::test]
async fn the_source_reads_every_shard_through_a_split_and_resumes_from_its_positions() {
    let cloud = TestCloud::start_with(|c| {
        c.clock = ClockMode::Virtual;
        c.kinesis.transition_ms = 0;
        c.limits = false;
    })
    .await;
    let k = aws_sdk_kinesis::Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("in").shard_count(2).send().await.expect("CreateStream");
    let ctx = cloud.cloud.ctx.clone();
    put(&k, "a", b"before-start").await;

    let mut source = KinesisSource::new(&ctx, "in", 1_000);
    source.start(&ctx, None).expect("start");
    let now = ctx.clock.now_ms();
    assert!(source.poll(&ctx, now).expect("poll").is_empty(), "LATEST: what was there before the start is not read");

    for i in 0..20 {
        put(&k, &format!("key-{i}"), format!("r{i:02}").as_bytes()).await;
    }
    let first = source.poll(&ctx, now).expect("poll");
    assert!(first.is_empty(), "a shard is polled once per interval");
    let first = source.poll(&ctx, now + 1_000).expect("poll");
    assert_eq!(texts(&first), (0..20).map(|i| format!("r{i:02}")).collect::<Vec<_>>());
    let shards: std::collections::BTreeSet<&str> = first.iter().map(|r| r.shard_id.as_str()).collect();
    assert_eq!(shards.len(), 2, "both shards were read");

    let kept = source.positions();
    let split = (u128::MAX / 4).to_string();
    k.split_shard()
        .stream_name("in")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key(&split)
        .send()
        .await
        .expect("SplitShard");
    k.describe_limits().send().await.expect("catch up");
    let mut aggregator = Aggregator::new(kinesis_console::kpl::DEFAULT_MAX_BYTES);
    for i in 0..5 {
        let user = UserRecord {
            partition_key: format!("agg-{i}"),
            explicit_hash_key: None,
            data: format!("u{i}").into_bytes(),
        };
        aggregator.try_add(user).expect("fits");
    }
    let agg = aggregator.finish().expect("an aggregate");
    k.put_records()
        .stream_name("in")
        .records(
            PutRecordsRequestEntry::builder()
                .partition_key(agg.partition_key)
                .data(Blob::new(agg.data))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutRecords");
    for i in 0..20 {
        put(&k, &format!("key-{i}"), format!("s{i:02}").as_bytes()).await;
    }
    let mut after = Vec::new();
    for step in 2..6 {
        after.extend(source.poll(&ctx, now + step * 1_000).expect("poll"));
    }
    let mut want: Vec<String> = (0..20).map(|i| format!("s{i:02}")).chain((0..5).map(|i| format!("u{i}"))).collect();
    want.sort();
    assert_eq!(texts(&after), want, "children read after the parent's end, the aggregate taken apart, nothing twice");
    assert!(source.positions().shards.len() >= 4, "the children have positions: {:?}", source.positions());

    let mut resumed = KinesisSource::new(&ctx, "in", 1_000);
    resumed.start(&ctx, Some(kept)).expect("start from positions");
    let mut again = Vec::new();
    for step in 6..10 {
        again.extend(resumed.poll(&ctx, now + step * 1_000).expect("poll"));
    }
    assert_eq!(texts(&again), want, "a source started from positions reads exactly what came after them");
}

#[tokio::test]
async fn a_missing_stream_is_a_job_error_naming_the_exception() {
    let cloud = TestCloud::start_with(|c| c.clock = ClockMode::Virtual).await;
    let ctx = cloud.cloud.ctx.clone();
    let mut source = KinesisSource::new(&ctx, "absent", 1_000);
    let err = source.start(&ctx, None).expect_err("no such stream");
    assert!(err.0.starts_with("ResourceNotFoundException"), "{}", err.0);
    assert!(err.0.contains("absent"), "{}", err.0);
}
