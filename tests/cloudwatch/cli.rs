//! CloudWatch metrics and dashboards through the aws CLI (awsJson 1.0), checking its JSON.

use crate::support;

use serde_json::json;
use support::TestCloud;

fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000).expect("valid time");
    t.format(&time::format_description::well_known::Rfc3339).expect("formats")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_puts_queries_lists_and_keeps_dashboards() {
    let cloud = TestCloud::start_virtual().await;
    let now = cloud.cloud.ctx.clock.now_ms();
    let t0 = now - now.rem_euclid(60_000) - 5 * 60_000;
    let data: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            json!({
                "MetricName": if i % 2 == 0 { "Delivered" } else { "Attempted" },
                "Dimensions": [{"Name": "DeliveryStreamName", "Value": "ds"}],
                "Timestamp": (t0 + (i / 2) * 60_000) / 1000,
                "Value": if i % 2 == 0 { 3.0 } else { 4.0 },
                "Unit": "Count"
            })
        })
        .collect();
    let Some(put) = cloud.aws_json(&[
        "cloudwatch",
        "put-metric-data",
        "--namespace",
        "Pipeline",
        "--metric-data",
        &serde_json::to_string(&data).expect("json"),
    ]) else {
        return;
    };
    assert_eq!(put, serde_json::Value::Null, "PutMetricData prints nothing");

    let metric = |name: &str| {
        json!({"Namespace": "Pipeline", "MetricName": name,
               "Dimensions": [{"Name": "DeliveryStreamName", "Value": "ds"}]})
    };
    let queries = json!([
        {"Id": "m1", "MetricStat": {"Metric": metric("Delivered"), "Period": 60, "Stat": "Sum"}, "ReturnData": false},
        {"Id": "m2", "MetricStat": {"Metric": metric("Attempted"), "Period": 60, "Stat": "Sum"}, "ReturnData": false},
        {"Id": "e1", "Expression": "100*(m1/m2)", "Label": "Success %"}
    ]);
    let out = cloud
        .aws_json(&[
            "cloudwatch",
            "get-metric-data",
            "--metric-data-queries",
            &queries.to_string(),
            "--start-time",
            &iso(t0),
            "--end-time",
            &iso(t0 + 180_000),
            "--scan-by",
            "TimestampAscending",
        ])
        .expect("CLI present");
    let results = out["MetricDataResults"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["Id"], "e1");
    assert_eq!(results[0]["Label"], "Success %");
    assert_eq!(results[0]["StatusCode"], "Complete");
    assert_eq!(results[0]["Values"], json!([75.0, 75.0, 75.0]));
    let stamps = results[0]["Timestamps"].as_array().expect("timestamps");
    assert_eq!(stamps.len(), 3);
    // CLI v1 prints epoch seconds, v2 ISO 8601 text.
    let first_ok =
        stamps[0].as_i64() == Some(t0 / 1000) || stamps[0].as_str().is_some_and(|s| s.starts_with(&iso(t0)[..16]));
    assert!(first_ok, "{stamps:?} vs {}", iso(t0));

    let listed = cloud.aws_json(&["cloudwatch", "list-metrics", "--namespace", "Pipeline"]).expect("CLI present");
    let mut names: Vec<&str> =
        listed["Metrics"].as_array().expect("metrics").iter().filter_map(|m| m["MetricName"].as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["Attempted", "Delivered"]);
    assert_eq!(listed["Metrics"][0]["Dimensions"][0]["Name"], "DeliveryStreamName");

    let body = r##"{"widgets":[{"type":"text","properties":{"markdown":"# Firehose"}}]}"##;
    let put = cloud
        .aws_json(&["cloudwatch", "put-dashboard", "--dashboard-name", "Delivery", "--dashboard-body", body])
        .expect("CLI present");
    assert_eq!(put["DashboardValidationMessages"], json!([]));
    let got = cloud.aws_json(&["cloudwatch", "get-dashboard", "--dashboard-name", "Delivery"]).expect("CLI present");
    assert_eq!(got["DashboardName"], "Delivery");
    assert_eq!(got["DashboardBody"], body);
    assert_eq!(got["DashboardArn"], "arn:aws:cloudwatch::000000000000:dashboard/Delivery");

    let refused = cloud
        .aws(&["cloudwatch", "put-dashboard", "--dashboard-name", "Bad", "--dashboard-body", r#"{"widgets":{}}"#])
        .expect("CLI present");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("InvalidParameterInput") && stderr.contains("/widgets"), "{stderr}");
}
