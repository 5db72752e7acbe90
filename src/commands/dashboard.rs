//! `kinesis-console dashboard list | show NAME`: CloudWatch dashboards read through the planner,
//! one batched GetMetricData call per refresh.

use std::fmt::Write as _;
use std::process::ExitCode;

use aws_sdk_cloudwatch::Client;
use serde_json::json;

use super::output::emit;
use crate::cli::{DashboardCommand, GlobalArgs, ShowArgs};
use crate::control::dashboard::fetch::{self, DashboardEntry};
use crate::control::dashboard::map::{DashboardView, Series, WidgetView};
use crate::control::dashboard::sparkline::sparkline;
use crate::control::dashboard::{AlarmBook, Dashboard, PeriodRule, Plan, TimeRange};
use crate::paths::Paths;
use crate::target::{self, Connection, Target};

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
        let modified = e.last_modified_secs.map(rfc3339).unwrap_or_default();
        let _ = writeln!(s, "{:width$}  {:>8} bytes  {modified}", e.name, e.size.unwrap_or(0));
    }
    s
}

fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The period rule for the connection: 1-second data locally, the dashboard's elsewhere.
pub fn period_rule(conn: &Connection, period: Option<i64>) -> PeriodRule {
    match (period, &conn.target) {
        (Some(p), _) => PeriodRule::Fixed(p),
        (None, Target::Local { .. }) => PeriodRule::Local,
        (None, _) => PeriodRule::Aws,
    }
}

/// A `--since` span in whole seconds (the duration parser bounds it far below `i64::MAX`).
pub fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The range ending now, by the target's clock (see [`Connection::now_ms`]).
pub async fn range_ending_now(conn: &Connection, since_secs: i64) -> TimeRange {
    TimeRange::last(since_secs, conn.now_ms().await)
}

/// Reads the dashboard and refreshes it once.
pub async fn load(
    client: &Client,
    name: &str,
    range: TimeRange,
    rule: PeriodRule,
) -> anyhow::Result<(Dashboard, Plan, AlarmBook, DashboardView)> {
    let dashboard = fetch::get_dashboard(client, name).await?;
    let (plan, alarms, view) = fetch::refresh(client, &dashboard, range, rule).await?;
    Ok((dashboard, plan, alarms, view))
}

async fn show(client: &Client, conn: &Connection, args: &ShowArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let range = range_ending_now(conn, secs(args.since)).await;
    let (_, plan, _, view) = load(client, &args.name, range, period_rule(conn, args.period)).await?;
    let value = json!({
        "dashboard": args.name,
        "target": conn.target,
        "range": range,
        "since_secs": secs(args.since),
        "queries": plan.queries(),
        "view": view,
    });
    emit(global.output, &value, || show_text(&args.name, conn, secs(args.since), &view));
    Ok(ExitCode::SUCCESS)
}

/// A duration as the CLI takes it: `90s`, `15m`, `1h`, `1d`.
pub fn human_secs(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn show_text(name: &str, conn: &Connection, since: i64, view: &DashboardView) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{name} — {} — last {}: {} GetMetricData call{}, {} metrics requested (${:.5} a refresh on AWS)",
        conn.target,
        human_secs(since),
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

pub fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// A value with as few decimals as it needs.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}
