//! CloudWatch alarms through the Rust SDK (RPC v2 CBOR) on the virtual clock: every missing-data
//! mode through its transitions, M of N, metric math, SetAlarmState, validation, restarts.

use crate::support;

use std::time::Duration;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::ProvideErrorMetadata;
use aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, HistoryItemType, Metric, MetricAlarm, MetricDataQuery, MetricDatum, MetricStat,
    StandardUnit, StateValue,
};
use kinesis_console::cloud::cloudwatch;

use crate::alarm_on;
use support::TestCloud;

const MIN: i64 = 60_000;

async fn client(cloud: &TestCloud) -> Client {
    Client::new(&cloud.sdk_config().await)
}

fn now(cloud: &TestCloud) -> i64 {
    cloud.cloud.ctx.clock.now_ms()
}

/// Moves the virtual clock to 1 s past the next minute boundary: one evaluation of a 60-s alarm.
fn next_minute(cloud: &TestCloud) {
    let t = now(cloud);
    let target = (t.div_euclid(MIN) + 1) * MIN + 1_000;
    cloud.advance(Duration::from_millis((target - t) as u64));
}

async fn put(cw: &Client, name: &str, value: f64, at_ms: i64) {
    let datum = MetricDatum::builder()
        .metric_name(name)
        .dimensions(Dimension::builder().name("Stream").value("s1").build())
        .timestamp(DateTime::from_millis(at_ms))
        .value(value)
        .unit(StandardUnit::Count)
        .build();
    cw.put_metric_data().namespace("Test").metric_data(datum).send().await.expect("PutMetricData");
}

async fn describe(cw: &Client, name: &str) -> MetricAlarm {
    let out = cw.describe_alarms().alarm_names(name).send().await.expect("DescribeAlarms");
    out.metric_alarms().first().cloned().unwrap_or_else(|| panic!("alarm {name} is described"))
}

async fn state(cw: &Client, name: &str) -> StateValue {
    describe(cw, name).await.state_value().cloned().expect("a state")
}

async fn state_history(cw: &Client, name: &str) -> Vec<String> {
    let out = cw
        .describe_alarm_history()
        .alarm_name(name)
        .history_item_type(HistoryItemType::StateUpdate)
        .scan_by(aws_sdk_cloudwatch::types::ScanBy::TimestampAscending)
        .send()
        .await
        .expect("DescribeAlarmHistory");
    out.alarm_history_items().iter().map(|h| h.history_summary().unwrap_or_default().to_string()).collect()
}

/// Each mode: OK on a low value, three empty periods, ALARM on a high value, three empty periods.
#[tokio::test]
async fn each_missing_data_mode_goes_through_its_transitions() {
    use StateValue::{Alarm, InsufficientData as Insufficient, Ok as Fine};
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let modes = [
        ("missing", Insufficient, Insufficient),
        ("ignore", Fine, Alarm),
        ("breaching", Alarm, Alarm),
        ("notBreaching", Fine, Fine),
    ];
    for (mode, ..) in &modes {
        alarm_on(&cw, &format!("mode-{mode}"), "Lag").treat_missing_data(*mode).send().await.expect("PutMetricAlarm");
        let created = describe(&cw, &format!("mode-{mode}")).await;
        assert_eq!(created.state_value(), Some(&Insufficient));
        assert_eq!(created.state_reason(), Some("Unchecked: Initial alarm creation"));
    }
    put(&cw, "Lag", 1.0, now(&cloud)).await;
    next_minute(&cloud);
    for (mode, ..) in &modes {
        assert_eq!(state(&cw, &format!("mode-{mode}")).await, Fine, "{mode} after a low value");
    }
    next_minute(&cloud);
    for (mode, ..) in &modes {
        assert_eq!(state(&cw, &format!("mode-{mode}")).await, Fine, "{mode}: the low value is still in range");
    }
    for _ in 0..2 {
        next_minute(&cloud);
    }
    for (mode, after_low, _) in &modes {
        assert_eq!(&state(&cw, &format!("mode-{mode}")).await, after_low, "{mode} with no data after OK");
    }
    put(&cw, "Lag", 5.0, now(&cloud)).await;
    next_minute(&cloud);
    for (mode, ..) in &modes {
        assert_eq!(state(&cw, &format!("mode-{mode}")).await, Alarm, "{mode} after a high value");
    }
    for _ in 0..3 {
        next_minute(&cloud);
    }
    for (mode, _, after_high) in &modes {
        assert_eq!(&state(&cw, &format!("mode-{mode}")).await, after_high, "{mode} with no data after ALARM");
    }
    let h = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        state_history(&cw, "mode-missing").await,
        h(&[
            "Alarm updated from INSUFFICIENT_DATA to OK",
            "Alarm updated from OK to INSUFFICIENT_DATA",
            "Alarm updated from INSUFFICIENT_DATA to ALARM",
            "Alarm updated from ALARM to INSUFFICIENT_DATA",
        ])
    );
    assert_eq!(
        state_history(&cw, "mode-ignore").await,
        h(&["Alarm updated from INSUFFICIENT_DATA to OK", "Alarm updated from OK to ALARM"])
    );
    assert_eq!(
        state_history(&cw, "mode-breaching").await,
        h(&["Alarm updated from INSUFFICIENT_DATA to OK", "Alarm updated from OK to ALARM"])
    );
    assert_eq!(
        state_history(&cw, "mode-notBreaching").await,
        h(&[
            "Alarm updated from INSUFFICIENT_DATA to OK",
            "Alarm updated from OK to ALARM",
            "Alarm updated from ALARM to OK",
        ])
    );
    let breaching = describe(&cw, "mode-breaching").await;
    assert_eq!(
        state_history(&cw, "mode-breaching").await.len(),
        2,
        "no transition when missing data keeps it in ALARM"
    );
    assert_eq!(
        breaching.state_reason(),
        Some(
            "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as \
             [Breaching]."
        )
    );
    let ignore = describe(&cw, "mode-ignore").await;
    assert!(ignore.state_reason().unwrap_or_default().starts_with("Threshold Crossed: 1 datapoint [5.0 ("));
    let missing = describe(&cw, "mode-missing").await;
    assert_eq!(missing.state_reason(), Some("Insufficient Data: 1 datapoint was unknown."));
}

#[tokio::test]
async fn m_of_n_alarms_need_m_breaching_datapoints_and_say_so() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    alarm_on(&cw, "m-of-n", "Lag")
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .treat_missing_data("notBreaching")
        .send()
        .await
        .expect("PutMetricAlarm");
    let mut states = Vec::new();
    for v in [5.0, 1.0, 5.0, 1.0, 1.0] {
        put(&cw, "Lag", v, now(&cloud)).await;
        next_minute(&cloud);
        states.push(state(&cw, "m-of-n").await);
    }
    use StateValue::{Alarm, Ok as Fine};
    assert_eq!(states, vec![Fine, Fine, Alarm, Fine, Fine]);
    let a = describe(&cw, "m-of-n").await;
    let reason = a.state_reason().unwrap_or_default();
    assert!(
        reason.starts_with("Threshold Crossed: 2 out of the last 3 datapoints [1.0 (")
            && reason.ends_with(
                "were not greater than the threshold (3.0) (minimum 2 datapoints for ALARM -> OK transition)."
            ),
        "{reason}"
    );
    let data: serde_json::Value = serde_json::from_str(a.state_reason_data().unwrap_or("{}")).expect("JSON");
    assert_eq!(data["recentDatapoints"], serde_json::json!([1.0, 5.0, 1.0]));
    assert_eq!(data["statistic"], "Maximum");
    assert_eq!(a.datapoints_to_alarm(), Some(2));
}

#[tokio::test]
async fn metric_math_alarms_watch_their_expression() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let metric = |name: &str| {
        let m = Metric::builder()
            .namespace("Test")
            .metric_name(name)
            .dimensions(Dimension::builder().name("Stream").value("s1").build())
            .build();
        MetricStat::builder().metric(m).period(60).stat("Sum").build()
    };
    let queries = vec![
        MetricDataQuery::builder().id("errors").metric_stat(metric("Errors")).return_data(false).build(),
        MetricDataQuery::builder().id("requests").metric_stat(metric("Requests")).return_data(false).build(),
        MetricDataQuery::builder().id("rate").expression("100 * errors / requests").label("Error rate").build(),
    ];
    cw.put_metric_alarm()
        .alarm_name("error-rate")
        .set_metrics(Some(queries))
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm with metrics");
    let t = now(&cloud);
    put(&cw, "Errors", 1.0, t).await;
    put(&cw, "Requests", 20.0, t).await;
    next_minute(&cloud);
    assert_eq!(state(&cw, "error-rate").await, StateValue::Ok, "5% is under 10%");
    let t = now(&cloud);
    put(&cw, "Errors", 5.0, t).await;
    put(&cw, "Requests", 20.0, t).await;
    next_minute(&cloud);
    let a = describe(&cw, "error-rate").await;
    assert_eq!(a.state_value(), Some(&StateValue::Alarm), "25% is over 10%");
    assert!(a.state_reason().unwrap_or_default().starts_with("Threshold Crossed: 1 datapoint [25.0 ("));
    assert_eq!(a.metric_name(), None);
    assert_eq!(a.metrics().len(), 3);
    assert_eq!(a.metrics()[2].expression(), Some("100 * errors / requests"));

    let bad = cw
        .put_metric_alarm()
        .alarm_name("bad-math")
        .metrics(MetricDataQuery::builder().id("e1").expression("FOO(").build())
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("an unparsable expression is refused");
    assert_eq!(bad.code(), Some("ValidationError"), "{bad:?}");
}

#[tokio::test]
async fn set_alarm_state_sets_and_validates() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    alarm_on(&cw, "manual", "Lag").send().await.expect("PutMetricAlarm");
    cw.set_alarm_state()
        .alarm_name("manual")
        .state_value(StateValue::Alarm)
        .state_reason("testing the pager")
        .state_reason_data(r#"{"source":"test"}"#)
        .send()
        .await
        .expect("SetAlarmState");
    let a = describe(&cw, "manual").await;
    assert_eq!(a.state_value(), Some(&StateValue::Alarm));
    assert_eq!(a.state_reason(), Some("testing the pager"));
    assert_eq!(a.state_reason_data(), Some(r#"{"source":"test"}"#));
    assert_eq!(state_history(&cw, "manual").await, vec!["Alarm updated from INSUFFICIENT_DATA to ALARM"]);
    let listed = cw.describe_alarms().state_value(StateValue::Alarm).send().await.expect("DescribeAlarms");
    assert_eq!(listed.metric_alarms().len(), 1);

    let bad_json = cw
        .set_alarm_state()
        .alarm_name("manual")
        .state_value(StateValue::Ok)
        .state_reason("x")
        .state_reason_data("{not json")
        .send()
        .await
        .expect_err("StateReasonData must be JSON");
    assert_eq!(bad_json.code(), Some("InvalidFormat"));
    let unknown = cw
        .set_alarm_state()
        .alarm_name("nope")
        .state_value(StateValue::Ok)
        .state_reason("x")
        .send()
        .await
        .expect_err("no such alarm");
    assert_eq!(unknown.code(), Some("ResourceNotFound"));

    // The next evaluation decides again from the data (none: INSUFFICIENT_DATA).
    next_minute(&cloud);
    assert_eq!(state(&cw, "manual").await, StateValue::InsufficientData);
}

#[tokio::test]
async fn put_metric_alarm_validates_like_aws() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    let cases: Vec<(PutMetricAlarmFluentBuilder, &str, &str)> = vec![
        (
            alarm_on(&cw, "v", "Lag").evaluation_periods(2).datapoints_to_alarm(3),
            "ValidationError",
            "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
        ),
        (alarm_on(&cw, "v", "Lag").period(20), "ValidationError", "Period must be 10, 30 or a multiple of 60"),
        (alarm_on(&cw, "v", "Lag").extended_statistic("p99"), "InvalidParameterCombination", "Statistic"),
        (alarm_on(&cw, "v", "Lag").treat_missing_data("sometimes"), "ValidationError", "TreatMissingData"),
        (
            alarm_on(&cw, "v", "Lag").comparison_operator(ComparisonOperator::GreaterThanUpperThreshold),
            "ValidationError",
            "anomaly detection",
        ),
        (alarm_on(&cw, "v", "Lag").period(60).evaluation_periods(1441), "ValidationError", "more than a day"),
        (alarm_on(&cw, "v", "Lag").alarm_actions("not-an-arn"), "ValidationError", "Invalid arn syntax"),
    ];
    for (request, code, fragment) in cases {
        let err = request.send().await.expect_err(fragment);
        assert_eq!(err.code(), Some(code), "{fragment}: {err:?}");
        assert!(err.message().unwrap_or_default().contains(fragment), "{fragment}: {:?}", err.message());
    }
    let two_returning = cw
        .put_metric_alarm()
        .alarm_name("v")
        .metrics(MetricDataQuery::builder().id("a").expression("1").build())
        .metrics(MetricDataQuery::builder().id("b").expression("2").build())
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("two queries return data");
    assert_eq!(two_returning.message(), Some("Exactly one element of the metrics list should return data."));
    let stat = |id: &str, metric: &str| {
        let metric = Metric::builder().namespace("Test").metric_name(metric).build();
        let stat = MetricStat::builder().metric(metric).period(60).stat("Sum").build();
        MetricDataQuery::builder().id(id).metric_stat(stat).return_data(false).build()
    };
    let several = cw
        .put_metric_alarm()
        .alarm_name("v")
        .metrics(stat("m1", "Lag"))
        .metrics(stat("m2", "Depth"))
        .metrics(MetricDataQuery::builder().id("all").expression("METRICS()").build())
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("an alarm watches one series");
    assert_eq!(several.code(), Some("ValidationError"));
    assert!(several.message().unwrap_or_default().contains("single time series"), "{several:?}");
    let search = cw
        .put_metric_alarm()
        .alarm_name("v")
        .metrics(
            MetricDataQuery::builder()
                .id("s")
                .expression("SUM(SEARCH('{Test} Lag', 'Maximum', 60))")
                .period(60)
                .build(),
        )
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect_err("alarms cannot search");
    assert!(search.message().unwrap_or_default().contains("SEARCH"), "{search:?}");
    let high_res = alarm_on(&cw, "high-res", "Lag").period(10).evaluation_periods(3).send().await;
    assert!(high_res.is_ok(), "10-second alarms are high-resolution alarms: {high_res:?}");
    let listed = cw.describe_alarms().send().await.expect("DescribeAlarms");
    assert_eq!(listed.metric_alarms().len(), 1, "only the valid alarm exists");
}

#[tokio::test]
async fn alarms_and_history_survive_a_restart_and_keep_evaluating() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    alarm_on(&cw, "durable", "Lag").alarm_description("survives").send().await.expect("PutMetricAlarm");
    cw.tag_resource()
        .resource_arn("arn:aws:cloudwatch:us-east-1:000000000000:alarm:durable")
        .tags(aws_sdk_cloudwatch::types::Tag::builder().key("team").value("data").build())
        .send()
        .await
        .expect("TagResource");
    put(&cw, "Lag", 9.0, now(&cloud)).await;
    next_minute(&cloud);
    assert_eq!(state(&cw, "durable").await, StateValue::Alarm);

    let before = now(&cloud);
    let cloud = cloud.restart().await;
    let cw = client(&cloud).await;
    let a = describe(&cw, "durable").await;
    assert_eq!(a.state_value(), Some(&StateValue::Alarm));
    assert_eq!(a.alarm_description(), Some("survives"));
    assert_eq!(state_history(&cw, "durable").await, vec!["Alarm updated from INSUFFICIENT_DATA to ALARM"]);
    let tags = cw
        .list_tags_for_resource()
        .resource_arn("arn:aws:cloudwatch:us-east-1:000000000000:alarm:durable")
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(tags.tags().len(), 1);

    // A restarted virtual clock starts again from the wall clock: move it past where it stood.
    let behind = before + 3 * MIN - now(&cloud);
    cloud.advance(Duration::from_millis(behind.max(0) as u64));
    put(&cw, "Lag", 1.0, now(&cloud)).await;
    next_minute(&cloud);
    assert_eq!(state(&cw, "durable").await, StateValue::Ok, "evaluation goes on after the restart");

    cw.delete_alarms().alarm_names("durable").send().await.expect("DeleteAlarms");
    let cloud = cloud.restart().await;
    let cw = client(&cloud).await;
    assert!(cw.describe_alarms().send().await.expect("DescribeAlarms").metric_alarms().is_empty());
    let config = cw
        .describe_alarm_history()
        .alarm_name("durable")
        .history_item_type(HistoryItemType::ConfigurationUpdate)
        .send()
        .await
        .expect("history outlives the alarm");
    let summaries: Vec<_> = config.alarm_history_items().iter().filter_map(|h| h.history_summary()).collect();
    assert_eq!(summaries, vec!["Alarm \"durable\" deleted", "Alarm \"durable\" created"]);
}

#[tokio::test]
async fn the_background_evaluator_follows_the_clock() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    alarm_on(&cw, "watched", "Lag").send().await.expect("PutMetricAlarm");
    put(&cw, "Lag", 7.0, now(&cloud)).await;
    let mut evaluated = cloudwatch::alarms::evaluated_through(cloud.data_dir()).expect("the alarms are live");
    next_minute(&cloud);
    // No request is made (requests evaluate too): wait for the background task to reach the new time,
    // then read the file it writes.
    let target = now(&cloud);
    let reached = tokio::time::timeout(Duration::from_secs(30), evaluated.wait_for(|t| *t >= target));
    assert!(matches!(reached.await, Ok(Ok(_))), "the background evaluator reaches the advanced clock");
    let alarms = cloudwatch::alarms::storage::file_path(cloud.data_dir());
    let text = std::fs::read_to_string(&alarms).expect("the alarms file");
    assert!(text.contains("\"StateValue\":\"ALARM\""), "the evaluator moved the alarm to ALARM");
}

#[tokio::test]
async fn describe_alarms_filters_and_pages() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    for i in 0..7 {
        alarm_on(&cw, &format!("page-{i}"), "Lag")
            .alarm_actions("arn:aws:sns:us-east-1:000000000000:pager")
            .send()
            .await
            .expect("PutMetricAlarm");
    }
    alarm_on(&cw, "other", "Lag").send().await.expect("PutMetricAlarm");
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = cw
            .describe_alarms()
            .alarm_name_prefix("page-")
            .max_records(3)
            .set_next_token(token)
            .send()
            .await
            .expect("DescribeAlarms page");
        names.extend(page.metric_alarms().iter().filter_map(|a| a.alarm_name().map(str::to_string)));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("page-{i}")).collect::<Vec<_>>());
    let by_action = cw.describe_alarms().action_prefix("arn:aws:sns:").send().await.expect("ActionPrefix");
    assert_eq!(by_action.metric_alarms().len(), 7);
    let for_metric = cw
        .describe_alarms_for_metric()
        .namespace("Test")
        .metric_name("Lag")
        .dimensions(Dimension::builder().name("Stream").value("s1").build())
        .send()
        .await
        .expect("DescribeAlarmsForMetric");
    assert_eq!(for_metric.metric_alarms().len(), 8);
    cw.disable_alarm_actions().alarm_names("other").send().await.expect("DisableAlarmActions");
    assert_eq!(describe(&cw, "other").await.actions_enabled(), Some(false));
    let bad = cw.describe_alarms().next_token("garbage").send().await.expect_err("bad token");
    assert_eq!(bad.code(), Some("InvalidNextToken"));
}

/// A p90 alarm that ignores low sample counts waits for 100 samples in a period; its twin that
/// evaluates them decides on 50.
#[tokio::test]
async fn percentile_alarms_can_wait_for_enough_samples() {
    let cloud = TestCloud::start_virtual().await;
    let cw = client(&cloud).await;
    for (name, mode) in [("p90-ignore", "ignore"), ("p90-evaluate", "evaluate")] {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("Test")
            .metric_name("Latency")
            .dimensions(Dimension::builder().name("Stream").value("s1").build())
            .extended_statistic("p90")
            .evaluate_low_sample_count_percentile(mode)
            .period(60)
            .evaluation_periods(1)
            .threshold(3.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("PutMetricAlarm");
    }
    let samples = |count: f64| {
        MetricDatum::builder()
            .metric_name("Latency")
            .dimensions(Dimension::builder().name("Stream").value("s1").build())
            .timestamp(DateTime::from_millis(now(&cloud)))
            .values(10.0)
            .counts(count)
            .build()
    };
    cw.put_metric_data().namespace("Test").metric_data(samples(50.0)).send().await.expect("PutMetricData");
    next_minute(&cloud);
    assert_eq!(state(&cw, "p90-ignore").await, StateValue::InsufficientData, "50 samples are too few for p90");
    assert_eq!(state(&cw, "p90-evaluate").await, StateValue::Alarm);

    cw.put_metric_data().namespace("Test").metric_data(samples(100.0)).send().await.expect("PutMetricData");
    next_minute(&cloud);
    assert_eq!(state(&cw, "p90-ignore").await, StateValue::Alarm, "100 samples are enough");
}
