//! The Managed Flink application of a stack: `start-app <stack> [--from latest-snapshot|<snapshot>|none]`,
//! `stop-app <stack> [--snapshot] [--force]`, `snapshots <stack> [--create [NAME] | --delete NAME]` and
//! `app <stack>` (status, version, running time, last operation, last checkpoint and restarts from the
//! application's metrics, the last log lines). Starts and stops
//! wait until the application leaves its transition; exit 1 when the operation did not succeed.
//! `--read-only` refuses all but `app` and listing snapshots. The SDK side is `control::flink`.

use std::process::ExitCode;

use serde_json::json;

use super::output::emit;
use super::stack_view::table;
use super::stacks::poll_interval;
use crate::cli::{GlobalArgs, SnapshotsArgs, StartAppArgs, StopAppArgs};
use crate::control::flink::{self, Outcome, RestoreFrom};
use crate::control::{Access, stacks};
use crate::paths::Paths;
use crate::target::{Connection, connect};
use crate::text_format;

async fn application(conn: &Connection, stack: &str) -> anyhow::Result<String> {
    flink::stack_application(&stacks::client(&conn.sdk), stack)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stack {stack} has no Managed Flink application"))
}

fn client(conn: &Connection) -> aws_sdk_kinesisanalyticsv2::Client {
    aws_sdk_kinesisanalyticsv2::Client::new(&conn.sdk)
}

fn report(global: &GlobalArgs, verb: &str, outcome: &Outcome) -> ExitCode {
    emit(global.output, &json!(outcome), || {
        let mut text = format!(
            "{verb} {}: operation {} {}; the application is {}",
            outcome.application, outcome.operation_id, outcome.operation_status, outcome.application_status
        );
        if let Some(e) = &outcome.error {
            text.push_str(&format!("\nReason: {e}"));
        }
        text
    });
    if outcome.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

pub async fn start(args: StartAppArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    Access { read_only: global.read_only }.check("start an application")?;
    let from = RestoreFrom::parse(&args.from);
    let conn = connect(global.target(paths)).await?;
    let result = async {
        let app = application(&conn, &args.stack).await?;
        flink::start(&client(&conn), &app, &from, poll_interval(&conn)).await
    }
    .await;
    conn.close().await;
    Ok(report(global, "Start", &result?))
}

pub async fn stop(args: StopAppArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    Access { read_only: global.read_only }.check("stop an application")?;
    let conn = connect(global.target(paths)).await?;
    let result = async {
        let app = application(&conn, &args.stack).await?;
        flink::stop(&client(&conn), &app, args.snapshot, args.force, poll_interval(&conn)).await
    }
    .await;
    conn.close().await;
    Ok(report(global, "Stop", &result?))
}

pub async fn snapshots(args: SnapshotsArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    if args.create.is_some() || args.delete.is_some() {
        Access { read_only: global.read_only }.check("change an application's snapshots")?;
    }
    let conn = connect(global.target(paths)).await?;
    let now = conn.now_ms().await;
    let result = async {
        let app = application(&conn, &args.stack).await?;
        let flink = client(&conn);
        if let Some(name) = &args.create {
            let name = if name.is_empty() { format!("{app}-{now}") } else { name.clone() };
            flink::create_snapshot(&flink, &app, &name).await?;
        }
        if let Some(name) = &args.delete {
            flink::delete_snapshot(&flink, &app, name).await?;
        }
        flink::snapshots(&flink, &app).await
    }
    .await;
    conn.close().await;
    let rows = result?;
    emit(global.output, &json!(rows), || {
        if rows.is_empty() {
            return "No snapshots.".into();
        }
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| vec![r.name.clone(), r.status.clone(), r.version.to_string(), text_format::ago(r.created_ms, now)])
            .collect();
        table(&["SNAPSHOT", "STATUS", "VERSION", "CREATED"], &cells)
    });
    Ok(ExitCode::SUCCESS)
}

/// The last checkpoint and the restarts, as one line; `-` for what the metrics do not report.
fn figures_line(f: &flink::JobFigures, now: i64) -> String {
    let checkpoint = match (f.checkpoint_size_bytes, f.checkpoint_reported_ms) {
        (Some(size), Some(at)) => {
            let took = f.checkpoint_duration_ms.map_or("-".to_string(), |d| format!("{} ms", text_format::number(d)));
            format!("{} in {took} (reported {})", text_format::bytes(size), text_format::ago(at, now))
        }
        _ => "-".to_string(),
    };
    let restarts = f.restarts.map_or("-".to_string(), text_format::number);
    format!("Last checkpoint {checkpoint}  restarts {restarts}\n")
}

pub async fn show(stack: &str, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = connect(global.target(paths)).await?;
    let now = conn.now_ms().await;
    let result = async {
        let app = application(&conn, stack).await?;
        let logs = aws_sdk_cloudwatchlogs::Client::new(&conn.sdk);
        flink::view(&client(&conn), &logs, &aws_sdk_cloudwatch::Client::new(&conn.sdk), &app, now).await
    }
    .await;
    conn.close().await;
    let v = result?;
    emit(global.output, &json!(v), || {
        let running = v.running_since_ms.map_or("-".to_string(), |t| text_format::age(now - t));
        let mut text = format!(
            "Application {}  {}  version {}  {}\nRunning for {running}  snapshots {}  last operation {}\n",
            v.name,
            v.status,
            v.version,
            v.runtime,
            v.snapshots,
            v.last_operation.as_deref().unwrap_or("-")
        );
        text.push_str(&figures_line(&v.figures, now));
        if !v.log.is_empty() {
            text.push_str("\nLog (last lines):\n");
            for line in &v.log {
                text.push_str(&format!("  {line}\n"));
            }
        }
        text
    });
    Ok(ExitCode::SUCCESS)
}
