//! `kinesis-console health NAME`: a dashboard's alarms and latest values on one screen, and an
//! exit code on-call scripts can test: 0 when no alarm is in ALARM, 3 when one is, 1 on error.

use std::fmt::Write as _;
use std::process::ExitCode;

use aws_sdk_cloudwatch::Client;
use serde_json::json;

use super::output::emit;
use crate::cli::{GlobalArgs, HealthArgs};
use crate::control::dashboard::PeriodRule;
use crate::control::dashboard::fetch::{load, range_ending_now};
use crate::control::dashboard::map::{AlarmView, DashboardView};
use crate::paths::Paths;
use crate::target;
use crate::text_format::{number, span, truncate};

/// The exit code when an alarm is in ALARM.
pub const IN_ALARM: u8 = 3;

pub async fn run(args: HealthArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = target::connect(global.target(paths)).await?;
    let client = Client::new(&conn.sdk);
    let range = range_ending_now(&conn, args.since).await;
    let loaded = load(&client, &args.name, range, PeriodRule::for_target(&conn.target, None)).await;
    conn.close().await;
    let (_, _, _, view) = loaded?;
    let alarms = view.alarms();
    let firing: Vec<&&AlarmView> = alarms.iter().filter(|a| a.state == "ALARM").collect();
    let status = if firing.is_empty() { "OK" } else { "ALARM" };
    let count = |state: &str| alarms.iter().filter(|a| a.state == state).count();
    let value = json!({
        "dashboard": args.name,
        "status": status,
        "alarms": alarms,
        "counts": {
            "ALARM": count("ALARM"), "OK": count("OK"),
            "INSUFFICIENT_DATA": count("INSUFFICIENT_DATA"), "NOT_FOUND": count("NOT_FOUND"),
        },
        "latest": latest(&view),
    });
    emit(global.output, &value, || {
        let mut s = format!(
            "{}: {status} — {} of {} alarms in ALARM ({} OK, {} insufficient data{})\n",
            args.name,
            firing.len(),
            alarms.len(),
            count("OK"),
            count("INSUFFICIENT_DATA"),
            match count("NOT_FOUND") {
                0 => String::new(),
                n => format!(", {n} not found"),
            }
        );
        for a in alarms.iter().filter(|a| a.state != "OK") {
            let reason = a.reason.as_deref().map(|r| format!(" — {r}")).unwrap_or_default();
            let _ = writeln!(s, "  {:<17} {}{reason}", a.state, a.name);
        }
        let _ = writeln!(s, "latest (last {}):", span(i64::try_from(args.since.as_secs()).unwrap_or(i64::MAX)));
        for (title, label, value, unit) in latest_rows(&view) {
            let _ = writeln!(s, "  {:<40} {:<28} {value:>12} {unit}", truncate(&title, 40), truncate(&label, 28));
        }
        s
    });
    Ok(if firing.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(IN_ALARM) })
}

/// (widget title, series label, latest value, unit) of every drawn series.
fn latest_rows(view: &DashboardView) -> Vec<(String, String, String, String)> {
    view.widgets
        .iter()
        .flat_map(|w| {
            w.series.iter().filter(|s| s.visible).map(move |s| {
                (
                    w.title.clone().unwrap_or_default(),
                    s.label.clone(),
                    s.latest().map_or_else(|| "no data".to_string(), number),
                    s.unit.unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}

fn latest(view: &DashboardView) -> serde_json::Value {
    let rows: Vec<_> = latest_rows(view)
        .into_iter()
        .zip(view.widgets.iter().flat_map(|w| w.series.iter().filter(|s| s.visible)))
        .map(|((title, label, _, unit), s)| {
            json!({ "widget": title, "label": label, "value": s.latest(), "unit": unit, "partial": s.partial_last })
        })
        .collect();
    serde_json::Value::Array(rows)
}
