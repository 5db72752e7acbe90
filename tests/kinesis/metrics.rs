//! Kinesis publishes AWS/Kinesis metrics into the local CloudWatch every second, right to the record:
//! a known load gives known sums, a throttled load shows in the throttle metrics, a lagging consumer
//! shows iterator age. Read back through aws-sdk-cloudwatch as any client would.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_kinesis::types::{MetricsName, ShardIteratorType};

use super::*;

struct Watch {
    cw: aws_sdk_cloudwatch::Client,
    start: SystemTime,
    end: SystemTime,
}

impl Watch {
    async fn new(cloud: &TestCloud) -> Self {
        let now = cloud.cloud.ctx.clock.now();
        Watch {
            cw: aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await),
            start: now - Duration::from_secs(600),
            end: now + Duration::from_secs(3600),
        }
    }

    /// Sum and maximum of a stream (or shard) metric over the whole test window.
    async fn stat(&self, name: &str, stream: &str, shard: Option<&str>) -> (f64, f64) {
        let mut dims = vec![Dimension::builder().name("StreamName").value(stream).build()];
        if let Some(s) = shard {
            dims.push(Dimension::builder().name("ShardId").value(s).build());
        }
        let out = self
            .cw
            .get_metric_statistics()
            .namespace("AWS/Kinesis")
            .metric_name(name)
            .set_dimensions(Some(dims))
            .start_time(DateTime::from(self.start))
            .end_time(DateTime::from(self.end))
            .period(3600)
            .statistics(Statistic::Sum)
            .statistics(Statistic::Maximum)
            .send()
            .await
            .expect("GetMetricStatistics answers");
        let points = out.datapoints();
        (points.iter().filter_map(|p| p.sum()).sum(), points.iter().filter_map(|p| p.maximum()).fold(0.0, f64::max))
    }

    /// A metric's sum over the whole test window.
    async fn sum(&self, name: &str, stream: &str, shard: Option<&str>) -> f64 {
        self.stat(name, stream, shard).await.0
    }
}

#[tokio::test]
async fn a_known_and_throttled_load_gives_exact_sums() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "measured", 1).await;
    k.enable_enhanced_monitoring().stream_name("measured").shard_level_metrics(MetricsName::All).send().await.unwrap();
    let batch: Vec<_> = (0..1001).map(|i| entry("k", &format!("{i:04}"))).collect();
    for chunk in [&batch[..500], &batch[500..1000]] {
        let out = k.put_records().stream_name("measured").set_records(Some(chunk.to_vec())).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
    let over = k.put_records().stream_name("measured").set_records(Some(batch[1000..].to_vec())).send().await.unwrap();
    assert_eq!(over.failed_record_count(), Some(1), "the 1,001st record in one second is throttled");
    let it = iterator(&k, "measured", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let read = k.get_records().shard_iterator(&it).send().await.unwrap();
    assert_eq!(read.records().len(), 1000);
    cloud.advance(Duration::from_millis(1500));
    catch_up(&k).await;

    let w = Watch::new(&cloud).await;
    assert_eq!(w.sum("IncomingRecords", "measured", None).await, 1000.0);
    // Each record counts its data (4 bytes) and its partition key (1 byte), as the write limit does.
    assert_eq!(w.sum("IncomingBytes", "measured", None).await, 5000.0);
    assert_eq!(w.sum("PutRecords.TotalRecords", "measured", None).await, 1001.0);
    assert_eq!(w.sum("PutRecords.SuccessfulRecords", "measured", None).await, 1000.0);
    assert_eq!(w.sum("PutRecords.ThrottledRecords", "measured", None).await, 1.0);
    assert_eq!(w.sum("WriteProvisionedThroughputExceeded", "measured", None).await, 1.0);
    assert_eq!(w.sum("GetRecords.Records", "measured", None).await, 1000.0);
    let shard = Some("shardId-000000000000");
    assert_eq!(w.sum("IncomingRecords", "measured", shard).await, 1000.0);
    assert_eq!(w.sum("OutgoingRecords", "measured", shard).await, 1000.0);
}

#[tokio::test]
async fn a_consumer_falling_behind_shows_iterator_age() {
    let cloud = limited_cloud().await;
    let k = client(&cloud).await;
    create(&k, "lagging", 1).await;
    let batch: Vec<_> = (0..10).map(|i| entry("k", &format!("{i}"))).collect();
    k.put_records().stream_name("lagging").set_records(Some(batch)).send().await.unwrap();
    cloud.advance(Duration::from_secs(30));
    let it = iterator(&k, "lagging", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let read = k.get_records().shard_iterator(&it).limit(1).send().await.unwrap();
    assert!(read.millis_behind_latest().unwrap_or(0) >= 30_000, "{read:?}");
    cloud.advance(Duration::from_millis(1500));
    catch_up(&k).await;

    let w = Watch::new(&cloud).await;
    let (_, age) = w.stat("GetRecords.IteratorAgeMilliseconds", "lagging", None).await;
    assert!((30_000.0..31_000.0).contains(&age), "iterator age {age} ms after 30 s of lag");
}
