//! Where job states live on disk: one file each under `<data dir>/kinesisanalytics/states/<app>/`, as
//! Flink keeps each checkpoint in files of its checkpoint directory rather than in its metadata. A file
//! is written and synced under a name never used before, so it is complete before the application's
//! document refers to it; it is removed once the document that stops referring to it is durable; files
//! no document refers to (left by a crash between the two) are swept when the service opens.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::cloud::files;

pub struct StateFiles {
    dir: PathBuf,
}

impl StateFiles {
    pub fn new(dir: PathBuf) -> StateFiles {
        StateFiles { dir }
    }

    /// The file of `key` (`<app>/<file>`), or `None` for a key that is not one.
    fn path(&self, key: &str) -> Option<PathBuf> {
        let (app, file) = key.split_once('/')?;
        let part = |p: &str| !p.is_empty() && p != "." && p != ".." && !p.contains('/') && !p.starts_with('.');
        (part(app) && part(file)).then(|| self.dir.join(app).join(file))
    }

    /// Writes `bytes` as the state `key`, synced, with its directory.
    pub fn write(&self, key: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.path(key).ok_or_else(|| format!("{key} is not a state's name"))?;
        files::write_atomic(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
    }

    /// The bytes of the state `key`, which must be the `size` bytes recorded when it was written.
    pub fn read(&self, key: &str, size: u64) -> Result<Vec<u8>, String> {
        let path = self.path(key).ok_or_else(|| format!("{key} is not a state's name"))?;
        let mut file = fs::File::open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{} is missing", path.display()),
            _ => format!("opening {}: {e}", path.display()),
        })?;
        let found = file.metadata().map_err(|e| format!("reading {}: {e}", path.display()))?.len();
        if found != size {
            return Err(format!("{} is {found} bytes, {size} were written", path.display()));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.read_to_end(&mut bytes).map_err(|e| format!("reading {}: {e}", path.display()))?;
        Ok(bytes)
    }

    /// Removes the states `keys` (and an application's directory once it is empty). Not synced: a
    /// file a crash brings back, or one an error left, is swept at the next open.
    pub fn remove<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut dirs = BTreeSet::new();
        for path in keys.into_iter().filter_map(|k| self.path(k)) {
            if let Err(e) = fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "removing a Managed Flink job state failed");
            }
            dirs.extend(path.parent().map(Path::to_path_buf));
        }
        for dir in dirs {
            // Fails while other states are in it, as it should.
            let _ = fs::remove_dir(&dir);
        }
    }

    /// Removes every file under the states directory that is not one of `referenced`; how many.
    pub fn sweep(&self, referenced: &BTreeSet<&str>) -> usize {
        let mut orphans = Vec::new();
        for app in read_dir(&self.dir) {
            let files = read_dir(&app);
            if files.is_empty() {
                let _ = fs::remove_dir(&app);
            }
            for file in files {
                let key = file.strip_prefix(&self.dir).ok().and_then(Path::to_str).map(str::to_string);
                if key.as_deref().is_none_or(|k| !referenced.contains(k)) {
                    orphans.push(file);
                }
            }
        }
        for path in &orphans {
            if let Err(e) = fs::remove_file(path) {
                tracing::warn!(path = %path.display(), error = %e, "removing an orphaned Managed Flink job state failed");
            }
        }
        orphans.len()
    }
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default()
}
