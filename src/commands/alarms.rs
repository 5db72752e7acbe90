//! `kinesis-console alarms [--state S] [--prefix P]`: every CloudWatch metric alarm, its state,
//! since when, and why.

use std::fmt::Write as _;
use std::process::ExitCode;

use aws_sdk_cloudwatch::types::StateValue;
use serde_json::{Value, json};

use super::output::emit;
use crate::cli::{AlarmState, AlarmsArgs, GlobalArgs};
use crate::control::alarms::{self, AlarmFilter, reason_summary};
use crate::paths::Paths;
use crate::target::connect;
use crate::text_format::timestamp;

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
    let rows = alarms::list(client, &AlarmFilter { state, prefix: args.prefix.clone() }).await?;
    Ok(rows
        .iter()
        .map(|a| {
            json!({
                "name": a.name,
                "state": a.state,
                "since": a.since_ms.map(timestamp),
                "reason": a.reason,
                "metric": a.metric,
                "namespace": a.namespace,
                "threshold": a.threshold,
                "comparison": a.comparison,
                "actions_enabled": a.actions_enabled,
            })
        })
        .collect())
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
