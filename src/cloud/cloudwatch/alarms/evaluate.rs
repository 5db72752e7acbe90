//! Deciding an alarm's state from the datapoints of its evaluation range, as CloudWatch documents it
//! ("Evaluating an alarm", "Configuring how CloudWatch alarms treat missing data"):
//!
//! - The evaluation range holds more periods than EvaluationPeriods (N), so late or sparse data still
//!   counts. With at least N real datapoints in it, the newest N decide and missing data plays no part.
//! - With fewer, the missing ones are filled as TreatMissingData says, using as few fills as possible:
//!   `breaching`/`notBreaching` count them as such; `missing` judges the real points alone; `ignore`
//!   changes state only when the real points decide it whatever the missing ones would have been.
//! - With none at all: `missing` goes to INSUFFICIENT_DATA, `ignore` keeps the state.
//! - A percentile alarm with EvaluateLowSampleCountPercentile `ignore` keeps its state while its newest
//!   datapoint comes from too few samples.
//!
//! The alarm goes to ALARM when at least M (DatapointsToAlarm) of the N are breaching, else to OK.

use serde_json::json;

use super::model::{MetricAlarm, MissingData, StateValue};
use crate::cloud::cloudwatch::model::QueryResult;

/// Extra periods fetched beyond EvaluationPeriods.
pub const EXTRA_PERIODS: i64 = 2;

/// The periods one evaluation at `at_ms` looks at: `[start, at)`.
pub fn evaluation_range(alarm: &MetricAlarm, at_ms: i64) -> (i64, i64) {
    let period_ms = alarm.evaluation_period() * 1000;
    (at_ms - (alarm.evaluation_periods + EXTRA_PERIODS) * period_ms, at_ms)
}

/// What an evaluation decided: a state with the reason AWS would give, or nothing (keep the state).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub state: StateValue,
    pub reason: String,
    pub reason_data: String,
}

pub struct Evaluation<'a> {
    pub alarm: &'a MetricAlarm,
    pub current: StateValue,
    pub at_ms: i64,
    /// The alarm's series over the evaluation range, ascending.
    pub points: Vec<(i64, f64)>,
    /// Samples per period, read only for percentile alarms that ignore periods with too few.
    pub sample_counts: Vec<(i64, f64)>,
}

/// The datapoints of the query that returns data (the alarm's own series).
pub fn alarm_points(results: &[QueryResult], returned_id: &str, range: (i64, i64)) -> Vec<(i64, f64)> {
    let Some(r) = results.iter().find(|r| r.id == returned_id) else {
        return Vec::new();
    };
    let mut points: Vec<(i64, f64)> = r
        .timestamps_ms
        .iter()
        .copied()
        .zip(r.values.iter().copied())
        .filter(|(t, v)| *t >= range.0 && *t < range.1 && v.is_finite())
        .collect();
    points.sort_by_key(|(t, _)| *t);
    points
}

impl Evaluation<'_> {
    pub fn decide(&self) -> Option<Verdict> {
        let n = self.alarm.evaluation_periods.max(1) as usize;
        let m = self.alarm.datapoints_to_alarm().clamp(1, n as i64) as usize;
        let window: Vec<(i64, f64)> = self.points.iter().rev().take(n).copied().collect();
        let breaching = window.iter().filter(|(_, v)| self.breaches(*v)).count();
        let fills = n - window.len();
        if window.is_empty() {
            return self.all_missing(n, m);
        }
        if self.too_few_samples(window[0].0) {
            return None;
        }
        let to_alarm = match self.alarm.missing_data() {
            _ if fills == 0 => breaching >= m,
            MissingData::Breaching => breaching + fills >= m,
            MissingData::NotBreaching => breaching >= m,
            MissingData::Missing => breaching >= m.min(window.len()),
            MissingData::Ignore if breaching >= m => true,
            MissingData::Ignore if breaching + fills < m => false,
            MissingData::Ignore => return None,
        };
        let fill_word = match self.alarm.missing_data() {
            MissingData::Breaching if fills > 0 => Some("Breaching"),
            MissingData::NotBreaching if fills > 0 => Some("NonBreaching"),
            _ => None,
        };
        let state = if to_alarm { StateValue::Alarm } else { StateValue::Ok };
        let reason = self.threshold_reason(&window, n, m, state, fill_word.map(|w| (fills, w)));
        Some(Verdict { state, reason, reason_data: self.reason_data(&window) })
    }

    /// A percentile alarm set to ignore low sample counts keeps its state while its newest period
    /// holds too few samples to be statistically significant.
    fn too_few_samples(&self, period_ms: i64) -> bool {
        let Some(minimum) = self.alarm.low_sample_minimum() else { return false };
        let samples = self.sample_counts.iter().find(|(t, _)| *t == period_ms).map_or(0.0, |(_, c)| *c);
        samples < minimum
    }

    fn breaches(&self, v: f64) -> bool {
        self.alarm.comparison().breaches(v, self.alarm.threshold)
    }

    fn all_missing(&self, n: usize, m: usize) -> Option<Verdict> {
        let (state, word) = match self.alarm.missing_data() {
            MissingData::Ignore => return None,
            MissingData::Missing => {
                let reason = format!("Insufficient Data: {} {} unknown.", plural(n, "datapoint"), was(n));
                return Some(Verdict {
                    state: StateValue::InsufficientData,
                    reason,
                    reason_data: self.reason_data(&[]),
                });
            }
            MissingData::Breaching if n >= m => (StateValue::Alarm, "Breaching"),
            MissingData::Breaching | MissingData::NotBreaching => (StateValue::Ok, "NonBreaching"),
        };
        let reason = format!(
            "Threshold Crossed: no datapoints were received for {} and {} missing {} {} treated as [{word}].",
            plural(n, "period"),
            n,
            if n == 1 { "datapoint" } else { "datapoints" },
            was(n),
        );
        Some(Verdict { state, reason, reason_data: self.reason_data(&[]) })
    }

    /// "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (25/11/26 20:10:00), …] were greater
    /// than the threshold (3.0) (minimum 2 datapoints for OK -> ALARM transition)."
    fn threshold_reason(
        &self,
        window: &[(i64, f64)],
        n: usize,
        m: usize,
        state: StateValue,
        filled: Option<(usize, &str)>,
    ) -> String {
        let to_alarm = state == StateValue::Alarm;
        let shown: Vec<(i64, f64)> = window.iter().filter(|(_, v)| self.breaches(*v) == to_alarm).copied().collect();
        let list = shown.iter().map(|(t, v)| format!("{} ({})", java_double(*v), reason_time(*t))).collect::<Vec<_>>();
        let count = shown.len();
        let not = if to_alarm { "" } else { "not " };
        let words = self.alarm.comparison().words();
        let threshold = java_double(self.alarm.threshold);
        let head = if m == n && filled.is_none() {
            format!("{} [{}] {}", plural(count, "datapoint"), list.join(", "), was(count))
        } else {
            format!("{count} out of the last {n} datapoints [{}] {}", list.join(", "), was(count))
        };
        let mut reason = format!("Threshold Crossed: {head} {not}{words} the threshold ({threshold})");
        if let Some((fills, word)) = filled {
            reason.push_str(&format!(" and {fills} missing {} {} treated as [{word}]", dp(fills), was(fills)));
        }
        if m != n || filled.is_some() {
            let needed = if to_alarm { m } else { n - m + 1 };
            let from = self.current.as_str();
            reason.push_str(&format!(" (minimum {needed} {} for {from} -> {} transition)", dp(needed), state.as_str()));
        }
        reason.push('.');
        reason
    }

    /// StateReasonData as AWS writes it: what was queried, and the datapoints that decided.
    fn reason_data(&self, window: &[(i64, f64)]) -> String {
        let (start, _) = evaluation_range(self.alarm, self.at_ms);
        let mut data = json!({
            "version": "1.0",
            "queryDate": iso_time(self.at_ms),
            "startDate": iso_time(window.last().map_or(start, |(t, _)| *t)),
            "period": self.alarm.evaluation_period(),
            "recentDatapoints": window.iter().rev().map(|(_, v)| *v).collect::<Vec<f64>>(),
            "threshold": self.alarm.threshold,
            "evaluatedDatapoints": window.iter().map(|(t, v)| json!({"timestamp": iso_time(*t), "value": v})).collect::<Vec<_>>(),
        });
        if let (Some(stat), Some(map)) = (self.alarm.stat_name(), data.as_object_mut()) {
            map.insert("statistic".into(), stat.into());
            if let Some(unit) = &self.alarm.unit {
                map.insert("unit".into(), unit.clone().into());
            }
        }
        data.to_string()
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn dp(n: usize) -> &'static str {
    if n == 1 { "datapoint" } else { "datapoints" }
}

fn was(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

/// Numbers as CloudWatch's reasons print them (Java's `Double.toString`): `3.0`, `38.958`.
pub fn java_double(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e7 { format!("{v:.1}") } else { format!("{v}") }
}

/// `dd/MM/yy HH:mm:ss` in UTC, as in state reasons.
pub fn reason_time(ms: i64) -> String {
    format_time(ms, time::macros::format_description!("[day]/[month]/[year repr:last_two] [hour]:[minute]:[second]"))
}

/// `2026-11-25T20:10:00.000+0000`, as in StateReasonData and history data.
pub fn iso_time(ms: i64) -> String {
    format_time(
        ms,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"),
    )
}

fn format_time(ms: i64, format: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
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

        let v = Evaluation { alarm: &one, current: Fine, at_ms: at, points: vec![], sample_counts: vec![] }
            .decide()
            .unwrap();
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
}
