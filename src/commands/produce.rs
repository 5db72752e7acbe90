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
use crate::cli::{GlobalArgs, PartitionKeys, ProduceArgs, WorkloadKind};
use crate::control::Access;
use crate::control::stacks;
use crate::control::tail::{NamedStream, resolve_stream};
use crate::paths::Paths;
use crate::producer::counters::{Counters, Snapshot};
use crate::producer::engine::{Producer, Settings, Summary, Until};
use crate::producer::workloads::Workload;
use crate::producer::workloads::taxi::{DEFAULT_SPEEDUP, Taxi};
use crate::producer::workloads::ticker::{Keys, Ticker};
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
    let kinesis = aws_sdk_kinesis::Client::new(sdk);
    let named = match (&args.stream, &args.stack) {
        (Some(stream), _) => NamedStream { stream: stream.clone(), pattern: None },
        (None, Some(stack)) => resolve_stream(&kinesis, &stacks::client(sdk), stack).await?,
        (None, None) => anyhow::bail!("give a stack or --stream"),
    };
    let stream = named.stream;
    let kind = match args.workload {
        Some(kind) => kind,
        None => workload_of(named.pattern.as_deref(), &stream)?,
    };
    anyhow::ensure!(
        args.speedup.is_none() || kind == WorkloadKind::Taxi,
        "--speedup paces a replay: it goes with --workload taxi"
    );
    // A replay is paced by its trips' times; the rate, when given, only caps it.
    let rate = args.rate.unwrap_or(if kind == WorkloadKind::Taxi { 1_000_000.0 } else { 100.0 });
    let settings = Settings { rate, aggregate: args.aggregate, ..Settings::default() };
    let producer = Producer::connect(sdk, &stream, settings).await?;
    let counters = producer.counters();
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let mut workload: Box<dyn Workload> = match kind {
        WorkloadKind::Ticker => {
            let keys = match args.partition_key {
                PartitionKeys::Constant => Keys::ConstantWithHashKey,
                PartitionKeys::Random => Keys::Random,
            };
            Box::new(Ticker::new(seed, keys, Box::new(crate::cloud::clock::wall_ms)))
        }
        WorkloadKind::Taxi => Box::new(Taxi::new(seed, args.speedup.unwrap_or(DEFAULT_SPEEDUP))?),
    };
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

/// The workload a pattern's stack is fed with: pattern 4 replays taxi trips, the others take ticker events
/// (pattern 3's own producer is the aws CLI, so any JSON will do).
fn workload_of(pattern: Option<&str>, stream: &str) -> anyhow::Result<WorkloadKind> {
    match pattern {
        Some("kds-kda-apigw") => Ok(WorkloadKind::Taxi),
        Some("apigw-kds-lambda") => anyhow::bail!(
            "pattern 1 takes its records through its REST API, which this producer does not call yet; \
             give --workload ticker to put records on {stream} directly"
        ),
        _ => Ok(WorkloadKind::Ticker),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stacks_pattern_picks_its_workload() {
        assert_eq!(workload_of(Some("kds-kda-apigw"), "s").unwrap(), WorkloadKind::Taxi);
        assert_eq!(workload_of(Some("kpl-kds-kda"), "s").unwrap(), WorkloadKind::Ticker);
        assert_eq!(workload_of(Some("kds-kdf-s3"), "s").unwrap(), WorkloadKind::Ticker);
        assert_eq!(workload_of(None, "s").unwrap(), WorkloadKind::Ticker);
        let refused = workload_of(Some("apigw-kds-lambda"), "orders").unwrap_err().to_string();
        assert!(
            refused.contains("REST API") && refused.contains("--workload ticker") && refused.contains("orders"),
            "{refused}"
        );
    }
}
