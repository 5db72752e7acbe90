//! The sample that moves: a one-shard stream and a dashboard charting it, fed with a few ticker
//! records a second by a task of the console process until the console exits. A newcomer sees real
//! records and the metrics the local Kinesis publishes for them within seconds, never a fake chart.
//!
//! Only on the local cloud: on AWS (or any other endpoint) the stream and the dashboard would be
//! billed resources in someone's account, created by a key press.

use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::Access;
use crate::target::{Connection, Target};

/// The stream and the dashboard share this name.
pub const NAME: &str = "kinesis-console-sample";

/// The feeder's pace: one PutRecords of `RECORDS_PER_TICK` records and one GetRecords per tick, well
/// inside a shard's 1,000 records/s write and 5 reads/s limits.
const TICK: Duration = Duration::from_millis(250);
const RECORDS_PER_TICK: usize = 2;

/// After a failed call the feeder waits this long, so a deleted stream or a stopped cloud fills the
/// log with one line every few seconds rather than four a second.
const BACKOFF: Duration = Duration::from_secs(5);

const TICKERS: [(&str, f64); 5] = [("AMZN", 185.0), ("AAPL", 190.0), ("MSFT", 420.0), ("NVDA", 120.0), ("TSLA", 240.0)];

/// What `start` did, as one sentence for the console's status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub stream_created: bool,
    pub feeding_already: bool,
}

impl Started {
    pub fn sentence(&self) -> String {
        let what = if self.stream_created { "created" } else { "found" };
        let feed = if self.feeding_already { "already feeding it" } else { "feeding it a few records a second" };
        format!("sample stream {NAME} {what}, dashboard {NAME} written; {feed}")
    }
}

/// The task putting records on the sample stream; dropping it stops the feed.
pub struct Feeder {
    task: JoinHandle<()>,
}

impl Feeder {
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the sample is refused on this connection, if it is.
pub fn refusal(conn: &Connection, access: Access) -> anyhow::Result<()> {
    access.check("create the sample stream")?;
    if conn.local.is_some() {
        return Ok(());
    }
    let why = match &conn.target {
        Target::Aws { .. } => "it would create a stream and a dashboard billed to the account",
        _ => "it would create a stream and a dashboard on a cloud this console does not host",
    };
    anyhow::bail!(
        "the sample stream runs only on the local cloud: on {} {why}; open the console without --target aws \
         or --endpoint-url to try it",
        conn.target
    )
}

/// Creates what is missing (the stream, the dashboard) and starts feeding unless `feeder` already
/// does. The feeder waits for the stream to be ACTIVE itself, so this returns at once.
pub async fn start(
    conn: &Connection,
    access: Access,
    feeder: &tokio::sync::Mutex<Option<Feeder>>,
) -> anyhow::Result<Started> {
    refusal(conn, access)?;
    let kinesis = aws_sdk_kinesis::Client::new(&conn.sdk);
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&conn.sdk);
    let stream_created = ensure_stream(&kinesis).await?;
    let region = conn.sdk.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".to_string());
    let body = dashboard_body(NAME, &region);
    cloudwatch
        .put_dashboard()
        .dashboard_name(NAME)
        .dashboard_body(body.to_string())
        .send()
        .await
        .map_err(aws_sdk_cloudwatch::Error::from)
        .with_context(|| format!("PutDashboard {NAME} failed"))?;
    let mut slot = feeder.lock().await;
    let feeding_already = slot.as_ref().is_some_and(Feeder::is_running);
    if !feeding_already {
        *slot = Some(Feeder { task: tokio::spawn(feed(kinesis, NAME.to_string())) });
    }
    Ok(Started { stream_created, feeding_already })
}

/// Creates the one-shard stream unless it exists; true when it was created.
async fn ensure_stream(kinesis: &aws_sdk_kinesis::Client) -> anyhow::Result<bool> {
    match kinesis.describe_stream_summary().stream_name(NAME).send().await {
        Ok(_) => return Ok(false),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_not_found_exception()) => {}
        Err(e) => {
            return Err(aws_sdk_kinesis::Error::from(e))
                .with_context(|| format!("DescribeStreamSummary {NAME} failed"));
        }
    }
    match kinesis.create_stream().stream_name(NAME).shard_count(1).send().await {
        Ok(_) => Ok(true),
        // Another console created it between the two calls: the sample is there all the same.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => Ok(false),
        Err(e) => Err(aws_sdk_kinesis::Error::from(e)).with_context(|| format!("CreateStream {NAME} failed")),
    }
}

/// The sample dashboard: the stream's incoming records and bytes, its readers' iterator age and its
/// throttled writes, each at a 1-second period (the local cloud's resolution) so the charts move
/// within seconds.
pub fn dashboard_body(stream: &str, region: &str) -> Value {
    let widget = |x: i64, y: i64, title: &str, metric: &str, stat: &str| {
        json!({
            "type": "metric",
            "x": x, "y": y, "width": 12, "height": 6,
            "properties": {
                "title": title,
                "view": "timeSeries",
                "region": region,
                "stat": stat,
                "period": 1,
                "metrics": [["AWS/Kinesis", metric, "StreamName", stream]],
            }
        })
    };
    json!({
        // Five minutes at 1-second points, and each graph's own period obeyed ("auto", the default,
        // would let CloudWatch's console coarsen it to the range).
        "start": "-PT5M",
        "periodOverride": "inherit",
        "widgets": [
            {
                "type": "text", "x": 0, "y": 0, "width": 24, "height": 1,
                "properties": { "markdown": format!("# Sample stream {stream}: ticker records, a few a second") }
            },
            widget(0, 1, "Incoming records", "IncomingRecords", "Sum"),
            widget(12, 1, "Incoming bytes", "IncomingBytes", "Sum"),
            widget(0, 7, "Iterator age (ms)", "GetRecords.IteratorAgeMilliseconds", "Maximum"),
            widget(12, 7, "Throttled writes", "WriteProvisionedThroughputExceeded", "Sum"),
        ]
    })
}

/// One ticker event as the pattern 2 producer shapes them: a symbol, a price on a random walk, a time.
pub fn ticker_record(prices: &mut [f64; TICKERS.len()], now_ms: i64) -> (String, Vec<u8>) {
    let i = fastrand::usize(..TICKERS.len());
    let (ticker, _) = TICKERS[i];
    prices[i] = (prices[i] * (1.0 + (fastrand::f64() - 0.5) * 0.01)).max(1.0);
    let body = json!({ "ticker": ticker, "price": (prices[i] * 100.0).round() / 100.0, "event_time_ms": now_ms });
    (ticker.to_string(), body.to_string().into_bytes())
}

/// Puts and reads records until aborted. Reading from LATEST behind the writes gives the stream a
/// real, small iterator age to chart.
async fn feed(kinesis: aws_sdk_kinesis::Client, stream: String) {
    let mut prices = TICKERS.map(|(_, p)| p);
    let mut iterator: Option<String> = None;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = feed_once(&kinesis, &stream, &mut prices, &mut iterator).await {
            tracing::warn!(stream = %stream, error = %format!("{e:#}"), "feeding the sample stream");
            iterator = None;
            tokio::time::sleep(BACKOFF).await;
        }
    }
}

async fn feed_once(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    prices: &mut [f64; TICKERS.len()],
    iterator: &mut Option<String>,
) -> anyhow::Result<()> {
    if iterator.is_none() {
        match first_iterator(kinesis, stream).await? {
            Some(it) => *iterator = Some(it),
            // Still CREATING: try again next tick, without the error backoff.
            None => return Ok(()),
        }
    }
    let now = crate::cloud::clock::wall_ms();
    let mut entries = Vec::with_capacity(RECORDS_PER_TICK);
    for _ in 0..RECORDS_PER_TICK {
        let (key, data) = ticker_record(prices, now);
        entries.push(PutRecordsRequestEntry::builder().partition_key(key).data(Blob::new(data)).build()?);
    }
    kinesis
        .put_records()
        .stream_name(stream)
        .set_records(Some(entries))
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("PutRecords to {stream} failed"))?;
    let out = kinesis
        .get_records()
        .set_shard_iterator(iterator.clone())
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("GetRecords on {stream} failed"))?;
    *iterator = out.next_shard_iterator().map(str::to_string);
    Ok(())
}

/// A LATEST iterator on the stream's first shard; None while the stream is not ACTIVE yet (a new
/// stream is CREATING for a moment and takes no records before).
async fn first_iterator(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> anyhow::Result<Option<String>> {
    let summary = kinesis
        .describe_stream_summary()
        .stream_name(stream)
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("DescribeStreamSummary {stream} failed"))?;
    let active = summary.stream_description_summary().is_some_and(|s| s.stream_status().as_str() == "ACTIVE");
    if !active {
        return Ok(None);
    }
    let shards = kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("ListShards {stream} failed"))?;
    let shard = shards.shards().first().with_context(|| format!("stream {stream} has no shard"))?;
    let it = kinesis
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard.shard_id())
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .map_err(aws_sdk_kinesis::Error::from)
        .with_context(|| format!("GetShardIterator on {stream} {} failed", shard.shard_id()))?;
    let it = it.shard_iterator().with_context(|| format!("stream {stream}: GetShardIterator answered no iterator"))?;
    Ok(Some(it.to_string()))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    use aws_smithy_types::DateTime;

    use super::*;
    use crate::cloud::attach::Attached;
    use crate::cloud::clock::ClockMode;
    use crate::cloud::{CloudConfig, LocalCredentials, RunningCloud};
    use crate::target::local_sdk_config;

    async fn cloud(dir: &std::path::Path) -> RunningCloud {
        let mut config = CloudConfig::ephemeral(dir);
        config.clock = ClockMode::Virtual;
        crate::cloud::start(config, LocalCredentials::generate()).await.expect("the local cloud starts")
    }

    /// A console's connection attached to `cloud` as the local target.
    async fn local(cloud: &RunningCloud, dir: &std::path::Path) -> Connection {
        let info = cloud.endpoint_info();
        let sdk = local_sdk_config(&info).await;
        Connection {
            target: Target::Local { data_dir: dir.to_path_buf() },
            sdk,
            local: Some(Attached::Connected(info)),
        }
    }

    async fn incoming_records(cw: &aws_sdk_cloudwatch::Client, now_ms: i64) -> f64 {
        let metric = Metric::builder()
            .namespace("AWS/Kinesis")
            .metric_name("IncomingRecords")
            .dimensions(Dimension::builder().name("StreamName").value(NAME).build())
            .build();
        let stat = MetricStat::builder().metric(metric).period(1).stat("Sum").build();
        let query = MetricDataQuery::builder().id("records").metric_stat(stat).build();
        let out = cw
            .get_metric_data()
            .metric_data_queries(query)
            .start_time(DateTime::from_millis(now_ms - 120_000))
            .end_time(DateTime::from_millis(now_ms + 1_000))
            .send()
            .await
            .expect("GetMetricData answers");
        out.metric_data_results().iter().flat_map(|r| r.values()).sum()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sample_feeds_real_records_that_the_dashboard_charts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cloud = cloud(dir.path()).await;
        let conn = local(&cloud, dir.path()).await;
        let feeder = tokio::sync::Mutex::new(None);
        let started = start(&conn, Access { read_only: false }, &feeder).await.expect("the sample starts");
        assert_eq!(started, Started { stream_created: true, feeding_already: false });

        let cw = aws_sdk_cloudwatch::Client::new(&conn.sdk);
        let body = cw.get_dashboard().dashboard_name(NAME).send().await.expect("the sample dashboard exists");
        let body: Value = serde_json::from_str(body.dashboard_body().unwrap_or("")).expect("the body is JSON");
        let charted: Vec<&str> = body["widgets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w["properties"]["metrics"][0][1].as_str())
            .collect();
        assert_eq!(
            charted,
            [
                "IncomingRecords",
                "IncomingBytes",
                "GetRecords.IteratorAgeMilliseconds",
                "WriteProvisionedThroughputExceeded"
            ]
        );

        // The stream turns ACTIVE and its metrics are published as cloud time passes; the feeder
        // puts on its own pace, so move the clock a second at a time until the records show.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            cloud.ctx.clock.advance(Duration::from_secs(1)).expect("the clock is virtual");
            tokio::time::timeout(Duration::from_secs(10), cloud.ctx.clock.settled()).await.expect("the cloud settles");
            if incoming_records(&cw, cloud.ctx.clock.now_ms()).await > 0.0 {
                break;
            }
            assert!(Instant::now() < deadline, "no IncomingRecords on {NAME} within 30 s of feeding");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let again = start(&conn, Access { read_only: false }, &feeder).await.expect("a second start is fine");
        assert_eq!(again, Started { stream_created: false, feeding_already: true });
        drop(feeder);
        cloud.shutdown().await;
    }

    #[tokio::test]
    async fn the_sample_is_refused_read_only_and_away_from_the_local_cloud() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cloud = cloud(dir.path()).await;
        let conn = local(&cloud, dir.path()).await;
        let feeder = tokio::sync::Mutex::new(None);
        let err = start(&conn, Access { read_only: true }, &feeder).await.expect_err("read-only refuses");
        assert_eq!(err.to_string(), "refusing to create the sample stream: the console runs with --read-only");

        let endpoint = Connection {
            target: Target::Endpoint { url: cloud.url.clone(), region: None },
            sdk: conn.sdk.clone(),
            local: None,
        };
        let err = start(&endpoint, Access { read_only: false }, &feeder).await.expect_err("an endpoint refuses");
        assert!(
            err.to_string().starts_with("the sample stream runs only on the local cloud: on ENDPOINT http://"),
            "{err}"
        );
        let kinesis = aws_sdk_kinesis::Client::new(&conn.sdk);
        let listed = kinesis.list_streams().send().await.expect("ListStreams answers");
        assert!(listed.stream_names().is_empty(), "a refused start creates nothing");
        assert!(feeder.lock().await.is_none());
        cloud.shutdown().await;
    }

    #[test]
    fn ticker_records_are_json_with_a_symbol_and_a_price() {
        let mut prices = TICKERS.map(|(_, p)| p);
        let (key, data) = ticker_record(&mut prices, 1_700_000_000_000);
        let v: Value = serde_json::from_slice(&data).expect("a record is JSON");
        assert_eq!(v["ticker"].as_str(), Some(key.as_str()));
        assert!(v["price"].as_f64().is_some_and(|p| p > 0.0), "{v}");
        assert_eq!(v["event_time_ms"], 1_700_000_000_000_i64);
    }
}
