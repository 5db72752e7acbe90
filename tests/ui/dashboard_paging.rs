//! A refresh larger than one GetMetricData answer: the plan keeps a period the user fixed, the
//! call pages with NextToken, and the pages join into whole series.

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::control::dashboard::plan::{MAX_DATAPOINTS_PER_CALL, TimeRange};
use kinesis_console::control::dashboard::{Dashboard, PeriodRule, fetch};
use serde_json::json;

use crate::render::NOW_MS;
use crate::support::TestCloud;

/// Three hours: the longest CloudWatch keeps 1-second data.
const SECS: i64 = 3 * 3600;
/// 10 × 10,800 points: more than one answer holds.
const METRICS: usize = 10;

fn value(metric: usize, second: i64) -> f64 {
    (metric as i64 * 100_000 + second) as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_over_100800_points_pages_and_joins_whole_series() {
    let cloud = TestCloud::start_virtual().await;
    cloud.cloud.ctx.clock.set_mode(ClockMode::Virtual, Some(NOW_MS));
    let cw = Client::new(&cloud.sdk_config().await);
    let start_ms = NOW_MS - SECS * 1000;
    for m in 0..METRICS {
        let datums: Vec<MetricDatum> = (0..SECS)
            .map(|s| {
                MetricDatum::builder()
                    .metric_name("Records")
                    .dimensions(Dimension::builder().name("Shard").value(m.to_string()).build())
                    .timestamp(DateTime::from_millis(start_ms + s * 1000))
                    .value(value(m, s))
                    .storage_resolution(1)
                    .build()
            })
            .collect();
        for chunk in datums.chunks(1000) {
            cw.put_metric_data()
                .namespace("Shop")
                .set_metric_data(Some(chunk.to_vec()))
                .send()
                .await
                .expect("PutMetricData");
        }
    }
    let rows: Vec<_> = (0..METRICS).map(|m| json!(["Shop", "Records", "Shard", m.to_string()])).collect();
    let body = json!({"widgets": [{"type": "metric", "properties": {"metrics": rows, "stat": "Sum"}}]});
    let dashboard = Dashboard::parse(&body.to_string()).expect("a body");

    let range = TimeRange::last(SECS, NOW_MS);
    let (plan, _, view) = fetch::refresh(&cw, &dashboard, range, PeriodRule::Fixed(1)).await.expect("a refresh");
    assert_eq!(plan.calls.len(), 1, "one planned call");
    assert_eq!(plan.finest_period(), 1, "the fixed period is kept");
    assert!(plan.datapoints_per_call() > MAX_DATAPOINTS_PER_CALL, "{}", plan.datapoints_per_call());
    let series = &view.widgets[0].series;
    assert_eq!(series.len(), METRICS);
    for (m, s) in series.iter().enumerate() {
        assert_eq!(s.values.len(), SECS as usize, "shard {m}: every point, across pages");
        assert!(s.timestamps_ms.windows(2).all(|w| w[1] - w[0] == 1000), "shard {m}: no point twice or missing");
        assert_eq!(s.values.first(), Some(&value(m, 0)));
        assert_eq!(s.values.last(), Some(&value(m, SECS - 1)));
    }
}
