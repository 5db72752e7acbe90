//! CloudWatch metric alarms as the CLI lists them and the UI's alarms view draws them: each alarm's
//! state, since when and why, and one alarm's history.

use anyhow::Context as _;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{HistoryItemType, MetricAlarm, StateValue};
use serde::Serialize;

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

/// One alarm with its recent history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmDetail {
    pub alarm: AlarmRow,
    pub history: Vec<HistoryEntry>,
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
    Ok(AlarmDetail { alarm, history })
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
    use super::reason_summary;

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
