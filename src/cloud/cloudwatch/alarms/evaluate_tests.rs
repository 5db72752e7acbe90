use super::*;
use crate::cloud::cloudwatch::alarms::put::PutMetricAlarmInput;

const MIN: i64 = 60_000;
/// 2026-11-25 20:10:00 UTC.
const T0: i64 = 1_795_637_400_000;

fn alarm(n: i64, m: Option<i64>, missing: &str) -> MetricAlarm {
    let input = PutMetricAlarmInput {
        alarm_name: Some("a".into()),
        metric_name: Some("M".into()),
        namespace: Some("NS".into()),
        statistic: Some("Maximum".into()),
        period: Some(60),
        evaluation_periods: Some(n),
        datapoints_to_alarm: m,
        threshold: Some(3.0),
        comparison_operator: Some("GreaterThanThreshold".into()),
        treat_missing_data: Some(missing.into()),
        ..PutMetricAlarmInput::default()
    };
    input.into_alarm("arn:aws:cloudwatch:us-east-1:000000000000:alarm:", T0).unwrap()
}

/// Points from a pattern over the evaluation range, oldest first, AWS-table style:
/// `X` breaching (5.0), `0` not breaching (1.0), `-` missing. The last char is the newest period.
fn points(pattern: &str, at: i64) -> Vec<(i64, f64)> {
    let n = pattern.chars().count() as i64;
    pattern
        .chars()
        .enumerate()
        .filter_map(|(i, c)| {
            let t = at - (n - i as i64) * MIN;
            match c {
                'X' => Some((t, 5.0)),
                '0' => Some((t, 1.0)),
                _ => None,
            }
        })
        .collect()
}

fn decide(a: &MetricAlarm, current: StateValue, pattern: &str) -> Option<StateValue> {
    let at = T0 + 10 * MIN;
    Evaluation { alarm: a, current, at_ms: at, points: points(pattern, at), sample_counts: vec![] }
        .decide()
        .map(|v| v.state)
}

use StateValue::{Alarm, InsufficientData as Insufficient, Ok as Fine};

/// The AWS table for 3 of 3 (evaluation range of five periods), every missing-data mode.
#[test]
fn three_of_three_follows_the_aws_table() {
    let rows: [(&str, [Option<StateValue>; 4]); 5] = [
        ("0-X-X", [Some(Fine), Some(Fine), Some(Fine), Some(Fine)]),
        ("----0", [Some(Fine), Some(Fine), Some(Fine), Some(Fine)]),
        ("-----", [Some(Insufficient), None, Some(Alarm), Some(Fine)]),
        ("0XX-X", [Some(Alarm), Some(Alarm), Some(Alarm), Some(Alarm)]),
        ("--X--", [Some(Alarm), None, Some(Alarm), Some(Fine)]),
    ];
    for (pattern, expected) in rows {
        for (mode, want) in ["missing", "ignore", "breaching", "notBreaching"].iter().zip(expected) {
            let a = alarm(3, None, mode);
            assert_eq!(decide(&a, Fine, pattern), want, "pattern {pattern} mode {mode}");
        }
    }
}

#[test]
fn m_of_n_needs_m_breaching_among_the_newest_n() {
    let a = alarm(3, Some(2), "missing");
    assert_eq!(decide(&a, Fine, "00X0X"), Some(Alarm));
    assert_eq!(decide(&a, Fine, "XX00X"), Some(Fine));
    assert_eq!(decide(&a, Fine, "0X0X0"), Some(Fine), "the newest three are 0 X 0");
}

#[test]
fn reasons_name_the_deciding_datapoints_like_aws() {
    let a = alarm(3, Some(2), "missing");
    let at = T0 + 10 * MIN;
    let v = Evaluation { alarm: &a, current: Fine, at_ms: at, points: points("00X0X", at), sample_counts: vec![] }
        .decide()
        .unwrap();
    assert_eq!(
        v.reason,
        "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (25/11/26 20:19:00), 5.0 (25/11/26 20:17:00)] were \
         greater than the threshold (3.0) (minimum 2 datapoints for OK -> ALARM transition)."
    );
    let data: serde_json::Value = serde_json::from_str(&v.reason_data).unwrap();
    assert_eq!(data["version"], "1.0");
    assert_eq!(data["statistic"], "Maximum");
    assert_eq!(data["period"], 60);
    assert_eq!(data["threshold"], 3.0);
    assert_eq!(data["recentDatapoints"], serde_json::json!([5.0, 1.0, 5.0]));
    assert_eq!(data["queryDate"], "2026-11-25T20:20:00.000+0000");
    assert_eq!(data["startDate"], "2026-11-25T20:17:00.000+0000");

    let one = alarm(1, None, "missing");
    let v = Evaluation { alarm: &one, current: Alarm, at_ms: at, points: points("0", at), sample_counts: vec![] }
        .decide()
        .unwrap();
    assert_eq!(
        v.reason,
        "Threshold Crossed: 1 datapoint [1.0 (25/11/26 20:19:00)] was not greater than the threshold (3.0)."
    );

    let v =
        Evaluation { alarm: &one, current: Fine, at_ms: at, points: vec![], sample_counts: vec![] }.decide().unwrap();
    assert_eq!(v.reason, "Insufficient Data: 1 datapoint was unknown.");
    let breaching = alarm(2, None, "breaching");
    let v = Evaluation { alarm: &breaching, current: Fine, at_ms: at, points: vec![], sample_counts: vec![] }
        .decide()
        .unwrap();
    assert_eq!(
        v.reason,
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching]."
    );
}

#[test]
fn numbers_and_times_print_like_cloudwatch() {
    assert_eq!(java_double(3.0), "3.0");
    assert_eq!(java_double(38.958), "38.958");
    assert_eq!(reason_time(T0), "25/11/26 20:10:00");
    assert_eq!(iso_time(T0 + 419), "2026-11-25T20:10:00.419+0000");
}

fn percentile_alarm(stat: &str, low_samples: &str) -> MetricAlarm {
    let input = PutMetricAlarmInput {
        alarm_name: Some("p".into()),
        metric_name: Some("M".into()),
        namespace: Some("NS".into()),
        extended_statistic: Some(stat.into()),
        evaluate_low_sample_count_percentile: Some(low_samples.into()),
        period: Some(60),
        evaluation_periods: Some(1),
        threshold: Some(3.0),
        comparison_operator: Some("GreaterThanThreshold".into()),
        ..PutMetricAlarmInput::default()
    };
    input.into_alarm("arn:aws:cloudwatch:us-east-1:000000000000:alarm:", T0).unwrap()
}

#[test]
fn percentile_alarms_can_ignore_periods_with_too_few_samples() {
    let minimum = |stat, mode| percentile_alarm(stat, mode).low_sample_minimum();
    assert_eq!(minimum("p99", "ignore").map(f64::round), Some(1000.0));
    assert_eq!(minimum("p90", "ignore").map(f64::round), Some(100.0));
    assert_eq!(minimum("p50", "ignore"), Some(20.0));
    assert_eq!(minimum("p10", "ignore").map(f64::round), Some(100.0));
    assert_eq!(minimum("p99", "evaluate"), None);

    let at = T0 + 10 * MIN;
    let newest = at - MIN;
    let decide = |stat, mode, samples: f64| {
        let a = percentile_alarm(stat, mode);
        let points = vec![(newest, 5.0)];
        Evaluation { alarm: &a, current: Fine, at_ms: at, points, sample_counts: vec![(newest, samples)] }
            .decide()
            .map(|v| v.state)
    };
    assert_eq!(decide("p90", "ignore", 99.0), None, "99 samples are too few for p90: the state holds");
    assert_eq!(decide("p90", "ignore", 100.0), Some(Alarm));
    assert_eq!(decide("p90", "evaluate", 1.0), Some(Alarm), "evaluate decides on any sample count");
}
