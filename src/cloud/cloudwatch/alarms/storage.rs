//! The alarms' file: `<data_dir>/cloudwatch/alarms/alarms.json`, every alarm and its history,
//! rewritten whole (a synced temporary file renamed over it, private to the user) after each
//! change. Alarms change rarely (a definition, a state transition), so whole-file writes stay cheap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::model::{HistoryItem, MetricAlarm};
use crate::cloud::cloudwatch::storage::{faults, quarantine};
use crate::cloud::files::write_atomic;

pub const FORMAT_VERSION: u32 = 1;

/// How long history is kept, as CloudWatch keeps it (also for deleted alarms).
pub const HISTORY_MS: i64 = 14 * 86_400_000;
/// History items kept at most, oldest dropped first.
pub const HISTORY_MAX: usize = 20_000;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Book {
    pub version: u32,
    pub alarms: BTreeMap<String, MetricAlarm>,
    /// Oldest first; each item with its sequence number (the order of equal timestamps).
    pub history: Vec<(u64, HistoryItem)>,
    pub next_seq: u64,
}

impl Book {
    pub fn record(&mut self, item: HistoryItem, now_ms: i64) {
        self.history.push((self.next_seq, item));
        self.next_seq += 1;
        let oldest = (now_ms - HISTORY_MS) as f64 / 1000.0;
        let expired = self.history.iter().take_while(|(_, h)| h.timestamp < oldest).count();
        let over = self.history.len().saturating_sub(HISTORY_MAX);
        self.history.drain(..expired.max(over));
    }
}

pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join("cloudwatch").join("alarms").join("alarms.json")
}

/// The alarms file could not be used: what was wrong and what was done with it.
#[derive(Debug)]
pub struct Damaged {
    pub reason: String,
}

/// Reads the alarms file. A file that cannot be read or parsed is set aside and an empty book
/// returned with the reason, so one damaged file never keeps the cloud from starting.
pub fn load(path: &Path) -> (Book, Option<Damaged>) {
    let empty = || Book { version: FORMAT_VERSION, ..Book::default() };
    match read(path) {
        Ok(book) => (book, None),
        Err(Problem::Missing) => (empty(), None),
        Err(Problem::Damaged(problem)) => {
            let reason = quarantine::reason(&problem, quarantine::set_aside(path));
            (empty(), Some(Damaged { reason }))
        }
    }
}

enum Problem {
    Missing,
    Damaged(String),
}

fn read(path: &Path) -> Result<Book, Problem> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Problem::Missing),
        Err(e) => return Err(Problem::Damaged(format!("reading {} failed: {e}", path.display()))),
    };
    let book: Book = serde_json::from_slice(&bytes)
        .map_err(|e| Problem::Damaged(format!("{} is not an alarms file: {e}", path.display())))?;
    if book.version != FORMAT_VERSION {
        return Err(Problem::Damaged(format!(
            "{} has format version {}, this build reads version {FORMAT_VERSION}",
            path.display(),
            book.version
        )));
    }
    Ok(book)
}

/// Replaces the file durably (synced, renamed, directory synced); on error the old file stays.
pub fn save(path: &Path, book: &Book) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(book).context("serializing the alarms")?;
    faults::check(path).and_then(|()| write_atomic(path, &bytes)).with_context(|| format!("writing {}", path.display()))
}
