//! A small durable document store on redb for services whose state is a set of JSON documents by key
//! (CloudWatch Logs, IAM): one table, keys chosen by the service, each change one write transaction, so a
//! failed write changes nothing on disk and the service publishes nothing in memory.
//!
//! redb refuses everything after an I/O error, so an error closes the database and the next operation
//! reopens it. A store is shared per file within the process: a cloud restarted in-process reopens the
//! handle its stopped predecessor may still hold (redb allows one open handle per file).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::TableDefinition;

use super::redb_file::{Options, RedbError, RedbFile, SharedByPath, failed};

const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");

#[derive(Debug, thiserror::Error)]
pub enum DocStoreError {
    #[error("{path}: {detail}")]
    Db { path: String, detail: String },
    #[error("{path} has format version {found}; this build reads version {expected}")]
    Version { path: String, found: u64, expected: u64 },
}

/// One change to the store: a document written, or a key removed.
pub enum Change {
    Put(String, Vec<u8>),
    Remove(String),
}

pub struct DocStore {
    file: RedbFile,
    /// Fails every commit while set, as a full disk would: how tests check that a failed write
    /// changes nothing.
    write_fault: AtomicBool,
}

static OPEN: SharedByPath<DocStore> = SharedByPath::new();

impl DocStore {
    /// Opens (or shares) `<dir>/<file>`, creating it private, and checks its format version.
    pub fn open(dir: &Path, file: &str, version: u64) -> Result<Arc<DocStore>, DocStoreError> {
        let path = dir.join(file);
        OPEN.get_or_open(&path, || {
            let options = Options { cache_bytes: 4 * 1024 * 1024, write_check: None };
            let file = RedbFile::open(dir, file, options, version, DOCS).map_err(|e| error(&path, e))?;
            Ok(DocStore { file, write_fault: AtomicBool::new(false) })
        })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Makes every commit fail (`true`) or work again (`false`).
    pub fn set_write_fault(&self, on: bool) {
        self.write_fault.store(on, Ordering::SeqCst);
    }

    /// Every document, in key order.
    pub fn load(&self) -> Result<Vec<(String, Vec<u8>)>, DocStoreError> {
        self.file.rows(DOCS).map_err(|e| error(self.path(), e))
    }

    /// The documents whose keys start with `prefix`, in key order.
    pub fn load_prefixed(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, DocStoreError> {
        self.file.rows_from(DOCS, prefix).map_err(|e| error(self.path(), e))
    }

    /// The document `key`, if there is one.
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>, DocStoreError> {
        self.file.get(DOCS, key).map_err(|e| error(self.path(), e))
    }

    /// Applies `changes` in one durable transaction: all of them or none.
    pub fn commit(&self, changes: &[Change]) -> Result<(), DocStoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        if self.write_fault.load(Ordering::SeqCst) {
            return Err(error(self.path(), failed("injected write failure (no space left on device)")));
        }
        let written = self.file.write(
            |e| failed(format!("committing: {e}")),
            |tx| {
                let mut t = tx.open_table(DOCS).map_err(failed)?;
                for change in changes {
                    match change {
                        Change::Put(k, v) => {
                            t.insert(k.as_str(), v.as_slice()).map_err(|e| failed(format!("writing {k}: {e}")))?;
                        }
                        Change::Remove(k) => {
                            t.remove(k.as_str()).map_err(|e| failed(format!("removing {k}: {e}")))?;
                        }
                    }
                }
                Ok(())
            },
        );
        written.map_err(|e| error(self.path(), e))
    }
}

fn error(path: &Path, e: RedbError) -> DocStoreError {
    let path = path.display().to_string();
    match e {
        RedbError::Db(detail) => DocStoreError::Db { path, detail },
        RedbError::Version { found, expected } => DocStoreError::Version { path, found, expected },
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn changes_persist_across_reopen_and_the_file_is_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("svc");
        {
            let store = DocStore::open(&dir, "state.redb", 1).unwrap();
            store.commit(&[Change::Put("a".into(), b"1".to_vec()), Change::Put("b".into(), b"2".to_vec())]).unwrap();
            store.commit(&[Change::Remove("a".into())]).unwrap();
        }
        let store = DocStore::open(&dir, "state.redb", 1).unwrap();
        assert_eq!(store.load().unwrap(), vec![("b".to_string(), b"2".to_vec())]);
        store.commit(&[Change::Put("a/1".into(), b"3".to_vec()), Change::Put("c".into(), b"4".to_vec())]).unwrap();
        assert_eq!(store.load_prefixed("a/").unwrap(), vec![("a/1".to_string(), b"3".to_vec())]);
        assert_eq!(store.get("c").unwrap(), Some(b"4".to_vec()));
        assert_eq!(store.get("a").unwrap(), None);
        let mode = std::fs::metadata(dir.join("state.redb")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(store);
        let err = DocStore::open(&dir, "state.redb", 2).err().expect("a newer format is refused").to_string();
        assert!(err.contains("format version 1"), "{err}");
    }
}
