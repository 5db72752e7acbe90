//! Delivery: a stream too small for the asked rate, and a stream that throttles, fails and drops
//! connections at random. The producer runs on the wall clock; the cloud's clock moves a second every
//! 50 ms meanwhile, so its per-second limits turn over without any test waiting on them.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;
use kinesis_console::kpl::{self, UserRecord};
use kinesis_console::producer::engine::{Producer, Settings, Summary, Until};
use kinesis_console::producer::shard_map;
use serde_json::json;
use tokio::sync::watch;

use crate::support::TestCloud;

async fn active_stream(cloud: &TestCloud, k: &Client, name: &str, shards: i32) {
    k.create_stream().stream_name(name).shard_count(shards).send().await.expect("CreateStream");
    cloud.until_stream_active(name).await;
}

/// Records `{"id":N}` with random partition keys.
fn workload() -> impl Iterator<Item = UserRecord> + Send {
    (0u64..).map(|id| UserRecord {
        partition_key: format!("pk-{}", fastrand::u64(..)),
        explicit_hash_key: None,
        data: format!(r#"{{"id":{id}}}"#).into_bytes(),
    })
}

/// Runs the producer to its end while the cloud clock moves a second every 50 ms of waiting.
async fn produce(cloud: &TestCloud, stream: &str, settings: Settings, count: u64) -> Summary {
    let producer = Producer::connect(&cloud.sdk_config().await, stream, settings).await.expect("connects");
    let (_stop_tx, stop) = watch::channel(false);
    let mut records = workload();
    let run = producer.run(&mut records, Until { count: Some(count), duration: None }, stop);
    tokio::pin!(run);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(done) = tokio::time::timeout(Duration::from_millis(50), &mut run).await {
            return done.expect("the producer ends without an error it could not mend");
        }
        assert!(tokio::time::Instant::now() < deadline, "the producer did not finish within 120 s");
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
}

/// What a read of the whole stream found.
struct ReadBack {
    /// How many times each id is on the stream (aggregates read as their user records).
    seen: BTreeMap<u64, u32>,
    kinesis_records: usize,
    /// User records whose own hash key is outside the range of the shard they were read from.
    misplaced: usize,
}

async fn read_back(cloud: &TestCloud, k: &Client, stream: &str) -> ReadBack {
    let mut found = ReadBack { seen: BTreeMap::new(), kinesis_records: 0, misplaced: 0 };
    let shards = k.list_shards().stream_name(stream).send().await.expect("ListShards");
    for shard in shards.shards() {
        let range = shard.hash_key_range().expect("a hash key range");
        let (low, high): (u128, u128) =
            (range.starting_hash_key().parse().expect("a number"), range.ending_hash_key().parse().expect("a number"));
        let it = k
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator");
        let mut it = it.shard_iterator().map(str::to_string);
        while let Some(current) = it {
            cloud.advance_settled(Duration::from_secs(1)).await;
            let out = k.get_records().shard_iterator(current).send().await.expect("GetRecords");
            for r in out.records() {
                found.kinesis_records += 1;
                let users = kpl::deaggregate(r.data().as_ref()).unwrap_or_else(|| {
                    let key = r.partition_key().unwrap_or_default().to_string();
                    vec![UserRecord { partition_key: key, explicit_hash_key: None, data: r.data().as_ref().to_vec() }]
                });
                for u in users {
                    let hash = shard_map::hash_key(&u.partition_key, u.explicit_hash_key.as_deref());
                    found.misplaced += usize::from(!(low..=high).contains(&hash));
                    let v: serde_json::Value = serde_json::from_slice(&u.data).expect("a JSON record");
                    *found.seen.entry(v["id"].as_u64().expect("an id")).or_default() += 1;
                }
            }
            let caught_up = out.records().is_empty() && out.millis_behind_latest() == Some(0);
            it = if caught_up { None } else { out.next_shard_iterator().map(str::to_string) };
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_too_small_for_the_rate_throttles_and_still_gets_everything() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    active_stream(&cloud, &k, "narrow", 1).await;
    let settings = Settings { rate: 3_000.0, ..Settings::default() };
    let summary = produce(&cloud, "narrow", settings, 3_000).await;
    let c = &summary.counters;
    assert!(summary.delivered_all(), "{summary:?}");
    assert_eq!((c.produced, c.acknowledged, c.in_flight), (3_000, 3_000, 0), "{summary:?}");
    assert_eq!(c.per_shard.values().sum::<u64>(), 3_000);
    let read = read_back(&cloud, &k, "narrow").await;
    assert_eq!(read.seen.len(), 3_000, "every record is on the stream");
    assert!(read.seen.values().all(|n| *n == 1), "no failure here can duplicate a record");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_errors_and_resets_lose_nothing_and_duplicates_are_counted() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    active_stream(&cloud, &k, "faulty", 2).await;
    let faults = json!({ "service": "kinesis", "throttle": 0.2, "error": 0.01, "reset": 0.005 });
    cloud.admin().post("faults", faults).await.expect("faults set");
    let settings = Settings { rate: 20_000.0, ..Settings::default() };
    let summary = produce(&cloud, "faulty", settings, 20_000).await;
    cloud
        .admin()
        .post("faults", json!({ "service": "kinesis", "throttle": 0.0, "error": 0.0, "reset": 0.0 }))
        .await
        .unwrap();
    let c = &summary.counters;
    assert!(summary.delivered_all(), "{summary:?}");
    assert!(c.retried > 0 && c.throttled > 0, "the faults were felt: {summary:?}");
    let read = read_back(&cloud, &k, "faulty").await;
    assert_eq!(read.seen.len(), 20_000, "every record is on the stream");
    let duplicates: u64 = read.seen.values().map(|n| u64::from(n - 1)).sum();
    assert!(duplicates <= c.possible_duplicates, "{duplicates} duplicates, {} reported", c.possible_duplicates);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregated_records_arrive_whole_on_the_shard_of_their_hash_key() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    active_stream(&cloud, &k, "packed", 2).await;
    let settings = Settings { rate: 5_000.0, aggregate: true, ..Settings::default() };
    let summary = produce(&cloud, "packed", settings, 2_000).await;
    assert!(summary.delivered_all(), "{summary:?}");
    assert_eq!(summary.counters.acknowledged, 2_000);
    let read = read_back(&cloud, &k, "packed").await;
    assert_eq!(read.seen.len(), 2_000);
    assert!(read.seen.values().all(|n| *n == 1));
    assert!(read.kinesis_records * 10 < 2_000, "{} Kinesis records carried 2,000: packed", read.kinesis_records);
    assert_eq!(read.misplaced, 0, "every user record is on the shard its own key hashes to");
}
