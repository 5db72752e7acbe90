//! The alarms' file: `<data_dir>/cloudwatch/alarms/alarms.json`, every alarm and its history,
//! rewritten whole (through a temporary file and a rename) after each change. Alarms change
//! rarely (a definition, a state transition), so whole-file writes stay cheap.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::model::{HistoryItem, MetricAlarm};

pub const FORMAT_VERSION: u32 = 1;

/// How long history is kept, as CloudWatch keeps it (also for deleted alarms).
pub const HISTORY_MS: i64 = 14 * 86_400_000;
/// History items kept at most, oldest dropped first.
pub const HISTORY_MAX: usize = 20_000;

#[derive(Debug, Default, Serialize, Deserialize)]
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

pub fn load(path: &Path) -> anyhow::Result<Book> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Book { version: FORMAT_VERSION, ..Book::default() });
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let book: Book = serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))?;
    anyhow::ensure!(
        book.version == FORMAT_VERSION,
        "{} has format version {}, this build reads version {FORMAT_VERSION}",
        path.display(),
        book.version
    );
    Ok(book)
}

pub fn save(path: &Path, book: &Book) -> anyhow::Result<()> {
    let dir = path.parent().context("the alarms file has no folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(book).context("serializing the alarms")?;
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(())
}
