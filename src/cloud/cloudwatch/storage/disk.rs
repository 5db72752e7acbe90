//! The store's file: `<data_dir>/cloudwatch/metrics.redb`, holding each series' identity and its
//! minute blocks (1-second detail for the last three hours, one rolled-up bucket per minute before).
//!
//! Only one store may hold the file; a store opened on a data dir whose previous store (same process,
//! e.g. a restarted host) is still alive first makes that one flush and let go, so nothing is lost.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use anyhow::Context as _;
use redb::{Database, DatabaseError, ReadableTable, StorageError, TableDefinition};

use crate::cloud::files::{create_private_dir_all, ensure_private_file};

pub const BLOCKS: TableDefinition<(u32, i64), &[u8]> = TableDefinition::new("blocks");
pub const SERIES: TableDefinition<u32, &[u8]> = TableDefinition::new("series");

/// The metric file is not a store this build can read (corrupt, or another format): unlike a
/// file another process holds, it is safe to set aside.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Damaged(pub String);

/// Something holding a data dir's metric file that can be asked to write out and close it.
pub trait Handoff: Send + Sync {
    fn flush_and_close(&self);
}

fn holders() -> &'static Mutex<HashMap<PathBuf, Weak<dyn Handoff>>> {
    static HOLDERS: OnceLock<Mutex<HashMap<PathBuf, Weak<dyn Handoff>>>> = OnceLock::new();
    HOLDERS.get_or_init(Default::default)
}

pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join("cloudwatch").join("metrics.redb")
}

/// Opens (creating) the file, first asking any live previous holder to close it.
pub fn open(path: &Path) -> anyhow::Result<Database> {
    let dir = path.parent().context("metric file path has no parent")?;
    create_private_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let previous = holders().lock().unwrap_or_else(|p| p.into_inner()).remove(path);
    if let Some(prev) = previous.and_then(|w| w.upgrade()) {
        prev.flush_and_close();
    }
    // redb would create the file with the umask's mode; it holds the user's metrics, so 0600.
    ensure_private_file(path).with_context(|| format!("creating {}", path.display()))?;
    let db = match Database::builder().set_cache_size(4 * 1024 * 1024).create(path) {
        Ok(db) => db,
        Err(e) if unreadable(&e) => {
            return Err(Damaged(format!("the metric store {} cannot be read: {e}", path.display())).into());
        }
        Err(e) => return Err(e).with_context(|| format!("opening the metric store {}", path.display())),
    };
    let tx = db.begin_write()?;
    tx.open_table(BLOCKS)?;
    tx.open_table(SERIES)?;
    tx.commit()?;
    Ok(db)
}

/// Errors that mean the file's content is bad, as opposed to the file being busy or out of reach.
fn unreadable(e: &DatabaseError) -> bool {
    match e {
        DatabaseError::Storage(StorageError::Corrupted(_)) | DatabaseError::UpgradeRequired(_) => true,
        DatabaseError::Storage(StorageError::Io(io)) => io.kind() == std::io::ErrorKind::InvalidData,
        _ => false,
    }
}

pub fn register(path: &Path, holder: Weak<dyn Handoff>) {
    holders().lock().unwrap_or_else(|p| p.into_inner()).insert(path.to_path_buf(), holder);
}

/// Every series' identity record.
pub fn load_series(db: &Database) -> anyhow::Result<Vec<(u32, Vec<u8>)>> {
    let tx = db.begin_read()?;
    let table = tx.open_table(SERIES)?;
    let mut out = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        out.push((k.value(), v.value().to_vec()));
    }
    Ok(out)
}

/// Blocks of `series` for minutes in `[from, to)`.
pub fn read_blocks(db: &Database, series: u32, from: i64, to: i64) -> anyhow::Result<Vec<(i64, Vec<u8>)>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let tx = db.begin_read()?;
    let table = tx.open_table(BLOCKS)?;
    let mut out = Vec::new();
    for row in table.range((series, from)..(series, to))? {
        let (k, v) = row?;
        out.push((k.value().1, v.value().to_vec()));
    }
    Ok(out)
}

#[derive(Default)]
pub struct Batch {
    pub series: Vec<(u32, Vec<u8>)>,
    pub blocks: Vec<((u32, i64), Vec<u8>)>,
    /// Drops the blocks of `series_ids` before this minute.
    pub expire_before: Option<i64>,
    pub series_ids: Vec<u32>,
}

pub fn write(db: &Arc<Database>, batch: Batch) -> anyhow::Result<()> {
    let tx = db.begin_write()?;
    {
        let mut series = tx.open_table(SERIES)?;
        for (id, bytes) in &batch.series {
            series.insert(*id, bytes.as_slice())?;
        }
        let mut blocks = tx.open_table(BLOCKS)?;
        for (key, bytes) in &batch.blocks {
            blocks.insert(*key, bytes.as_slice())?;
        }
        if let Some(before) = batch.expire_before {
            for id in &batch.series_ids {
                blocks.retain_in((*id, i64::MIN)..(*id, before), |_, _| false)?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

pub fn clear(db: &Database) -> anyhow::Result<()> {
    let tx = db.begin_write()?;
    tx.delete_table(BLOCKS)?;
    tx.delete_table(SERIES)?;
    tx.open_table(BLOCKS)?;
    tx.open_table(SERIES)?;
    tx.commit()?;
    Ok(())
}
