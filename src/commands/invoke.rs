//! `kinesis-console invoke <stack> <function> [--payload JSON|@file]` (or `--function-name NAME`): one
//! synchronous invocation, printed as status, function error, the log tail and the payload
//! pretty-printed; exit 1 when the function failed. The SDK side is `control::invoke`.

use std::process::ExitCode;

use serde_json::json;

use super::output::emit;
use crate::cli::{GlobalArgs, InvokeArgs};
use crate::control::{Access, invoke, stacks};
use crate::paths::Paths;
use crate::target::connect;

pub async fn run(args: InvokeArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    // An invocation runs the function's code, with whatever it does: a write, as IAM counts it.
    Access { read_only: global.read_only }.check("invoke a function")?;
    let payload = invoke::payload(args.payload.as_deref())?;
    let conn = connect(global.target(paths)).await?;
    let result = async {
        let function = match (&args.function_name, &args.stack, &args.function) {
            (Some(name), _, _) => name.clone(),
            (None, Some(stack), Some(function)) => {
                invoke::stack_function(&stacks::client(&conn.sdk), stack, function).await?
            }
            _ => anyhow::bail!("name a function: invoke <stack> <function>, or --function-name NAME"),
        };
        invoke::invoke(&aws_sdk_lambda::Client::new(&conn.sdk), &function, payload).await
    }
    .await;
    conn.close().await;
    let invoked = result?;
    let doc = json!(invoked);
    emit(global.output, &doc, || text(&invoked));
    Ok(if invoked.function_error.is_some() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn text(i: &invoke::Invoked) -> String {
    let mut out = format!("Function {}  status {}", i.function, i.status);
    if let Some(v) = &i.executed_version {
        out.push_str(&format!("  version {v}"));
    }
    out.push('\n');
    if let Some(e) = &i.function_error {
        out.push_str(&format!("Function error: {e}\n"));
    }
    if let Some(log) = &i.log_tail {
        out.push_str("\nLog (tail):\n");
        for line in log.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out.push_str("\nPayload:\n");
    let body = match &i.payload_text {
        Some(t) => t.clone(),
        None => serde_json::to_string_pretty(&i.payload).unwrap_or_default(),
    };
    out.push_str(&body);
    out
}
