//! One delivery stream's delivery: its buffer, its read positions and DirectPut journal, and the
//! step the runtime runs each second of the cloud clock (blocking: it reads, compresses and writes).
//!
//! Durability: positions (and the DirectPut journal's delivered mark) are committed only after the
//! object holding the records is written, so a crash re-delivers rather than loses. Before writing,
//! the object's key is recorded as an intent; an intent found at start whose object exists means
//! that object's records were delivered twice, which is counted and logged.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::super::metrics::Stats;
use super::super::model::{DeliveryStream, Intent, Progress, StreamType, intent_key, journal_key, progress_key};
use super::buffer::Buffer;
use super::object::{key_for, write};
pub use super::work::Work;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::doc_store::{Change, DocStore};
use crate::cloud::error::ApiError;

/// DirectPut records acknowledged but not yet buffered, beyond which puts are refused (S3 is
/// failing and the buffer cannot drain): memory stays bounded.
const PENDING_LIMIT: usize = 256 * 1024 * 1024;

pub struct Pipeline {
    pub name: String,
    store: Arc<DocStore>,
    /// The settings' test hook: skip the commit after a write, as a crash there would.
    skip_commit: Arc<AtomicBool>,
    work: Mutex<Work>,
    pending: Mutex<Pending>,
    /// DirectPut counters, kept apart from `work` so a put never waits for a delivery step.
    incoming: Mutex<Stats>,
}

#[derive(Default)]
struct Pending {
    next_seq: u64,
    records: VecDeque<(u64, Millis, Vec<u8>)>,
    bytes: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pipeline {
    /// A pipeline resuming from `committed`, with the journalled DirectPut records not yet delivered.
    pub fn new(
        name: &str,
        store: Arc<DocStore>,
        skip_commit: Arc<AtomicBool>,
        committed: Progress,
        journal: Vec<(u64, Millis, Vec<u8>)>,
    ) -> Self {
        let delivered = committed.journal_delivered;
        let mut pending = Pending { next_seq: delivered, ..Default::default() };
        for (seq, at, data) in journal.into_iter().filter(|(seq, _, _)| *seq >= delivered) {
            pending.next_seq = pending.next_seq.max(seq + 1);
            pending.bytes += data.len();
            pending.records.push_back((seq, at, data));
        }
        let work = Work {
            cursors: committed.shards.clone(),
            journal_buffered: delivered,
            committed,
            buffer: Buffer::default(),
            retry_at: Millis::MIN,
            failures: 0,
            source_error: None,
            stats: Stats::default(),
        };
        Pipeline {
            name: name.to_string(),
            store,
            skip_commit,
            work: Mutex::new(work),
            pending: Mutex::new(pending),
            incoming: Mutex::new(Stats::default()),
        }
    }

    pub fn work(&self) -> MutexGuard<'_, Work> {
        lock(&self.work)
    }

    fn commit(&self, changes: &[Change]) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| {
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                format!("Delivery stream {}: the change could not be stored: {e}", self.name),
            )
        })
    }

    /// Journals DirectPut records durably (one transaction), then queues them for delivery: a put is
    /// acknowledged only once its records survive a crash.
    pub fn accept(&self, records: Vec<Vec<u8>>, now: Millis) -> Result<(), ApiError> {
        let mut pending = lock(&self.pending);
        if pending.bytes > PENDING_LIMIT {
            return Err(ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                format!("Slow down. Delivery stream {} cannot deliver to its destination now.", self.name),
            ));
        }
        let first = pending.next_seq;
        let changes: Vec<Change> = records
            .iter()
            .enumerate()
            .map(|(i, data)| {
                let mut doc = Vec::with_capacity(8 + data.len());
                doc.extend_from_slice(&now.to_be_bytes());
                doc.extend_from_slice(data);
                Change::Put(journal_key(&self.name, first + i as u64), doc)
            })
            .collect();
        self.commit(&changes)?;
        let mut incoming = lock(&self.incoming);
        incoming.incoming_puts += 1;
        for (i, data) in records.into_iter().enumerate() {
            incoming.incoming_records += 1;
            incoming.incoming_bytes += data.len() as u64;
            pending.bytes += data.len();
            pending.records.push_back((first + i as u64, now, data));
        }
        pending.next_seq = pending.records.back().map_or(first, |(s, _, _)| s + 1);
        Ok(())
    }

    /// The journal records and documents to remove when the delivery stream goes.
    pub fn removal(&self) -> Vec<Change> {
        let from = self.work().committed.journal_delivered;
        let to = lock(&self.pending).next_seq;
        let mut changes: Vec<Change> = (from..to).map(|s| Change::Remove(journal_key(&self.name, s))).collect();
        changes.push(Change::Remove(progress_key(&self.name)));
        changes.push(Change::Remove(intent_key(&self.name)));
        changes
    }

    /// This second's counters, reset for the next.
    pub fn take_stats(&self) -> Stats {
        let mut stats = std::mem::take(&mut self.work().stats);
        let incoming = std::mem::take(&mut *lock(&self.incoming));
        stats.incoming_records = incoming.incoming_records;
        stats.incoming_bytes = incoming.incoming_bytes;
        stats.incoming_puts = incoming.incoming_puts;
        stats
    }

    /// One second of delivery: flush what is due, take in what the source has (unless a full buffer
    /// waits on S3), flush again if that made the buffer due.
    pub fn step(&self, ctx: &CloudContext, meta: &DeliveryStream, now: Millis) {
        let mut w = self.work();
        let dest = &meta.destination;
        let interval = dest.interval_s as Millis * 1000;
        if w.buffer.is_due(dest.size_bytes(), interval, now) {
            self.flush(ctx, meta, &mut w, now);
        }
        if w.buffer.data.len() < dest.size_bytes() {
            match meta.kind {
                StreamType::KinesisStreamAsSource => {
                    super::source::read(ctx, meta, &mut w, now, &|w: &mut Work| self.flush(ctx, meta, w, now))
                }
                StreamType::DirectPut => self.take_pending(ctx, meta, &mut w, now),
            }
        }
        if w.buffer.is_due(dest.size_bytes(), interval, now) {
            self.flush(ctx, meta, &mut w, now);
        }
        let behind_s = w.stats.millis_behind.map_or(0.0, |m| (m / 1000) as f64);
        let freshness = if w.buffer.is_empty() { behind_s } else { w.buffer.freshness_s(now) };
        w.stats.freshness_s = Some(freshness);
    }

    /// On a graceful stop: everything taken in is written now, whatever the hints say.
    pub fn flush_all(&self, ctx: &CloudContext, meta: &DeliveryStream, now: Millis) {
        let mut w = self.work();
        if meta.kind == StreamType::DirectPut {
            self.take_pending(ctx, meta, &mut w, now);
        }
        w.retry_at = Millis::MIN;
        self.flush(ctx, meta, &mut w, now);
    }

    fn take_pending(&self, ctx: &CloudContext, meta: &DeliveryStream, w: &mut Work, now: Millis) {
        loop {
            let next = {
                let mut pending = lock(&self.pending);
                let next = pending.records.pop_front();
                if let Some((_, _, data)) = &next {
                    pending.bytes -= data.len();
                }
                next
            };
            let Some((seq, arrival, data)) = next else { return };
            w.buffer.push(&data, arrival, now);
            w.journal_buffered = seq + 1;
            if w.buffer.data.len() >= meta.destination.size_bytes() && !self.flush(ctx, meta, w, now) {
                return;
            }
        }
    }

    /// Writes the buffer as one object (and its backup copy) and commits the positions it covers.
    /// False when S3 refused: the buffer stays, and the next try waits out a growing backoff.
    pub fn flush(&self, ctx: &CloudContext, meta: &DeliveryStream, w: &mut Work, now: Millis) -> bool {
        if w.buffer.is_empty() {
            return true;
        }
        if now < w.retry_at {
            return false;
        }
        let dest = &meta.destination;
        let oldest = w.buffer.oldest_ms.unwrap_or(now);
        let key = key_for(dest, &meta.name, meta.version, oldest);
        match self.write_object(ctx, meta, w, &key, oldest) {
            Ok(bytes) => {
                w.stats.attempts.push(1.0);
                w.stats.delivered_records += w.buffer.records;
                w.stats.delivered_bytes += bytes as u64;
                self.commit_delivered(w);
                w.buffer.clear();
                w.failures = 0;
                w.retry_at = Millis::MIN;
                true
            }
            Err(e) => {
                w.stats.attempts.push(0.0);
                w.failures += 1;
                let settings = &ctx.config.firehose;
                let backoff = settings.retry_base_ms.saturating_mul(1 << (w.failures - 1).min(20));
                w.retry_at = now + backoff.min(settings.retry_max_ms);
                tracing::warn!(delivery_stream = %meta.name, bucket = dest.bucket(), key = %key, error = %e,
                    failures = w.failures, "delivery to S3 failed; retrying");
                false
            }
        }
    }

    fn write_object(
        &self,
        ctx: &CloudContext,
        meta: &DeliveryStream,
        w: &mut Work,
        key: &str,
        oldest: Millis,
    ) -> Result<usize, ApiError> {
        let dest = &meta.destination;
        let intent = Intent { bucket: dest.bucket().to_string(), key: key.to_string(), records: w.buffer.records };
        let doc = serde_json::to_vec(&intent).map_err(|e| ApiError::internal(e.to_string()))?;
        self.commit(&[Change::Put(intent_key(&self.name), doc)])?;
        if let Some(backup) = dest.backup.as_deref().filter(|_| dest.backup_enabled()) {
            let backup_key = key_for(backup, &meta.name, meta.version, oldest);
            match write(ctx, backup, &backup_key, &w.buffer.data) {
                Ok(bytes) => {
                    w.stats.backup_attempts.push(1.0);
                    w.stats.backup_records += w.buffer.records;
                    w.stats.backup_bytes += bytes as u64;
                }
                Err(e) => {
                    w.stats.backup_attempts.push(0.0);
                    return Err(e);
                }
            }
        }
        write(ctx, dest, key, &w.buffer.data)
    }

    /// Commits the positions the written object covers, clears the intent and the delivered journal
    /// records, in one transaction.
    fn commit_delivered(&self, w: &mut Work) {
        let progress =
            Progress { shards: w.cursors.clone(), journal_delivered: w.journal_buffered, ..w.committed.clone() };
        let from = w.committed.journal_delivered;
        let crash_here = self.skip_commit.load(Ordering::SeqCst);
        w.committed = progress;
        if crash_here {
            return;
        }
        let mut changes: Vec<Change> =
            (from..w.journal_buffered).map(|s| Change::Remove(journal_key(&self.name, s))).collect();
        match serde_json::to_vec(&w.committed) {
            Ok(doc) => changes.push(Change::Put(progress_key(&self.name), doc)),
            Err(e) => tracing::error!(delivery_stream = %self.name, error = %e, "encoding delivery progress"),
        }
        changes.push(Change::Remove(intent_key(&self.name)));
        if let Err(e) = self.commit(&changes) {
            tracing::warn!(delivery_stream = %self.name, error = %e.message,
                "an object was written but its positions could not be committed; a restart delivers its records again");
        }
    }
}

impl Pipeline {
    /// Counts an object written before a crash whose positions were never committed (its records
    /// are being delivered again), and forgets its intent, in one transaction. The totals so far.
    pub fn record_duplicates(&self, records: u64) -> Result<(u64, u64), ApiError> {
        let mut w = self.work();
        let mut progress = w.committed.clone();
        progress.duplicate_objects += 1;
        progress.duplicate_records += records;
        let doc = serde_json::to_vec(&progress).map_err(|e| ApiError::internal(e.to_string()))?;
        self.commit(&[Change::Put(progress_key(&self.name), doc), Change::Remove(intent_key(&self.name))])?;
        let totals = (progress.duplicate_objects, progress.duplicate_records);
        w.committed = progress;
        Ok(totals)
    }

    /// Forgets an intent whose object was never written.
    pub fn drop_intent(&self) -> Result<(), ApiError> {
        self.commit(&[Change::Remove(intent_key(&self.name))])
    }
}
