//! What a delivery step works on, under the pipeline's lock: the buffer, the read positions, the
//! retry state and this second's counters.

use std::collections::BTreeMap;

use super::super::metrics::Stats;
use super::super::model::{Progress, ShardProgress};
use super::buffer::Buffer;
use crate::cloud::clock::Millis;

pub struct Work {
    /// What the last commit made durable (kept current in memory even when a commit failed).
    pub committed: Progress,
    /// Where reading stands: everything before is in the buffer or delivered.
    pub cursors: BTreeMap<String, ShardProgress>,
    pub buffer: Buffer,
    /// DirectPut: journalled records below this sequence are in the buffer or delivered.
    pub journal_buffered: u64,
    pub retry_at: Millis,
    pub failures: u32,
    /// The last source error logged, so a missing stream is logged once rather than every second.
    pub source_error: Option<String>,
    pub stats: Stats,
}
