//! `kinesis-console produce apigw-kds-lambda` against the deployed stack: the pattern's default workload
//! (`rest`) sends through the stack's API, the run exits 0, and every record it made is on the stream
//! and in the consumer's log, once.

use std::time::Duration;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use serde_json::Value;

use crate::stack::{self, PATTERN};
use crate::support::TestCloud;

const COUNT: usize = 600;

/// The Sum of an `AWS/ApiGateway` metric of the stack's API over the last hour of cloud time.
async fn api_sum(cloud: &TestCloud, metric: &str) -> f64 {
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let now = cloud.cloud.ctx.clock.now_ms();
    let out = cw
        .get_metric_statistics()
        .namespace("AWS/ApiGateway")
        .metric_name(metric)
        .dimensions(Dimension::builder().name("ApiName").value(format!("{PATTERN}-kinesis-proxy")).build())
        .dimensions(Dimension::builder().name("Stage").value("prod").build())
        .start_time(DateTime::from_millis(now - 3_600_000))
        .end_time(DateTime::from_millis(now + 60_000))
        .period(3_600)
        .statistics(Statistic::Sum)
        .send()
        .await
        .expect("GetMetricStatistics");
    out.datapoints().iter().filter_map(|d| d.sum()).sum()
}

fn sorted(mut docs: Vec<Value>) -> Vec<String> {
    let mut out: Vec<String> = docs.drain(..).map(|d| d.to_string()).collect();
    out.sort_unstable();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_sends_through_the_stacks_api_and_every_record_is_read_back() {
    let cloud = TestCloud::start_virtual().await;
    let p = stack::deploy(&cloud, &[]).await;

    let count = COUNT.to_string();
    let produce = cloud
        .console_command(&["--output", "json", "produce", PATTERN, "--count", &count, "--rate", "1000", "--seed", "5"]);
    let out = cloud.run_advancing(produce, Duration::from_secs(120)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "produce failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .find(|v: &Value| v.get("summary").is_some())
        .unwrap_or_else(|| panic!("a summary line: {stdout}"));
    assert_eq!(summary["delivered_all"], true, "{summary:#}");
    let counters = &summary["summary"]["counters"];
    assert_eq!(counters["produced"], COUNT, "{counters:#}");
    assert_eq!(counters["acknowledged"], COUNT, "{counters:#}");
    assert_eq!(counters["possible_duplicates"], 0, "{counters:#}");
    let per_shard = counters["per_shard"].as_object().expect("per shard counts");
    assert_eq!(per_shard.len(), 2, "random partition keys reach both shards: {per_shard:?}");

    // The records went through the API, not around it.
    let requests = api_sum(&cloud, "Count").await;
    assert!(requests >= (COUNT / 500) as f64, "{requests} requests to the API for {COUNT} records");
    assert_eq!(api_sum(&cloud, "5XXError").await, 0.0);

    let on_stream = crate::support::read_stream(&cloud, &p.stream).await;
    assert_eq!(on_stream.len(), COUNT, "every acknowledged record is on the stream, once");
    let docs: Vec<Value> = on_stream
        .iter()
        .map(|(key, data)| {
            let v: Value = serde_json::from_slice(data)
                .unwrap_or_else(|e| panic!("record of key {key} is JSON ({e}): {}", String::from_utf8_lossy(data)));
            assert!(
                ["AAPL", "AMZN", "MSFT", "INTC", "TBV"].contains(&v["TICKER"].as_str().unwrap_or_default()),
                "a ticker event: {v}"
            );
            assert!(v["PRICE"].is_number() && v["EVENT_TIME"].is_string(), "a ticker event: {v}");
            v
        })
        .collect();

    let logs = aws_sdk_cloudwatchlogs::Client::new(&cloud.sdk_config().await);
    stack::until(&cloud, 60, "the produced records logged by the consumer", async || {
        stack::decoded(&stack::log_messages(&logs, &p.log_group).await).len() >= COUNT
    })
    .await;
    cloud.advance_settled(Duration::from_secs(3)).await;
    let logged = stack::decoded(&stack::log_messages(&logs, &p.log_group).await);
    assert_eq!(logged.len(), COUNT, "the consumer logged each record once");
    assert!(sorted(logged) == sorted(docs), "the consumer logged exactly the records on the stream");
}
