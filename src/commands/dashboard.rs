//! `kinesis-console dashboard list | show NAME`: CloudWatch dashboards read through the planner,
//! one batched GetMetricData call per refresh.

use std::fmt::Write as _;
use std::process::ExitCode;

use aws_sdk_cloudwatch::Client;
use serde_json::json;

use super::output::emit;
use crate::cli::{DashboardCommand, GlobalArgs, ShowArgs};
use crate::control::dashboard::PeriodRule;
use crate::control::dashboard::fetch::{self, DashboardEntry, load, range_ending_now};
use crate::control::dashboard::map::{DashboardView, Series, WidgetView};
use crate::control::dashboard::sparkline::sparkline;
use crate::paths::Paths;
use crate::target::{self, Connection};
use crate::text_format::{number, span, timestamp, truncate};

const SPARK_WIDTH: usize = 24;

pub async fn run(cmd: DashboardCommand, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = target::connect(global.target(paths)).await?;
    let client = Client::new(&conn.sdk);
    let result = match cmd {
        DashboardCommand::List => list(&client, global).await,
        DashboardCommand::Show(args) => show(&client, &conn, &args, global).await,
    };
    conn.close().await;
    result
}

async fn list(client: &Client, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let entries = fetch::list_dashboards(client).await?;
    emit(global.output, &json!({ "dashboards": entries }), || list_text(&entries));
    Ok(ExitCode::SUCCESS)
}

fn list_text(entries: &[DashboardEntry]) -> String {
    if entries.is_empty() {
        return "no dashboards".to_string();
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut s = String::new();
    for e in entries {
        let modified = e.last_modified_secs.map(|secs| timestamp(secs.saturating_mul(1000))).unwrap_or_default();
        let _ = writeln!(s, "{:width$}  {:>8} bytes  {modified}", e.name, e.size.unwrap_or(0));
    }
    s
}

async fn show(client: &Client, conn: &Connection, args: &ShowArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let range = range_ending_now(conn, args.since).await;
    let rule = PeriodRule::for_target(&conn.target, args.period);
    let (_, plan, _, view) = load(client, &args.name, range, rule).await?;
    let since_secs = args.since.as_secs();
    let value = json!({
        "dashboard": args.name,
        "target": conn.target,
        "range": range,
        "since_secs": since_secs,
        "queries": plan.queries(),
        "view": view,
    });
    emit(global.output, &value, || show_text(&args.name, conn, since_secs, &view));
    Ok(ExitCode::SUCCESS)
}

fn show_text(name: &str, conn: &Connection, since_secs: u64, view: &DashboardView) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{name} — {} — last {}: {} GetMetricData call{}, {} metrics requested (${:.5} a refresh on AWS)",
        conn.target,
        span(i64::try_from(since_secs).unwrap_or(i64::MAX)),
        view.calls,
        if view.calls == 1 { "" } else { "s" },
        view.metrics_requested,
        view.cost_per_refresh_usd,
    );
    for w in &view.widgets {
        widget_text(&mut s, w);
    }
    s
}

fn widget_text(s: &mut String, w: &WidgetView) {
    match w.kind.as_str() {
        "text" => {
            let first = w.markdown.as_deref().unwrap_or_default().lines().find(|l| !l.trim().is_empty());
            let _ = writeln!(s, "\n{}", first.unwrap_or_default().trim_start_matches('#').trim());
        }
        "metric" => {
            let alarms: Vec<String> = w.alarms.iter().map(alarm_brief).collect();
            let _ = writeln!(s, "  {}  {}", w.title.as_deref().unwrap_or("(untitled)"), alarms.join("  "));
            for series in w.series.iter().filter(|x| x.visible) {
                let _ = writeln!(s, "    {}", series_line(series));
            }
            for p in &w.problems {
                let _ = writeln!(s, "    ! {p}");
            }
        }
        "alarm" => {
            let _ = writeln!(s, "  {}", w.title.as_deref().unwrap_or("Alarms"));
            for a in &w.alarms {
                let _ = writeln!(s, "    {:<17} {}", a.state, a.name);
            }
        }
        "log" => {
            let _ = writeln!(s, "  {}  (Logs Insights query; not shown here)", w.title.as_deref().unwrap_or("(log)"));
        }
        other => {
            let _ = writeln!(s, "  ({other} widget; not shown here)");
        }
    }
}

fn alarm_brief(a: &crate::control::dashboard::map::AlarmView) -> String {
    match a.threshold {
        Some(t) => format!("[{} {} @ {}]", a.state, a.name, number(t)),
        None => format!("[{} {}]", a.state, a.name),
    }
}

fn series_line(x: &Series) -> String {
    let latest = x.latest().map_or_else(|| "no data".to_string(), number);
    let partial = if x.partial_last { " (partial)" } else { "" };
    format!(
        "{:<36} {:>14} {:<12} {}{partial}",
        truncate(&x.label, 36),
        latest,
        x.unit.unwrap_or(""),
        sparkline(&x.values, SPARK_WIDTH)
    )
}
