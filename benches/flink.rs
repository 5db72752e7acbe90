//! Pattern 2's Managed Flink job (`kpl-kds-kda/sliding-window-max`) in an in-process local cloud,
//! the shard limits off.
//!
//! Method: the job is built from the built-in table (`jobs::lookup`, as the runtime builds it) and
//! driven directly, as the runtime drives it but without waiting on the clock: `start` (LATEST), then
//! the records are put, then `step` as fast as it goes, one second of cloud time apart, until every
//! record was read, then a checkpoint (`state()` + `committed()`, which writes the part files to the
//! local S3). The part files are read back and their line count must equal the results the job
//! reports.
//!
//! (a) Throughput: N ticker records (default 1,000,000; the producer's workload, five tickers, ten
//! records per millisecond of event time, so about 20 windows fire per ticker per 100 s) on a 4-shard
//! stream, from the first step to the committed part files. Baseline in the same run: the job's Kinesis
//! source alone (`KinesisSource::poll`) reading the same records. Target: ≥ 100,000 records/s.
//!
//! (b) Checkpoint duration with 1 M records of state, meaning one million distinct keys in open
//! windows: a million records, each with its own TICKER, all within one 5 s pane, none fired (in
//! Flink's per-window state that is two million window entries; this job keeps them per pane). A
//! checkpoint is timed as the runtime takes one: `state()` (the job's own encoding), written with the
//! application document that refers to it in one transaction of the Managed Flink store
//! (`FlinkState::put_with`, redb, synced), then `committed()`. Baseline in the same run: the same
//! state as a plain JSON tree (`{pane: {key: max}}`) encoded and persisted the same way, the encoding
//! a first version would use. Target: ≤ 100 ms.
//!
//! Run: `cargo bench --bench flink -- [--records N] [--keys K]`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};
use aws_sdk_kinesisanalyticsv2::types::RuntimeEnvironment;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::context::CloudContext;
use kinesis_console::cloud::kinesisanalytics::jobs::kinesis_source::KinesisSource;
use kinesis_console::cloud::kinesisanalytics::jobs::{self, Job, JobEnv, StartFrom};
use kinesis_console::cloud::kinesisanalytics::model::SavedState;
use kinesis_console::cloud::kinesisanalytics::state::FlinkState;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials, RunningCloud};
use serde_json::{Value, json};

const TAG: &str = "kpl-kds-kda/sliding-window-max";
const SHARDS: i32 = 4;
const BATCH: usize = 500;
const WRITERS: usize = 8;
const EVENT_BASE: i64 = 1_700_000_000_000;

struct Args {
    records: u64,
    keys: u64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { records: 1_000_000, keys: 1_000_000 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => a.records = value()?.parse()?,
            "--keys" => a.keys = value()?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

struct Local {
    cloud: RunningCloud,
    kinesis: aws_sdk_kinesis::Client,
    s3: aws_sdk_s3::Client,
    flink: aws_sdk_kinesisanalyticsv2::Client,
    dir: tempfile::TempDir,
}

async fn start() -> anyhow::Result<Local> {
    let dir = tempfile::Builder::new().prefix("kinesis-console-flink-bench-").tempdir()?;
    let mut config = CloudConfig::ephemeral(dir.path());
    config.limits = false;
    config.clock = ClockMode::Virtual;
    config.kinesis.transition_ms = 0;
    let cloud = cloud::start(config, LocalCredentials::generate()).await?;
    let sdk = kinesis_console::target::local_sdk_config(&cloud.endpoint_info()).await;
    Ok(Local {
        kinesis: aws_sdk_kinesis::Client::new(&sdk),
        s3: aws_sdk_s3::Client::new(&sdk),
        flink: aws_sdk_kinesisanalyticsv2::Client::new(&sdk),
        cloud,
        dir,
    })
}

fn env(ctx: &Arc<CloudContext>, stream: &str, bucket: &str) -> JobEnv {
    let group = [
        ("InputStreamName", stream),
        ("OutputBucketName", bucket),
        ("EventTimeField", "EVENT_TIME"),
        ("MaxOutOfOrdernessSeconds", "5"),
        ("WindowSizeSeconds", "10"),
        ("WindowSlideSeconds", "5"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    JobEnv {
        application: "bench".into(),
        application_arn: "arn:aws:kinesisanalytics:us-east-1:000000000000:application/bench".into(),
        version_id: 1,
        properties: BTreeMap::from([("FlinkApplicationProperties".to_string(), group)]),
        logging: Vec::new(),
        ctx: ctx.clone(),
    }
}

impl Local {
    async fn stream(&self, name: &str) -> anyhow::Result<()> {
        self.kinesis.create_stream().stream_name(name).shard_count(SHARDS).send().await.context("CreateStream")?;
        for _ in 0..1_000 {
            let d = self.kinesis.describe_stream_summary().stream_name(name).send().await?;
            if d.stream_description_summary().map(|s| s.stream_status()) == Some(&StreamStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("{name} did not become ACTIVE")
    }

    /// Puts `n` records made by `record(i)` with 8 writers in batches of 500.
    async fn put(&self, stream: &str, n: u64, record: fn(u64) -> String) -> anyhow::Result<()> {
        let mut writers = Vec::new();
        for w in 0..WRITERS as u64 {
            let k = self.kinesis.clone();
            let stream = stream.to_string();
            writers.push(tokio::spawn(async move {
                let mut ids: Vec<u64> = (w..n).step_by(WRITERS).collect();
                while !ids.is_empty() {
                    let batch: Vec<u64> = ids.drain(..ids.len().min(BATCH)).collect();
                    let entries = batch.iter().map(|&i| {
                        PutRecordsRequestEntry::builder()
                            .partition_key(format!("{i:x}"))
                            .data(Blob::new(record(i)))
                            .build()
                            .expect("an entry")
                    });
                    let out = k.put_records().stream_name(&stream).set_records(Some(entries.collect())).send().await?;
                    if out.failed_record_count().unwrap_or(0) > 0 {
                        bail!("{} records refused", out.failed_record_count().unwrap_or(0));
                    }
                }
                Ok(())
            }));
        }
        for w in writers {
            w.await??;
        }
        Ok(())
    }

    /// Lines in every object of `bucket`.
    async fn lines(&self, bucket: &str) -> anyhow::Result<u64> {
        let mut lines = 0;
        let mut token = None;
        loop {
            let out = self.s3.list_objects_v2().bucket(bucket).set_continuation_token(token).send().await?;
            for o in out.contents() {
                let body = self.s3.get_object().bucket(bucket).key(o.key().unwrap_or_default()).send().await?;
                let bytes = body.body.collect().await?.into_bytes();
                lines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            }
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() {
                return Ok(lines);
            }
        }
    }
}

fn iso(ms: i64) -> String {
    kinesis_console::text_format::timestamp_ms(ms)
}

/// The producer's shape: ten records per millisecond of event time, five tickers.
fn ticker_record(i: u64) -> String {
    const TICKERS: [&str; 5] = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"];
    let price = (i.wrapping_mul(2_654_435_761) % 10_000) as f64 / 100.0;
    let t = EVENT_BASE + (i / 10) as i64;
    format!(r#"{{"EVENT_TIME":"{}","TICKER":"{}","PRICE":{price}}}"#, iso(t), TICKERS[(i % 5) as usize])
}

/// A record with its own key, every one inside the first 5 s pane.
fn distinct_key_record(i: u64) -> String {
    let t = EVENT_BASE + (i % 5_000) as i64;
    format!(r#"{{"EVENT_TIME":"{}","TICKER":"K{i:07}","PRICE":{}}}"#, iso(t), (i % 1_000) as f64 / 10.0)
}

/// Steps `job` one cloud second apart until it has read `n` records.
fn drain(job: &mut Box<dyn Job>, ctx: &CloudContext, n: u64) -> anyhow::Result<()> {
    let mut now = ctx.clock.now_ms();
    while job.stats().records_in < n {
        now += 1_000;
        job.step(now).map_err(|e| anyhow::anyhow!("step: {e}"))?;
    }
    Ok(())
}

async fn throughput(local: &Local, records: u64) -> anyhow::Result<()> {
    let ctx = local.cloud.ctx.clone();
    local.stream("ticks").await?;
    local.s3.create_bucket().bucket("out").send().await?;
    let mut job = jobs::lookup(Some(TAG), &env(&ctx, "ticks", "out")).map_err(|e| anyhow::anyhow!("{e}"))?;
    job.start(StartFrom::Fresh).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut source = KinesisSource::new(&ctx, "ticks", 1_000);
    source.start(&ctx, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let put = Instant::now();
    local.put("ticks", records, ticker_record).await?;
    eprintln!("put {records} records in {:.1} s", put.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut read = 0u64;
    let mut now = ctx.clock.now_ms();
    while read < records {
        now += 1_000;
        read += source.poll(&ctx, now).map_err(|e| anyhow::anyhow!("{e}"))?.len() as u64;
    }
    let source_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    drain(&mut job, &ctx, records)?;
    job.state().map_err(|e| anyhow::anyhow!("{e}"))?;
    job.committed();
    let job_secs = t.elapsed().as_secs_f64();
    let stats = job.stats();
    let lines = local.lines("out").await?;
    if lines != stats.records_out || lines == 0 {
        bail!("{lines} lines in S3, the job reports {} results", stats.records_out);
    }
    let rate = records as f64 / job_secs;
    let base = records as f64 / source_secs;
    println!("(a) throughput, {records} ticker records, 4 shards, limits off");
    println!("    source alone (baseline): {base:>12.0} records/s  ({source_secs:.2} s)");
    println!(
        "    job to committed files:  {rate:>12.0} records/s  ({job_secs:.2} s, {} window results, {:.2}x the source's rate)",
        stats.records_out,
        rate / base
    );
    println!("    target >= 100,000 records/s: {}", if rate >= 100_000.0 { "met" } else { "MISSED" });
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// What a timed checkpoint keeps: the job's state, or a prepared JSON tree (encoded, as a state is made).
enum Of<'a> {
    Job(&'a mut Box<dyn Job>),
    Tree(&'a Value),
}

/// Times a checkpoint as the runtime takes one: the state is made, and written durably with the
/// application that now refers to it, then `committed()` runs. Milliseconds in all and in making the
/// state, and the state's size.
fn checkpoint(flink: &FlinkState, app: &str, mut of: Of<'_>) -> anyhow::Result<(f64, f64, usize)> {
    let t = Instant::now();
    let state = match &mut of {
        Of::Job(job) => job.state().map_err(|e| anyhow::anyhow!("{e}"))?,
        Of::Tree(tree) => serde_json::to_vec(tree)?,
    };
    let made = t.elapsed().as_secs_f64() * 1000.0;
    let size = state.len();
    let mut apps = flink.lock();
    let mut current = apps.get(app).cloned().context("the application")?;
    let saved = SavedState::checkpoint(app, size);
    current.checkpoint = Some(saved.clone());
    flink.put_with(&mut apps, current, vec![(saved.key, state)]).map_err(|e| anyhow::anyhow!("{}", e.message))?;
    drop(apps);
    if let Of::Job(job) = of {
        job.committed();
    }
    Ok((t.elapsed().as_secs_f64() * 1000.0, made, size))
}

async fn checkpoint_cost(local: &Local, keys: u64) -> anyhow::Result<()> {
    let ctx = local.cloud.ctx.clone();
    local.stream("keys").await?;
    local.s3.create_bucket().bucket("keys-out").send().await?;
    local
        .flink
        .create_application()
        .application_name("bench")
        .runtime_environment(RuntimeEnvironment::Flink120)
        .service_execution_role("arn:aws:iam::000000000000:role/flink")
        .send()
        .await
        .context("CreateApplication")?;
    let mut job = jobs::lookup(Some(TAG), &env(&ctx, "keys", "keys-out")).map_err(|e| anyhow::anyhow!("{e}"))?;
    job.start(StartFrom::Fresh).map_err(|e| anyhow::anyhow!("{e}"))?;
    local.put("keys", keys, distinct_key_record).await?;
    drain(&mut job, &ctx, keys)?;
    if job.stats().records_out != 0 {
        bail!("a window fired: the keys must all stay open");
    }
    let (flink, _) = FlinkState::open(&local.dir.path().join("kinesisanalytics"))?;

    let (mut compact, mut compact_made) = (Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..5 {
        let (ms, made, bytes) = checkpoint(&flink, "bench", Of::Job(&mut job))?;
        compact.push(ms);
        compact_made.push(made);
        size = bytes;
    }
    // The same keys and maxima as a JSON tree.
    let mut pane = serde_json::Map::new();
    for i in 0..keys {
        pane.insert(format!("K{i:07}"), json!((i % 1_000) as f64 / 10.0));
    }
    let tree = json!({ "panes": { EVENT_BASE.to_string(): Value::Object(pane) } });
    let (mut plain, mut plain_made) = (Vec::new(), Vec::new());
    let mut tree_size = 0;
    for _ in 0..3 {
        let (ms, made, bytes) = checkpoint(&flink, "bench", Of::Tree(&tree))?;
        plain.push(ms);
        plain_made.push(made);
        tree_size = bytes;
    }
    let (c, p) = (median(compact), median(plain));
    let (cm, pm) = (median(compact_made), median(plain_made));
    println!("(b) checkpoint with {keys} distinct keys in open windows (state + persist + commit)");
    println!("    JSON tree (baseline):    {p:>8.1} ms  ({:.1} MB; making it {pm:.1} ms)", tree_size as f64 / 1e6);
    println!(
        "    compact state:           {c:>8.1} ms  ({:.1} MB; making it {cm:.1} ms; {:.2}x the tree's time)",
        size as f64 / 1e6,
        c / p
    );
    println!("    target <= 100 ms: {}", if c <= 100.0 { "met" } else { "MISSED" });
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // SAFETY: set before any thread reads the environment for this key.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let local = start().await?;
    throughput(&local, args.records).await?;
    checkpoint_cost(&local, args.keys).await?;
    Ok(())
}
