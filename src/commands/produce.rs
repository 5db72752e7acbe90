//! `kinesis-console produce <stack|--stream S> [--rate N] [--duration D|--count N] [--aggregate]`: the
//! producer engine (`producer::engine`) with a workload, a progress line every second (stderr; JSON lines
//! on stdout with `--output json`) and a summary. Ctrl-C stops the workload and drains what is owed.

use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;

use super::output::OutputFormat;
use crate::cli::{GlobalArgs, PartitionKeys, ProduceArgs};
use crate::control::Access;
use crate::control::production::{self, Options};
use crate::paths::Paths;
use crate::producer::counters::{Counters, Snapshot};
use crate::producer::engine::{Summary, Until};
use crate::target::connect;

pub async fn run(args: ProduceArgs, global: &GlobalArgs, paths: &Paths) -> anyhow::Result<ExitCode> {
    Access { read_only: global.read_only }.check("put records on a stream")?;
    let conn = connect(global.target(paths)).await?;
    let result = produce(&args, global.output, &conn.sdk).await;
    conn.close().await;
    let summary = result?;
    print_summary(&summary, global.output);
    Ok(if summary.delivered_all() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

async fn produce(args: &ProduceArgs, output: OutputFormat, sdk: &aws_config::SdkConfig) -> anyhow::Result<Summary> {
    let (target, is_stream) = match (&args.stream, &args.stack) {
        (Some(stream), _) => (stream.as_str(), true),
        (None, Some(stack)) => (stack.as_str(), false),
        (None, None) => anyhow::bail!("give a stack or --stream"),
    };
    let options = Options {
        workload: args.workload,
        rate: args.rate,
        speedup: args.speedup,
        aggregate: args.aggregate,
        seed: args.seed,
        random_keys: args.partition_key == PartitionKeys::Random,
    };
    let mut planned = production::plan(sdk, target, is_stream, &options).await?;
    let producer = production::connect(sdk, &planned.stream, &planned.settings, planned.api_url.as_deref()).await?;
    let workload = &mut planned.workload;
    let counters = producer.counters();
    let (stop_tx, stop) = watch::channel(false);
    let until = Until { count: args.count, duration: args.duration };
    let run = producer.run(workload.as_mut(), until, stop);
    tokio::pin!(run);
    let mut progress = tokio::time::interval(Duration::from_secs(1));
    progress.tick().await;
    let started = tokio::time::Instant::now();
    loop {
        tokio::select! {
            done = &mut run => {
                if output == OutputFormat::Text && std::io::stderr().is_terminal() {
                    eprintln!();
                }
                return done;
            }
            _ = progress.tick() => show_progress(&counters, started.elapsed(), output),
            _ = tokio::signal::ctrl_c(), if !*stop_tx.borrow() => {
                let _ = stop_tx.send(true);
                eprintln!("\nstopping: sending what is owed (Ctrl-C again does not hurry it)");
            }
        }
    }
}

fn show_progress(counters: &Arc<Counters>, elapsed: Duration, output: OutputFormat) {
    let s = counters.snapshot();
    let rate = s.acknowledged as f64 / elapsed.as_secs_f64().max(0.001);
    match output {
        OutputFormat::Json => println!(
            "{}",
            json!({ "progress": s, "elapsed_secs": elapsed.as_secs_f64(), "acknowledged_per_sec": rate })
        ),
        OutputFormat::Text => {
            let line = progress_line(&s, rate);
            let mut err = std::io::stderr().lock();
            // On a terminal the line rewrites itself; in a log each second is a line.
            let _ =
                if std::io::stderr().is_terminal() { write!(err, "\r\x1b[2K{line}") } else { writeln!(err, "{line}") };
            let _ = err.flush();
        }
    }
}

fn progress_line(s: &Snapshot, rate: f64) -> String {
    format!(
        "acked {} of {} ({rate:.0}/s)  in flight {}  retried {}  throttled {}  expired {}  latency p50 {:.0} ms p99 {:.0} ms",
        s.acknowledged, s.produced, s.in_flight, s.retried, s.throttled, s.expired, s.latency_p50_ms, s.latency_p99_ms
    )
}

fn print_summary(summary: &Summary, output: OutputFormat) {
    let s = &summary.counters;
    match output {
        OutputFormat::Json => println!("{}", json!({ "summary": summary, "delivered_all": summary.delivered_all() })),
        OutputFormat::Text => {
            let rate = s.acknowledged as f64 / summary.elapsed_secs.max(0.001);
            println!("{}", progress_line(s, rate));
            let shards: Vec<String> = s.per_shard.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!("per shard: {}", shards.join(", "));
            if s.possible_duplicates > 0 {
                println!(
                    "{} records were sent again after an answer was lost: each may be on the stream twice",
                    s.possible_duplicates
                );
            }
            if summary.delivered_all() {
                println!("every record acknowledged: {} in {:.1} s", s.acknowledged, summary.elapsed_secs);
            } else {
                println!(
                    "NOT DELIVERED: {} undelivered, {} expired, {} refused by the stream, of {} made",
                    summary.undelivered, s.expired, s.failed, s.produced
                );
            }
        }
    }
}
