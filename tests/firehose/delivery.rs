//! Delivery from a Kinesis stream (and DirectPut) to S3: every record once, in per-shard order,
//! under the expanded prefixes; objects cut by size or interval; KPL records de-aggregated;
//! resharding mid-delivery; the metrics it publishes.

use aws_sdk_cloudwatch::types::{Dimension, DimensionFilter};
use aws_sdk_firehose::primitives::Blob as FhBlob;
use aws_sdk_firehose::types::{CompressionFormat, Record};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::ScalingType;

use super::{assert_once_in_order, destination, env, env_with, lines};

#[tokio::test]
async fn records_put_on_the_stream_arrive_once_in_order_as_gzip_under_the_expanded_prefix() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("ticks", 2).await;
    env.put("ticks", "early", &lines("early", 5)).await;
    env.delivery("ticks-to-s3", &arn, "out", 1, 60, CompressionFormat::Gzip).await;
    let (a, b) = (lines("a", 300), lines("b", 300));
    env.put("ticks", "ka", &a).await;
    env.put("ticks", "kb", &b).await;
    env.seconds(1).await;
    assert!(env.objects("out", "data/").await.is_empty(), "buffered until the interval");
    env.seconds(60).await;
    let objects = env.objects("out", "data/").await;
    assert!(!objects.is_empty());
    let year = time::OffsetDateTime::from_unix_timestamp(env.cloud.cloud.ctx.clock.now_ms() / 1000).unwrap().year();
    for (key, _) in &objects {
        assert!(key.starts_with(&format!("data/year={year}/month=")), "{key}");
        assert!(key.contains("/ticks-to-s3-1-") && key.ends_with(".gz"), "{key}");
    }
    let got = env.lines("out", "data/").await;
    assert_once_in_order(&got, &a);
    assert_once_in_order(&got, &b);
    assert!(!got.iter().any(|l| l.starts_with("early")), "records put before creation are not read (LATEST)");
}

#[tokio::test]
async fn the_size_hint_cuts_objects_before_the_interval_measured_before_compression() {
    let env = env_with(|c| c.limits = false).await;
    env.bucket("out").await;
    let arn = env.stream("fast", 1).await;
    env.delivery("fast-to-s3", &arn, "out", 1, 300, CompressionFormat::Gzip).await;
    // 1 KiB records: 2,600 of them make two full 1 MiB objects and a rest.
    let big: Vec<String> = (0..2_600).map(|i| format!("{:0>1023}\n", format!("big-{i:05}"))).collect();
    env.put("fast", "k", &big).await;
    env.seconds(1).await;
    let objects = env.objects("out", "data/").await;
    assert_eq!(objects.len(), 2, "two objects cut by size, the rest waits for the interval");
    for (key, body) in &objects {
        assert!(body.len() >= 1024 * 1024 && body.len() < 1024 * 1024 + 1024, "{key}: {} bytes", body.len());
        let raw = env.s3.head_object().bucket("out").key(key).send().await.unwrap().content_length().unwrap();
        assert!((raw as usize) < body.len() / 10, "compressed on S3, measured before compression");
    }
    env.seconds(300).await;
    assert_eq!(env.objects("out", "data/").await.len(), 3, "the interval writes the rest");
}

#[tokio::test]
async fn the_interval_cuts_objects_when_records_arrive_slowly() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("slow", 1).await;
    env.delivery("slow-to-s3", &arn, "out", 5, 60, CompressionFormat::Uncompressed).await;
    env.put("slow", "k", &lines("s", 3)).await;
    env.seconds(59).await;
    assert!(env.objects("out", "data/").await.is_empty(), "not yet: the interval runs from the first record buffered");
    env.seconds(2).await;
    let objects = env.objects("out", "data/").await;
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0].1, b"s-00000\ns-00001\ns-00002\n", "records concatenated as they are");
}

/// A KPL aggregated record (magic, protobuf AggregatedRecord, MD5) holding `records` under one key.
fn aggregate(records: &[&[u8]]) -> Vec<u8> {
    fn varint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    fn field(tag: u8, bytes: &[u8], out: &mut Vec<u8>) {
        out.push(tag);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }
    let mut body = Vec::new();
    field(0x0a, b"pk", &mut body);
    for r in records {
        let mut rec = vec![0x08, 0x00];
        field(0x1a, r, &mut rec);
        field(0x1a, &rec, &mut body);
    }
    let mut out = vec![0xF3, 0x89, 0x9A, 0xC2];
    out.extend_from_slice(&body);
    use md5::Digest as _;
    out.extend_from_slice(&md5::Md5::digest(&body));
    out
}

#[tokio::test]
async fn kpl_aggregated_records_are_delivered_as_the_user_records_they_hold() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("kpl", 1).await;
    env.delivery("kpl-to-s3", &arn, "out", 1, 0, CompressionFormat::Uncompressed).await;
    let agg = aggregate(&[b"u-1\n", b"u-2\n", b"u-3\n"]);
    env.kinesis.put_record().stream_name("kpl").partition_key("pk").data(Blob::new(agg)).send().await.unwrap();
    env.seconds(2).await;
    assert_eq!(env.lines("out", "data/").await, ["u-1", "u-2", "u-3"]);
}

#[tokio::test]
async fn resharding_the_source_mid_delivery_loses_and_duplicates_nothing() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("grow", 2).await;
    env.delivery("grow-to-s3", &arn, "out", 1, 10, CompressionFormat::Gzip).await;
    let keys = ["k0", "k1", "k2", "k3", "k4", "k5"];
    let before: Vec<Vec<String>> = keys.iter().map(|k| lines(&format!("{k}b"), 40)).collect();
    for (k, l) in keys.iter().zip(&before) {
        env.put("grow", k, l).await;
    }
    env.seconds(1).await;
    env.kinesis
        .update_shard_count()
        .stream_name("grow")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    let during: Vec<Vec<String>> = keys.iter().map(|k| lines(&format!("{k}d"), 40)).collect();
    for (k, l) in keys.iter().zip(&during) {
        env.put("grow", k, l).await;
    }
    env.seconds(3).await;
    let after: Vec<Vec<String>> = keys.iter().map(|k| lines(&format!("{k}a"), 40)).collect();
    for (k, l) in keys.iter().zip(&after) {
        env.put("grow", k, l).await;
    }
    env.seconds(30).await;
    let got = env.lines("out", "data/").await;
    for i in 0..keys.len() {
        // Per key (so per shard lineage), the records of all three phases come out once, in order.
        let want: Vec<String> = before[i].iter().chain(&during[i]).chain(&after[i]).cloned().collect();
        let mine: Vec<String> = got.iter().filter(|l| l.starts_with(keys[i])).cloned().collect();
        let want: Vec<String> = want.iter().map(|w| w.trim_end().to_string()).collect();
        assert_eq!(mine, want, "{}", keys[i]);
    }
}

#[tokio::test]
async fn direct_put_records_are_delivered_after_the_interval() {
    let env = env().await;
    env.bucket("out").await;
    env.fh
        .create_delivery_stream()
        .delivery_stream_name("direct")
        .extended_s3_destination_configuration(destination("out", 1, 60, CompressionFormat::Gzip))
        .send()
        .await
        .unwrap();
    env.seconds(1).await;
    let recs: Vec<Record> =
        lines("d", 20).iter().map(|l| Record::builder().data(FhBlob::new(l.as_bytes())).build().unwrap()).collect();
    env.fh.put_record_batch().delivery_stream_name("direct").set_records(Some(recs)).send().await.unwrap();
    env.seconds(62).await;
    assert_once_in_order(&env.lines("out", "data/").await, &lines("d", 20));
    let metrics = env
        .cw
        .list_metrics()
        .namespace("AWS/Firehose")
        .dimensions(DimensionFilter::builder().name("DeliveryStreamName").value("direct").build())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = metrics.metrics().iter().filter_map(|m| m.metric_name()).collect();
    for n in ["IncomingRecords", "IncomingBytes", "IncomingPutRequests", "DeliveryToS3.Records", "DeliveryToS3.Success"]
    {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
}

#[tokio::test]
async fn the_delivery_metrics_are_published_under_the_delivery_stream_name() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("m", 1).await;
    env.delivery("m-to-s3", &arn, "out", 1, 0, CompressionFormat::Gzip).await;
    env.put("m", "k", &lines("m", 10)).await;
    env.seconds(3).await;
    let metrics = env
        .cw
        .list_metrics()
        .namespace("AWS/Firehose")
        .dimensions(DimensionFilter::builder().name("DeliveryStreamName").value("m-to-s3").build())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = metrics.metrics().iter().filter_map(|m| m.metric_name()).collect();
    for n in [
        "DataReadFromKinesisStream.Records",
        "DataReadFromKinesisStream.Bytes",
        "KinesisMillisBehindLatest",
        "ThrottledGetRecords",
        "ThrottledGetShardIterator",
        "ThrottledDescribeStream",
        "DeliveryToS3.Records",
        "DeliveryToS3.Bytes",
        "DeliveryToS3.Success",
        "DeliveryToS3.DataFreshness",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    let dims: Vec<&Dimension> = metrics.metrics().iter().flat_map(|m| m.dimensions()).collect();
    assert!(dims.iter().all(|d| d.name() == Some("DeliveryStreamName") && d.value() == Some("m-to-s3")));
    let sum = super::failures::stat(&env, "m-to-s3", "DataReadFromKinesisStream.Records", "Sum").await;
    assert_eq!(sum.iter().sum::<f64>(), 10.0);
    let delivered = super::failures::stat(&env, "m-to-s3", "DeliveryToS3.Records", "Sum").await;
    assert_eq!(delivered.iter().sum::<f64>(), 10.0);
}

#[tokio::test]
async fn with_backup_enabled_the_source_records_are_also_written_to_the_backup_bucket_and_counted() {
    use aws_sdk_firehose::types::{
        BufferingHints, DeliveryStreamType, ExtendedS3DestinationConfiguration, KinesisStreamSourceConfiguration,
        S3BackupMode, S3DestinationConfiguration,
    };
    let env = env().await;
    env.bucket("out").await;
    env.bucket("raw").await;
    let arn = env.stream("b", 1).await;
    let backup = S3DestinationConfiguration::builder()
        .role_arn(super::ROLE)
        .bucket_arn("arn:aws:s3:::raw")
        .prefix("source/")
        .buffering_hints(BufferingHints::builder().size_in_mbs(1).interval_in_seconds(60).build())
        .compression_format(CompressionFormat::Uncompressed)
        .build()
        .unwrap();
    let destination = ExtendedS3DestinationConfiguration::builder()
        .role_arn(super::ROLE)
        .bucket_arn("arn:aws:s3:::out")
        .prefix("data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/")
        .error_output_prefix("errors/!{firehose:error-output-type}/")
        .buffering_hints(BufferingHints::builder().size_in_mbs(1).interval_in_seconds(60).build())
        .compression_format(CompressionFormat::Gzip)
        .s3_backup_mode(S3BackupMode::Enabled)
        .s3_backup_configuration(backup)
        .build()
        .unwrap();
    env.fh
        .create_delivery_stream()
        .delivery_stream_name("b-to-s3")
        .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
        .kinesis_stream_source_configuration(
            KinesisStreamSourceConfiguration::builder().kinesis_stream_arn(&arn).role_arn(super::ROLE).build().unwrap(),
        )
        .extended_s3_destination_configuration(destination)
        .send()
        .await
        .expect("CreateDeliveryStream with a backup");
    env.seconds(1).await;
    assert_eq!(env.status("b-to-s3").await, "ACTIVE");
    let want = lines("bk", 40);
    env.put("b", "k", &want).await;
    env.seconds(62).await;
    assert_once_in_order(&env.lines("out", "data/").await, &want);
    let backed_up = env.objects("raw", "source/").await;
    assert!(!backed_up.is_empty(), "the backup bucket received objects");
    for (key, _) in &backed_up {
        assert!(key.contains("/b-to-s3-1-") && !key.ends_with(".gz"), "uncompressed, named as Firehose names: {key}");
    }
    assert_once_in_order(&env.lines("raw", "source/").await, &want);
    let counted = super::failures::stat(&env, "b-to-s3", "BackupToS3.Records", "Sum").await;
    assert_eq!(counted.iter().sum::<f64>(), 40.0, "BackupToS3.Records counts the backed-up records");
    let success = super::failures::stat(&env, "b-to-s3", "BackupToS3.Success", "Average").await;
    assert!(!success.is_empty() && success.iter().all(|v| *v == 1.0), "BackupToS3.Success: {success:?}");
}
