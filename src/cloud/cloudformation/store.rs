//! Stacks in redb under `<data dir>/cloudformation/stacks.redb`: one JSON document per stack id,
//! with the on-disk format version beside them. redb refuses everything after an I/O error, so an
//! error closes the database and the next operation reopens it.

use std::path::Path;

use redb::TableDefinition;

use super::model::Stack;
use crate::cloud::redb_file::{Options, RedbError, RedbFile, failed};

pub const FORMAT_VERSION: u64 = 1;

const STACKS: TableDefinition<&str, &[u8]> = TableDefinition::new("stacks");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cloudformation stacks in {path}: {detail}")]
    Db { path: String, detail: String },
    #[error("the cloudformation data in {0} has format version {1}; this build reads version {FORMAT_VERSION}")]
    Version(String, u64),
}

pub struct Store {
    file: RedbFile,
}

/// One stored stack: its id, and the document or why it does not parse.
pub type Loaded = (String, Result<Stack, serde_json::Error>);

impl Store {
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let options = Options { cache_bytes: 1024 * 1024, write_check: None };
        let file = RedbFile::open(dir, "stacks.redb", options, FORMAT_VERSION, STACKS)
            .map_err(|e| error(&dir.join("stacks.redb"), e))?;
        Ok(Store { file })
    }

    fn err(&self, e: RedbError) -> StoreError {
        error(self.file.path(), e)
    }

    /// Every stored stack; a document that does not parse comes back as its error, so one damaged
    /// stack does not hide the others.
    pub fn load_all(&self) -> Result<Vec<Loaded>, StoreError> {
        let rows = self.file.rows(STACKS).map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(|(id, doc)| (id, serde_json::from_slice(&doc))).collect())
    }

    pub fn put(&self, stack: &Stack) -> Result<(), StoreError> {
        let doc = serde_json::to_vec(stack).map_err(|e| self.err(failed(e)))?;
        let written = self.file.write(
            |e| failed(format!("committing stack {}: {e}", stack.name)),
            |tx| {
                tx.open_table(STACKS)
                    .map_err(failed)?
                    .insert(stack.id.as_str(), doc.as_slice())
                    .map_err(|e| failed(format!("writing stack {}: {e}", stack.name)))?;
                Ok(())
            },
        );
        written.map_err(|e| self.err(e))
    }

    pub fn remove_all(&self) -> Result<(), StoreError> {
        let cleared = self.file.write(failed, |tx| {
            tx.delete_table(STACKS).map_err(failed)?;
            tx.open_table(STACKS).map_err(failed)?;
            Ok(())
        });
        cleared.map_err(|e| self.err(e))
    }
}

/// The file's error in CloudFormation's words; a version mismatch names the directory, as the other
/// services' version errors do.
fn error(path: &Path, e: RedbError) -> StoreError {
    match e {
        RedbError::Db(detail) => StoreError::Db { path: path.display().to_string(), detail },
        RedbError::Version { found, .. } => {
            StoreError::Version(path.parent().unwrap_or(Path::new(".")).display().to_string(), found)
        }
    }
}
