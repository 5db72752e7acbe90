//! The producer engine: records from a workload, paced at the asked rate, batched per request within the
//! stream's limits, sent with a bounded number of requests in flight, and retried until acknowledged or
//! expired. Throttling is handled per shard: a shard that answered ProvisionedThroughputExceeded waits
//! out its backoff while records for the other shards keep going. The engine owns every retry (its SDK
//! client retries nothing), so each one is counted, and a retry after a lost answer is reported as a
//! possible duplicate rather than hidden.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use aws_sdk_kinesis::Client;
use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::counters::{Counters, Snapshot};
use super::pacing::{Backoff, Pacer};
use super::shard_map::ShardMap;
use super::sink::{KinesisSink, SharedSink};
use super::workloads::Workload;
use crate::cloud::clock::Clock;

mod queues;

pub use queues::{REQUEST_BYTES, REQUEST_RECORDS};

use queues::{Answer, Handles, Instant, Run};

/// Where the engine reads the time and waits: the wall clock, or (in tests) a local cloud's virtual clock,
/// so a run's pacing is measured in cloud time without waiting on the wall clock.
pub trait TimeSource: Send + Sync {
    fn now_ms(&self) -> i64;
    fn sleep_until(&self, deadline_ms: i64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

impl TimeSource for Clock {
    fn now_ms(&self) -> i64 {
        Clock::now_ms(self)
    }

    fn sleep_until(&self, deadline_ms: i64) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(Clock::sleep_until(self, deadline_ms))
    }
}

/// How often the pacer releases records: small batches, so the rate holds within a second.
const RELEASE_TICK: Duration = Duration::from_millis(50);

/// How the engine runs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Records per second asked for.
    pub rate: f64,
    /// PutRecords requests awaiting an answer at once.
    pub max_in_flight: usize,
    /// A record not acknowledged this long after it was made is counted as expired and not sent again.
    pub ttl: Duration,
    /// KPL aggregation: many user records per Kinesis record.
    pub aggregate: bool,
    pub backoff: Backoff,
    /// At shutdown, how long records still owed may take before they are reported undelivered.
    pub drain: Duration,
    /// Records made but not yet acknowledged, at most; beyond it the workload waits (back-pressure
    /// from a throttled stream, instead of memory without bound).
    pub max_owed: usize,
}

impl Default for Settings {
    /// The KPL's defaults where it has one (a 30-second record TTL).
    fn default() -> Self {
        Settings {
            rate: 100.0,
            max_in_flight: 8,
            ttl: Duration::from_secs(30),
            aggregate: false,
            backoff: Backoff::default(),
            drain: Duration::from_secs(30),
            max_owed: 100_000,
        }
    }
}

/// When the workload stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct Until {
    pub count: Option<u64>,
    pub duration: Option<Duration>,
}

/// How a run ended.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub counters: Snapshot,
    pub elapsed_secs: f64,
    /// Records still owed when the drain ran out (queued or in a request that never answered).
    pub undelivered: u64,
}

impl Summary {
    /// Every record made was acknowledged.
    pub fn delivered_all(&self) -> bool {
        self.undelivered == 0 && self.counters.expired == 0 && self.counters.failed == 0
    }
}

pub struct Producer {
    sink: SharedSink,
    stream: String,
    settings: Settings,
    max_record_bytes: usize,
    map: ShardMap,
    counters: Arc<Counters>,
    clock: Arc<dyn TimeSource>,
}

impl Producer {
    /// Reads the stream's record size limit and shards (with the SDK's own retries); the client that puts
    /// records retries nothing itself, so the engine sees and counts every failure.
    pub async fn connect(sdk: &aws_config::SdkConfig, stream: &str, settings: Settings) -> anyhow::Result<Producer> {
        let reader = Client::new(sdk);
        let summary = reader
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .with_context(|| format!("DescribeStreamSummary on stream {stream}"))?;
        let kib = summary.stream_description_summary().and_then(|s| s.max_record_size_in_kib()).unwrap_or(1024);
        let shards = reader
            .list_shards()
            .stream_name(stream)
            .send()
            .await
            .with_context(|| format!("ListShards on stream {stream}"))?;
        Ok(Producer {
            sink: Arc::new(KinesisSink::new(sdk, stream)),
            stream: stream.to_string(),
            settings,
            max_record_bytes: usize::try_from(kib).unwrap_or(1024) * 1024,
            map: ShardMap::from_shards(shards.shards()),
            counters: Arc::default(),
            clock: Arc::new(Clock::real()),
        })
    }

    /// Sends through `sink` (a pattern's REST API in front of the stream) instead of PutRecords; the shard
    /// map and the record size limit stay the stream's. Aggregation needs a sink that takes binary data.
    pub fn with_sink(mut self, sink: SharedSink) -> anyhow::Result<Producer> {
        anyhow::ensure!(
            sink.takes_binary() || !self.settings.aggregate,
            "KPL aggregation makes binary records, which this sink cannot carry: leave --aggregate off"
        );
        self.sink = sink;
        Ok(self)
    }

    /// Records one request carries: the sink's limit, within PutRecords'.
    /// What a run's queues use of this producer.
    fn handles(&self) -> Handles<'_> {
        Handles {
            sink: &self.sink,
            map: &self.map,
            counters: &self.counters,
            max_record_bytes: self.max_record_bytes,
            request_records: self.request_records(),
            ttl: self.settings.ttl,
            aggregate: self.settings.aggregate,
            backoff: &self.settings.backoff,
        }
    }

    fn request_records(&self) -> usize {
        self.sink.max_records().clamp(1, REQUEST_RECORDS)
    }

    /// Paces and times the run by `clock` instead of the wall clock.
    pub fn with_clock(mut self, clock: Arc<dyn TimeSource>) -> Producer {
        self.clock = clock;
        self
    }

    fn now(&self) -> Instant {
        Instant(self.clock.now_ms())
    }

    /// The live counters, for a progress display.
    pub fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// Runs `workload` until `until` or until `stop` turns true, then drains. Fails only on an error no
    /// retry can mend (no such stream, no permission), after counting what was owed as undelivered.
    pub async fn run(
        self,
        workload: &mut dyn Workload,
        until: Until,
        mut stop: watch::Receiver<bool>,
    ) -> anyhow::Result<Summary> {
        let start = self.now();
        let mut run = Run::new(&self.handles(), start);
        let (tx, mut rx) = mpsc::unbounded_channel::<Answer>();
        let mut pacer = Pacer::new(self.settings.rate);
        let batch = pacer.batch_for(RELEASE_TICK, self.request_records() as u32);
        let mut release: Option<(Instant, u32)> = None;
        // A replay's next record is due later than the rate would allow: nothing is made before then.
        let mut scheduled: Option<Instant> = None;
        let mut made: u64 = 0;
        let mut producing = true;
        let mut drain_until: Option<Instant> = None;
        let mut fatal: Option<anyhow::Error> = None;
        loop {
            let now = self.now();
            let out_of_work = until.count.is_some_and(|c| made >= c)
                || until.duration.is_some_and(|d| now >= start + d)
                || *stop.borrow()
                || fatal.is_some();
            if producing && out_of_work {
                producing = false;
                release = None;
                drain_until = Some(now + self.settings.drain);
            }
            if producing && run.owed() < self.settings.max_owed && scheduled.is_none_or(|t| t <= now) {
                scheduled = None;
                let left = until.count.map_or(u64::from(batch), |c| c.saturating_sub(made));
                let n = u32::try_from(left).unwrap_or(batch).min(batch);
                let (at, n) = *release.get_or_insert_with(|| (start + pacer.reserve(now - start, n), n));
                if at <= now {
                    release = None;
                    let (pulled, ended) = pull(&self, &mut run, workload, n, start, now, &mut scheduled);
                    made += u64::from(pulled);
                    pacer.refund(n - pulled);
                    if ended {
                        // A finite workload (a replay) ran out before the count or the duration.
                        producing = false;
                        drain_until = Some(now + self.settings.drain);
                    }
                    continue;
                }
            }
            while run.requests_in_flight < self.settings.max_in_flight {
                let entries = run.next_request(&self.handles(), now);
                if entries.is_empty() {
                    break;
                }
                run.send(&self.handles(), entries, tx.clone());
            }
            if !producing && run.owed() == 0 && run.requests_in_flight == 0 {
                break;
            }
            if drain_until.is_some_and(|d| now >= d) {
                break;
            }
            let wake =
                [release.map(|(at, _)| at), scheduled, run.next_ready(now), drain_until].into_iter().flatten().min();
            let sleep = self.clock.sleep_until(wake.unwrap_or(now + Duration::from_secs(3600)).0);
            tokio::select! {
                Some(answer) = rx.recv() => {
                    if let Err(e) = run.answered(&self.handles(), answer, self.now()) {
                        fatal.get_or_insert(e);
                    }
                }
                _ = sleep => {}
                changed = stop.changed(), if producing => {
                    if changed.is_err() {
                        // The stopping side went away: treat it as a stop.
                        producing = false;
                        drain_until = Some(self.now() + self.settings.drain);
                    }
                }
            }
        }
        let undelivered = run.owed() as u64;
        let summary = Summary {
            counters: self.counters.snapshot(),
            elapsed_secs: (self.now() - start).as_secs_f64(),
            undelivered,
        };
        match fatal {
            Some(e) => Err(e.context(format!(
                "producing to stream {} stopped: {} of {} records acknowledged, {undelivered} undelivered",
                self.stream, summary.counters.acknowledged, summary.counters.produced
            ))),
            None => Ok(summary),
        }
    }
}

/// Takes up to `n` records from the workload into the queues, stopping at the first record a replay has
/// not yet made due (noting when it is). Says how many it took and whether the workload ended.
fn pull(
    p: &Producer,
    run: &mut Run,
    workload: &mut dyn Workload,
    n: u32,
    start: Instant,
    now: Instant,
    scheduled: &mut Option<Instant>,
) -> (u32, bool) {
    let mut pulled = 0;
    while pulled < n {
        if let Some(due) = workload.next_due().map(|d| start + d)
            && due > now
        {
            *scheduled = Some(due);
            return (pulled, false);
        }
        let Some(record) = workload.next_record() else {
            Counters::add(&p.counters.produced, u64::from(pulled));
            return (pulled, true);
        };
        pulled += 1;
        run.take(&p.handles(), record, now);
    }
    Counters::add(&p.counters.produced, u64::from(pulled));
    (pulled, false)
}
