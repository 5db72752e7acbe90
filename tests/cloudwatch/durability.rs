//! CloudWatch's state on disk: a failed write changes nothing a client sees, a damaged file is set
//! aside while everything else serves, and the files are private to the user.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use kinesis_console::cloud::cloudwatch::storage::faults;

use super::{alarm_names, body, client, code, dashboard_names, put_alarm};
use crate::support::TestCloud;

async fn threshold(cw: &aws_sdk_cloudwatch::Client, name: &str) -> Option<f64> {
    let out = cw.describe_alarms().alarm_names(name).send().await.expect("DescribeAlarms");
    out.metric_alarms().first().and_then(|a| a.threshold())
}

async fn dashboard_body(cw: &aws_sdk_cloudwatch::Client, name: &str) -> String {
    let out = cw.get_dashboard().dashboard_name(name).send().await.expect("GetDashboard");
    out.dashboard_body().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_failed_write_leaves_alarms_and_dashboards_as_they_were() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    put_alarm(&cw, "kept", "Lag", 1.0).await.expect("PutMetricAlarm");
    cw.put_dashboard().dashboard_name("kept").dashboard_body(body("old")).send().await.expect("PutDashboard");

    faults::fail_writes(cloud.data_dir(), true);
    assert_eq!(put_alarm(&cw, "new", "Lag", 1.0).await, Err("InternalFailure".to_string()));
    assert_eq!(put_alarm(&cw, "kept", "Lag", 9.0).await, Err("InternalFailure".to_string()));
    let deleted = cw.delete_alarms().alarm_names("kept").send().await.expect_err("DeleteAlarms cannot write");
    assert_eq!(code(&deleted.into_service_error()), "InternalFailure");
    let put = cw.put_dashboard().dashboard_name("new").dashboard_body(body("x")).send().await;
    assert_eq!(code(&put.expect_err("cannot write").into_service_error()), "InternalFailure");
    let put = cw.put_dashboard().dashboard_name("kept").dashboard_body(body("new")).send().await;
    assert_eq!(code(&put.expect_err("cannot write").into_service_error()), "InternalFailure");
    let deleted = cw.delete_dashboards().dashboard_names("kept").send().await;
    assert_eq!(code(&deleted.expect_err("cannot write").into_service_error()), "InternalFailure");

    assert_eq!(alarm_names(&cw).await, ["kept"]);
    assert_eq!(threshold(&cw, "kept").await, Some(1.0));
    assert_eq!(dashboard_names(&cw).await, ["kept"]);
    assert_eq!(dashboard_body(&cw, "kept").await, body("old"));

    faults::fail_writes(cloud.data_dir(), false);
    put_alarm(&cw, "kept", "Lag", 9.0).await.expect("writes work again");
    assert_eq!(threshold(&cw, "kept").await, Some(9.0));
    let cloud = cloud.restart().await;
    let cw = client(&cloud).await;
    assert_eq!(threshold(&cw, "kept").await, Some(9.0), "what was acknowledged is what was written");
    assert_eq!(dashboard_body(&cw, "kept").await, body("old"));
}

#[tokio::test]
async fn damaged_cloudwatch_files_are_set_aside_and_the_cloud_serves() {
    let cloud = TestCloud::start_with(|c| {
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
        let dir = c.data_dir.join("cloudwatch");
        std::fs::create_dir_all(dir.join("alarms")).unwrap();
        std::fs::write(dir.join("alarms/alarms.json"), b"{\"version\": 1, \"alarms\": [trunc").unwrap();
        std::fs::write(dir.join("dashboards.json"), b"\x00\x01 not json").unwrap();
        std::fs::write(dir.join("metrics.redb"), vec![0xA5; 8192]).unwrap();
    })
    .await;
    let cw = client(&cloud).await;
    assert!(alarm_names(&cw).await.is_empty());
    put_alarm(&cw, "fresh", "Lag", 1.0).await.expect("CloudWatch serves");
    assert!(dashboard_names(&cw).await.is_empty());
    let kinesis = aws_sdk_kinesis::Client::new(&cloud.sdk_config().await);
    kinesis.list_streams().send().await.expect("Kinesis serves");

    let health = cloud.admin().get("health").await.expect("health");
    let damaged: Vec<String> = health["damaged"]
        .as_array()
        .expect("a damaged list")
        .iter()
        .filter(|d| d["service"] == "cloudwatch")
        .map(|d| d["resource"].as_str().unwrap_or_default().to_string())
        .collect();
    for file in ["alarms.json", "dashboards.json", "metrics.redb"] {
        assert!(damaged.iter().any(|r| r.ends_with(file)), "{file} is reported: {damaged:?}");
    }
    let aside = |dir: &Path, name: &str| {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().starts_with(&format!("{name}.damaged-")))
    };
    let dir = cloud.data_dir().join("cloudwatch");
    assert!(aside(&dir.join("alarms"), "alarms.json"), "the damaged alarms are kept beside");
    assert!(aside(&dir, "dashboards.json"));
    assert!(aside(&dir, "metrics.redb"));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn cloudwatch_files_are_private() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    put_alarm(&cw, "a", "Lag", 1.0).await.expect("PutMetricAlarm");
    cw.put_dashboard().dashboard_name("d").dashboard_body(body("d")).send().await.expect("PutDashboard");
    let dir = cloud.data_dir().join("cloudwatch");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("alarms")), 0o700);
    assert_eq!(mode(&dir.join("alarms/alarms.json")), 0o600);
    assert_eq!(mode(&dir.join("dashboards.json")), 0o600);
    assert_eq!(mode(&dir.join("metrics.redb")), 0o600);
}

#[tokio::test]
async fn an_evaluation_that_cannot_be_written_changes_no_state_and_is_made_once_it_can() {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StateValue};

    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    put_alarm(&cw, "lag", "Lag", 3.0).await.expect("PutMetricAlarm");
    let state = |cw: aws_sdk_cloudwatch::Client| async move {
        let out = cw.describe_alarms().alarm_names("lag").send().await.expect("DescribeAlarms");
        out.metric_alarms()[0].state_value().cloned()
    };
    let breach = |at_ms: i64| {
        let datum = MetricDatum::builder()
            .metric_name("Lag")
            .dimensions(Dimension::builder().name("Stream").value("s1").build())
            .timestamp(DateTime::from_millis(at_ms))
            .value(7.0)
            .build();
        cw.put_metric_data().namespace("Test").metric_data(datum).send()
    };
    let next_minute = || {
        let now = cloud.cloud.ctx.clock.now_ms();
        let target = (now.div_euclid(60_000) + 1) * 60_000 + 1_000;
        cloud.advance(std::time::Duration::from_millis((target - now) as u64));
    };

    breach(cloud.cloud.ctx.clock.now_ms()).await.expect("PutMetricData");
    faults::fail_writes(cloud.data_dir(), true);
    next_minute();
    assert_eq!(state(cw.clone()).await, Some(StateValue::InsufficientData), "an unwritten transition is not made");
    faults::fail_writes(cloud.data_dir(), false);
    breach(cloud.cloud.ctx.clock.now_ms()).await.expect("PutMetricData");
    next_minute();
    assert_eq!(state(cw.clone()).await, Some(StateValue::Alarm));
    let cloud = cloud.restart().await;
    let cw = client(&cloud).await;
    assert_eq!(state(cw).await, Some(StateValue::Alarm), "and it was written");
}
