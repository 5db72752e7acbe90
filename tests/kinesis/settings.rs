use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{EncryptionType, MetricsName, ShardIteratorType};
use kinesis_console::cloud::metrics::{Datum, MetricSink, Sample};

use super::*;

#[derive(Default)]
struct Collected(Mutex<Vec<Datum>>);

impl MetricSink for Collected {
    fn publish(&self, datums: Vec<Datum>) {
        self.0.lock().unwrap().extend(datums);
    }
}

fn total(datums: &[Datum], name: &str, shard: Option<&str>) -> f64 {
    datums
        .iter()
        .filter(|d| {
            d.name == name && d.dimensions.iter().find(|(k, _)| k == "ShardId").map(|(_, v)| v.as_str()) == shard
        })
        .map(|d| match &d.sample {
            Sample::Value(v) => *v,
            Sample::Stats { sum, .. } => *sum,
            Sample::Values(vs) => vs.iter().map(|(v, n)| v * n).sum(),
        })
        .sum()
}

#[tokio::test]
async fn stream_and_enabled_shard_metrics_are_published_each_second() {
    let cloud = limited_cloud().await;
    let sink = Arc::new(Collected::default());
    cloud.cloud.ctx.metrics.install(sink.clone());
    let k = client(&cloud).await;
    create(&k, "measured", 1).await;
    let on = k
        .enable_enhanced_monitoring()
        .stream_name("measured")
        .shard_level_metrics(MetricsName::All)
        .send()
        .await
        .unwrap();
    assert_eq!(on.desired_shard_level_metrics().len(), 7);
    let batch: Vec<_> = (0..1001).map(|i| entry("k", &format!("{i:04}"))).collect();
    let out = k.put_records().stream_name("measured").set_records(Some(batch[..500].to_vec())).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
    let out =
        k.put_records().stream_name("measured").set_records(Some(batch[500..1000].to_vec())).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
    let out = k.put_records().stream_name("measured").set_records(Some(batch[1000..].to_vec())).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(1));
    let it = iterator(&k, "measured", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    k.get_records().shard_iterator(&it).send().await.unwrap();
    cloud.advance(Duration::from_millis(1500));
    let datums = support::eventually(Duration::from_secs(10), "metrics to be published", || {
        let got = sink.0.lock().unwrap().clone();
        async move { (!got.is_empty()).then_some(got) }
    })
    .await;
    assert!(datums.iter().all(|d| d.namespace == "AWS/Kinesis"));
    assert_eq!(total(&datums, "IncomingRecords", None), 1000.0);
    assert_eq!(total(&datums, "IncomingBytes", None), 5000.0);
    assert_eq!(total(&datums, "PutRecords.TotalRecords", None), 1001.0);
    assert_eq!(total(&datums, "PutRecords.ThrottledRecords", None), 1.0);
    assert_eq!(total(&datums, "WriteProvisionedThroughputExceeded", None), 1.0);
    assert_eq!(total(&datums, "GetRecords.Records", None), 1000.0);
    assert_eq!(total(&datums, "IncomingRecords", Some("shardId-000000000000")), 1000.0);
    assert_eq!(total(&datums, "OutgoingRecords", Some("shardId-000000000000")), 1000.0);
}

#[tokio::test]
async fn encryption_tags_consumers_and_limits_are_reported() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "conf", 3).await;
    k.start_stream_encryption()
        .stream_name("conf")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();
    let d = k.describe_stream().stream_name("conf").send().await.unwrap();
    let d = d.stream_description().unwrap();
    assert_eq!(d.encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(d.key_id(), Some("alias/aws/kinesis"));
    let put = k.put_record().stream_name("conf").partition_key("k").data(Blob::new("d")).send().await.unwrap();
    assert_eq!(put.encryption_type(), Some(&EncryptionType::Kms));
    k.stop_stream_encryption()
        .stream_name("conf")
        .encryption_type(EncryptionType::Kms)
        .key_id("alias/aws/kinesis")
        .send()
        .await
        .unwrap();

    k.add_tags_to_stream().stream_name("conf").tags("a", "1").tags("b", "2").send().await.unwrap();
    k.remove_tags_from_stream().stream_name("conf").tag_keys("a").send().await.unwrap();
    let tags = k.list_tags_for_stream().stream_name("conf").send().await.unwrap();
    assert_eq!(tags.tags().iter().map(|t| t.key()).collect::<Vec<_>>(), ["b"]);

    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/conf";
    k.register_stream_consumer().stream_arn(arn).consumer_name("fan").send().await.unwrap();
    let c = k.describe_stream_consumer().stream_arn(arn).consumer_name("fan").send().await.unwrap();
    let c = c.consumer_description().unwrap();
    assert_eq!(c.stream_arn(), arn);
    k.deregister_stream_consumer().consumer_arn(c.consumer_arn()).send().await.unwrap();
    assert!(k.list_stream_consumers().stream_arn(arn).send().await.unwrap().consumers().is_empty());

    let limits = k.describe_limits().send().await.unwrap();
    assert_eq!((limits.shard_limit(), limits.open_shard_count()), (500, 3));
    let page = k.list_shards().stream_name("conf").max_results(2).send().await.unwrap();
    assert_eq!(page.shards().len(), 2);
    let rest = k.list_shards().next_token(page.next_token().unwrap()).send().await.unwrap();
    assert_eq!(rest.shards().iter().map(|s| s.shard_id()).collect::<Vec<_>>(), ["shardId-000000000002"]);
    assert!(rest.next_token().is_none());
}
