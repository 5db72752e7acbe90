//! `kinesis-console stacks`, `status <stack>` and `events <stack> [--follow]`: reading the console's
//! deployments. The SDK side is `control::stacks`; this file only prints.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::output::emit;
use super::stack_view::{event_line, stacks_table, status_text};
use crate::cli::{EventsArgs, GlobalArgs, OutputFormat};
use crate::control::stacks::{self, EventFollower, StackEvent, inspect};
use crate::paths::Paths;
use crate::target::{Connection, Target, connect};

/// How often events are polled: the local cloud answers at once; AWS's API is rate limited.
pub fn poll_interval(conn: &Connection) -> Duration {
    match conn.target {
        Target::Local { .. } => Duration::from_millis(250),
        Target::Endpoint { .. } => Duration::from_secs(1),
        Target::Aws { .. } => Duration::from_secs(3),
    }
}

pub async fn list(global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = connect(global.target(paths)).await?;
    let client = stacks::client(&conn.sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&conn.sdk);
    let result = inspect::deployments(&client, &cloudwatch).await;
    let now = conn.now_ms().await;
    conn.close().await;
    let deployments = result?;
    emit(global.output, &json!({ "stacks": deployments }), || stacks_table(&deployments, now));
    Ok(ExitCode::SUCCESS)
}

pub async fn status(stack: &str, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = connect(global.target(paths)).await?;
    let client = stacks::client(&conn.sdk);
    let result = inspect::detail(&client, stack).await;
    conn.close().await;
    let detail = result?;
    emit(global.output, &serde_json::to_value(&detail)?, || status_text(&detail));
    Ok(ExitCode::SUCCESS)
}

pub async fn events(args: EventsArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let conn = connect(global.target(paths)).await?;
    let client = stacks::client(&conn.sdk);
    let interval = poll_interval(&conn);
    let result = print_events(&client, &args, global.output, interval).await;
    conn.close().await;
    result
}

/// Prints every event so far (oldest first) and, with `--follow` while an operation runs, each new one
/// until it ends. JSON: one document without `--follow`, one event per line with it.
async fn print_events(
    client: &aws_sdk_cloudformation::Client,
    args: &EventsArgs,
    format: OutputFormat,
    interval: Duration,
) -> anyhow::Result<ExitCode> {
    let stack = inspect::stack(client, &args.stack).await?;
    let mut follower = EventFollower::new(&stack.name);
    let existing = follower.accept(stacks::follow::newest_events(client, &stack.stack_id, &follower).await?);
    let start = existing.first().map_or(0, |e| e.timestamp_ms);
    let print = |e: &StackEvent| match format {
        OutputFormat::Json => println!("{}", serde_json::to_string(e).unwrap_or_default()),
        OutputFormat::Text => println!("{}", event_line(e, start)),
    };
    if !args.follow {
        emit(format, &json!({ "stack": stack.name, "events": existing }), || {
            existing.iter().map(|e| event_line(e, start)).collect::<Vec<_>>().join("\n")
        });
        return Ok(ExitCode::SUCCESS);
    }
    existing.iter().for_each(print);
    if stacks::model::is_settled(&stack.status) {
        return Ok(ExitCode::SUCCESS);
    }
    // The events read so far may end before the current operation's last; follow on from them.
    let mut follower = EventFollower::new(&stack.name);
    follower.skip(&existing);
    let outcome = stacks::follow(client, &stack.stack_id, &mut follower, interval, print).await?;
    Ok(if outcome.success { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
