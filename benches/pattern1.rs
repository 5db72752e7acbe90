//! Pattern 1 (`apigw-kds-lambda`) end to end on an in-process local cloud: records/s through the REST
//! API into the stream and on through the event source mapping to the consumer, and the latency the API
//! hop adds to a direct PutRecords.
//!
//! Method: a local cloud on the real clock with the Kinesis limits off; the bundled template deployed as
//! `deploy` does it (CloudFormation, the console's tags), with 4 shards and the stage's throttle raised to
//! its ceiling (10,000 requests/s, burst 5,000) so it does not cap the run; every other parameter is the
//! template's default (BatchSize 100, ParallelizationFactor 1). N JSON records of ~100 bytes are sent by
//! S concurrent senders as `POST /records` of 500, signed with SigV4 for `execute-api`, through the
//! producer's REST sink (the path `produce` takes); every record must be acknowledged. Two rates, both
//! from the first request:
//! - ingest: until the last `POST /records` was answered;
//! - end to end: until the consumer has processed all N, counted by what it logged — one
//!   `Decoded payload` line per record in the function's log group (the template's
//!   `ConsumerLogGroup`, through `LoggingConfig`), every stream of it read back incrementally with
//!   GetLogEvents while the run goes on (that reader's cost is in the figure). At the end every record id
//!   must appear there exactly once.
//!
//! Then, with the consumer caught up, the latency of one 500-record `POST /records` against one direct
//! 500-record PutRecords (aws-sdk-kinesis, the producer's Kinesis sink) on the same stream, one call at a
//! time, alternating, M of each; p50 and p99 of each and their ratio. Targets: ≥ 20,000 records/s end
//! to end; `POST /records` p50 and p99 ≤ 2× PutRecords'.
//!
//! Run: `cargo bench --bench pattern1 -- [--records N] [--senders S] [--samples M]` (defaults 200,000,
//! 8, 200).

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};
use kinesis_console::control::stacks::{self, deploy, inspect};
use kinesis_console::patterns::catalogue;
use kinesis_console::producer::rest_sink::RestSink;
use kinesis_console::producer::sink::{KinesisSink, RecordResult, Sink, SinkRecord};

const BATCH: u64 = 500;
const SHARDS: &str = "4";
const STACK: &str = "bench";
const KEYS: u64 = 64;

struct Args {
    records: u64,
    senders: usize,
    samples: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { records: 200_000, senders: 8, samples: 200 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => a.records = value()?.parse()?,
            "--senders" => a.senders = value()?.parse()?,
            "--samples" => a.samples = value()?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    if a.records == 0 || a.senders == 0 || a.samples == 0 {
        bail!("--records, --senders and --samples must be at least 1");
    }
    Ok(a)
}

/// Record `id`: a ticker event of about 100 bytes of JSON, the id first so the log reader finds it.
fn record(id: u64) -> SinkRecord {
    const TICKERS: [&str; 8] = ["AMZN", "AAPL", "MSFT", "GOOG", "NVDA", "META", "TSLA", "NFLX"];
    let data = format!(
        r#"{{"id":{id},"ticker":"{}","price":{}.{:02},"volume":{},"event_time":"2026-11-29T12:00:00.000Z"}}"#,
        TICKERS[(id % 8) as usize],
        100 + id % 400,
        id % 100,
        1 + id % 1000
    );
    SinkRecord { partition_key: format!("key-{}", id % KEYS), explicit_hash_key: None, data: data.into_bytes() }
}

fn batch(ids: std::ops::Range<u64>) -> Vec<SinkRecord> {
    ids.map(record).collect()
}

/// Sends one batch; fails unless every record was acknowledged.
async fn send(sink: &dyn Sink, records: Vec<SinkRecord>) -> anyhow::Result<()> {
    let n = records.len();
    let answers = sink.put(records).await?;
    let acked = answers.iter().filter(|r| matches!(r, RecordResult::Acknowledged { .. })).count();
    if acked != n {
        let failed = answers.iter().find(|r| matches!(r, RecordResult::Failed { .. }));
        bail!("{acked} of {n} records acknowledged ({failed:?})");
    }
    Ok(())
}

struct Deployed {
    api_url: String,
    stream: String,
    function: String,
    /// Where the consumer logs: its `LoggingConfig.LogGroup` (the template gives it one).
    log_group: String,
}

/// Deploys pattern 1 as `deploy` does and waits for CREATE_COMPLETE and an Enabled mapping.
async fn deploy_pattern(sdk: &aws_config::SdkConfig, endpoint: &str) -> anyhow::Result<Deployed> {
    let pattern = catalogue()?.find("apigw-kds-lambda")?;
    let params = [("ShardCount", SHARDS), ("ThrottlingRateLimit", "10000"), ("ThrottlingBurstLimit", "5000")];
    let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let request = deploy::prepare(pattern, Some(STACK), &params)?;
    let cf = stacks::client(sdk);
    let id = deploy::create(&cf, &request).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let stack = loop {
        let s = inspect::stack(&cf, &id).await?;
        if !s.status.ends_with("IN_PROGRESS") {
            break s;
        }
        if Instant::now() > deadline {
            bail!("stack {STACK} still {} after 120 s", s.status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if stack.status != "CREATE_COMPLETE" {
        bail!("stack {STACK} ended {}: {}", stack.status, stack.reason.unwrap_or_default());
    }
    let output = |key: &str| {
        stack.outputs.iter().find(|o| o.key == key).map(|o| o.value.clone()).with_context(|| format!("output {key}"))
    };
    let api_url = kinesis_console::execute_api::local_url(&output("ProxyApiEndpoint")?, endpoint)
        .context("ProxyApiEndpoint is no execute-api URL")?;
    let arn = output("LambdaConsumerArn")?;
    let function = arn.rsplit(':').next().unwrap_or_default().to_string();
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = lambda.list_event_source_mappings().function_name(&function).send().await?;
        if m.event_source_mappings().iter().any(|m| m.state() == Some("Enabled")) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the event source mapping of {function} did not become Enabled");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let conf = lambda.get_function_configuration().function_name(&function).send().await?;
    let log_group = conf
        .logging_config()
        .and_then(|l| l.log_group())
        .map_or_else(|| format!("/aws/lambda/{function}"), str::to_string);
    Ok(Deployed { api_url, stream: output("DataStreamName")?, function, log_group })
}

/// Reads the consumer's log group as it grows, every stream Lambda writes there, and counts the
/// records it decoded.
struct LogReader {
    logs: aws_sdk_cloudwatchlogs::Client,
    group: String,
    /// Each stream's forward token (None: not read yet).
    tokens: HashMap<String, Option<String>>,
    seen: HashSet<u64>,
    duplicates: u64,
    lines: u64,
}

impl LogReader {
    fn new(sdk: &aws_config::SdkConfig, group: &str) -> Self {
        LogReader {
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            group: group.to_string(),
            tokens: HashMap::new(),
            seen: HashSet::new(),
            duplicates: 0,
            lines: 0,
        }
    }

    /// Reads what was logged since the last call; the number of distinct records decoded so far.
    async fn poll(&mut self) -> anyhow::Result<u64> {
        let mut next = None;
        loop {
            let Ok(out) =
                self.logs.describe_log_streams().log_group_name(&self.group).set_next_token(next).send().await
            else {
                return Ok(self.seen.len() as u64);
            };
            for name in out.log_streams().iter().filter_map(|s| s.log_stream_name()) {
                self.tokens.entry(name.to_string()).or_default();
            }
            next = out.next_token().map(str::to_string);
            if next.is_none() {
                break;
            }
        }
        let streams: Vec<String> = self.tokens.keys().cloned().collect();
        for stream in streams {
            self.read_stream(&stream).await?;
        }
        Ok(self.seen.len() as u64)
    }

    async fn read_stream(&mut self, stream: &str) -> anyhow::Result<()> {
        loop {
            let token = self.tokens.get(stream).cloned().flatten();
            let page = self
                .logs
                .get_log_events()
                .log_group_name(&self.group)
                .log_stream_name(stream)
                .start_from_head(true)
                .set_next_token(token.clone())
                .send()
                .await
                .with_context(|| format!("GetLogEvents {} {stream}", self.group))?;
            for message in page.events().iter().filter_map(|e| e.message()) {
                let Some((_, payload)) = message.split_once("Decoded payload: ") else { continue };
                self.lines += 1;
                let id = id_of(payload).with_context(|| format!("a decoded line without an id: {message}"))?;
                if !self.seen.insert(id) {
                    self.duplicates += 1;
                }
            }
            let next = page.next_forward_token().map(str::to_string);
            let done = page.events().is_empty() || next == token;
            self.tokens.insert(stream.to_string(), next);
            if done {
                return Ok(());
            }
        }
    }
}

fn id_of(payload: &str) -> Option<u64> {
    let rest = &payload[payload.find("\"id\":")? + 5..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

struct Run {
    ingest_secs: f64,
    end_to_end_secs: f64,
    cpu_secs: f64,
}

/// Sends ids `0..records` with `senders` concurrent senders while reading the consumer's log until it
/// decoded all of them.
async fn throughput(api: Arc<RestSink>, reader: &mut LogReader, records: u64, senders: usize) -> anyhow::Result<Run> {
    let next = Arc::new(AtomicU64::new(0));
    let (started, cpu0) = (Instant::now(), cpu_seconds());
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (api, next) = (api.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let from = next.fetch_add(BATCH, Ordering::Relaxed);
                if from >= records {
                    return anyhow::Ok(());
                }
                send(api.as_ref(), batch(from..(from + BATCH).min(records))).await?;
            }
        }));
    }
    let sending = futures_util::future::try_join_all(tasks);
    tokio::pin!(sending);
    let mut ingest_secs = None;
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if ingest_secs.is_none() {
            tokio::select! {
                done = &mut sending => {
                    for r in done? {
                        r?;
                    }
                    ingest_secs = Some(started.elapsed().as_secs_f64());
                }
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            }
        } else {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let decoded = reader.poll().await?;
        if decoded >= records && ingest_secs.is_some() {
            break;
        }
        if Instant::now() > deadline {
            bail!("the consumer decoded {decoded} of {records} records in 600 s");
        }
    }
    let end_to_end_secs = started.elapsed().as_secs_f64();
    Ok(Run { ingest_secs: ingest_secs.unwrap_or(end_to_end_secs), end_to_end_secs, cpu_secs: cpu_seconds() - cpu0 })
}

/// The average (and sample count) of a metric over the last hour, as GetMetricStatistics gives it.
async fn average(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
) -> anyhow::Result<(f64, f64)> {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, Statistic};
    let now = kinesis_console::cloud::clock::wall_ms();
    let dims = dimensions.iter().map(|(k, v)| Dimension::builder().name(*k).value(*v).build());
    let out = cw
        .get_metric_statistics()
        .namespace(namespace)
        .metric_name(metric)
        .set_dimensions(Some(dims.collect()))
        .start_time(DateTime::from_millis(now - 3_600_000))
        .end_time(DateTime::from_millis(now + 60_000))
        .period(3_600)
        .statistics(Statistic::Sum)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .with_context(|| format!("GetMetricStatistics {namespace} {metric}"))?;
    let (sum, n) = out
        .datapoints()
        .iter()
        .fold((0.0, 0.0), |(s, n), d| (s + d.sum().unwrap_or(0.0), n + d.sample_count().unwrap_or(0.0)));
    Ok((if n > 0.0 { sum / n } else { f64::NAN }, n))
}

/// Where the run's time went, from the metrics the local services publish: API Gateway's latency and
/// the part its integration (PutRecords in process) took, and the consumer's invocations.
async fn breakdown(sdk: &aws_config::SdkConfig, d: &Deployed) -> anyhow::Result<()> {
    let cw = aws_sdk_cloudwatch::Client::new(sdk);
    let api_name = format!("{STACK}-kinesis-proxy");
    let api = [("ApiName", api_name.as_str()), ("Stage", "prod")];
    let (latency, requests) = average(&cw, "AWS/ApiGateway", "Latency", &api).await?;
    let (integration, _) = average(&cw, "AWS/ApiGateway", "IntegrationLatency", &api).await?;
    let function = [("FunctionName", d.function.as_str())];
    let (duration, invocations) = average(&cw, "AWS/Lambda", "Duration", &function).await?;
    println!(
        "  API Gateway: {requests:.0} requests, Latency {latency:.2} ms of which IntegrationLatency {integration:.2} ms \
         (PutRecords in process); consumer: {invocations:.0} invocations, Duration {duration:.2} ms on average"
    );
    Ok(())
}

fn percentile(sorted: &[f64], p: usize) -> f64 {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// One call of each kind at a time, alternating; each kind's sorted latencies in ms.
async fn latencies(
    api: &RestSink,
    direct: &KinesisSink,
    first_id: u64,
    samples: usize,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let (mut through_api, mut put_records) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    let mut id = first_id;
    for _ in 0..samples {
        for (sink, times) in [(api as &dyn Sink, &mut through_api), (direct as &dyn Sink, &mut put_records)] {
            let records = batch(id..id + BATCH);
            id += BATCH;
            let started = Instant::now();
            send(sink, records).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    through_api.sort_by(f64::total_cmp);
    put_records.sort_by(f64::total_cmp);
    Ok((through_api, put_records))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let dir = tempfile::Builder::new().prefix("kinesis-console-pattern1-bench-").tempdir()?;
    let mut config = CloudConfig::ephemeral(dir.path());
    config.limits = false;
    config.kinesis.transition_ms = 0;
    config.lambda.transition_ms = 0;
    let running = cloud::start(config, LocalCredentials::generate()).await?;
    let info = running.endpoint_info();
    let sdk = kinesis_console::target::local_sdk_config(&info).await;
    let deployed = deploy_pattern(&sdk, &info.url).await?;
    let api = Arc::new(RestSink::new(&sdk, &deployed.api_url)?);
    let direct = KinesisSink::new(&sdk, &deployed.stream);
    let mut reader = LogReader::new(&sdk, &deployed.log_group);

    println!(
        "pattern 1: {} records of ~100 B, {SHARDS} shards, Kinesis limits off, {} senders of POST /records x {BATCH}",
        args.records, args.senders
    );
    let run = throughput(api.clone(), &mut reader, args.records, args.senders).await?;
    if reader.duplicates > 0 {
        bail!("{} records were decoded more than once", reader.duplicates);
    }
    let per_sec = |secs: f64| args.records as f64 / secs;
    println!("{:<44} {:>12} {:>10}", "", "records/s", "seconds");
    println!(
        "{:<44} {:>12.0} {:>10.2}",
        "POST /records into the stream (ingest)",
        per_sec(run.ingest_secs),
        run.ingest_secs
    );
    println!(
        "{:<44} {:>12.0} {:>10.2}   target >= 20,000",
        "API -> stream -> mapping -> consumer",
        per_sec(run.end_to_end_secs),
        run.end_to_end_secs
    );
    println!(
        "  every record decoded exactly once ({} log lines); process CPU {:.1} s, {:.1} ms per 1,000 records",
        reader.lines,
        run.cpu_secs,
        run.cpu_secs * 1e6 / args.records as f64
    );

    breakdown(&sdk, &deployed).await?;

    let (through_api, put_records) = latencies(&api, &direct, args.records, args.samples).await?;
    println!("latency of one 500-record call, {} each, alternating, one at a time (ms)", args.samples);
    println!("{:<44} {:>10} {:>10}", "", "p50", "p99");
    let row = |name: &str, t: &[f64]| println!("{name:<44} {:>10.2} {:>10.2}", percentile(t, 50), percentile(t, 99));
    row("PutRecords, direct (baseline)", &put_records);
    row("POST /records through the API", &through_api);
    println!(
        "{:<44} {:>9.2}x {:>9.2}x   target <= 2x",
        "  ratio to PutRecords",
        percentile(&through_api, 50) / percentile(&put_records, 50),
        percentile(&through_api, 99) / percentile(&put_records, 99)
    );
    running.shutdown().await;
    Ok(())
}
