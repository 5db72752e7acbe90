//! Firehose in the local cloud, through aws-sdk-firehose, with records put through aws-sdk-kinesis
//! and delivered objects read back through aws-sdk-s3, on the virtual clock.

#[path = "../support/mod.rs"]
mod support;

mod api;
mod delivery;
mod durability;
mod failures;

use std::io::Read;
use std::time::Duration;

use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::types::{
    BufferingHints, CompressionFormat, DeliveryStreamType, ExtendedS3DestinationConfiguration,
    KinesisStreamSourceConfiguration,
};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use kinesis_console::cloud::CloudConfig;
use kinesis_console::cloud::clock::ClockMode;
use support::TestCloud;

pub const ROLE: &str = "arn:aws:iam::000000000000:role/firehose";

pub struct Env {
    pub cloud: TestCloud,
    pub fh: aws_sdk_firehose::Client,
    pub kinesis: aws_sdk_kinesis::Client,
    pub s3: aws_sdk_s3::Client,
    pub cw: aws_sdk_cloudwatch::Client,
}

/// A cloud on the virtual clock whose delivery streams take one second to create and delete.
pub async fn env() -> Env {
    env_with(|_| {}).await
}

pub async fn env_with(configure: impl FnOnce(&mut CloudConfig)) -> Env {
    let cloud = TestCloud::start_with(|c| {
        c.clock = ClockMode::Virtual;
        c.firehose.transition_ms = 1_000;
        configure(c);
    })
    .await;
    clients(cloud).await
}

pub async fn clients(cloud: TestCloud) -> Env {
    let conf = cloud.sdk_config().await;
    let no_retry = aws_sdk_firehose::config::retry::RetryConfig::disabled();
    let fh = aws_sdk_firehose::Client::from_conf(
        aws_sdk_firehose::config::Builder::from(&conf).retry_config(no_retry).build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    Env { fh, kinesis: aws_sdk_kinesis::Client::new(&conf), s3, cw: aws_sdk_cloudwatch::Client::new(&conf), cloud }
}

impl Env {
    /// Moves the clock `secs` seconds, one second at a time, letting delivery run at each.
    pub async fn seconds(&self, secs: u64) {
        for _ in 0..secs {
            self.cloud.advance_settled(Duration::from_secs(1)).await;
        }
    }

    pub async fn restart(self) -> Env {
        clients(self.cloud.restart().await).await
    }

    pub async fn stream(&self, name: &str, shards: i32) -> String {
        self.kinesis.create_stream().stream_name(name).shard_count(shards).send().await.expect("CreateStream");
        self.seconds(1).await;
        let d = self.kinesis.describe_stream_summary().stream_name(name).send().await.expect("DescribeStreamSummary");
        d.stream_description_summary().expect("summary").stream_arn().to_string()
    }

    pub async fn bucket(&self, name: &str) {
        self.s3.create_bucket().bucket(name).send().await.expect("CreateBucket");
    }

    /// A Kinesis-source delivery stream to `bucket` under `data/`, waited on until ACTIVE.
    pub async fn delivery(
        &self,
        name: &str,
        stream_arn: &str,
        bucket: &str,
        size_mb: i32,
        interval_s: i32,
        c: CompressionFormat,
    ) {
        self.fh
            .create_delivery_stream()
            .delivery_stream_name(name)
            .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
            .kinesis_stream_source_configuration(
                KinesisStreamSourceConfiguration::builder()
                    .kinesis_stream_arn(stream_arn)
                    .role_arn(ROLE)
                    .build()
                    .unwrap(),
            )
            .extended_s3_destination_configuration(destination(bucket, size_mb, interval_s, c))
            .send()
            .await
            .expect("CreateDeliveryStream");
        self.seconds(1).await;
        assert_eq!(self.status(name).await, "ACTIVE");
    }

    pub async fn status(&self, name: &str) -> String {
        let d = self.fh.describe_delivery_stream().delivery_stream_name(name).send().await.expect("Describe");
        d.delivery_stream_description().unwrap().delivery_stream_status().as_str().to_string()
    }

    /// Puts `lines` (each ending in a newline) on `stream` under partition key `key`, in order.
    pub async fn put(&self, stream: &str, key: &str, lines: &[String]) {
        for chunk in lines.chunks(500) {
            let entries: Vec<PutRecordsRequestEntry> = chunk
                .iter()
                .map(|l| {
                    PutRecordsRequestEntry::builder().partition_key(key).data(Blob::new(l.as_bytes())).build().unwrap()
                })
                .collect();
            let out = self
                .kinesis
                .put_records()
                .stream_name(stream)
                .set_records(Some(entries))
                .send()
                .await
                .expect("PutRecords");
            assert_eq!(out.failed_record_count(), Some(0), "every record accepted");
        }
    }

    /// Every object under `prefix` in `bucket`, in key order, with its body decompressed (gzip).
    pub async fn objects(&self, bucket: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let list = self.s3.list_objects_v2().bucket(bucket).prefix(prefix).send().await.expect("ListObjectsV2");
        let mut out = Vec::new();
        for o in list.contents() {
            let key = o.key().unwrap().to_string();
            let body = self.s3.get_object().bucket(bucket).key(&key).send().await.expect("GetObject");
            let bytes = body.body.collect().await.expect("body").into_bytes().to_vec();
            let bytes = if key.ends_with(".gz") { gunzip(&bytes) } else { bytes };
            out.push((key, bytes));
        }
        out
    }

    /// The delivered lines, in object order then line order.
    pub async fn lines(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let objects = self.objects(bucket, prefix).await;
        objects
            .iter()
            .flat_map(|(_, b)| String::from_utf8_lossy(b).lines().map(str::to_string).collect::<Vec<_>>())
            .collect()
    }
}

pub fn destination(
    bucket: &str,
    size_mb: i32,
    interval_s: i32,
    c: CompressionFormat,
) -> ExtendedS3DestinationConfiguration {
    ExtendedS3DestinationConfiguration::builder()
        .role_arn(ROLE)
        .bucket_arn(format!("arn:aws:s3:::{bucket}"))
        .prefix("data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/")
        .error_output_prefix("errors/!{firehose:error-output-type}/")
        .buffering_hints(BufferingHints::builder().size_in_mbs(size_mb).interval_in_seconds(interval_s).build())
        .compression_format(c)
        .build()
        .unwrap()
}

/// Decoded with flate2's multi-member reader, which accepts any standard gzip file.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut out).expect("a valid gzip file");
    out
}

pub fn lines(tag: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{tag}-{i:05}\n")).collect()
}

pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("<none>").to_string()
}

/// Checks that `got` holds each of `want` exactly once and keeps their order.
pub fn assert_once_in_order(got: &[String], want: &[String]) {
    let tag = want[0].split('-').next().unwrap_or_default().to_string();
    let mine: Vec<&String> = got.iter().filter(|l| l.split('-').next() == Some(tag.as_str())).collect();
    let want_trimmed: Vec<String> = want.iter().map(|w| w.trim_end().to_string()).collect();
    assert_eq!(mine.len(), want.len(), "{tag}: every record exactly once");
    assert!(mine.iter().zip(&want_trimmed).all(|(a, b)| *a == b), "{tag}: in order");
}
