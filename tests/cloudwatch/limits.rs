//! What a client can create is capped: alarms (PutMetricAlarm's LimitExceeded), dashboards and
//! metric series, at CloudWatch's own settings, set small here.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::cloudwatch::settings::CloudWatchSettings;

use super::{alarm_names, body, client, code, dashboard_names, message, put_alarm};
use crate::support::TestCloud;

async fn small_cloud() -> TestCloud {
    TestCloud::start_with(|c| {
        c.clock = ClockMode::Virtual;
        c.cloudwatch = CloudWatchSettings { max_alarms: 2, max_dashboards: 2, max_series: 3 };
    })
    .await
}

#[tokio::test]
async fn alarms_stop_at_the_limit_with_limit_exceeded() {
    let cloud = small_cloud().await;
    let cw = client(&cloud).await;
    put_alarm(&cw, "a", "Lag", 1.0).await.expect("first");
    put_alarm(&cw, "b", "Lag", 1.0).await.expect("second");
    assert_eq!(put_alarm(&cw, "c", "Lag", 1.0).await, Err("LimitExceeded".to_string()));
    put_alarm(&cw, "a", "Lag", 5.0).await.expect("updating an alarm creates none");
    assert_eq!(alarm_names(&cw).await, ["a", "b"]);
    cw.delete_alarms().alarm_names("a").send().await.expect("DeleteAlarms");
    put_alarm(&cw, "c", "Lag", 1.0).await.expect("room again after a delete");

    let over = cw
        .put_metric_alarm()
        .alarm_name("d")
        .namespace("Test")
        .metric_name("Lag")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("over the limit")
        .into_service_error();
    assert!(over.is_limit_exceeded_fault(), "the SDK sees PutMetricAlarm's modelled error: {over:?}");
    assert!(message(&over).contains("at most 2 alarms"), "{}", message(&over));
}

#[tokio::test]
async fn dashboards_stop_at_the_limit() {
    let cloud = small_cloud().await;
    let cw = client(&cloud).await;
    for name in ["one", "two"] {
        cw.put_dashboard().dashboard_name(name).dashboard_body(body(name)).send().await.expect("PutDashboard");
    }
    let over = cw.put_dashboard().dashboard_name("three").dashboard_body(body("3")).send().await;
    let over = over.expect_err("over the limit").into_service_error();
    assert_eq!(code(&over), "LimitExceeded");
    assert!(message(&over).contains("at most 2 dashboards"), "{}", message(&over));
    cw.put_dashboard().dashboard_name("one").dashboard_body(body("1 again")).send().await.expect("replacing one");
    assert_eq!(dashboard_names(&cw).await, ["one", "two"]);
}

fn datum(host: &str) -> MetricDatum {
    MetricDatum::builder()
        .metric_name("Requests")
        .dimensions(Dimension::builder().name("Host").value(host).build())
        .value(1.0)
        .unit(StandardUnit::Count)
        .build()
}

#[tokio::test]
async fn metric_series_stop_at_the_limit_and_a_refused_request_adds_none() {
    let cloud = small_cloud().await;
    let cw = client(&cloud).await;
    let put = |hosts: &[&str]| {
        cw.put_metric_data().namespace("App").set_metric_data(Some(hosts.iter().map(|h| datum(h)).collect())).send()
    };
    put(&["a", "b", "c"]).await.expect("three series");
    put(&["a", "c"]).await.expect("more datums of known series");
    let over = put(&["a", "d"]).await.expect_err("a fourth series").into_service_error();
    assert_eq!(code(&over), "LimitExceeded");
    assert!(message(&over).contains("at most 3 metric series"), "{}", message(&over));
    let listed = cw.list_metrics().namespace("App").send().await.expect("ListMetrics");
    assert_eq!(listed.metrics().len(), 3, "the refused request added no series");
}
