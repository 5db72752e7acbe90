//! One redb file as the local cloud's stores keep it (CloudFormation's stacks, Kinesis's stream
//! metadata, the document store of Logs and IAM): created private, its format version written on first
//! open and checked on every later one, and closed after any error so that the next operation reopens
//! it, since redb refuses everything after an I/O error (`PreviousIo`). A full disk thus refuses the
//! changes made while it is full, and the store carries on once space returns, without a restart.
//!
//! The stores keep their own error types and wording; this file's [`RedbError`] says only what failed.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use redb::backends::FileBackend;
use redb::{Database, ReadableTable, StorageBackend, TableDefinition, WriteTransaction};

use super::files;

/// The table holding the format version (key `version`), in every store's file.
const FORMAT: TableDefinition<&str, u64> = TableDefinition::new("format");

/// What went wrong with a redb file, for its store to put in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedbError {
    /// An operation failed; the database was closed and the next operation reopens it.
    Db(String),
    /// The file was written by a build with another format version.
    Version { found: u64, expected: u64 },
}

/// A failed redb (or file) operation, described by its error.
pub fn failed(e: impl fmt::Display) -> RedbError {
    RedbError::Db(e.to_string())
}

/// Consulted before every write, resize and sync of the file: how tests make the disk full.
pub type WriteCheck = Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

/// How a store opens its file.
pub struct Options {
    /// redb's page cache; stores of small documents keep it small, so the idle footprint stays small.
    pub cache_bytes: usize,
    pub write_check: Option<WriteCheck>,
}

pub struct RedbFile {
    path: PathBuf,
    options: Options,
    /// `None` after an error closed it; reopened by the next operation.
    db: Mutex<Option<Database>>,
}

impl RedbFile {
    /// Opens `<dir>/<file>`, creating both private (redb would create the file with the umask's mode),
    /// records `version` in a new file or refuses a file of another version, and makes sure `data`
    /// exists, so readers never meet a missing table.
    pub fn open(
        dir: &Path,
        file: &str,
        options: Options,
        version: u64,
        data: TableDefinition<&str, &[u8]>,
    ) -> Result<RedbFile, RedbError> {
        let redb = RedbFile { path: dir.join(file), options, db: Mutex::new(None) };
        files::create_private_dir_all(dir).map_err(|e| failed(format!("creating {}: {e}", dir.display())))?;
        files::ensure_private_file(&redb.path).map_err(failed)?;
        redb.write(failed, |tx| {
            let mut t = tx.open_table(FORMAT).map_err(failed)?;
            let found = t.get("version").map_err(failed)?.map(|v| v.value());
            match found {
                Some(found) if found != version => return Err(RedbError::Version { found, expected: version }),
                Some(_) => {}
                None => {
                    t.insert("version", version).map_err(failed)?;
                }
            }
            tx.open_table(data).map_err(failed)?;
            Ok(())
        })?;
        Ok(redb)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_db(&self) -> Result<Database, RedbError> {
        let file = files::private_options().read(true).write(true).create(true).open(&self.path).map_err(failed)?;
        let file = FileBackend::new(file).map_err(failed)?;
        let mut builder = Database::builder();
        builder.set_cache_size(self.options.cache_bytes);
        builder.create_with_backend(CheckedBackend { file, check: self.options.write_check.clone() }).map_err(failed)
    }

    /// Runs `f` on the open database (opening it first if an earlier error closed it); a `Db` error
    /// closes it.
    pub fn with_db<T>(&self, f: impl FnOnce(&Database) -> Result<T, RedbError>) -> Result<T, RedbError> {
        let mut guard = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.open_db()?);
        }
        let Some(db) = guard.as_ref() else { return Err(failed("the database is not open")) };
        let out = f(db);
        if matches!(out, Err(RedbError::Db(_))) {
            *guard = None;
        }
        out
    }

    /// Runs `f` in one write transaction and commits it durably: all of its changes or none.
    /// `commit_failed` words a failed commit.
    pub fn write<T>(
        &self,
        commit_failed: impl FnOnce(redb::CommitError) -> RedbError,
        f: impl FnOnce(&WriteTransaction) -> Result<T, RedbError>,
    ) -> Result<T, RedbError> {
        self.with_db(|db| {
            let tx = db.begin_write().map_err(failed)?;
            let out = f(&tx)?;
            tx.commit().map_err(commit_failed)?;
            Ok(out)
        })
    }

    /// Every row of `table`, in key order.
    pub fn rows(&self, table: TableDefinition<&str, &[u8]>) -> Result<Vec<(String, Vec<u8>)>, RedbError> {
        self.rows_from(table, "")
    }

    /// The rows of `table` whose keys start with `prefix`, in key order.
    pub fn rows_from(
        &self,
        table: TableDefinition<&str, &[u8]>,
        prefix: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, RedbError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let t = tx.open_table(table).map_err(failed)?;
            let mut out = Vec::new();
            for row in t.range(prefix..).map_err(failed)? {
                let (k, v) = row.map_err(failed)?;
                if !k.value().starts_with(prefix) {
                    break;
                }
                out.push((k.value().to_string(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// The value of `key` in `table`, if it has one.
    pub fn get(&self, table: TableDefinition<&str, &[u8]>, key: &str) -> Result<Option<Vec<u8>>, RedbError> {
        self.with_db(|db| {
            let tx = db.begin_read().map_err(failed)?;
            let t = tx.open_table(table).map_err(failed)?;
            Ok(t.get(key).map_err(failed)?.map(|v| v.value().to_vec()))
        })
    }
}

/// redb's file backend with the write check in front of everything that changes the file.
struct CheckedBackend {
    file: FileBackend,
    check: Option<WriteCheck>,
}

impl CheckedBackend {
    fn check(&self) -> io::Result<()> {
        self.check.as_ref().map_or(Ok(()), |check| check())
    }
}

impl fmt::Debug for CheckedBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedBackend").field("file", &self.file).field("checked", &self.check.is_some()).finish()
    }
}

impl StorageBackend for CheckedBackend {
    fn len(&self) -> io::Result<u64> {
        self.file.len()
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.file.read(offset, len)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.check()?;
        self.file.set_len(len)
    }

    fn sync_data(&self, eventual: bool) -> io::Result<()> {
        self.check()?;
        self.file.sync_data(eventual)
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check()?;
        self.file.write(offset, data)
    }
}

/// Stores open in this process, by path, so a cloud restarted in process reuses the handle its stopped
/// predecessor may still hold (redb allows one open handle per file).
pub struct SharedByPath<T>(Mutex<Option<HashMap<PathBuf, Weak<T>>>>);

impl<T> Default for SharedByPath<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> SharedByPath<T> {
    pub const fn new() -> Self {
        SharedByPath(Mutex::new(None))
    }

    /// The store open at `path`, or the one `open` makes, which is then shared. The table stays locked
    /// while `open` runs, so two callers never open the same file at once.
    pub fn get_or_open<E>(&self, path: &Path, open: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let map = guard.get_or_insert_with(HashMap::new);
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(store) = map.get(path).and_then(Weak::upgrade) {
            return Ok(store);
        }
        let store = Arc::new(open()?);
        map.insert(path.to_path_buf(), Arc::downgrade(&store));
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");

    fn options(check: Option<WriteCheck>) -> Options {
        Options { cache_bytes: 1024 * 1024, write_check: check }
    }

    fn put(redb: &RedbFile, key: &str) -> Result<(), RedbError> {
        redb.write(failed, |tx| {
            tx.open_table(DOCS).map_err(failed)?.insert(key, b"x".as_slice()).map_err(failed)?;
            Ok(())
        })
    }

    #[test]
    fn a_new_file_is_private_and_a_file_of_another_version_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("svc");
        let redb = RedbFile::open(&dir, "s.redb", options(None), 3, DOCS).unwrap();
        assert_eq!(redb.rows(DOCS).unwrap(), vec![], "the data table exists from the start");
        drop(redb);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&dir.join("s.redb"))), (0o700, 0o600));
        assert!(RedbFile::open(&dir, "s.redb", options(None), 3, DOCS).is_ok());
        let refused = RedbFile::open(&dir, "s.redb", options(None), 4, DOCS).err();
        assert_eq!(refused, Some(RedbError::Version { found: 3, expected: 4 }));
    }

    #[test]
    fn a_failed_write_changes_nothing_and_the_next_operation_reopens_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let full = Arc::new(AtomicBool::new(false));
        let disk = full.clone();
        let check: WriteCheck = Arc::new(move || match disk.load(Ordering::SeqCst) {
            true => Err(io::Error::from_raw_os_error(libc::ENOSPC)),
            false => Ok(()),
        });
        let redb = RedbFile::open(tmp.path(), "s.redb", options(Some(check)), 1, DOCS).unwrap();
        put(&redb, "a").unwrap();
        full.store(true, Ordering::SeqCst);
        assert!(matches!(put(&redb, "b"), Err(RedbError::Db(_))));
        full.store(false, Ordering::SeqCst);
        put(&redb, "c").expect("the next write reopens the database");
        let keys: Vec<String> = redb.rows(DOCS).unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "c"]);
    }

    #[test]
    fn a_store_is_shared_by_path_while_someone_holds_it() {
        static SHARED: SharedByPath<String> = SharedByPath::new();
        let a = SHARED.get_or_open(Path::new("/x"), || Ok::<_, ()>("first".to_string())).unwrap();
        let again = SHARED.get_or_open(Path::new("/x"), || Ok::<_, ()>("second".to_string())).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        assert_eq!(SHARED.get_or_open(Path::new("/x"), || Err("unused")).as_deref(), Ok(&"first".to_string()));
        drop((a, again));
        assert_eq!(*SHARED.get_or_open(Path::new("/x"), || Ok::<_, ()>("second".to_string())).unwrap(), "second");
    }
}
