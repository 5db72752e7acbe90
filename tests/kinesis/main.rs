//! Kinesis Data Streams in the local cloud, through aws-sdk-kinesis and the aws CLI.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod damage;
mod durability;
mod large_records;
mod lifecycle;
mod limits;
mod metrics;
mod on_demand;
mod quotas;
mod records;
mod resharding;
mod seq_numbers;
mod settings;
mod shard_ids;
mod source;
mod subscribe;
mod updating;
mod validation;
mod wire;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::retry::RetryConfig;
use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, Record, ShardIteratorType};
use support::TestCloud;

/// A cloud with instant stream transitions and no shard limits, on real or virtual time. Its shard
/// quota is 500 (AWS's default in us-east-1 is 20,000), so a quota test needs no thousands of shards.
pub async fn cloud(virtual_clock: bool) -> TestCloud {
    TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.kinesis.shard_limit = Some(500);
        c.limits = false;
        if virtual_clock {
            c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
        }
    })
    .await
}

/// How long CREATING, UPDATING and DELETING last in `slow_cloud`.
pub const TRANSITION: std::time::Duration = std::time::Duration::from_secs(2);

/// A cloud on virtual time whose status transitions take `TRANSITION`, so a test sees a stream
/// CREATING, UPDATING or DELETING for as long as it does not move the clock.
pub async fn slow_cloud() -> TestCloud {
    TestCloud::start_with(|c| {
        c.kinesis.transition_ms = TRANSITION.as_millis() as i64;
        c.kinesis.shard_limit = Some(500);
        c.limits = false;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await
}

/// A cloud on virtual time enforcing the shard limits.
pub async fn limited_cloud() -> TestCloud {
    TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await
}

/// A client that does not retry, so throttling and errors reach the test as they are.
pub async fn client(cloud: &TestCloud) -> Client {
    let conf =
        aws_sdk_kinesis::config::Builder::from(&cloud.sdk_config().await).retry_config(RetryConfig::disabled()).build();
    Client::from_conf(conf)
}

/// Kinesis catches up with the cloud clock (status transitions, retention, metrics, on-demand
/// scaling) before it answers any call, so after the clock moved one call brings about everything
/// due by then; what a test checks next needs no waiting.
pub async fn catch_up(k: &Client) {
    k.describe_limits().send().await.expect("DescribeLimits");
}

pub async fn create(k: &Client, name: &str, shards: i32) {
    k.create_stream().stream_name(name).shard_count(shards).send().await.expect("CreateStream");
}

pub fn entry(key: &str, data: &str) -> PutRecordsRequestEntry {
    PutRecordsRequestEntry::builder().partition_key(key).data(Blob::new(data.as_bytes())).build().expect("entry")
}

pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub async fn shard_ids(k: &Client, stream: &str) -> Vec<String> {
    let shards = k.list_shards().stream_name(stream).send().await.expect("ListShards");
    shards.shards().iter().map(|s| s.shard_id().to_string()).collect()
}

pub async fn iterator(k: &Client, stream: &str, shard: &str, kind: ShardIteratorType) -> String {
    let it = k
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .send()
        .await
        .expect("GetShardIterator");
    it.shard_iterator().expect("an iterator").to_string()
}

/// Reads a shard from `it` until a read comes back empty (or the shard ends); returns the records.
pub async fn drain(k: &Client, mut it: String) -> Vec<Record> {
    let mut out = Vec::new();
    loop {
        let r = k.get_records().shard_iterator(&it).send().await.expect("GetRecords");
        let n = r.records().len();
        out.extend(r.records().iter().cloned());
        match r.next_shard_iterator() {
            Some(next) if n > 0 => it = next.to_string(),
            _ => return out,
        }
    }
}

pub fn text(r: &Record) -> String {
    String::from_utf8_lossy(r.data().as_ref()).into_owned()
}
