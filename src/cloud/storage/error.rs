//! What can go wrong in the storage layer; every message names the file or directory involved.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{op} {}: {source}", .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not a shard log segment (bad magic)", .path.display())]
    BadMagic { path: PathBuf },
    #[error("{} has segment format version {found}; this build reads version {supported} only", .path.display())]
    UnsupportedVersion { path: PathBuf, found: u16, supported: u16 },
    #[error("{} is corrupt at byte {offset}: {detail}", .path.display())]
    Corrupt { path: PathBuf, offset: u64, detail: String },
    #[error("record rejected by the shard log in {}: {detail}", .dir.display())]
    RecordTooLarge { dir: PathBuf, detail: String },
    #[error("the shard log in {} stopped accepting writes after a failure: {cause}", .dir.display())]
    Failed { dir: PathBuf, cause: String },
    #[error("the shard log in {} is closed", .dir.display())]
    Closed { dir: PathBuf },
    #[error("the shard directory {} is missing; its records are lost or were moved", .dir.display())]
    Missing { dir: PathBuf },
}

impl StorageError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        StorageError::Io { op, path: path.into(), source }
    }

    /// A copy of this error for each caller of a group commit that failed as a whole.
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            StorageError::Io { op, path, source } => {
                StorageError::Io { op, path: path.clone(), source: io::Error::new(source.kind(), source.to_string()) }
            }
            StorageError::BadMagic { path } => StorageError::BadMagic { path: path.clone() },
            StorageError::UnsupportedVersion { path, found, supported } => {
                StorageError::UnsupportedVersion { path: path.clone(), found: *found, supported: *supported }
            }
            StorageError::Corrupt { path, offset, detail } => {
                StorageError::Corrupt { path: path.clone(), offset: *offset, detail: detail.clone() }
            }
            StorageError::RecordTooLarge { dir, detail } => {
                StorageError::RecordTooLarge { dir: dir.clone(), detail: detail.clone() }
            }
            StorageError::Failed { dir, cause } => StorageError::Failed { dir: dir.clone(), cause: cause.clone() },
            StorageError::Closed { dir } => StorageError::Closed { dir: dir.clone() },
            StorageError::Missing { dir } => StorageError::Missing { dir: dir.clone() },
        }
    }

    /// Whether the files themselves are damaged or gone (as opposed to a failing disk or a bad
    /// request): the caller should set this shard's stream aside and keep everything else running.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            StorageError::BadMagic { .. }
                | StorageError::UnsupportedVersion { .. }
                | StorageError::Corrupt { .. }
                | StorageError::Missing { .. }
        )
    }
}
