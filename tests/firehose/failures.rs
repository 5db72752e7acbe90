//! S3 failing under delivery: nothing is lost or skipped, DeliveryToS3.Success drops to 0,
//! DataFreshness grows; when S3 recovers every record is delivered once.

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_sdk_firehose::types::CompressionFormat;
use kinesis_console::cloud::faults::FaultRates;

use super::{Env, assert_once_in_order, env, lines};

/// The 1-second values of a delivery stream's metric over the last ten minutes, oldest first.
pub async fn stat(env: &Env, name: &str, metric: &str, statistic: &str) -> Vec<f64> {
    let now = env.cloud.cloud.ctx.clock.now_ms() / 1000;
    let query = MetricDataQuery::builder()
        .id("m")
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/Firehose")
                        .metric_name(metric)
                        .dimensions(Dimension::builder().name("DeliveryStreamName").value(name).build())
                        .build(),
                )
                .period(1)
                .stat(statistic)
                .build(),
        )
        .build();
    let out = env
        .cw
        .get_metric_data()
        .metric_data_queries(query)
        .start_time(DateTime::from_secs(now - 600))
        .end_time(DateTime::from_secs(now + 1))
        .scan_by(aws_sdk_cloudwatch::types::ScanBy::TimestampAscending)
        .send()
        .await
        .expect("GetMetricData");
    out.metric_data_results()[0].values().to_vec()
}

#[tokio::test]
async fn s3_faults_stall_delivery_and_grow_freshness_then_everything_arrives_once() {
    let env = env().await;
    env.bucket("out").await;
    let arn = env.stream("src", 1).await;
    env.delivery("src-to-s3", &arn, "out", 1, 5, CompressionFormat::Gzip).await;
    env.cloud.cloud.ctx.faults.set("s3", FaultRates { error: 1.0, ..Default::default() });
    let first = lines("f", 50);
    env.put("src", "k", &first).await;
    env.seconds(90).await;
    assert!(env.objects("out", "data/").await.is_empty(), "nothing delivered while S3 fails");
    let success = stat(&env, "src-to-s3", "DeliveryToS3.Success", "Average").await;
    assert!(!success.is_empty() && success.iter().all(|v| *v == 0.0), "{success:?}");
    let freshness = stat(&env, "src-to-s3", "DeliveryToS3.DataFreshness", "Maximum").await;
    let last = *freshness.last().expect("freshness published");
    assert!(last >= 80.0, "the oldest record waits: {freshness:?}");
    let second = lines("g", 50);
    env.put("src", "k", &second).await;

    env.cloud.cloud.ctx.faults.set("s3", FaultRates::default());
    env.seconds(45).await;
    let got = env.lines("out", "data/").await;
    assert_once_in_order(&got, &first);
    assert_once_in_order(&got, &second);
    let freshness = stat(&env, "src-to-s3", "DeliveryToS3.DataFreshness", "Maximum").await;
    assert!(*freshness.last().unwrap() < 10.0, "fresh again: {freshness:?}");
    let success = stat(&env, "src-to-s3", "DeliveryToS3.Success", "Average").await;
    assert_eq!(success.last(), Some(&1.0));
}
