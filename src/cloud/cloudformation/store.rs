//! Stacks in redb under `<data dir>/cloudformation/stacks.redb`: one JSON document per stack id,
//! with the on-disk format version beside them. redb refuses everything after an I/O error, so an
//! error closes the database and the next operation reopens it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use redb::{Database, ReadableTable, TableDefinition};

use super::model::Stack;
use crate::cloud::files;

pub const FORMAT_VERSION: u64 = 1;

const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("format");
const STACKS: TableDefinition<&str, &[u8]> = TableDefinition::new("stacks");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cloudformation stacks in {path}: {detail}")]
    Db { path: String, detail: String },
    #[error("the cloudformation data in {0} has format version {1}; this build reads version {FORMAT_VERSION}")]
    Version(String, u64),
}

pub struct Store {
    path: PathBuf,
    db: Mutex<Option<Database>>,
}

/// One stored stack: its id, and the document or why it does not parse.
pub type Loaded = (String, Result<Stack, serde_json::Error>);

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let store = Store { path: dir.join("stacks.redb"), db: Mutex::new(None) };
        files::create_private_dir_all(dir).map_err(|e| store.err(format!("creating {}: {e}", dir.display())))?;
        // redb would create the file with the umask's mode.
        files::ensure_private_file(&store.path).map_err(|e| store.err(e))?;
        store.check_version()?;
        Ok(store)
    }

    fn err(&self, detail: impl std::fmt::Display) -> StoreError {
        StoreError::Db { path: self.path.display().to_string(), detail: detail.to_string() }
    }

    fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut guard = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let mut builder = Database::builder();
            builder.set_cache_size(1024 * 1024);
            *guard = Some(builder.create(&self.path).map_err(|e| self.err(e))?);
        }
        let Some(db) = guard.as_ref() else { return Err(self.err("the database is not open")) };
        let out = f(db);
        if matches!(out, Err(StoreError::Db { .. })) {
            *guard = None;
        }
        out
    }

    fn check_version(&self) -> Result<(), StoreError> {
        let dir = self.path.parent().unwrap_or(Path::new(".")).display().to_string();
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            {
                let mut t = tx.open_table(FORMAT).map_err(|e| self.err(e))?;
                let found = t.get("version").map_err(|e| self.err(e))?.map(|v| v.value());
                match found {
                    Some(v) if v != FORMAT_VERSION => return Err(StoreError::Version(dir, v)),
                    Some(_) => {}
                    None => {
                        t.insert("version", FORMAT_VERSION).map_err(|e| self.err(e))?;
                    }
                }
                tx.open_table(STACKS).map_err(|e| self.err(e))?;
            }
            tx.commit().map_err(|e| self.err(e))
        })
    }

    /// Every stored stack; a document that does not parse comes back as its error, so one damaged
    /// stack does not hide the others.
    pub fn load_all(&self) -> Result<Vec<Loaded>, StoreError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(|e| self.err(e))?;
            let t = tx.open_table(STACKS).map_err(|e| self.err(e))?;
            let mut out = Vec::new();
            for row in t.iter().map_err(|e| self.err(e))? {
                let (k, v) = row.map_err(|e| self.err(e))?;
                out.push((k.value().to_string(), serde_json::from_slice(v.value())));
            }
            Ok(out)
        })
    }

    pub fn put(&self, stack: &Stack) -> Result<(), StoreError> {
        let doc = serde_json::to_vec(stack).map_err(|e| self.err(e))?;
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            tx.open_table(STACKS)
                .map_err(|e| self.err(e))?
                .insert(stack.id.as_str(), doc.as_slice())
                .map_err(|e| self.err(format!("writing stack {}: {e}", stack.name)))?;
            tx.commit().map_err(|e| self.err(format!("committing stack {}: {e}", stack.name)))
        })
    }

    pub fn remove_all(&self) -> Result<(), StoreError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(|e| self.err(e))?;
            tx.delete_table(STACKS).map_err(|e| self.err(e))?;
            tx.open_table(STACKS).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))
        })
    }
}
