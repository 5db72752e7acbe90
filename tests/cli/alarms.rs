//! Alarms through the aws CLI (awsJson 1.0), and the `alarms` and `metrics` subcommands run as
//! processes against a local cloud through `--endpoint-url`.

use crate::support;

use std::process::Output;
use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use kinesis_console::cloud::metric_sink::{Datum, Sample};
use serde_json::{Value, json};
use support::TestCloud;

const MIN: i64 = 60_000;

fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms / 1000).expect("valid time");
    t.format(&time::format_description::well_known::Rfc3339).expect("formats")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_puts_and_describes_alarms() {
    let cloud = TestCloud::start_virtual().await;
    let Some(put) = cloud.aws_json(&[
        "cloudwatch",
        "put-metric-alarm",
        "--alarm-name",
        "cli-lag",
        "--alarm-description",
        "consumer falling behind",
        "--namespace",
        "Test",
        "--metric-name",
        "Lag",
        "--dimensions",
        "Name=Stream,Value=s1",
        "--statistic",
        "Maximum",
        "--period",
        "60",
        "--evaluation-periods",
        "3",
        "--datapoints-to-alarm",
        "2",
        "--threshold",
        "3",
        "--comparison-operator",
        "GreaterThanThreshold",
        "--treat-missing-data",
        "notBreaching",
        "--alarm-actions",
        "arn:aws:sns:us-east-1:000000000000:pager",
    ]) else {
        return;
    };
    assert_eq!(put, Value::Null, "PutMetricAlarm prints nothing");
    let described = cloud.aws_json(&["cloudwatch", "describe-alarms", "--alarm-names", "cli-lag"]).expect("aws");
    assert_eq!(described["CompositeAlarms"], json!([]));
    let a = &described["MetricAlarms"][0];
    assert_eq!(a["AlarmName"], "cli-lag");
    assert_eq!(a["AlarmArn"], "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cli-lag");
    assert_eq!(a["AlarmDescription"], "consumer falling behind");
    assert_eq!(a["StateValue"], "INSUFFICIENT_DATA");
    assert_eq!(a["StateReason"], "Unchecked: Initial alarm creation");
    assert_eq!(a["Threshold"], 3.0);
    assert_eq!(a["EvaluationPeriods"], 3);
    assert_eq!(a["DatapointsToAlarm"], 2);
    assert_eq!(a["Period"], 60);
    assert_eq!(a["Dimensions"], json!([{"Name": "Stream", "Value": "s1"}]));
    assert_eq!(a["AlarmActions"], json!(["arn:aws:sns:us-east-1:000000000000:pager"]));
    assert_eq!(a["ActionsEnabled"], true);
    assert_eq!(a["TreatMissingData"], "notBreaching");
    for ts in ["StateUpdatedTimestamp", "AlarmConfigurationUpdatedTimestamp", "StateTransitionedTimestamp"] {
        // The CLI prints what the wire carried (epoch seconds) unless told to format timestamps.
        let epoch = a[ts].as_f64().is_some_and(|t| t > 1e9);
        assert!(epoch || a[ts].as_str().is_some_and(|s| s.contains('T')), "{ts} is a timestamp: {}", a[ts]);
    }

    let now = cloud.cloud.ctx.clock.now_ms();
    for (i, v) in [5.0, 7.0].iter().enumerate() {
        let at = now - now.rem_euclid(MIN) - i as i64 * MIN;
        let data = json!([{"MetricName": "Lag", "Dimensions": [{"Name": "Stream", "Value": "s1"}],
                           "Timestamp": iso(at), "Value": v}]);
        cloud
            .aws_json(&["cloudwatch", "put-metric-data", "--namespace", "Test", "--metric-data", &data.to_string()])
            .expect("aws");
    }
    cloud.advance(Duration::from_millis((MIN - now.rem_euclid(MIN) + 1_000) as u64));
    let described = cloud.aws_json(&["cloudwatch", "describe-alarms", "--state-value", "ALARM"]).expect("aws");
    let a = &described["MetricAlarms"][0];
    assert_eq!(a["StateValue"], "ALARM", "{described}");
    let reason = a["StateReason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("Threshold Crossed: 2 out of the last 3 datapoints [5.0 ("), "{reason}");
    let data: Value = serde_json::from_str(a["StateReasonData"].as_str().unwrap_or("{}")).expect("JSON");
    assert_eq!(data["threshold"], 3.0);

    let history = cloud
        .aws_json(&[
            "cloudwatch",
            "describe-alarm-history",
            "--alarm-name",
            "cli-lag",
            "--history-item-type",
            "StateUpdate",
        ])
        .expect("aws");
    let item = &history["AlarmHistoryItems"][0];
    assert_eq!(item["HistorySummary"], "Alarm updated from INSUFFICIENT_DATA to ALARM");
    assert_eq!(item["AlarmType"], "MetricAlarm");
    let data: Value = serde_json::from_str(item["HistoryData"].as_str().unwrap_or("{}")).expect("JSON");
    assert_eq!(data["oldState"]["stateValue"], "INSUFFICIENT_DATA");
    assert_eq!(data["newState"]["stateValue"], "ALARM");
    assert_eq!(data["newState"]["stateReasonData"]["period"], 60);

    let refused = cloud
        .aws(&[
            "cloudwatch",
            "put-metric-alarm",
            "--alarm-name",
            "bad",
            "--namespace",
            "Test",
            "--metric-name",
            "Lag",
            "--statistic",
            "Maximum",
            "--period",
            "60",
            "--evaluation-periods",
            "1",
            "--datapoints-to-alarm",
            "2",
            "--threshold",
            "3",
            "--comparison-operator",
            "GreaterThanThreshold",
        ])
        .expect("aws");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("ValidationError") && stderr.contains("DatapointsToAlarm must be less than or equal"),
        "{stderr}"
    );
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarms_command_lists_states_as_a_table_and_as_json() {
    let cloud = TestCloud::start_virtual().await;
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    for name in ["ingest-throttled", "ingest-lag", "other"] {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Kinesis")
            .metric_name("WriteProvisionedThroughputExceeded")
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .threshold(0.0)
            .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("PutMetricAlarm");
    }
    cw.set_alarm_state()
        .alarm_name("ingest-throttled")
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 1 datapoint [4.0 (25/11/26 20:10:00)] was greater than the threshold (0.0).")
        .send()
        .await
        .expect("SetAlarmState");

    let json: Value = serde_json::from_str(&stdout_of(&cloud.console(&["--output", "json", "alarms"]))).expect("JSON");
    let names: Vec<&str> =
        json["alarms"].as_array().expect("alarms").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, vec!["ingest-lag", "ingest-throttled", "other"]);

    let only_alarm = cloud.console(&["--output", "json", "alarms", "--state", "ALARM", "--prefix", "ingest-"]);
    let json: Value = serde_json::from_str(&stdout_of(&only_alarm)).expect("JSON");
    let alarms = json["alarms"].as_array().expect("alarms");
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0]["name"], "ingest-throttled");
    assert_eq!(alarms[0]["state"], "ALARM");
    assert!(alarms[0]["since"].as_str().is_some_and(|s| s.ends_with('Z')));

    let text = stdout_of(&cloud.console(&["alarms", "--prefix", "ingest-"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("STATE") && lines[0].contains("REASON"), "{text}");
    assert!(lines[1].starts_with("ingest-lag") && lines[1].contains("INSUFFICIENT_DATA"), "{text}");
    assert!(
        lines[2].starts_with("ingest-throttled")
            && lines[2].contains("ALARM")
            && lines[2].ends_with("Threshold Crossed: 1 datapoint was greater than the threshold (0.0)."),
        "{text}"
    );
    assert_eq!(lines.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_command_shows_a_streams_figures_per_period() {
    let cloud = TestCloud::start().await;
    let now = cloud.cloud.ctx.clock.now_ms();
    let datum = |name: &str, unit: &str, at: i64, v: f64| Datum {
        namespace: "AWS/Kinesis".into(),
        name: name.into(),
        dimensions: vec![("StreamName".into(), "ticker".into())],
        unit: unit.into(),
        timestamp_ms: at,
        sample: Sample::Value(v),
    };
    let mut datums = Vec::new();
    for s in 1..=30 {
        let at = now - 120_000 + s * 1_000;
        datums.push(datum("IncomingRecords", "Count", at, 10.0));
        datums.push(datum("IncomingBytes", "Bytes", at, 1_000.0));
        datums.push(datum("GetRecords.IteratorAgeMilliseconds", "Milliseconds", at, (s * 100) as f64));
    }
    datums.push(datum("WriteProvisionedThroughputExceeded", "Count", now - 60_000, 4.0));
    datums.push(datum("IncomingRecords", "Count", now - 60_000, 5.0));
    cloud.cloud.ctx.metric_publisher.publish(datums);

    let out = cloud.console(&["--output", "json", "metrics", "--stream", "ticker", "--since", "15m"]);
    let json: Value = serde_json::from_str(&stdout_of(&out)).expect("JSON");
    assert_eq!(json["period_seconds"], 10);
    assert_eq!(json["namespace"], "AWS/Kinesis");
    let rows = json["rows"].as_array().expect("rows");
    assert!((90..=91).contains(&rows.len()), "a 15-minute view in 10-second periods: {}", rows.len());
    let sum = |name: &str| rows.iter().filter_map(|r| r[name].as_f64()).sum::<f64>();
    assert_eq!(sum("IncomingRecords"), 305.0);
    assert_eq!(sum("IncomingBytes"), 30_000.0);
    assert_eq!(sum("WriteProvisionedThroughputExceeded"), 4.0);
    let age_max = rows.iter().filter_map(|r| r["GetRecords.IteratorAgeMilliseconds"].as_f64()).fold(0.0, f64::max);
    assert_eq!(age_max, 3_000.0);

    let text = stdout_of(&cloud.console(&["metrics", "--stream", "ticker", "--since", "15m"]));
    assert!(text.starts_with("stream ticker (AWS/Kinesis), 10-second periods"), "{text}");
    assert!(text.lines().nth(1).is_some_and(|l| l.contains("IN RECORDS") && l.contains("ITERATOR AGE MAX")), "{text}");
}
