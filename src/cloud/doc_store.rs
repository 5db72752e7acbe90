//! A small durable document store on redb for services whose state is a set of JSON documents by key
//! (CloudWatch Logs, IAM): one table, keys chosen by the service, each change one write transaction, so a
//! failed write changes nothing on disk and the service publishes nothing in memory.
//!
//! redb refuses everything after an I/O error, so an error closes the database and the next operation
//! reopens it. A store is shared per file within the process: a cloud restarted in-process reopens the
//! handle its stopped predecessor may still hold (redb allows one open handle per file).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use redb::{Database, ReadableTable, TableDefinition};

use super::files;

const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");
const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("format");

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
    path: PathBuf,
    db: Mutex<Option<Database>>,
}

static OPEN: Mutex<Option<HashMap<PathBuf, Weak<DocStore>>>> = Mutex::new(None);

impl DocStore {
    /// Opens (or shares) `<dir>/<file>`, creating it private, and checks its format version.
    pub fn open(dir: &Path, file: &str, version: u64) -> Result<Arc<DocStore>, DocStoreError> {
        let path = dir.join(file);
        let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
        let map = open.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(store) = map.get(&path).and_then(Weak::upgrade) {
            return Ok(store);
        }
        let store = Arc::new(DocStore { path: path.clone(), db: Mutex::new(None) });
        files::create_private_dir_all(dir).map_err(|e| store.err(format!("creating {}: {e}", dir.display())))?;
        files::ensure_private_file(&path).map_err(|e| store.err(e))?;
        store.check_version(version)?;
        map.insert(path, Arc::downgrade(&store));
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, detail: impl std::fmt::Display) -> DocStoreError {
        DocStoreError::Db { path: self.path.display().to_string(), detail: detail.to_string() }
    }

    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, DocStoreError>) -> Result<T, DocStoreError> {
        let mut guard = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let mut builder = Database::builder();
            builder.set_cache_size(4 * 1024 * 1024);
            *guard = Some(builder.create(&self.path).map_err(|e| self.err(e))?);
        }
        let Some(db) = guard.as_ref() else { return Err(self.err("the database is not open")) };
        let out = f(db);
        if matches!(out, Err(DocStoreError::Db { .. })) {
            *guard = None;
        }
        out
    }

    fn check_version(&self, version: u64) -> Result<(), DocStoreError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            {
                let mut t = tx.open_table(FORMAT).map_err(|e| self.err(e))?;
                let found = t.get("version").map_err(|e| self.err(e))?.map(|v| v.value());
                match found {
                    Some(v) if v != version => {
                        return Err(DocStoreError::Version {
                            path: self.path.display().to_string(),
                            found: v,
                            expected: version,
                        });
                    }
                    Some(_) => {}
                    None => {
                        t.insert("version", version).map_err(|e| self.err(e))?;
                    }
                }
                tx.open_table(DOCS).map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }

    /// Every document, in key order.
    pub fn load(&self) -> Result<Vec<(String, Vec<u8>)>, DocStoreError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| self.err(e))?;
            let t = tx.open_table(DOCS).map_err(|e| self.err(e))?;
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                out.push((k.value().to_string(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Applies `changes` in one durable transaction: all of them or none.
    pub fn commit(&self, changes: &[Change]) -> Result<(), DocStoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            {
                let mut t = tx.open_table(DOCS).map_err(|e| self.err(e))?;
                for change in changes {
                    match change {
                        Change::Put(k, v) => {
                            t.insert(k.as_str(), v.as_slice()).map_err(|e| self.err(format!("writing {k}: {e}")))?;
                        }
                        Change::Remove(k) => {
                            t.remove(k.as_str()).map_err(|e| self.err(format!("removing {k}: {e}")))?;
                        }
                    }
                }
            }
            tx.commit().map_err(|e| self.err(format!("committing: {e}")))
        })
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
        let mode = std::fs::metadata(dir.join("state.redb")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(store);
        let err = DocStore::open(&dir, "state.redb", 2).err().expect("a newer format is refused").to_string();
        assert!(err.contains("format version 1"), "{err}");
    }
}
