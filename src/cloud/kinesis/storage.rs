//! Stream metadata in redb under `<data_dir>/kinesis/meta.redb`, one JSON document per stream,
//! with the on-disk format version beside it.
//!
//! redb refuses every operation after one I/O error (`PreviousIo`), so a failed write closes the
//! database and the next operation reopens it: a full disk refuses the changes made while it is full,
//! and the service carries on once space returns, without a restart.

use std::path::Path;
use std::sync::Arc;

use redb::TableDefinition;

use super::model::StreamMeta;
use super::settings::DiskFault;
use crate::cloud::redb_file::{Options, RedbError, RedbFile, SharedByPath, WriteCheck, failed};

/// Version of the Kinesis on-disk layout (metadata documents and shard directories).
pub const FORMAT_VERSION: u64 = 1;

const STREAMS: TableDefinition<&str, &[u8]> = TableDefinition::new("streams");

#[derive(Debug, thiserror::Error)]
pub enum MetaStorageError {
    #[error("kinesis metadata in {path}: {detail}")]
    Db { path: String, detail: String },
    #[error("the kinesis data in {0} has format version {1}; this build reads version {FORMAT_VERSION}")]
    Version(String, u64),
}

/// One stream's stored metadata: its name, and the document or why it does not parse.
pub type Loaded = (String, Result<StreamMeta, serde_json::Error>);

pub struct MetaStorage {
    file: RedbFile,
}

/// Storages open in this process, by directory.
static OPEN: SharedByPath<MetaStorage> = SharedByPath::new();

impl MetaStorage {
    pub fn shared(dir: &Path, fault: Option<DiskFault>) -> Result<Arc<MetaStorage>, MetaStorageError> {
        OPEN.get_or_open(dir, || MetaStorage::open(dir, fault))
    }

    /// `fault`, when set, fails the file's writes as a full disk would.
    pub fn open(dir: &Path, fault: Option<DiskFault>) -> Result<MetaStorage, MetaStorageError> {
        let write_check = fault.map(|fault| Arc::new(move || fault.check()) as WriteCheck);
        // Metadata is small; a large page cache would only inflate the idle footprint.
        let options = Options { cache_bytes: 1024 * 1024, write_check };
        let file = RedbFile::open(dir, "meta.redb", options, FORMAT_VERSION, STREAMS)
            .map_err(|e| error(&dir.join("meta.redb"), e))?;
        Ok(MetaStorage { file })
    }

    fn err(&self, e: RedbError) -> MetaStorageError {
        error(self.file.path(), e)
    }

    /// Every stream's metadata by name; a document that does not parse is returned as its error, so
    /// one damaged stream does not hide the others.
    pub fn load_all(&self) -> Result<Vec<Loaded>, MetaStorageError> {
        let rows = self.file.rows(STREAMS).map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(|(name, doc)| (name, serde_json::from_slice(&doc))).collect())
    }

    pub fn put(&self, meta: &StreamMeta) -> Result<(), MetaStorageError> {
        let doc = serde_json::to_vec(meta).map_err(|e| self.err(failed(e)))?;
        let written = self.file.write(
            |e| failed(format!("committing stream {}: {e}", meta.name)),
            |tx| {
                tx.open_table(STREAMS)
                    .map_err(failed)?
                    .insert(meta.name.as_str(), doc.as_slice())
                    .map_err(|e| failed(format!("writing stream {}: {e}", meta.name)))?;
                Ok(())
            },
        );
        written.map_err(|e| self.err(e))
    }

    pub fn remove(&self, name: &str) -> Result<(), MetaStorageError> {
        let removed = self.file.write(
            |e| failed(format!("committing the removal of stream {name}: {e}")),
            |tx| {
                tx.open_table(STREAMS).map_err(failed)?.remove(name).map_err(failed)?;
                Ok(())
            },
        );
        removed.map_err(|e| self.err(e))
    }
}

/// The file's error in Kinesis's words; a version mismatch names the data directory.
fn error(path: &Path, e: RedbError) -> MetaStorageError {
    match e {
        RedbError::Db(detail) => MetaStorageError::Db { path: path.display().to_string(), detail },
        RedbError::Version { found, .. } => {
            MetaStorageError::Version(path.parent().unwrap_or(Path::new(".")).display().to_string(), found)
        }
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
