//! `dashboard list|show` and `health` as processes against the local cloud: a dashboard put from
//! the pattern 3 template, its alarms, and a known load of AWS/Kinesis and AWS/Firehose metrics.

use std::process::Output;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};
use kinesis_console::cloud::metric_sink::{Datum, Sample};
use serde_json::Value;

use crate::support::TestCloud;
use crate::templates;

const PATTERN: &str = "kds-kdf-s3";
const DASHBOARD: &str = "demo-dashboard";

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

/// Two whole minutes of load ending at the last minute boundary: 10 records a second into the
/// stream, an iterator age climbing to 5 s, 10 records a second read and delivered by Firehose.
fn publish_load(cloud: &TestCloud) {
    let now = cloud.cloud.ctx.clock.now_ms();
    let end = now - now % 60_000;
    let mut datums = Vec::new();
    for i in 0..120 {
        let t = end - 120_000 + i * 1000;
        let datum = |ns: &str, name: &str, dim: (&str, &str), unit: &str, v: f64| Datum {
            namespace: ns.to_string(),
            name: name.to_string(),
            dimensions: vec![(dim.0.to_string(), dim.1.to_string())],
            unit: unit.to_string(),
            timestamp_ms: t,
            sample: Sample::Value(v),
        };
        let stream = ("StreamName", "demo-DataStream");
        let delivery = ("DeliveryStreamName", "demo-DeliveryStream");
        datums.push(datum("AWS/Kinesis", "IncomingRecords", stream, "Count", 10.0));
        datums.push(datum(
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            stream,
            "Milliseconds",
            (i * 42) as f64,
        ));
        datums.push(datum("AWS/Firehose", "DataReadFromKinesisStream.Records", delivery, "Count", 10.0));
        datums.push(datum("AWS/Firehose", "DeliveryToS3.Records", delivery, "Count", 10.0));
        datums.push(datum("AWS/Firehose", "DeliveryToS3.Success", delivery, "None", 1.0));
    }
    cloud.cloud.ctx.metric_publisher.publish(datums);
}

/// The alarms a pattern's dashboard names, all watching one stream metric.
async fn put_alarms(cw: &Client, pattern: &str, metric: &str, statistic: Statistic, threshold: f64) {
    for logical in templates::alarm_logical_ids(pattern) {
        cw.put_metric_alarm()
            .alarm_name(templates::alarm_name(&logical))
            .namespace("AWS/Kinesis")
            .metric_name(metric)
            .dimensions(Dimension::builder().name("StreamName").value("demo-DataStream").build())
            .statistic(statistic.clone())
            .period(60)
            .evaluation_periods(1)
            .threshold(threshold)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .send()
            .await
            .expect("PutMetricAlarm");
    }
}

async fn put_dashboard_and_alarms(cw: &Client) {
    put_alarms(cw, PATTERN, "GetRecords.IteratorAgeMilliseconds", Statistic::Maximum, 60_000.0).await;
    cw.put_dashboard()
        .dashboard_name(DASHBOARD)
        .dashboard_body(templates::body(PATTERN))
        .send()
        .await
        .expect("PutDashboard");
}

async fn set_state(cw: &Client, logical: &str, state: StateValue) {
    cw.set_alarm_state()
        .alarm_name(templates::alarm_name(logical))
        .state_value(state)
        .state_reason("set by the test")
        .send()
        .await
        .expect("SetAlarmState");
}

fn widget<'a>(view: &'a Value, title: &str) -> &'a Value {
    let widgets = view["widgets"].as_array().expect("widgets");
    widgets.iter().find(|w| w["title"] == title).unwrap_or_else(|| panic!("no widget {title}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn show_and_health_read_a_pattern_dashboard_in_one_call() {
    let cloud = TestCloud::start_virtual().await;
    let cw = Client::new(&cloud.sdk_config().await);
    put_dashboard_and_alarms(&cw).await;
    publish_load(&cloud);

    let list = cloud.console(&["dashboard", "list", "--output", "json"]);
    assert_eq!(json_of(&list)["dashboards"][0]["name"], DASHBOARD);

    // The template's widgets use 5-minute periods; one-minute ones make the buckets known.
    let args = ["dashboard", "show", DASHBOARD, "--since", "10m", "--period", "60", "--output", "json"];
    let out = cloud.console(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown = json_of(&out);
    let view = &shown["view"];
    assert_eq!(view["calls"], 1, "one GetMetricData call per refresh");
    // The seven alarm graphs watch one metric (the test alarms share it): asked for once.
    assert_eq!(view["metrics_requested"], 7, "{view:#}");
    let incoming = widget(view, "Records read from Kinesis Data Streams (Sum)");
    let series = &incoming["series"][0];
    assert_eq!(series["values"], serde_json::json!([600.0, 600.0]), "two whole minutes of 10 records a second");
    assert_eq!(series["partial_last"], false);
    let age = widget(view, "Get records iterator age (Milliseconds)");
    assert_eq!(age["series"][0]["values"].as_array().unwrap().last().unwrap(), &serde_json::json!(119.0 * 42.0));
    assert_eq!(age["alarms"][0]["threshold"], 60_000.0);
    let success = widget(view, "Delivery to Amazon S3 success");
    assert_eq!(success["series"][0]["values"][0], 100.0, "the expression ran server-side");

    let text = cloud.console(&["dashboard", "show", DASHBOARD, "--since", "10m"]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(text.contains("1 GetMetricData call,"), "{text}");
    assert!(text.contains("Records read from Kinesis Data Streams (Sum)"), "{text}");
    assert!(text.contains('█'), "a sparkline: {text}");

    let healthy = cloud.console(&["health", DASHBOARD, "--output", "json"]);
    assert_eq!(healthy.status.code(), Some(0), "{}", String::from_utf8_lossy(&healthy.stdout));
    assert_eq!(json_of(&healthy)["status"], "OK");

    set_state(&cw, "IteratorAgeAlarm", StateValue::Alarm).await;
    let firing = cloud.console(&["health", DASHBOARD, "--output", "json"]);
    assert_eq!(firing.status.code(), Some(3));
    let report = json_of(&firing);
    assert_eq!((report["status"].as_str(), report["counts"]["ALARM"].as_u64()), (Some("ALARM"), Some(1)));
    let text = cloud.console(&["health", DASHBOARD]);
    assert_eq!(text.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("ALARM             demo-IteratorAgeAlarm — set by the test")
    );

    set_state(&cw, "IteratorAgeAlarm", StateValue::Ok).await;
    assert_eq!(cloud.console(&["health", DASHBOARD]).status.code(), Some(0));
    let missing = cloud.console(&["health", "no-such-dashboard"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("GetDashboard no-such-dashboard failed"));
}

/// A widget in another region than the client's is fetched through a client for that region; the
/// local cloud answers every region from one metric store.
#[tokio::test]
async fn widgets_of_another_region_are_fetched_there() {
    use kinesis_console::control::dashboard::alarms::AlarmBook;
    use kinesis_console::control::dashboard::fetch::run_plan;
    use kinesis_console::control::dashboard::model::Dashboard;
    use kinesis_console::control::dashboard::period::PeriodRule;
    use kinesis_console::control::dashboard::plan::{TimeRange, call_region, plan};

    let cloud = TestCloud::start_virtual().await;
    publish_load(&cloud);
    let body = serde_json::json!({"widgets": [{"type": "metric", "properties": {
        "region": "eu-west-1", "stat": "Sum", "period": 60,
        "metrics": [["AWS/Kinesis", "IncomingRecords", "StreamName", "demo-DataStream"]]
    }}]});
    let d = Dashboard::parse(&body.to_string()).unwrap();
    let now = cloud.cloud.ctx.clock.now_ms();
    let p = plan(&d, &AlarmBook::new(), TimeRange::last(600, now), PeriodRule::Aws);
    assert_eq!(p.calls.iter().map(|c| call_region(c)).collect::<Vec<_>>(), [Some("eu-west-1")]);
    let cw = Client::new(&cloud.sdk_config().await);
    assert_eq!(cw.config().region().map(|r| r.as_ref()), Some("us-east-1"));
    // Publishing stores the load at once, on the virtual clock: one call sees all of it.
    let results = run_plan(&cw, &p).await.expect("the eu-west-1 call is signed for eu-west-1 and answered");
    let total: f64 = results.iter().flat_map(|r| r.values.iter()).sum();
    assert_eq!(total, 1200.0, "two minutes of 10 records a second");
}

/// Every pattern dashboard, and one made by hand, is shown from the local CloudWatch in one call, with
/// every widget of its body, every series named and no problem once its alarms exist.
#[tokio::test(flavor = "multi_thread")]
async fn every_pattern_dashboard_and_a_hand_made_one_show_in_one_call() {
    let cloud = TestCloud::start_virtual().await;
    let cw = Client::new(&cloud.sdk_config().await);
    publish_load(&cloud);
    let hand_made = serde_json::json!({"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "# Ingest"}},
        {"type": "metric", "x": 0, "y": 2, "width": 12, "height": 6, "properties": {
            "title": "Records in and their rate", "region": "us-east-1", "stat": "Sum", "period": 60, "view": "timeSeries",
            "metrics": [
                ["AWS/Kinesis", "IncomingRecords", "StreamName", "demo-DataStream", {"id": "m1"}],
                [{"expression": "m1 / PERIOD(m1)", "label": "per second", "id": "e1"}]
            ]}},
        {"type": "metric", "x": 12, "y": 2, "width": 12, "height": 6, "properties": {
            "title": "Delivery", "region": "us-east-1", "stat": "Sum", "period": 60, "view": "singleValue",
            "metrics": [["AWS/Firehose", "DeliveryToS3.Records", "DeliveryStreamName", "demo-DeliveryStream"]]}},
        {"type": "metric", "x": 0, "y": 8, "width": 24, "height": 6, "properties": {
            "title": "Every Firehose record count", "region": "us-east-1", "period": 60,
            "metrics": [[{"expression": "SEARCH('{AWS/Firehose,DeliveryStreamName} Records', 'Sum', 60)", "id": "s1"}]]}}
    ]});
    let mut dashboards: Vec<(String, String)> =
        templates::PATTERNS.iter().map(|p| (format!("demo-{p}"), templates::body(p))).collect();
    dashboards.push(("by-hand".to_string(), hand_made.to_string()));
    for pattern in templates::PATTERNS {
        put_alarms(&cw, pattern, "IncomingRecords", Statistic::Sum, 1.0).await;
    }
    for (name, body) in &dashboards {
        cw.put_dashboard().dashboard_name(name).dashboard_body(body).send().await.expect("PutDashboard");
        let out = cloud.console(&["dashboard", "show", name, "--since", "10m", "--output", "json"]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let view = &json_of(&out)["view"];
        assert_eq!(view["calls"], 1, "{name}: one GetMetricData call per refresh");
        let body: Value = serde_json::from_str(body).unwrap();
        let widgets = view["widgets"].as_array().unwrap();
        assert_eq!(widgets.len(), body["widgets"].as_array().unwrap().len(), "{name}: every widget is shown");
        for w in widgets {
            assert_eq!(w["problems"], serde_json::json!([]), "{name}: {w:#}");
            for s in w["series"].as_array().unwrap() {
                assert!(s["label"].as_str().is_some_and(|l| !l.is_empty()), "{name}: a series without a name: {s:#}");
            }
        }
    }
    let hand = cloud.console(&["dashboard", "show", "by-hand", "--since", "10m", "--period", "60", "--output", "json"]);
    let view = &json_of(&hand)["view"];
    let rate = widget(view, "Records in and their rate");
    let per_second = rate["series"].as_array().unwrap().iter().find(|s| s["label"] == "per second").unwrap();
    assert_eq!(per_second["values"], serde_json::json!([10.0, 10.0]), "600 a minute is 10 a second");
    let found = widget(view, "Every Firehose record count");
    let mut labels: Vec<&str> =
        found["series"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap()).collect();
    labels.sort_unstable();
    assert_eq!(
        labels,
        ["demo-DeliveryStream DataReadFromKinesisStream.Records", "demo-DeliveryStream DeliveryToS3.Records"],
        "SEARCH finds both record counts"
    );
}
