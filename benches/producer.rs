//! The producer's throughput against an in-process local cloud with the shard limits off, beside the
//! same load sent by boto3 in the same run.
//!
//! Method: a 4-shard stream; the producer (ticker records, rate asked far above what it can reach) runs
//! on its own thread with a single-threaded tokio runtime, so it uses one core by construction, and its
//! CPU is that thread's user + system time (`getrusage(RUSAGE_THREAD)`); the local cloud's CPU is the rest
//! of this process's over the same run, so each row says which side of the wire the time went to. N records with aggregation off,
//! then N with aggregation on, each into a fresh stream and each required to be acknowledged in full.
//! The baseline is `benches/producer_boto3.py` under the current boto3 from `.venv-clients/` (PutRecords
//! batches of 500 from one thread, the way a plain Python producer sends), its CPU that process's own.
//! Targets: ≥ 50,000 records/s from one core, and ≥ 5× boto3's rate.
//!
//! Run: `cargo bench --bench producer -- [--records N]` (default 200,000).

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::StreamStatus;
use kinesis_console::cloud::host::EndpointInfo;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};
use kinesis_console::producer::engine::{Producer, Settings, Until};
use kinesis_console::producer::workloads::ticker::{Keys, Ticker};

const SHARDS: i32 = 4;

fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct it is given; RUSAGE_THREAD needs nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

struct Figures {
    records: u64,
    seconds: f64,
    cpu_seconds: f64,
    /// The local cloud's CPU while it took these records.
    cloud_cpu_seconds: f64,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.records as f64 / self.seconds
    }

    fn cpu_per_thousand_ms(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.records as f64 * 1000.0
    }

    fn cloud_cpu_per_thousand_ms(&self) -> f64 {
        self.cloud_cpu_seconds * 1000.0 / self.records as f64 * 1000.0
    }
}

async fn new_stream(client: &Client, name: &str) -> anyhow::Result<()> {
    client.create_stream().stream_name(name).shard_count(SHARDS).send().await?;
    for _ in 0..200 {
        let s = client.describe_stream_summary().stream_name(name).send().await?;
        if s.stream_description_summary().map(|d| d.stream_status()) == Some(&StreamStatus::Active) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("stream {name} did not become ACTIVE")
}

/// The producer on a thread of its own, with a one-thread runtime.
fn produce(info: EndpointInfo, stream: String, records: u64, aggregate: bool) -> anyhow::Result<Figures> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async move {
            let sdk = kinesis_console::target::local_sdk_config(&info).await;
            let settings = Settings { rate: 1_000_000.0, aggregate, max_in_flight: 16, ..Settings::default() };
            let producer = Producer::connect(&sdk, &stream, settings).await?;
            let (_stop_tx, stop) = tokio::sync::watch::channel(false);
            let mut workload =
                Ticker::new(1, Keys::ConstantWithHashKey, Box::new(kinesis_console::cloud::clock::wall_ms));
            let cpu0 = thread_cpu_seconds();
            let started = Instant::now();
            let summary = producer.run(&mut workload, Until { count: Some(records), duration: None }, stop).await?;
            let figures = Figures {
                records: summary.counters.acknowledged,
                seconds: started.elapsed().as_secs_f64(),
                cpu_seconds: thread_cpu_seconds() - cpu0,
                cloud_cpu_seconds: 0.0,
            };
            if !summary.delivered_all() {
                bail!("the producer did not deliver everything: {summary:?}");
            }
            Ok(figures)
        })
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the producer thread panicked"))?
}

fn boto3(info: &EndpointInfo, stream: &str, records: u64) -> anyhow::Result<Figures> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv-clients/boto3-current/bin/python");
    let out = std::process::Command::new(&python)
        .arg(root.join("benches/producer_boto3.py"))
        .args([&info.url, stream, &records.to_string()])
        .env("AWS_ACCESS_KEY_ID", &info.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &info.secret_access_key)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .output()
        .with_context(|| format!("running {} (made by .ci/run)", python.display()))?;
    if !out.status.success() {
        bail!("boto3 baseline failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(Figures {
        records: v["records"].as_u64().unwrap_or(0),
        seconds: v["seconds"].as_f64().unwrap_or(f64::NAN),
        cpu_seconds: v["cpu_seconds"].as_f64().unwrap_or(f64::NAN),
        cloud_cpu_seconds: 0.0,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut records: u64 = 200_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--records" => records = args.next().context("--records needs a number")?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let dir = tempfile::tempdir()?;
    let mut config = CloudConfig::ephemeral(dir.path());
    config.limits = false;
    config.kinesis.transition_ms = 0;
    let running = cloud::start(config, LocalCredentials::generate()).await?;
    let info = running.endpoint_info();
    let client = Client::new(&kinesis_console::target::local_sdk_config(&info).await);

    println!("{records} ticker records into {SHARDS}-shard streams, limits off");
    let mut rows = Vec::new();
    for (label, aggregate) in [("producer", false), ("producer, KPL aggregation", true)] {
        let stream = format!("bench-{}", rows.len());
        new_stream(&client, &stream).await?;
        let (i, s) = (info.clone(), stream.clone());
        let cpu0 = cpu_seconds();
        let mut f = tokio::task::spawn_blocking(move || produce(i, s, records, aggregate)).await??;
        f.cloud_cpu_seconds = cpu_seconds() - cpu0 - f.cpu_seconds;
        rows.push((label.to_string(), f));
    }
    new_stream(&client, "bench-boto3").await?;
    let (i, n) = (info.clone(), records);
    let cpu0 = cpu_seconds();
    let mut baseline = tokio::task::spawn_blocking(move || boto3(&i, "bench-boto3", n)).await??;
    baseline.cloud_cpu_seconds = cpu_seconds() - cpu0;
    println!(
        "{:<30} {:>10} {:>16} {:>22} {:>10}",
        "", "records/s", "CPU ms / 1,000", "cloud CPU ms / 1,000", "vs boto3"
    );
    rows.push(("boto3 put_records (baseline)".to_string(), baseline));
    let base = rows[rows.len() - 1].1.rate();
    for (label, f) in &rows {
        println!(
            "{label:<30} {:>10.0} {:>16.1} {:>22.1} {:>9.1}x",
            f.rate(),
            f.cpu_per_thousand_ms(),
            f.cloud_cpu_per_thousand_ms(),
            f.rate() / base
        );
    }
    running.shutdown().await;
    Ok(())
}
