//! SQS's state: every queue and message in memory, each change written to
//! `<data dir>/sqs/sqs.redb` in one transaction before it is applied in memory, so a failed write
//! changes nothing. Long polls wait on a queue's `Notify`, woken by every send and by the clock.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use super::model::{Message, QueueMeta, message_key, queue_key};
use crate::cloud::doc_store::{Change, DocStore, DocStoreError};
use crate::cloud::error::ApiError;

/// Version of the SQS on-disk layout.
pub const FORMAT_VERSION: u64 = 1;

/// What one queue counted since its metrics were last published.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Counters {
    pub sent: u64,
    pub received: u64,
    pub deleted: u64,
    pub empty_receives: u64,
    /// Sizes of the messages sent, in bytes.
    pub sent_sizes: Vec<f64>,
}

pub struct Queue {
    pub meta: QueueMeta,
    pub messages: BTreeMap<u64, Message>,
    pub notify: Arc<Notify>,
    pub counters: Counters,
}

pub struct SqsState {
    store: Arc<DocStore>,
    queues: Mutex<BTreeMap<String, Queue>>,
    next_seq: Mutex<u64>,
}

/// A document that could not be read at start, set aside so the rest serves.
pub struct Unreadable {
    pub key: String,
    pub reason: String,
}

impl SqsState {
    pub fn open(dir: &Path) -> Result<(SqsState, Vec<Unreadable>), DocStoreError> {
        let store = DocStore::open(dir, "sqs.redb", FORMAT_VERSION)?;
        let mut queues = BTreeMap::new();
        let mut messages = Vec::new();
        let mut unreadable = Vec::new();
        for (key, doc) in store.load()? {
            let parsed = if key.starts_with("q/") {
                serde_json::from_slice::<QueueMeta>(&doc).map(|meta| {
                    let queue = Queue {
                        meta: meta.clone(),
                        messages: BTreeMap::new(),
                        notify: Arc::new(Notify::new()),
                        counters: Counters::default(),
                    };
                    queues.insert(meta.name, queue);
                })
            } else if let Some(rest) = key.strip_prefix("m/") {
                let queue = rest.rsplit_once('/').map(|(q, _)| q.to_string()).unwrap_or_default();
                serde_json::from_slice::<Message>(&doc).map(|m| messages.push((queue, m)))
            } else {
                Ok(())
            };
            if let Err(e) = parsed {
                unreadable.push(Unreadable { key, reason: e.to_string() });
            }
        }
        let mut max_seq = 0;
        for (queue, message) in messages {
            max_seq = max_seq.max(message.seq);
            if let Some(q) = queues.get_mut(&queue) {
                q.messages.insert(message.seq, message);
            }
        }
        Ok((SqsState { store, queues: Mutex::new(queues), next_seq: Mutex::new(max_seq + 1) }, unreadable))
    }

    pub fn store(&self) -> &DocStore {
        &self.store
    }

    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Queue>> {
        self.queues.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `n` new message sequence numbers, increasing across the data dir's life.
    pub fn take_seqs(&self, n: u64) -> u64 {
        let mut next = self.next_seq.lock().unwrap_or_else(|p| p.into_inner());
        let first = *next;
        *next += n;
        first
    }

    /// Writes `changes` durably, or answers an error naming the store (and changes nothing).
    pub fn commit(&self, changes: &[Change]) -> Result<(), ApiError> {
        self.store.commit(changes).map_err(|e| ApiError::internal(format!("writing the SQS state failed: {e}")))
    }
}

pub fn put_queue(meta: &QueueMeta) -> Change {
    Change::Put(queue_key(&meta.name), serde_json::to_vec(meta).unwrap_or_default())
}

pub fn put_message(queue: &str, m: &Message) -> Change {
    Change::Put(message_key(queue, m.seq), serde_json::to_vec(m).unwrap_or_default())
}

pub fn remove_message(queue: &str, seq: u64) -> Change {
    Change::Remove(message_key(queue, seq))
}

pub fn remove_queue(name: &str) -> Change {
    Change::Remove(queue_key(name))
}

/// A queue's messages by state at `now`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counts {
    pub visible: u64,
    pub in_flight: u64,
    pub delayed: u64,
    /// Age of the oldest message, in seconds.
    pub oldest_age_s: Option<i64>,
}

pub fn counts(queue: &Queue, now: crate::cloud::clock::Millis) -> Counts {
    let mut c = Counts::default();
    for m in queue.messages.values() {
        if m.is_delayed(now) {
            c.delayed += 1;
        } else if m.is_in_flight(now) {
            c.in_flight += 1;
        } else {
            c.visible += 1;
        }
        let age = (now - m.sent_ms).max(0) / 1000;
        c.oldest_age_s = Some(c.oldest_age_s.map_or(age, |a| a.max(age)));
    }
    c
}
