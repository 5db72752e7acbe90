//! `kinesis-console tail <stream|stack> [--from …] [--shard S] [--count N] [--no-follow]`: a stream's
//! records, one per line (or one JSON object per line with `--output json`), as `control::tail` reads them.

use std::io::Write as _;
use std::process::ExitCode;

use base64::Engine as _;
use serde_json::json;

use super::output::OutputFormat;
use crate::cli::{DataShown, GlobalArgs, TailArgs};
use crate::control::stacks;
use crate::control::tail::{DataFormat, StartAt, Tail, TailRecord, resolve_stream, show_data};
use crate::paths::Paths;
use crate::target::connect;
use crate::text_format::timestamp_ms;

pub async fn run(args: TailArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    let start = StartAt::parse(&args.from)?;
    let conn = connect(global.target(paths)).await?;
    let kinesis = aws_sdk_kinesis::Client::new(&conn.sdk);
    let result = async {
        let stream = resolve_stream(&kinesis, &stacks::client(&conn.sdk), &args.stream).await?.stream;
        let mut tail = Tail::open(kinesis.clone(), &stream, start, args.shard.clone()).await?;
        follow(&mut tail, &args, global.output).await
    };
    let result = tokio::select! {
        r = result => r,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    conn.close().await;
    result.map(|()| ExitCode::SUCCESS)
}

async fn follow(tail: &mut Tail, args: &TailArgs, output: OutputFormat) -> anyhow::Result<()> {
    let format = match args.data {
        DataShown::Pretty => DataFormat::Pretty,
        DataShown::Compact => DataFormat::Compact,
        DataShown::Hex => DataFormat::Hex,
    };
    let mut shown: u64 = 0;
    let mut stdout = std::io::stdout().lock();
    while !tail.is_done() {
        if args.no_follow && tail.caught_up() {
            break;
        }
        for record in tail.poll().await? {
            if args.count.is_some_and(|n| shown >= n) {
                return Ok(());
            }
            let line = match output {
                OutputFormat::Json => json_line(&record, format),
                OutputFormat::Text => text_line(&record, format),
            };
            // A closed pipe (`| head`) ends the tail quietly.
            if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
                return Ok(());
            }
            shown += 1;
        }
        if args.count.is_some_and(|n| shown >= n) {
            return Ok(());
        }
    }
    Ok(())
}

fn position(r: &TailRecord) -> String {
    match r.sub_sequence {
        Some(sub) => format!("{}/{sub}", r.sequence_number),
        None => r.sequence_number.clone(),
    }
}

fn text_line(r: &TailRecord, format: DataFormat) -> String {
    let at = r.arrival_ms.map(timestamp_ms).unwrap_or_else(|| "-".into());
    format!("{}  {}  {at}  {}  {}", r.shard_id, position(r), r.partition_key, show_data(&r.data, format))
}

fn json_line(r: &TailRecord, format: DataFormat) -> String {
    let shown = show_data(&r.data, if format == DataFormat::Hex { format } else { DataFormat::Compact });
    let data = serde_json::from_slice::<serde_json::Value>(&r.data)
        .ok()
        .filter(|v| format != DataFormat::Hex && (v.is_object() || v.is_array()))
        .unwrap_or(serde_json::Value::String(shown));
    json!({
        "shard_id": r.shard_id,
        "sequence_number": r.sequence_number,
        "sub_sequence_number": r.sub_sequence,
        "arrival": r.arrival_ms.map(timestamp_ms),
        "partition_key": r.partition_key,
        "data": data,
        "data_base64": base64::engine::general_purpose::STANDARD.encode(&r.data),
    })
    .to_string()
}
