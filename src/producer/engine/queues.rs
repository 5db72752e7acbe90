//! The state of one run: a queue per predicted shard, the requests made from them, and what their answers
//! put back. Queues are kept by the shard map's slot, so placing, batching and acknowledging a record
//! neither copies nor compares shard ids; a record crosses into a request with one copy of its keys and
//! data (the SDK's request owns what it sends) and the rest of its way is moves.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::kpl::{self, Aggregator, UserRecord};
use crate::producer::counters::Counters;
use crate::producer::pacing::Backoff;
use crate::producer::shard_map::ShardMap;
use crate::producer::sink::SharedSink;
use crate::producer::sink::{CallFailure, FailureKind, RecordResult, SinkAnswer, SinkRecord};

/// A point on the engine's clock, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Instant(pub(super) i64);

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
    pub(super) fn duration_since(self, earlier: Instant) -> Duration {
        self - earlier
    }
}

/// PutRecords takes at most 500 records and 10 MiB (data and partition keys) per request.
pub const REQUEST_RECORDS: usize = 500;
pub const REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// What a run's queues use of their producer: its sink, shard map, counters and limits.
pub(super) struct Handles<'a> {
    pub sink: &'a SharedSink,
    pub map: &'a ShardMap,
    pub counters: &'a Counters,
    pub max_record_bytes: usize,
    pub request_records: usize,
    pub ttl: Duration,
    pub aggregate: bool,
    pub backoff: &'a Backoff,
}

/// A record made and not yet acknowledged.
#[derive(Debug)]
pub(super) struct Owed {
    record: UserRecord,
    born: Instant,
}

#[derive(Debug)]
struct ShardQueue {
    /// The shard's id; empty for the queue of records no known shard holds.
    id: String,
    owed: VecDeque<Owed>,
    /// Throttled or failed: nothing goes to this shard before then.
    not_before: Instant,
    failures: u32,
}

/// One Kinesis record of a request and the user records it carries: one, unless aggregated.
pub(super) struct Entry {
    slot: usize,
    /// The aggregate sent for `first` and `more`; a lone record is sent as it is.
    aggregate: Option<SinkRecord>,
    first: Owed,
    more: Vec<Owed>,
}

impl Entry {
    fn records(&self) -> usize {
        1 + self.more.len()
    }

    /// Bytes it counts for in a request's size limit.
    fn size(&self) -> usize {
        match &self.aggregate {
            Some(a) => a.partition_key.len() + a.data.len(),
            None => self.first.record.partition_key.len() + self.first.record.data.len(),
        }
    }

    /// The record as the request carries it: the aggregate is handed over (a retry aggregates its members
    /// again), a lone record is copied, since it stays owed until acknowledged.
    fn wire(&mut self) -> SinkRecord {
        self.aggregate.take().unwrap_or_else(|| SinkRecord {
            partition_key: self.first.record.partition_key.clone(),
            explicit_hash_key: self.first.record.explicit_hash_key.clone(),
            data: self.first.record.data.clone(),
        })
    }

    fn into_members(self) -> impl DoubleEndedIterator<Item = Owed> {
        std::iter::once(self.first).chain(self.more)
    }
}

pub(super) struct Answer {
    entries: Vec<Entry>,
    result: SinkAnswer,
    latency: Duration,
}

pub(super) struct Run {
    /// One queue per slot of the shard map, and a last one for records it places nowhere.
    queues: Vec<ShardQueue>,
    queued: usize,
    in_flight_records: usize,
    pub(super) requests_in_flight: usize,
    /// Which shard a request starts with, turning, so no shard waits behind the others.
    turn: usize,
}

impl Run {
    pub(super) fn new(p: &Handles<'_>, start: Instant) -> Run {
        let ids = (0..p.map.len()).map(|slot| p.map.id(slot).unwrap_or_default().to_string());
        let queues = ids
            .chain([String::new()])
            .map(|id| ShardQueue { id, owed: VecDeque::new(), not_before: start, failures: 0 })
            .collect();
        Run { queues, queued: 0, in_flight_records: 0, requests_in_flight: 0, turn: 0 }
    }

    pub(super) fn owed(&self) -> usize {
        self.queued + self.in_flight_records
    }

    /// Queues a record the workload made (counted as produced by the caller) for its predicted shard.
    pub(super) fn take(&mut self, p: &Handles<'_>, record: UserRecord, now: Instant) {
        if record.partition_key.len() + record.data.len() > p.max_record_bytes {
            Counters::add(&p.counters.failed, 1);
            return;
        }
        let slot = p.map.slot_for(&record.partition_key, record.explicit_hash_key.as_deref());
        self.enqueue(slot.unwrap_or(self.queues.len() - 1), Owed { record, born: now }, false);
    }

    fn enqueue(&mut self, slot: usize, owed: Owed, front: bool) {
        let q = &mut self.queues[slot];
        if front {
            q.owed.push_front(owed)
        } else {
            q.owed.push_back(owed)
        }
        self.queued += 1;
    }

    /// Puts an entry's records back at the head of its queue, in their order, to be sent again.
    fn requeue(&mut self, entry: Entry) {
        let slot = entry.slot;
        for m in entry.into_members().rev() {
            self.enqueue(slot, m, true);
        }
    }

    /// The earliest instant a queued record may be sent, if it is later than now.
    pub(super) fn next_ready(&self, now: Instant) -> Option<Instant> {
        self.queues.iter().filter(|q| !q.owed.is_empty() && q.not_before > now).map(|q| q.not_before).min()
    }

    /// The next request: records of every shard that may be written, a fair share each, within 500 records
    /// and 10 MiB. Records past their TTL are counted expired here, before they are sent again.
    pub(super) fn next_request(&mut self, p: &Handles<'_>, now: Instant) -> Vec<Entry> {
        let ready: Vec<usize> = (0..self.queues.len())
            .filter(|&s| !self.queues[s].owed.is_empty() && self.queues[s].not_before <= now)
            .collect();
        if ready.is_empty() {
            return Vec::new();
        }
        self.turn = self.turn.wrapping_add(1);
        let most = p.request_records;
        let share = most.div_ceil(ready.len());
        let mut entries = Vec::with_capacity(most);
        let mut bytes = 0usize;
        for i in 0..ready.len() {
            let slot = ready[(self.turn + i) % ready.len()];
            let q = &mut self.queues[slot];
            let mut taken = 0;
            while taken < share && entries.len() < most {
                let Some(owed) = q.owed.pop_front() else { break };
                self.queued -= 1;
                if now.duration_since(owed.born) > p.ttl {
                    Counters::add(&p.counters.expired, 1);
                    continue;
                }
                let entry = if p.aggregate {
                    aggregate(slot, owed, q, &mut self.queued, p.max_record_bytes)
                } else {
                    Entry { slot, aggregate: None, first: owed, more: Vec::new() }
                };
                let size = entry.size();
                if bytes + size > REQUEST_BYTES && !entries.is_empty() {
                    for m in entry.into_members().rev() {
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

    pub(super) fn send(&mut self, p: &Handles<'_>, mut entries: Vec<Entry>, tx: mpsc::UnboundedSender<Answer>) {
        // Answers pair with records by position, so the request and the entries kept stay in step.
        let request: Vec<SinkRecord> = entries.iter_mut().map(Entry::wire).collect();
        let records: usize = entries.iter().map(Entry::records).sum();
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
    pub(super) fn answered(&mut self, p: &Handles<'_>, answer: Answer, now: Instant) -> anyhow::Result<()> {
        let records: usize = answer.entries.iter().map(Entry::records).sum();
        self.in_flight_records -= records;
        self.requests_in_flight -= 1;
        Counters::sub(&p.counters.in_flight, records as u64);
        let results = match answer.result {
            Ok(results) => results,
            Err(e) => return self.request_failed(p, answer.entries, e, now),
        };
        // Acknowledgements are counted once per shard and answer: the counters take a lock per call.
        let mut acked = vec![0u64; self.queues.len()];
        let mut failed = vec![false; self.queues.len()];
        for (i, entry) in answer.entries.into_iter().enumerate() {
            let n = entry.records() as u64;
            match results.get(i) {
                Some(RecordResult::Acknowledged { shard_id }) => {
                    let q = &mut self.queues[entry.slot];
                    q.failures = 0;
                    match shard_id.as_deref() {
                        // Placed elsewhere than predicted (the shards changed since the map was read).
                        Some(id) if id != q.id => p.counters.acknowledge(id, n, answer.latency),
                        _ => acked[entry.slot] += n,
                    }
                }
                Some(RecordResult::Failed { code }) => {
                    if code == "ProvisionedThroughputExceededException" {
                        Counters::add(&p.counters.throttled, n);
                    }
                    Counters::add(&p.counters.retried, n);
                    failed[entry.slot] = true;
                    self.requeue(entry);
                }
                // An answer with fewer results than records leaves the rest unknown: they are sent again.
                None => {
                    Counters::add(&p.counters.retried, n);
                    Counters::add(&p.counters.possible_duplicates, n);
                    failed[entry.slot] = true;
                    self.requeue(entry);
                }
            }
        }
        for (slot, n) in acked.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            p.counters.acknowledge(&self.queues[slot].id, n, answer.latency);
        }
        // One step of backoff per shard and answer, however many of its records failed.
        for slot in (0..failed.len()).filter(|&s| failed[s]) {
            self.back_off(p, slot, now);
        }
        Ok(())
    }

    fn request_failed(
        &mut self,
        p: &Handles<'_>,
        entries: Vec<Entry>,
        e: CallFailure,
        now: Instant,
    ) -> anyhow::Result<()> {
        let n: u64 = entries.iter().map(|e| e.records() as u64).sum();
        if e.kind == FailureKind::Fatal {
            for entry in entries {
                self.requeue(entry);
            }
            return Err(anyhow::Error::new(e));
        }
        match e.kind {
            FailureKind::Throttled => Counters::add(&p.counters.throttled, n),
            FailureKind::MaybeLanded => Counters::add(&p.counters.possible_duplicates, n),
            FailureKind::Retryable | FailureKind::Fatal => {}
        }
        Counters::add(&p.counters.retried, n);
        let mut failed = vec![false; self.queues.len()];
        for entry in entries {
            failed[entry.slot] = true;
            self.requeue(entry);
        }
        for slot in (0..failed.len()).filter(|&s| failed[s]) {
            self.back_off(p, slot, now);
        }
        Ok(())
    }

    /// The shard's next attempt waits a jittered, growing delay; the other shards are not held.
    fn back_off(&mut self, p: &Handles<'_>, slot: usize, now: Instant) {
        let q = &mut self.queues[slot];
        let delay = p.backoff.delay(q.failures, fastrand::f64());
        q.not_before = q.not_before.max(now + delay);
        q.failures = q.failures.saturating_add(1);
    }
}

/// `first` and as many more of its shard's queue as fit in one aggregate, as one entry routed by `first`.
fn aggregate(slot: usize, first: Owed, q: &mut ShardQueue, queued: &mut usize, max_record_bytes: usize) -> Entry {
    let mut agg = Aggregator::new(kpl::DEFAULT_MAX_BYTES.min(max_record_bytes));
    let mut more = Vec::new();
    let _ = agg.try_add(first.record.clone());
    while let Some(next) = q.owed.pop_front() {
        if agg.try_add(next.record.clone()).is_err() {
            q.owed.push_front(next);
            break;
        }
        *queued -= 1;
        more.push(next);
    }
    // One record alone is sent as it is: nothing to gain from the framing.
    let aggregate = agg.finish().filter(|_| !more.is_empty()).map(|a| SinkRecord {
        partition_key: a.partition_key,
        explicit_hash_key: a.explicit_hash_key,
        data: a.data,
    });
    Entry { slot, aggregate, first, more }
}
