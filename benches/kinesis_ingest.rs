//! Kinesis ingest throughput against any Kinesis-compatible endpoint, and against a second one for
//! comparison: writers send PutRecords batches of 500 ~100-byte ticker records into a new 4-shard
//! stream for a fixed time, then every shard is read back with GetRecords and the ids compared.
//!
//! Run: `cargo bench --bench kinesis_ingest -- [--endpoint-url URL [--server-pid PID]]
//!       [--compare-endpoint URL [--compare-pid PID]] [--seconds N] [--writers N]`
//! Without `--endpoint-url` a local cloud is started in this process (limits off, durable writes).
//! External endpoints use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment, or dummies.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use kinesis_console::cloud::host::EndpointInfo;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};

const SHARDS: i32 = 4;
const BATCH: usize = 500;
const TICKERS: [&str; 8] = ["AMZN", "AAPL", "MSFT", "GOOG", "NVDA", "META", "TSLA", "NFLX"];

struct Args {
    endpoint: Option<String>,
    server_pid: Option<u32>,
    compare: Option<String>,
    compare_pid: Option<u32>,
    seconds: u64,
    writers: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { endpoint: None, server_pid: None, compare: None, compare_pid: None, seconds: 10, writers: 8 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint-url" => a.endpoint = Some(value()?),
            "--server-pid" => a.server_pid = Some(value()?.parse()?),
            "--compare-endpoint" => a.compare = Some(value()?),
            "--compare-pid" => a.compare_pid = Some(value()?.parse()?),
            "--seconds" => a.seconds = value()?.parse()?,
            "--writers" => a.writers = value()?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

#[derive(Debug, Default)]
struct Figures {
    written: u64,
    write_secs: f64,
    read: u64,
    read_secs: f64,
    lost: u64,
    duplicated: u64,
    invented: u64,
    throttled: u64,
    peak_rss_kb: Option<u64>,
    peak_rss_after_writes_kb: Option<u64>,
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn external_client(url: &str) -> Client {
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "benchkey".into());
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "benchsecret".into());
    let info = EndpointInfo {
        url: url.to_string(),
        region: "us-east-1".into(),
        access_key_id: key,
        secret_access_key: secret,
        pid: 0,
        version: String::new(),
    };
    Client::new(&kinesis_console::target::local_sdk_config(&info).await)
}

fn record(id: u64) -> Vec<u8> {
    let ticker = TICKERS[(id % TICKERS.len() as u64) as usize];
    let price = 100.0 + (id % 10_000) as f64 / 100.0;
    format!(
        r#"{{"id":{id},"ticker":"{ticker}","price":{price:.2},"volume":{},"ts":"2026-01-01T00:00:00.000Z"}}"#,
        id % 997
    )
    .into_bytes()
}

fn id_of(data: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(data).ok()?;
    let rest = text.strip_prefix(r#"{"id":"#)?;
    rest[..rest.find(',')?].parse().ok()
}

async fn create_stream(k: &Client, name: &str) -> anyhow::Result<()> {
    k.create_stream().stream_name(name).shard_count(SHARDS).send().await.context("CreateStream")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = k.describe_stream_summary().stream_name(name).send().await.context("DescribeStreamSummary")?;
        if d.stream_description_summary().map(|s| s.stream_status()) == Some(&StreamStatus::Active) {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("stream {name} did not become ACTIVE");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writes until `until`; returns the ids acknowledged and the number of records refused.
async fn writer(k: Client, stream: String, w: u64, until: Instant) -> (Vec<u64>, u64) {
    let mut acked = Vec::new();
    let mut refused = 0;
    let mut next = w << 40;
    while Instant::now() < until {
        let ids: Vec<u64> = (next..next + BATCH as u64).collect();
        next += BATCH as u64;
        let entries: Vec<PutRecordsRequestEntry> = ids
            .iter()
            .map(|id| {
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("{}-{}", TICKERS[(*id % 8) as usize], id % 64))
                    .data(Blob::new(record(*id)))
                    .build()
                    .expect("complete entry")
            })
            .collect();
        match k.put_records().stream_name(&stream).set_records(Some(entries)).send().await {
            Ok(out) => {
                for (id, r) in ids.iter().zip(out.records()) {
                    if r.sequence_number().is_some() {
                        acked.push(*id);
                    } else {
                        refused += 1;
                    }
                }
            }
            Err(e) => {
                eprintln!("PutRecords failed: {e}");
                refused += BATCH as u64;
            }
        }
    }
    (acked, refused)
}

async fn read_shard(k: Client, stream: String, shard: String) -> anyhow::Result<Vec<u64>> {
    let it = k
        .get_shard_iterator()
        .stream_name(&stream)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await?;
    let mut it = it.shard_iterator().context("no iterator")?.to_string();
    let mut ids = Vec::new();
    loop {
        let r = k.get_records().shard_iterator(&it).limit(10_000).send().await.context("GetRecords")?;
        ids.extend(r.records().iter().map(|rec| id_of(rec.data().as_ref()).unwrap_or(u64::MAX)));
        let caught_up = r.records().is_empty() && r.millis_behind_latest().unwrap_or(0) == 0;
        match r.next_shard_iterator() {
            Some(next) if !caught_up => it = next.to_string(),
            _ => return Ok(ids),
        }
    }
}

async fn run(k: &Client, args: &Args, pid: Option<u32>) -> anyhow::Result<Figures> {
    let stream = format!("bench-{}", std::process::id());
    create_stream(k, &stream).await?;
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let tasks: Vec<_> =
        (0..args.writers as u64).map(|w| tokio::spawn(writer(k.clone(), stream.clone(), w, until))).collect();
    let mut acked = Vec::new();
    let mut f = Figures::default();
    for t in tasks {
        let (ids, refused) = t.await?;
        acked.extend(ids);
        f.throttled += refused;
    }
    f.write_secs = started.elapsed().as_secs_f64();
    f.written = acked.len() as u64;
    f.peak_rss_after_writes_kb = pid.and_then(peak_rss_kb);

    let started = Instant::now();
    let shards = k.list_shards().stream_name(&stream).send().await?;
    let readers: Vec<_> = shards
        .shards()
        .iter()
        .map(|s| tokio::spawn(read_shard(k.clone(), stream.clone(), s.shard_id().to_string())))
        .collect();
    let mut read = Vec::new();
    for r in readers {
        read.extend(r.await??);
    }
    f.read_secs = started.elapsed().as_secs_f64();
    f.read = read.len() as u64;
    let mut counts: HashMap<u64, u32> = HashMap::with_capacity(read.len());
    for id in &read {
        *counts.entry(*id).or_default() += 1;
    }
    f.duplicated = counts.values().map(|c| u64::from(*c - 1)).sum();
    let acked_set: std::collections::HashSet<u64> = acked.iter().copied().collect();
    f.lost = acked.iter().filter(|id| !counts.contains_key(id)).count() as u64;
    f.invented = counts.keys().filter(|id| !acked_set.contains(id)).count() as u64;
    f.peak_rss_kb = pid.and_then(peak_rss_kb);
    let _ = k.delete_stream().stream_name(&stream).send().await;
    Ok(f)
}

fn print(label: &str, f: &Figures) {
    println!("{label}");
    println!(
        "  written   {:>10} records in {:.1} s = {:>10.0} records/s",
        f.written,
        f.write_secs,
        f.written as f64 / f.write_secs
    );
    println!(
        "  read      {:>10} records in {:.1} s = {:>10.0} records/s",
        f.read,
        f.read_secs,
        f.read as f64 / f.read_secs
    );
    println!(
        "  lost {}  duplicated {}  not acknowledged but read {}  refused {}",
        f.lost, f.duplicated, f.invented, f.throttled
    );
    match f.peak_rss_kb {
        Some(kb) => println!(
            "  server peak RSS {:.1} MiB (after the writes: {:.1} MiB)",
            kb as f64 / 1024.0,
            f.peak_rss_after_writes_kb.unwrap_or(0) as f64 / 1024.0
        ),
        None => println!("  server peak RSS unknown (pass the server's pid)"),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let (client, pid, _cloud, _dir) = match &args.endpoint {
        Some(url) => (external_client(url).await, args.server_pid, None, None),
        None => {
            let dir = tempfile::tempdir()?;
            let mut config = CloudConfig::ephemeral(dir.path());
            config.limits = false;
            config.kinesis.transition_ms = 0;
            let running = cloud::start(config, LocalCredentials::generate()).await?;
            let info = running.endpoint_info();
            let client = Client::new(&kinesis_console::target::local_sdk_config(&info).await);
            (client, Some(std::process::id()), Some(running), Some(dir))
        }
    };
    let label = args.endpoint.clone().unwrap_or_else(|| "in-process local cloud".into());
    println!("{} writers, {} s, batches of {BATCH}, {SHARDS} shards", args.writers, args.seconds);
    let ours = run(&client, &args, pid).await?;
    print(&label, &ours);
    if let Some(url) = &args.compare {
        let other = run(&external_client(url).await, &args, args.compare_pid).await?;
        print(url, &other);
        let ratio = |a: f64, b: f64| if b > 0.0 { format!("{:.1}x", a / b) } else { "n/a".into() };
        println!(
            "ratio written/s {}",
            ratio(ours.written as f64 / ours.write_secs, other.written as f64 / other.write_secs)
        );
        println!("ratio read/s    {}", ratio(ours.read as f64 / ours.read_secs, other.read as f64 / other.read_secs));
    }
    let clean = ours.lost == 0 && ours.duplicated == 0 && ours.invented == 0;
    if !clean {
        bail!("records were lost, duplicated or invented");
    }
    Ok(())
}
