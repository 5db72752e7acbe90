//! `kinesis-console alarms [--state S] [--prefix P]`: every CloudWatch metric alarm, its state,
//! since when, and why.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use aws_sdk_cloudwatch::types::StateValue;
use serde_json::{Value, json};

use super::output::emit;
use crate::cli::{AlarmState, AlarmsArgs, GlobalArgs};
use crate::paths::Paths;
use crate::target::connect;

pub async fn run(args: AlarmsArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = connect(global.target(paths)).await?;
    let client = aws_sdk_cloudwatch::Client::new(&conn.sdk);
    let result = fetch(&client, &args).await;
    conn.close().await;
    let rows = result?;
    let value = json!({ "alarms": rows });
    emit(global.output, &value, || table(&rows));
    Ok(ExitCode::SUCCESS)
}

async fn fetch(client: &aws_sdk_cloudwatch::Client, args: &AlarmsArgs) -> anyhow::Result<Vec<Value>> {
    let state = args.state.map(|s| match s {
        AlarmState::Alarm => StateValue::Alarm,
        AlarmState::Ok => StateValue::Ok,
        AlarmState::InsufficientData => StateValue::InsufficientData,
    });
    let mut pages = client
        .describe_alarms()
        .set_state_value(state)
        .set_alarm_name_prefix(args.prefix.clone())
        .into_paginator()
        .send();
    let mut rows = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws_sdk_cloudwatch::Error::from).context("DescribeAlarms failed")?;
        for a in page.metric_alarms() {
            let since = a.state_transitioned_timestamp().or(a.state_updated_timestamp());
            rows.push(json!({
                "name": a.alarm_name(),
                "state": a.state_value().map(|s| s.as_str()),
                "since": since.map(|t| iso(t.to_millis().unwrap_or(0))),
                "reason": a.state_reason(),
                "metric": a.metric_name(),
                "namespace": a.namespace(),
                "threshold": a.threshold(),
                "comparison": a.comparison_operator().map(|c| c.as_str()),
                "actions_enabled": a.actions_enabled(),
            }));
        }
    }
    Ok(rows)
}

fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    t.ok().and_then(|t| t.format(format).ok()).unwrap_or_default()
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

fn table(rows: &[Value]) -> String {
    if rows.is_empty() {
        return "no alarms".to_string();
    }
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or("-").to_string();
    let name_w = rows.iter().map(|r| text(r, "name").len()).max().unwrap_or(4).max(4);
    let mut out = String::new();
    let _ = writeln!(out, "{:<name_w$}  {:<17}  {:<20}  REASON", "NAME", "STATE", "SINCE");
    for r in rows {
        let reason = reason_summary(&text(r, "reason"));
        let _ =
            writeln!(out, "{:<name_w$}  {:<17}  {:<20}  {reason}", text(r, "name"), text(r, "state"), text(r, "since"));
    }
    out
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
