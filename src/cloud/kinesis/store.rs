//! Stream metadata in redb under `<data_dir>/kinesis/meta.redb`, one JSON document per stream,
//! with the on-disk format version beside it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use redb::{Database, ReadableTable, TableDefinition};

use super::model::StreamMeta;

/// Version of the Kinesis on-disk layout (metadata documents and shard directories).
pub const FORMAT_VERSION: u64 = 1;

const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("format");
const STREAMS: TableDefinition<&str, &[u8]> = TableDefinition::new("streams");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("kinesis metadata store: {0}")]
    Db(String),
    #[error("kinesis metadata for stream {stream} is unreadable: {source}")]
    Decode { stream: String, source: serde_json::Error },
    #[error("the kinesis data in {0} has format version {1}; this build reads version {FORMAT_VERSION}")]
    Version(String, u64),
}

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

pub struct MetaStore {
    db: Database,
}

/// Stores open in this process, so a cloud restarted in-process reuses the database its stopped
/// predecessor may still hold open (redb allows one open handle per file).
static OPEN: Mutex<Option<HashMap<PathBuf, Weak<MetaStore>>>> = Mutex::new(None);

impl MetaStore {
    pub fn shared(dir: &Path) -> Result<Arc<MetaStore>, StoreError> {
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        let map = open.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(store) = map.get(dir).and_then(Weak::upgrade) {
            return Ok(store);
        }
        let store = Arc::new(MetaStore::open(dir)?);
        map.insert(dir.to_path_buf(), Arc::downgrade(&store));
        Ok(store)
    }

    pub fn open(dir: &Path) -> Result<MetaStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(db_err)?;
        // Metadata is small; a large page cache would only inflate the idle footprint.
        let db = Database::builder().set_cache_size(1024 * 1024).create(dir.join("meta.redb")).map_err(db_err)?;
        let store = MetaStore { db };
        store.check_version(dir)?;
        Ok(store)
    }

    fn check_version(&self, dir: &Path) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut t = tx.open_table(FORMAT).map_err(db_err)?;
            let found = t.get("version").map_err(db_err)?.map(|v| v.value());
            match found {
                Some(v) if v != FORMAT_VERSION => {
                    return Err(StoreError::Version(dir.display().to_string(), v));
                }
                Some(_) => {}
                None => {
                    t.insert("version", FORMAT_VERSION).map_err(db_err)?;
                }
            }
            tx.open_table(STREAMS).map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    pub fn load_all(&self) -> Result<Vec<StreamMeta>, StoreError> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let t = tx.open_table(STREAMS).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let meta = serde_json::from_slice(v.value())
                .map_err(|source| StoreError::Decode { stream: k.value().to_string(), source })?;
            out.push(meta);
        }
        Ok(out)
    }

    pub fn put(&self, meta: &StreamMeta) -> Result<(), StoreError> {
        let doc = serde_json::to_vec(meta).map_err(db_err)?;
        let tx = self.db.begin_write().map_err(db_err)?;
        tx.open_table(STREAMS).map_err(db_err)?.insert(meta.name.as_str(), doc.as_slice()).map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(db_err)?;
        tx.open_table(STREAMS).map_err(db_err)?.remove(name).map_err(db_err)?;
        tx.commit().map_err(db_err)
    }
}
