//! The producer engine: records from a workload, paced at the asked rate, batched per request within the
//! stream's limits, sent with a bounded number of requests in flight, and retried until acknowledged or
//! expired. Throttling is handled per shard: a shard that answered ProvisionedThroughputExceeded waits
//! out its backoff while records for the other shards keep going. The engine owns every retry (its SDK
//! client retries nothing), so each one is counted, and a retry after a lost answer is reported as a
//! possible duplicate rather than hidden.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
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
use super::sink::{CallFailure, FailureKind, KinesisSink, RecordResult, SharedSink, SinkAnswer, SinkRecord};
use super::workloads::Workload;
use crate::cloud::clock::Clock;
use crate::kpl::{self, Aggregator, UserRecord};

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

/// A point on the engine's clock, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Instant(i64);

impl std::ops::Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
    }
}

impl std::ops::Sub for Instant {
    type Output = Duration;

    fn sub(self, earlier: Instant) -> Duration {
        Duration::from_millis(u64::try_from(self.0 - earlier.0).unwrap_or(0))
    }
}

impl Instant {
    fn duration_since(self, earlier: Instant) -> Duration {
        self - earlier
    }
}

/// PutRecords takes at most 500 records and 10 MiB (data and partition keys) per request.
pub const REQUEST_RECORDS: usize = 500;
pub const REQUEST_BYTES: usize = 10 * 1024 * 1024;
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

/// A record made and not yet acknowledged.
#[derive(Debug)]
struct Owed {
    record: UserRecord,
    born: Instant,
}

#[derive(Debug)]
struct ShardQueue {
    owed: VecDeque<Owed>,
    /// Throttled or failed: nothing goes to this shard before then.
    not_before: Instant,
    failures: u32,
}

/// One Kinesis record of a request and the user records it carries (one, unless aggregated).
struct Entry {
    shard: String,
    partition_key: String,
    explicit_hash_key: Option<String>,
    data: Vec<u8>,
    members: Vec<Owed>,
}

struct Answer {
    entries: Vec<Entry>,
    result: SinkAnswer,
    latency: Duration,
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
        let mut run = Run::new(start);
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
                let entries = run.next_request(&self, now);
                if entries.is_empty() {
                    break;
                }
                run.send(&self, entries, tx.clone());
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
                    if let Err(e) = run.answered(&self, answer, self.now()) {
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
        let Some(record) = workload.next_record() else { return (pulled, true) };
        pulled += 1;
        run.take(p, record, now);
    }
    (pulled, false)
}

/// The state of one run: the queues per predicted shard and the requests out.
struct Run {
    queues: BTreeMap<String, ShardQueue>,
    queued: usize,
    in_flight_records: usize,
    requests_in_flight: usize,
    /// Which shard a request starts with, turning, so no shard waits behind the others.
    turn: usize,
    start: Instant,
}

impl Run {
    fn new(start: Instant) -> Run {
        Run { queues: BTreeMap::new(), queued: 0, in_flight_records: 0, requests_in_flight: 0, turn: 0, start }
    }

    fn owed(&self) -> usize {
        self.queued + self.in_flight_records
    }

    fn take(&mut self, p: &Producer, record: UserRecord, now: Instant) {
        Counters::add(&p.counters.produced, 1);
        if record.partition_key.len() + record.data.len() > p.max_record_bytes {
            Counters::add(&p.counters.failed, 1);
            return;
        }
        let shard =
            p.map.shard_for(&record.partition_key, record.explicit_hash_key.as_deref()).unwrap_or_default().to_string();
        self.enqueue(shard, Owed { record, born: now }, false);
    }

    fn enqueue(&mut self, shard: String, owed: Owed, front: bool) {
        let q = self.queues.entry(shard).or_insert_with(|| ShardQueue {
            owed: VecDeque::new(),
            not_before: self.start,
            failures: 0,
        });
        if front {
            q.owed.push_front(owed)
        } else {
            q.owed.push_back(owed)
        }
        self.queued += 1;
    }

    /// The earliest instant a queued record may be sent, if it is later than now.
    fn next_ready(&self, now: Instant) -> Option<Instant> {
        self.queues.values().filter(|q| !q.owed.is_empty() && q.not_before > now).map(|q| q.not_before).min()
    }

    /// The next request: records of every shard that may be written, a fair share each, within 500 records
    /// and 10 MiB. Records past their TTL are counted expired here, before they are sent again.
    fn next_request(&mut self, p: &Producer, now: Instant) -> Vec<Entry> {
        let ready: Vec<String> = self
            .queues
            .iter()
            .filter(|(_, q)| !q.owed.is_empty() && q.not_before <= now)
            .map(|(s, _)| s.clone())
            .collect();
        if ready.is_empty() {
            return Vec::new();
        }
        self.turn = self.turn.wrapping_add(1);
        let most = p.request_records();
        let share = most.div_ceil(ready.len());
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        for i in 0..ready.len() {
            let shard = &ready[(self.turn + i) % ready.len()];
            let Some(q) = self.queues.get_mut(shard) else { continue };
            let mut taken = 0;
            while taken < share && entries.len() < most {
                let Some(owed) = q.owed.pop_front() else { break };
                self.queued -= 1;
                if now.duration_since(owed.born) > p.settings.ttl {
                    Counters::add(&p.counters.expired, 1);
                    continue;
                }
                let entry = if p.settings.aggregate {
                    aggregate(shard, owed, q, &mut self.queued, p.max_record_bytes)
                } else {
                    Entry {
                        shard: shard.clone(),
                        partition_key: owed.record.partition_key.clone(),
                        explicit_hash_key: owed.record.explicit_hash_key.clone(),
                        data: owed.record.data.clone(),
                        members: vec![owed],
                    }
                };
                let size = entry.partition_key.len() + entry.data.len();
                if bytes + size > REQUEST_BYTES && !entries.is_empty() {
                    for m in entry.members.into_iter().rev() {
                        q.owed.push_front(m);
                        self.queued += 1;
                    }
                    return entries;
                }
                bytes += size;
                taken += 1;
                entries.push(entry);
            }
        }
        entries
    }

    fn send(&mut self, p: &Producer, entries: Vec<Entry>, tx: mpsc::UnboundedSender<Answer>) {
        // Answers pair with records by position, so the request and the entries kept stay in step.
        let request: Vec<SinkRecord> = entries
            .iter()
            .map(|e| SinkRecord {
                partition_key: e.partition_key.clone(),
                explicit_hash_key: e.explicit_hash_key.clone(),
                data: e.data.clone(),
            })
            .collect();
        let records: usize = entries.iter().map(|e| e.members.len()).sum();
        self.in_flight_records += records;
        self.requests_in_flight += 1;
        Counters::add(&p.counters.sent, records as u64);
        Counters::add(&p.counters.in_flight, records as u64);
        let call = p.sink.put(request);
        tokio::spawn(async move {
            let sent = std::time::Instant::now();
            let result = call.await;
            let _ = tx.send(Answer { entries, result, latency: sent.elapsed() });
        });
    }

    /// Counts an answer and queues again what it did not acknowledge. Errors no retry mends are returned.
    fn answered(&mut self, p: &Producer, answer: Answer, now: Instant) -> anyhow::Result<()> {
        let records: usize = answer.entries.iter().map(|e| e.members.len()).sum();
        self.in_flight_records -= records;
        self.requests_in_flight -= 1;
        Counters::sub(&p.counters.in_flight, records as u64);
        let results = match answer.result {
            Ok(results) => results,
            Err(e) => return self.request_failed(p, answer.entries, e, now),
        };
        let mut failed_shards = BTreeSet::new();
        for (i, entry) in answer.entries.into_iter().enumerate() {
            // An answer with fewer results than records leaves the rest unknown: they are sent again.
            let Some(result) = results.get(i) else {
                let n = entry.members.len() as u64;
                Counters::add(&p.counters.retried, n);
                Counters::add(&p.counters.possible_duplicates, n);
                for m in entry.members.into_iter().rev() {
                    self.enqueue(entry.shard.clone(), m, true);
                }
                failed_shards.insert(entry.shard);
                continue;
            };
            match result {
                RecordResult::Acknowledged { shard_id } => {
                    let shard = shard_id.as_deref().unwrap_or(&entry.shard);
                    p.counters.acknowledge(shard, entry.members.len() as u64, answer.latency);
                    if let Some(q) = self.queues.get_mut(&entry.shard) {
                        q.failures = 0;
                    }
                }
                RecordResult::Failed { code } => {
                    let n = entry.members.len() as u64;
                    if code == "ProvisionedThroughputExceededException" {
                        Counters::add(&p.counters.throttled, n);
                    }
                    Counters::add(&p.counters.retried, n);
                    for m in entry.members.into_iter().rev() {
                        self.enqueue(entry.shard.clone(), m, true);
                    }
                    failed_shards.insert(entry.shard);
                }
            }
        }
        // One step of backoff per shard and answer, however many of its records failed.
        for shard in failed_shards {
            self.back_off(p, &shard, now);
        }
        Ok(())
    }

    fn request_failed(
        &mut self,
        p: &Producer,
        entries: Vec<Entry>,
        e: CallFailure,
        now: Instant,
    ) -> anyhow::Result<()> {
        let n: u64 = entries.iter().map(|e| e.members.len() as u64).sum();
        match e.kind {
            FailureKind::Fatal => {
                for entry in entries {
                    for m in entry.members {
                        self.enqueue(entry.shard.clone(), m, true);
                    }
                }
                return Err(anyhow::Error::new(e));
            }
            FailureKind::Throttled => Counters::add(&p.counters.throttled, n),
            FailureKind::MaybeLanded => Counters::add(&p.counters.possible_duplicates, n),
            FailureKind::Retryable => {}
        }
        Counters::add(&p.counters.retried, n);
        let mut shards = BTreeSet::new();
        for entry in entries {
            for m in entry.members.into_iter().rev() {
                self.enqueue(entry.shard.clone(), m, true);
            }
            shards.insert(entry.shard);
        }
        for shard in shards {
            self.back_off(p, &shard, now);
        }
        Ok(())
    }

    /// The shard's next attempt waits a jittered, growing delay; the other shards are not held.
    fn back_off(&mut self, p: &Producer, shard: &str, now: Instant) {
        let start = self.start;
        let q = self.queues.entry(shard.to_string()).or_insert_with(|| ShardQueue {
            owed: VecDeque::new(),
            not_before: start,
            failures: 0,
        });
        let delay = p.settings.backoff.delay(q.failures, fastrand::f64());
        q.not_before = q.not_before.max(now + delay);
        q.failures = q.failures.saturating_add(1);
    }
}

/// `first` and as many more of its shard's queue as fit in one aggregate, as one entry routed by `first`.
fn aggregate(shard: &str, first: Owed, q: &mut ShardQueue, queued: &mut usize, max_record_bytes: usize) -> Entry {
    let mut agg = Aggregator::new(kpl::DEFAULT_MAX_BYTES.min(max_record_bytes));
    let mut members = Vec::new();
    let _ = agg.try_add(first.record.clone());
    members.push(first);
    while let Some(next) = q.owed.pop_front() {
        if agg.try_add(next.record.clone()).is_err() {
            q.owed.push_front(next);
            break;
        }
        *queued -= 1;
        members.push(next);
    }
    match agg.finish() {
        Some(a) if members.len() > 1 => Entry {
            shard: shard.to_string(),
            partition_key: a.partition_key,
            explicit_hash_key: a.explicit_hash_key,
            data: a.data,
            members,
        },
        // One record alone is sent as it is: nothing to gain from the framing.
        _ => {
            let only = &members[0].record;
            Entry {
                shard: shard.to_string(),
                partition_key: only.partition_key.clone(),
                explicit_hash_key: only.explicit_hash_key.clone(),
                data: only.data.clone(),
                members,
            }
        }
    }
}
