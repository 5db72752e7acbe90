//! CloudWatch in the local cloud: metrics, dashboards and alarms through aws-sdk-cloudwatch and the aws CLI.

#[path = "../support/mod.rs"]
mod support;

mod alarms;
mod bounds;
mod cli;
mod durability;
mod limits;
mod metrics;
mod paging;
mod query_equivalence;
mod query_protocol;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::retry::RetryConfig;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use support::TestCloud;

/// A client that does not retry, so refusals and internal errors reach the test as they are.
pub async fn client(cloud: &TestCloud) -> Client {
    let conf = aws_sdk_cloudwatch::config::Builder::from(&cloud.sdk_config().await)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(conf)
}

pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or_default().to_string()
}

/// A one-minute Maximum alarm on `Test/<metric>` with dimension Stream=s1, threshold 3.
pub fn alarm_on(cw: &Client, name: &str, metric: &str) -> PutMetricAlarmFluentBuilder {
    cw.put_metric_alarm()
        .alarm_name(name)
        .namespace("Test")
        .metric_name(metric)
        .dimensions(Dimension::builder().name("Stream").value("s1").build())
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(3.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
}

/// [`alarm_on`] with threshold `threshold`, sent; the error code when refused.
pub async fn put_alarm(cw: &Client, name: &str, metric: &str, threshold: f64) -> Result<(), String> {
    alarm_on(cw, name, metric).threshold(threshold).send().await.map(drop).map_err(|e| code(&e.into_service_error()))
}

pub async fn alarm_names(cw: &Client) -> Vec<String> {
    let out = cw.describe_alarms().send().await.expect("DescribeAlarms");
    out.metric_alarms().iter().filter_map(|a| a.alarm_name().map(str::to_string)).collect()
}

/// The names of every dashboard, sorted.
pub async fn dashboard_names(cw: &Client) -> Vec<String> {
    let out = cw.list_dashboards().send().await.expect("ListDashboards");
    out.dashboard_entries().iter().filter_map(|d| d.dashboard_name().map(str::to_string)).collect()
}

/// A valid dashboard body with one text widget saying `text`.
pub fn body(text: &str) -> String {
    serde_json::json!({"widgets": [{"type": "text", "properties": {"markdown": text}}]}).to_string()
}
