//! CloudWatch metrics: PutMetricData ingest and GetMetricData latency through the Rust SDK against
//! an in-process local cloud, each next to the same work done directly on the store in the same run
//! (so the wire's share is a ratio), plus the resident memory of 300 metrics × 3 h of 1-second data.
//!
//! Method:
//! * Ingest: `INGEST_REQUESTS` PutMetricData calls of 1,000 high-resolution datums (50 metrics × 20 s),
//!   `CLIENTS` at a time; baseline: the same datums handed to `MetricStore::ingest`.
//! * Memory: 300 metrics × 10,800 seconds (one value per metric per second, published through the
//!   metric sink minute by minute), closed minutes sealed; RSS from `/proc/self/statm` before and after.
//! * Query: one GetMetricData of 50 MetricStat queries (Average, 10-second period) over those 3 hours
//!   (50 × 1,080 datapoints), `QUERY_RUNS` times; baseline: `run_queries` on the same store.
//!
//! Run: `cargo bench --bench metrics`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricDatum, MetricStat};
use kinesis_console::cloud::cloudwatch::model;
use kinesis_console::cloud::cloudwatch::query::run_queries;
use kinesis_console::cloud::cloudwatch::storage::agg::Agg;
use kinesis_console::cloud::cloudwatch::storage::{self, MetricStore, Observation, SeriesKey};
use kinesis_console::cloud::metric_sink::{Datum, Sample};
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials};

const CLIENTS: usize = 4;
const INGEST_REQUESTS: usize = 200;
const METRICS: usize = 300;
const QUERIED: usize = 50;
const SECONDS: i64 = 3 * 3600;
const QUERY_RUNS: usize = 30;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / 1_048_576.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn sdk_datum(metric: usize, ts_ms: i64) -> MetricDatum {
    MetricDatum::builder()
        .metric_name(format!("Ingest{metric:02}"))
        .dimensions(Dimension::builder().name("Stream").value("bench").build())
        .timestamp(DateTime::from_millis(ts_ms))
        .value((ts_ms / 1000 % 97) as f64)
        .storage_resolution(1)
        .build()
}

fn series_name(i: usize) -> String {
    format!("Metric{i:03}")
}

async fn ingest(cw: &aws_sdk_cloudwatch::Client, store: &Arc<MetricStore>, start_ms: i64) {
    let batches: Vec<Vec<MetricDatum>> = (0..INGEST_REQUESTS)
        .map(|r| {
            let base = start_ms + r as i64 * 20_000;
            (0..1000).map(|i| sdk_datum(i % 50, base + (i / 50) as i64 * 1000)).collect()
        })
        .collect();
    let total = INGEST_REQUESTS * 1000;
    let started = Instant::now();
    let mut chunks = batches.chunks(INGEST_REQUESTS.div_ceil(CLIENTS)).map(<[_]>::to_vec).collect::<Vec<_>>();
    let tasks: Vec<_> = chunks
        .drain(..)
        .map(|mine| {
            let cw = cw.clone();
            tokio::spawn(async move {
                for batch in mine {
                    cw.put_metric_data().namespace("Bench").set_metric_data(Some(batch)).send().await.expect("put");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("ingest task");
    }
    let wire = total as f64 / started.elapsed().as_secs_f64();

    let mut observations: Vec<Observation> = (0..total)
        .map(|i| Observation {
            key: SeriesKey {
                namespace: "Direct".into(),
                name: format!("Ingest{:02}", i % 50),
                dimensions: vec![("Stream".into(), "bench".into())],
                unit: "None".into(),
            },
            timestamp_ms: start_ms + (i / 50) as i64 * 1000,
            agg: Agg::value((i % 97) as f64),
            high_resolution: true,
        })
        .collect();
    let mut batches = Vec::new();
    while !observations.is_empty() {
        let rest = observations.split_off(observations.len().min(1000));
        batches.push(std::mem::replace(&mut observations, rest));
    }
    let started = Instant::now();
    for batch in batches {
        store.ingest(batch);
    }
    let direct = total as f64 / started.elapsed().as_secs_f64();
    println!("PutMetricData ingest ({total} datums, 1,000 per request, {CLIENTS} clients):");
    println!("  SDK over the wire: {wire:>12.0} datums/s");
    println!("  store directly:    {direct:>12.0} datums/s   (wire/direct = {:.3})", wire / direct);
}

fn load(cloud: &cloud::RunningCloud, store: &MetricStore, end_ms: i64) {
    let start_ms = end_ms - SECONDS * 1000;
    for minute in 0..SECONDS / 60 {
        let datums = (0..METRICS)
            .flat_map(|m| {
                (0..60).map(move |s| {
                    let ts = start_ms + (minute * 60 + s) * 1000;
                    Datum {
                        namespace: "Load".into(),
                        name: series_name(m),
                        dimensions: vec![("Stream".into(), "bench".into())],
                        unit: "Count".into(),
                        timestamp_ms: ts,
                        sample: Sample::Value(((ts / 1000) % 1000) as f64),
                    }
                })
            })
            .collect();
        cloud.ctx.metric_publisher.publish(datums);
        // Seal closed minutes as the host does every second when data arrives in real time.
        store.maintain(false);
    }
    store.maintain(false);
}

fn queries() -> Vec<model::MetricDataQuery> {
    (0..QUERIED)
        .map(|i| {
            let metric = model::Metric {
                namespace: Some("Load".into()),
                metric_name: Some(series_name(i)),
                dimensions: vec![model::Dimension { name: "Stream".into(), value: "bench".into() }],
            };
            model::MetricDataQuery::of_metric(format!("m{i}"), metric, 10, "Average")
        })
        .collect()
}

fn sdk_queries() -> Vec<MetricDataQuery> {
    (0..QUERIED)
        .map(|i| {
            let metric = Metric::builder()
                .namespace("Load")
                .metric_name(series_name(i))
                .dimensions(Dimension::builder().name("Stream").value("bench").build())
                .build();
            MetricDataQuery::builder()
                .id(format!("m{i}"))
                .metric_stat(MetricStat::builder().metric(metric).period(10).stat("Average").build())
                .build()
        })
        .collect()
}

fn report(name: &str, mut times: Vec<Duration>) -> Duration {
    times.sort();
    let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
    println!("  {name:<18} p50 {:>8.2} ms   p99 {:>8.2} ms", p50.as_secs_f64() * 1e3, p99.as_secs_f64() * 1e3);
    p50
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    // SAFETY: set before any thread reads it.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    let dir = tempfile::tempdir()?;
    let rss_start = rss_mb();
    let running = cloud::start(CloudConfig::ephemeral(dir.path()), LocalCredentials::generate()).await?;
    let store = MetricStore::find(dir.path()).expect("the cloud's metric store");
    let info = running.endpoint_info();
    let cw = aws_sdk_cloudwatch::Client::new(&kinesis_console::target::local_sdk_config(&info).await);
    let now = running.ctx.clock.now_ms();
    // The window ends three minutes ahead so that loading time does not push its start out of the 3 hours.
    let end_ms = now - now.rem_euclid(60_000) + 180_000;

    let rss_before = rss_mb();
    let loading = Instant::now();
    load(&running, &store, end_ms);
    let rss_after = rss_mb();
    // Let the host's periodic flush write the backlog out, as it would in steady state.
    tokio::time::sleep(storage::FLUSH_EVERY + Duration::from_secs(2)).await;
    let rss_flushed = rss_mb();
    println!(
        "Memory for {METRICS} metrics × 3 h of 1-second data ({} datums, loaded in {:.1} s):",
        METRICS as i64 * SECONDS,
        loading.elapsed().as_secs_f64()
    );
    println!(
        "  process RSS: {rss_start:.1} MB at start, {rss_before:.1} MB before loading, {rss_after:.1} MB after, {rss_flushed:.1} MB after the first flush"
    );
    println!("  store's own estimate of its blocks: {:.1} MB", store.resident_bytes() as f64 / 1_048_576.0);

    let start_ms = end_ms - SECONDS * 1000;
    let direct_queries = queries();
    let (mut direct, mut wire) = (Vec::new(), Vec::new());
    // Interleaved, so both see the same machine load and caches.
    for _ in 0..QUERY_RUNS {
        let t = Instant::now();
        let r = run_queries(&store, &direct_queries, start_ms, end_ms).map_err(|e| anyhow::anyhow!("{e}"))?;
        direct.push(t.elapsed());
        assert_eq!(r[0].values.len(), (SECONDS / 10) as usize);
        let t = Instant::now();
        let out = cw
            .get_metric_data()
            .set_metric_data_queries(Some(sdk_queries()))
            .start_time(DateTime::from_millis(start_ms))
            .end_time(DateTime::from_millis(end_ms))
            .send()
            .await?;
        wire.push(t.elapsed());
        assert_eq!(out.metric_data_results()[0].values().len(), (SECONDS / 10) as usize);
    }
    println!(
        "GetMetricData, {QUERIED} metrics × 3 h at a 10-second period ({} datapoints), {QUERY_RUNS} runs:",
        QUERIED as i64 * SECONDS / 10
    );
    let w = report("SDK over the wire", wire);
    let d = report("run_queries", direct);
    println!("  wire/direct (p50) = {:.2}", w.as_secs_f64() / d.as_secs_f64());

    ingest(&cw, &store, end_ms - 2 * 3_600_000).await;
    running.shutdown().await;
    Ok(())
}
