//! `kinesis-console dlq <stack> [--peek N] [--purge] [--yes]` (or `--queue <url>`): a dead-letter
//! queue's depth and its failure records, decoded, with the stream positions each names and the
//! `tail` command that reads them; `--purge` empties the queue after asking (refused without a
//! terminal unless `--yes`, and under `--read-only`). The SDK side is `control::dlq`; this file prints.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use serde_json::json;

use super::output::{OutputFormat, emit};
use crate::cli::{DlqArgs, GlobalArgs};
use crate::control::Access;
use crate::control::dlq::{self, Content, FailureRecord, Peek, Peeked};
use crate::control::stacks;
use crate::paths::Paths;
use crate::target::connect;
use crate::text_format::timestamp_ms;

pub async fn run(args: DlqArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    if args.purge {
        Access { read_only: global.read_only }.check("purge a dead-letter queue")?;
    }
    let conn = connect(global.target(paths)).await?;
    let sqs = aws_sdk_sqs::Client::new(&conn.sdk);
    let result = async {
        let url = match (&args.queue, &args.stack) {
            (Some(url), _) => url.clone(),
            (None, Some(stack)) => dlq::resolve(&stacks::client(&conn.sdk), stack).await?,
            (None, None) => anyhow::bail!("name a stack or pass --queue <url>"),
        };
        let peeked = dlq::peek(&sqs, &url, usize::from(args.peek)).await?;
        emit(global.output, &json!({ "stack": args.stack, "peek": peeked }), || text(&peeked));
        if !args.purge {
            return Ok(ExitCode::SUCCESS);
        }
        if !args.yes && !confirm(&url, global.output)? {
            eprintln!("Not confirmed; nothing was purged.");
            return Ok(ExitCode::FAILURE);
        }
        let purged = dlq::purge(&sqs, &url).await?;
        emit(global.output, &json!({ "queue_url": url, "purged": purged }), || {
            format!("Purged {url}: {purged} messages deleted.")
        });
        Ok(ExitCode::SUCCESS)
    }
    .await;
    conn.close().await;
    result
}

fn confirm(url: &str, output: OutputFormat) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() || output == OutputFormat::Json {
        anyhow::bail!("--purge deletes every message of {url}; pass --yes to confirm without a terminal");
    }
    eprint!("Delete every message of {url}? [y/N] ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

fn text(p: &Peek) -> String {
    let mut out = format!("Queue {}: {} messages visible, {} in flight\n", p.queue_url, p.visible, p.in_flight);
    if p.messages.is_empty() {
        out.push_str("No messages.\n");
    }
    for m in &p.messages {
        out.push('\n');
        out.push_str(&message_text(m));
    }
    out
}

fn message_text(m: &Peeked) -> String {
    let sent = m.sent_ms.map(timestamp_ms).unwrap_or_default();
    let received = m.receive_count.map(|n| format!(", received {n}×")).unwrap_or_default();
    match &m.content {
        Content::FailureRecord(r) => format!("{} sent {sent}{received}\n{}", m.message_id, record_text(r)),
        Content::Other { body } => {
            format!(
                "{} sent {sent}{received}\n  not a Lambda invocation record: {}\n",
                m.message_id,
                crate::text_format::truncate(body, 200)
            )
        }
    }
}

fn record_text(r: &FailureRecord) -> String {
    let c = &r.request_context;
    let error = r.response_context.as_ref().map_or(String::new(), |rc| {
        format!(", status {} {}", rc.status_code, rc.function_error.as_deref().unwrap_or("no function error"))
    });
    let b = &r.kinesis_batch_info;
    format!(
        "  {} at {} after {} invocations{error}\n  function {} (request {})\n  stream {} shard {}: {} records, sequence numbers {} to {}\n  arrived {} to {}\n  read them: kinesis-console tail {} --shard {} --from {} --count {} --no-follow\n",
        c.condition,
        r.timestamp,
        c.approximate_invoke_count,
        c.function_arn,
        c.request_id,
        b.stream_name(),
        b.shard_id,
        b.batch_size,
        b.start_sequence_number,
        b.end_sequence_number,
        b.approximate_arrival_of_first_record,
        b.approximate_arrival_of_last_record,
        b.stream_name(),
        b.shard_id,
        b.start_sequence_number,
        b.batch_size,
    )
}
