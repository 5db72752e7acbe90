//! Stream metadata in redb under `<data_dir>/kinesis/meta.redb`, one JSON document per stream,
//! with the on-disk format version beside it.
//!
//! redb refuses every operation after one I/O error (`PreviousIo`), so a failed write closes the
//! database and the next operation reopens it: a full disk refuses the changes made while it is full,
//! and the service carries on once space returns, without a restart.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use redb::backends::FileBackend;
use redb::{Database, ReadableTable, StorageBackend, TableDefinition};

use super::model::StreamMeta;
use super::settings::DiskFault;
use crate::cloud::files;

/// Version of the Kinesis on-disk layout (metadata documents and shard directories).
pub const FORMAT_VERSION: u64 = 1;

const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("format");
const STREAMS: TableDefinition<&str, &[u8]> = TableDefinition::new("streams");

#[derive(Debug, thiserror::Error)]
pub enum MetaStorageError {
    #[error("kinesis metadata in {path}: {detail}")]
    Db { path: String, detail: String },
    #[error("the kinesis data in {0} has format version {1}; this build reads version {FORMAT_VERSION}")]
    Version(String, u64),
}

/// redb's file backend with the test's fault switch in front of its writes.
#[derive(Debug)]
struct FaultyBackend {
    file: FileBackend,
    fault: DiskFault,
}

impl StorageBackend for FaultyBackend {
    fn len(&self) -> io::Result<u64> {
        self.file.len()
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.file.read(offset, len)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.fault.check()?;
        self.file.set_len(len)
    }

    fn sync_data(&self, eventual: bool) -> io::Result<()> {
        self.fault.check()?;
        self.file.sync_data(eventual)
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.fault.check()?;
        self.file.write(offset, data)
    }
}

/// One stream's stored metadata: its name, and the document or why it does not parse.
pub type Loaded = (String, Result<StreamMeta, serde_json::Error>);

pub struct MetaStorage {
    path: PathBuf,
    fault: Option<DiskFault>,
    /// `None` after an I/O error closed it; reopened by the next operation.
    db: Mutex<Option<Database>>,
}

/// Storages open in this process, so a cloud restarted in-process reuses the database its stopped
/// predecessor may still hold open (redb allows one open handle per file).
static OPEN: Mutex<Option<HashMap<PathBuf, Weak<MetaStorage>>>> = Mutex::new(None);

impl MetaStorage {
    pub fn shared(dir: &Path, fault: Option<DiskFault>) -> Result<Arc<MetaStorage>, MetaStorageError> {
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        let map = open.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(storage) = map.get(dir).and_then(Weak::upgrade) {
            return Ok(storage);
        }
        let storage = Arc::new(MetaStorage::open(dir, fault)?);
        map.insert(dir.to_path_buf(), Arc::downgrade(&storage));
        Ok(storage)
    }

    pub fn open(dir: &Path, fault: Option<DiskFault>) -> Result<MetaStorage, MetaStorageError> {
        let path = dir.join("meta.redb");
        let storage = MetaStorage { path, fault, db: Mutex::new(None) };
        files::create_private_dir_all(dir).map_err(|e| storage.err(format!("creating {}: {e}", dir.display())))?;
        // redb would create the file with the umask's mode.
        files::ensure_private_file(&storage.path).map_err(|e| storage.err(e))?;
        storage.check_version()?;
        Ok(storage)
    }

    fn err(&self, detail: impl std::fmt::Display) -> MetaStorageError {
        MetaStorageError::Db { path: self.path.display().to_string(), detail: detail.to_string() }
    }

    fn open_db(&self) -> Result<Database, MetaStorageError> {
        let file =
            files::private_options().read(true).write(true).create(true).open(&self.path).map_err(|e| self.err(e))?;
        let backend = FileBackend::new(file).map_err(|e| self.err(e))?;
        // Metadata is small; a large page cache would only inflate the idle footprint.
        let mut builder = Database::builder();
        builder.set_cache_size(1024 * 1024);
        let db = match &self.fault {
            Some(fault) => builder.create_with_backend(FaultyBackend { file: backend, fault: fault.clone() }),
            None => builder.create_with_backend(backend),
        };
        db.map_err(|e| self.err(e))
    }

    /// Runs `f` on the open database (opening it first if an earlier error closed it); an error
    /// closes it, since redb refuses everything after an I/O error.
    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, MetaStorageError>) -> Result<T, MetaStorageError> {
        let mut guard: MutexGuard<'_, Option<Database>> = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.open_db()?);
        }
        let Some(db) = guard.as_ref() else { return Err(self.err("the database is not open")) };
        let out = f(db);
        if matches!(out, Err(MetaStorageError::Db { .. })) {
            *guard = None;
        }
        out
    }

    fn check_version(&self) -> Result<(), MetaStorageError> {
        let dir = self.path.parent().unwrap_or(Path::new(".")).display().to_string();
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            {
                let mut t = tx.open_table(FORMAT).map_err(|e| self.err(e))?;
                let found = t.get("version").map_err(|e| self.err(e))?.map(|v| v.value());
                match found {
                    Some(v) if v != FORMAT_VERSION => return Err(MetaStorageError::Version(dir, v)),
                    Some(_) => {}
                    None => {
                        t.insert("version", FORMAT_VERSION).map_err(|e| self.err(e))?;
                    }
                }
                tx.open_table(STREAMS).map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }

    /// Every stream's metadata by name; a document that does not parse is returned as its error, so
    /// one damaged stream does not hide the others.
    pub fn load_all(&self) -> Result<Vec<Loaded>, MetaStorageError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| self.err(e))?;
            let t = tx.open_table(STREAMS).map_err(|e| self.err(e))?;
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                out.push((k.value().to_string(), serde_json::from_slice(v.value())));
            }
            Ok(out)
        })
    }

    pub fn put(&self, meta: &StreamMeta) -> Result<(), MetaStorageError> {
        let doc = serde_json::to_vec(meta).map_err(|e| self.err(e))?;
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            tx.open_table(STREAMS)
                .map_err(|e| self.err(e))?
                .insert(meta.name.as_str(), doc.as_slice())
                .map_err(|e| self.err(format!("writing stream {}: {e}", meta.name)))?;
            tx.commit().map_err(|e| self.err(format!("committing stream {}: {e}", meta.name)))
        })
    }

    pub fn remove(&self, name: &str) -> Result<(), MetaStorageError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            tx.open_table(STREAMS).map_err(|e| self.err(e))?.remove(name).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(format!("committing the removal of stream {name}: {e}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn meta(name: &str) -> StreamMeta {
        serde_json::from_value(serde_json::json!({
            "name": name, "region": "us-east-1", "created_ms": 1, "status": "ACTIVE", "transition_at_ms": null,
            "mode": "PROVISIONED", "mode_changed_ms": null, "retention_hours": 24, "shards": [],
            "enhanced_metrics": [], "encryption_key": null, "tags": {}, "consumers": []
        }))
        .unwrap()
    }

    #[test]
    fn a_full_disk_refuses_writes_and_the_storage_recovers_when_space_returns() {
        let tmp = tempfile::tempdir().unwrap();
        let fault = DiskFault::default();
        let storage = MetaStorage::open(tmp.path(), Some(fault.clone())).unwrap();
        storage.put(&meta("a")).unwrap();
        fault.set(true);
        let err = storage.put(&meta("b")).unwrap_err().to_string();
        assert!(err.contains("meta.redb") && err.contains("stream b"), "{err}");
        fault.set(false);
        storage.put(&meta("c")).expect("the next write reopens the database");
        let names: Vec<String> = storage.load_all().unwrap().into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["a", "c"]);
    }

    #[test]
    fn the_metadata_file_and_its_directory_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("kinesis");
        MetaStorage::open(&dir, None).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("meta.redb")), 0o600);
    }
}
