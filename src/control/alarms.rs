//! CloudWatch metric alarms as the CLI lists them and the UI's alarms view draws them: each alarm's
//! state, since when and why, and one alarm's history.

use anyhow::Context as _;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{HistoryItemType, MetricAlarm, StateValue};
use serde::Serialize;

use super::dashboard::fetch::run_call;
use super::dashboard::metric::MetricSpec;
use super::dashboard::plan::{Query, QueryBody, TimeRange};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmRow {
    pub name: String,
    pub state: String,
    /// When the state last changed (milliseconds since the epoch).
    pub since_ms: Option<i64>,
    pub reason: Option<String>,
    pub metric: Option<String>,
    pub namespace: Option<String>,
    pub dimensions: Vec<(String, String)>,
    pub statistic: Option<String>,
    pub period: Option<i32>,
    pub threshold: Option<f64>,
    pub comparison: Option<String>,
    pub actions_enabled: Option<bool>,
}

impl From<&MetricAlarm> for AlarmRow {
    fn from(a: &MetricAlarm) -> Self {
        let since = a.state_transitioned_timestamp().or(a.state_updated_timestamp());
        AlarmRow {
            name: a.alarm_name().unwrap_or_default().to_string(),
            state: a.state_value().map_or("INSUFFICIENT_DATA", |s| s.as_str()).to_string(),
            since_ms: since.and_then(|t| t.to_millis().ok()),
            reason: a.state_reason().map(str::to_string),
            metric: a.metric_name().map(str::to_string),
            namespace: a.namespace().map(str::to_string),
            dimensions: a
                .dimensions()
                .iter()
                .map(|d| (d.name().unwrap_or_default().to_string(), d.value().unwrap_or_default().to_string()))
                .collect(),
            statistic: a.statistic().map(|s| s.as_str().to_string()).or(a.extended_statistic().map(str::to_string)),
            period: a.period(),
            threshold: a.threshold(),
            comparison: a.comparison_operator().map(|c| c.as_str().to_string()),
            actions_enabled: a.actions_enabled(),
        }
    }
}

/// Which alarms to list.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    pub state: Option<StateValue>,
    pub prefix: Option<String>,
}

/// Every metric alarm the filter keeps, in DescribeAlarms' order (by name).
pub async fn list(client: &Client, filter: &AlarmFilter) -> anyhow::Result<Vec<AlarmRow>> {
    let mut pages = client
        .describe_alarms()
        .set_state_value(filter.state.clone())
        .set_alarm_name_prefix(filter.prefix.clone())
        .into_paginator()
        .send();
    let mut rows = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_sdk_cloudwatch::Error::from).context("DescribeAlarms failed")?;
        rows.extend(page.metric_alarms().iter().map(AlarmRow::from));
    }
    Ok(rows)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub timestamp_ms: i64,
    pub kind: String,
    pub summary: String,
}

/// One alarm with its recent history, newest first, and the metric it watches.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmDetail {
    pub alarm: AlarmRow,
    pub history: Vec<HistoryEntry>,
    /// The watched metric at the alarm's own statistic and period, or why it cannot be drawn.
    pub metric: Result<AlarmMetric, String>,
}

/// The values an alarm compares with its threshold, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmMetric {
    pub range: TimeRange,
    pub period_secs: i64,
    pub timestamps_ms: Vec<i64>,
    pub values: Vec<f64>,
}

/// How much of the metric the alarm view draws: 120 of the alarm's periods, at least 15 minutes,
/// at most the history's range.
pub fn metric_range_secs(period_secs: i64, range_secs: i64) -> i64 {
    (period_secs.max(1) * 120).max(900).min(range_secs.max(1))
}

/// The one query for an alarm's metric; None for an alarm on metric math or an anomaly band.
pub fn metric_query(alarm: &AlarmRow) -> Option<Query> {
    let spec = MetricSpec {
        namespace: alarm.namespace.clone()?,
        metric_name: alarm.metric.clone()?,
        dimensions: alarm.dimensions.clone(),
        stat: alarm.statistic.clone()?,
        period: i64::from(alarm.period?),
    };
    Some(Query {
        id: "m0".to_string(),
        body: QueryBody::Metric(spec),
        label: None,
        return_data: true,
        region: None,
        account_id: None,
    })
}

async fn alarm_metric(client: &Client, alarm: &AlarmRow, end_ms: i64, range_secs: i64) -> Result<AlarmMetric, String> {
    let query = metric_query(alarm)
        .ok_or_else(|| format!("alarm {} watches metric math, not one metric: nothing to draw", alarm.name))?;
    let period_secs = alarm.period.map_or(60, i64::from);
    let range = TimeRange::last(metric_range_secs(period_secs, range_secs), end_ms);
    let results = run_call(client, range, std::slice::from_ref(&query))
        .await
        .map_err(|e| format!("reading the metric of alarm {}: {e:#}", alarm.name))?;
    let mut points: Vec<(i64, f64)> =
        results.iter().flat_map(|r| r.timestamps_ms.iter().copied().zip(r.values.iter().copied())).collect();
    points.sort_by_key(|p| p.0);
    Ok(AlarmMetric {
        range,
        period_secs,
        timestamps_ms: points.iter().map(|p| p.0).collect(),
        values: points.iter().map(|p| p.1).collect(),
    })
}

/// The alarm `name` and its history over the last `range_secs` before `end_ms`.
pub async fn detail(client: &Client, name: &str, end_ms: i64, range_secs: i64) -> anyhow::Result<AlarmDetail> {
    let out = client
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(aws_sdk_cloudwatch::Error::from)
        .with_context(|| format!("DescribeAlarms {name} failed"))?;
    let alarm =
        out.metric_alarms().first().map(AlarmRow::from).with_context(|| format!("alarm {name} does not exist"))?;
    let start = aws_sdk_cloudwatch::primitives::DateTime::from_millis(end_ms - range_secs * 1000);
    let history = client
        .describe_alarm_history()
        .alarm_name(name)
        .start_date(start)
        .end_date(aws_sdk_cloudwatch::primitives::DateTime::from_millis(end_ms))
        .history_item_type(HistoryItemType::StateUpdate)
        .max_records(100)
        .send()
        .await
        .map_err(aws_sdk_cloudwatch::Error::from)
        .with_context(|| format!("DescribeAlarmHistory {name} failed"))?;
    let history = history
        .alarm_history_items()
        .iter()
        .map(|h| HistoryEntry {
            timestamp_ms: h.timestamp().and_then(|t| t.to_millis().ok()).unwrap_or_default(),
            kind: h.history_item_type().map(|k| k.as_str().to_string()).unwrap_or_default(),
            summary: h.history_summary().unwrap_or_default().to_string(),
        })
        .collect();
    let metric = alarm_metric(client, &alarm, end_ms, range_secs).await;
    Ok(AlarmDetail { alarm, history, metric })
}

/// A state reason without its list of datapoints and transition note, to fit a table cell.
pub fn reason_summary(reason: &str) -> String {
    let mut s = reason.to_string();
    if let (Some(open), Some(close)) = (s.find(" ["), s.find("] "))
        && open < close
    {
        s.replace_range(open..close + 1, "");
    }
    if let Some(i) = s.find(" (minimum ") {
        s.truncate(i);
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metric_drawn_is_the_alarms_own_statistic_and_period() {
        let alarm = AlarmRow {
            name: "orders-iterator-age".into(),
            state: "OK".into(),
            since_ms: None,
            reason: None,
            metric: Some("GetRecords.IteratorAgeMilliseconds".into()),
            namespace: Some("AWS/Kinesis".into()),
            dimensions: vec![("StreamName".into(), "orders".into())],
            statistic: Some("Maximum".into()),
            period: Some(60),
            threshold: Some(60_000.0),
            comparison: Some("GreaterThanThreshold".into()),
            actions_enabled: Some(true),
        };
        let Some(Query { body: QueryBody::Metric(spec), .. }) = metric_query(&alarm) else {
            panic!("a single-metric alarm has a query")
        };
        assert_eq!((spec.stat.as_str(), spec.period), ("Maximum", 60));
        assert_eq!(metric_query(&AlarmRow { metric: None, ..alarm }), None, "metric math has no single query");
        assert_eq!(metric_range_secs(60, 86_400), 7_200);
        assert_eq!(metric_range_secs(1, 86_400), 900);
        assert_eq!(metric_range_secs(300, 3_600), 3_600);
    }

    #[test]
    fn summaries_drop_the_datapoints_and_the_transition_note() {
        let reason = "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (25/11/26 20:10:00), 4.0 (25/11/26 \
                      20:09:00)] were greater than the threshold (3.0) (minimum 2 datapoints for OK -> ALARM transition).";
        assert_eq!(
            reason_summary(reason),
            "Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (3.0)."
        );
        assert_eq!(reason_summary("Unchecked: Initial alarm creation"), "Unchecked: Initial alarm creation");
    }
}
