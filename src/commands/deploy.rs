//! `kinesis-console deploy <pattern>`, `update <stack>` and `delete <stack>`: the commands that change
//! stacks. Each refuses under `--read-only` before any call; deploy checks its parameters before any
//! call too. Events print as they happen; the exit code is 0 when the operation did what was asked, 1
//! otherwise, with the failing resource's reason on the last line.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use anyhow::Context as _;
use aws_sdk_cloudformation::Client;
use serde_json::json;

use super::output::emit;
use super::stack_view::{changes_table, event_line, outputs_table, table};
use super::stacks::poll_interval;
use crate::cli::{DeleteArgs, DeployArgs, GlobalArgs, OutputFormat, UpdateArgs};
use crate::control::Access;
use crate::control::stacks::change::{self, Proposed};
use crate::control::stacks::deploy::{self, DeployError};
use crate::control::stacks::{self, EventFollower, Outcome, StackEvent, inspect};
use crate::paths::Paths;
use crate::patterns::{Pattern, Template, catalogue};
use crate::target::connect;

fn access(global: &GlobalArgs) -> Access {
    Access { read_only: global.read_only }
}

/// Follows an operation's events, printing each as it comes in text mode; the outcome and every event.
async fn follow_printing(
    client: &Client,
    stack_id: &str,
    mut follower: EventFollower,
    conn_interval: std::time::Duration,
    format: OutputFormat,
) -> anyhow::Result<(Outcome, Vec<StackEvent>)> {
    let mut start = None;
    let outcome = stacks::follow(client, stack_id, &mut follower, conn_interval, |e| {
        let t0 = *start.get_or_insert(e.timestamp_ms);
        if format == OutputFormat::Text {
            println!("{}", event_line(e, t0));
        }
    })
    .await?;
    Ok((outcome, follower.shown().to_vec()))
}

/// The failure's last line (text) after whatever the operation printed.
fn finish(outcome: &Outcome) -> ExitCode {
    if outcome.success {
        return ExitCode::SUCCESS;
    }
    println!("{}: {}", outcome.status, outcome.failure.as_deref().unwrap_or("the operation failed"));
    ExitCode::FAILURE
}

pub async fn deploy(args: DeployArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    access(global).check("deploy a stack")?;
    let bundled = super::patterns::find(catalogue()?, &args.pattern)?;
    let pattern = &match &args.template_file {
        Some(path) => with_template(bundled, path)?,
        None => bundled.clone(),
    };
    let request = match deploy::prepare(pattern, args.stack_name.as_deref(), &args.params) {
        Ok(r) => r,
        Err(DeployError::Parameters(problems)) => {
            let value = json!({ "pattern": pattern.id, "deployed": false, "problems": problems });
            emit(global.output, &value, || {
                let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
                format!("{}: not deployed, the parameters are invalid:\n{}", pattern.id, lines.join("\n"))
            });
            return Ok(ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    let conn = connect(global.target(paths)).await?;
    let client = stacks::client(&conn.sdk);
    let interval = poll_interval(&conn);
    let result = run_deploy(&client, &request, args.no_wait, interval, global.output).await;
    conn.close().await;
    result
}

async fn run_deploy(
    client: &Client,
    request: &deploy::DeployRequest,
    no_wait: bool,
    interval: std::time::Duration,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let stack_id = deploy::create(client, request).await?;
    if format == OutputFormat::Text {
        println!("Deploying {} as stack {} ({stack_id})", request.pattern, request.stack_name);
        for name in &request.generated {
            println!("Generated a secret value for {name} (NoEcho; it is not shown again)");
        }
    }
    if no_wait {
        let value = json!({ "stack": request.stack_name, "stack_id": stack_id, "status": "CREATE_IN_PROGRESS" });
        emit(format, &value, String::new);
        return Ok(ExitCode::SUCCESS);
    }
    let follower = EventFollower::new(&request.stack_name);
    let (outcome, events) = follow_printing(client, &stack_id, follower, interval, format).await?;
    let outputs = if outcome.success { inspect::stack(client, &stack_id).await?.outputs } else { Vec::new() };
    let value = json!({
        "stack": request.stack_name, "stack_id": stack_id, "pattern": request.pattern,
        "parameters": request.shown_parameters(), "generated": request.generated, "tags": request.tags,
        "outcome": outcome, "events": events, "outputs": outputs,
    });
    emit(format, &value, || if outputs.is_empty() { String::new() } else { format!("\n{}", outputs_table(&outputs)) });
    Ok(if format == OutputFormat::Text { finish(&outcome) } else { exit(&outcome) })
}

/// `pattern` with the template read from `path` in place of its bundled one.
fn with_template(pattern: &Pattern, path: &std::path::Path) -> anyhow::Result<Pattern> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the template {}", path.display()))?;
    // The template lives as long as the command, as a bundled one does.
    let text: &'static str = Box::leak(text.into_boxed_str());
    let template = parameters_only(text).with_context(|| format!("the template {}", path.display()))?;
    Ok(Pattern { template, file: path.display().to_string(), ..pattern.clone() })
}

/// A template of the user's read only for what deploy checks before any call: its parameters. The
/// rest is CloudFormation's to judge (the catalogue's reading of alarms and dashboards expects the
/// bundled templates' conventions).
fn parameters_only(text: &'static str) -> anyhow::Result<Template> {
    let root: serde_yaml::Value = serde_yaml::from_str(text).context("not YAML or JSON")?;
    let root = root.as_mapping().context("the document is not a mapping")?;
    Ok(Template {
        text,
        description: None,
        parameters: crate::patterns::parameters::parse(root)?,
        resources: Vec::new(),
        outputs: Vec::new(),
        alarms: Vec::new(),
        dashboard: None,
    })
}

fn exit(outcome: &Outcome) -> ExitCode {
    if outcome.success { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Asks on the terminal; `expected` is the exact answer that confirms (else `y`/`yes`). End of input is no.
fn confirm(prompt: &str, expected: Option<&str>) -> anyhow::Result<bool> {
    eprint!("{prompt} ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the confirmation")?;
    let answer = line.trim();
    Ok(match expected {
        Some(e) => answer == e,
        None => matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes"),
    })
}

pub async fn update(args: UpdateArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    access(global).check("update a stack")?;
    let conn = connect(global.target(paths)).await?;
    let client = stacks::client(&conn.sdk);
    let interval = poll_interval(&conn);
    let result = run_update(&client, &args, interval, global.output).await;
    conn.close().await;
    result
}

async fn run_update(
    client: &Client,
    args: &UpdateArgs,
    interval: std::time::Duration,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let stack = inspect::stack(client, &args.stack).await?;
    let pattern = stack.pattern.as_deref().and_then(|p| catalogue().ok()?.find(p).ok());
    let problems = change::check_values(&stack, pattern, &args.params);
    if !problems.is_empty() {
        emit(format, &json!({ "stack": stack.name, "updated": false, "problems": problems }), || {
            let lines: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            format!("{}: not updated, the parameters are invalid:\n{}", stack.name, lines.join("\n"))
        });
        return Ok(ExitCode::FAILURE);
    }
    let proposal = match change::propose(client, &stack, &args.params, interval).await? {
        Proposed::NoChanges => {
            emit(format, &json!({ "stack": stack.name, "changes": [], "updated": false }), || {
                format!("{}: no changes; the stack already has these values", stack.name)
            });
            return Ok(ExitCode::SUCCESS);
        }
        Proposed::Changes(p) => p,
    };
    if format == OutputFormat::Text {
        println!("Changes to {}:\n{}", stack.name, changes_table(&proposal.changes));
        for c in proposal.changes.iter().filter(|c| c.replaces()) {
            println!(
                "{} ({}) will be replaced: a new one is created and the old one deleted",
                c.logical_id, c.resource_type
            );
        }
    }
    if !args.yes && !confirm("Execute these changes? [y/N]", None)? {
        change::discard(client, &proposal).await?;
        emit(format, &json!({ "stack": stack.name, "changes": proposal.changes, "updated": false }), || {
            "Not confirmed; the change set was deleted and the stack is unchanged.".into()
        });
        return Ok(ExitCode::FAILURE);
    }
    let mut follower = EventFollower::new(&stack.name);
    follower.skip(&stacks::follow::newest_events(client, &stack.stack_id, &follower).await?);
    change::execute(client, &proposal).await?;
    let (outcome, events) = follow_printing(client, &stack.stack_id, follower, interval, format).await?;
    let outputs = inspect::stack(client, &stack.stack_id).await.map(|s| s.outputs).unwrap_or_default();
    let value = json!({ "stack": stack.name, "changes": proposal.changes, "outcome": outcome, "events": events, "outputs": outputs });
    emit(format, &value, || if outputs.is_empty() { String::new() } else { format!("\n{}", outputs_table(&outputs)) });
    Ok(if format == OutputFormat::Text { finish(&outcome) } else { exit(&outcome) })
}

pub async fn delete(args: DeleteArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    access(global).check("delete a stack")?;
    let conn = connect(global.target(paths)).await?;
    let client = stacks::client(&conn.sdk);
    let interval = poll_interval(&conn);
    let result = run_delete(&conn.sdk, &client, &args, interval, global.output).await;
    conn.close().await;
    result
}

/// Stops the stack's running Managed Flink application (with its snapshot, when snapshots are on)
/// before the stack goes, as the reference advises, so the job ends at a consistent point.
async fn stop_application(
    sdk: &aws_config::SdkConfig,
    client: &Client,
    stack_id: &str,
    interval: std::time::Duration,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let Some(app) = crate::control::flink::stack_application(client, stack_id).await? else { return Ok(()) };
    let flink = aws_sdk_kinesisanalyticsv2::Client::new(sdk);
    if let Some(outcome) = crate::control::flink::stop_if_running(&flink, &app, interval).await?
        && format == OutputFormat::Text
    {
        println!("Stopped application {app} first: {}; it is {}", outcome.operation_status, outcome.application_status);
    }
    Ok(())
}

async fn run_delete(
    sdk: &aws_config::SdkConfig,
    client: &Client,
    args: &DeleteArgs,
    interval: std::time::Duration,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let stack = inspect::stack(client, &args.stack).await?;
    let retained = inspect::retained(client, &stack.stack_id).await?;
    if format == OutputFormat::Text {
        println!(
            "Deleting stack {} ({})",
            stack.name,
            stack.pattern.as_deref().unwrap_or("not deployed by the console")
        );
        if retained.is_empty() {
            println!("Nothing is retained: every resource of the stack is deleted.");
        } else {
            let rows: Vec<Vec<String>> = retained
                .iter()
                .map(|r| vec![r.logical_id.clone(), r.resource_type.clone(), r.physical_id.clone().unwrap_or_default()])
                .collect();
            println!(
                "Retained (DeletionPolicy: Retain; delete them by hand when no longer needed):\n{}",
                table(&["RESOURCE", "TYPE", "PHYSICAL ID"], &rows)
            );
        }
    }
    if !args.yes && !confirm(&format!("Type the stack name ({}) to delete it:", stack.name), Some(&stack.name))? {
        emit(format, &json!({ "stack": stack.name, "deleted": false }), || {
            "Not confirmed; nothing was deleted.".into()
        });
        return Ok(ExitCode::FAILURE);
    }
    stop_application(sdk, client, &stack.stack_id, interval, format).await?;
    let mut follower = EventFollower::new(&stack.name);
    follower.skip(&stacks::follow::newest_events(client, &stack.stack_id, &follower).await?);
    inspect::delete(client, &stack.stack_id).await?;
    let (outcome, events) = follow_printing(client, &stack.stack_id, follower, interval, format).await?;
    let value = json!({ "stack": stack.name, "retained": retained, "outcome": outcome, "events": events });
    emit(format, &value, String::new);
    Ok(if format == OutputFormat::Text { finish(&outcome) } else { exit(&outcome) })
}
