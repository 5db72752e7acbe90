//! The file operations the shard log uses, over the real file system or a [`SimDisk`].
//!
//! A two-variant enum rather than a trait object: the real path costs one predictable branch per call
//! next to a system call, and the log's types stay free of a generic parameter.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::sim_disk::{SimDisk, SimFile};
use crate::cloud::files;

/// Where a shard log keeps its files.
#[derive(Clone, Default)]
pub enum Disk {
    /// The operating system's file system: directories 0700, files 0600.
    #[default]
    Os,
    /// An in-memory disk that can crash and fill up, for tests.
    Sim(SimDisk),
}

pub(crate) enum DiskFile {
    Os(File),
    Sim(SimFile),
}

impl Disk {
    pub(crate) fn is_dir(&self, path: &Path) -> io::Result<bool> {
        match self {
            Disk::Os => match std::fs::metadata(path) {
                Ok(meta) => Ok(meta.is_dir()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            },
            Disk::Sim(sim) => sim.is_dir(path),
        }
    }

    /// Creates `dir` and its missing parents, each new entry made durable by syncing its parent.
    pub(crate) fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        match self {
            Disk::Os => files::create_private_dir_all(dir),
            Disk::Sim(sim) => sim.create_dir_all(dir),
        }
    }

    /// A new private file opened for reading and writing; fails if it exists.
    pub(crate) fn create_new(&self, path: &Path) -> io::Result<DiskFile> {
        match self {
            Disk::Os => files::private_options().read(true).write(true).create_new(true).open(path).map(DiskFile::Os),
            Disk::Sim(sim) => sim.create_new(path).map(DiskFile::Sim),
        }
    }

    /// An existing file opened for reading and writing.
    pub(crate) fn open(&self, path: &Path) -> io::Result<DiskFile> {
        match self {
            Disk::Os => std::fs::OpenOptions::new().read(true).write(true).open(path).map(DiskFile::Os),
            Disk::Sim(sim) => sim.open(path).map(DiskFile::Sim),
        }
    }

    /// The paths of the entries in `dir`.
    pub(crate) fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        match self {
            Disk::Os => std::fs::read_dir(dir)?.map(|entry| entry.map(|e| e.path())).collect(),
            Disk::Sim(sim) => sim.list(dir),
        }
    }

    pub(crate) fn remove_file(&self, path: &Path) -> io::Result<()> {
        match self {
            Disk::Os => std::fs::remove_file(path),
            Disk::Sim(sim) => sim.remove_file(path),
        }
    }

    pub(crate) fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        match self {
            Disk::Os => std::fs::remove_dir_all(dir),
            Disk::Sim(sim) => sim.remove_dir_all(dir),
        }
    }

    /// Makes the directory's entries (new, removed files) durable.
    pub(crate) fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        match self {
            Disk::Os => files::sync_dir(dir),
            Disk::Sim(sim) => sim.sync_dir(dir),
        }
    }
}

impl DiskFile {
    pub(crate) fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<usize> {
        match self {
            DiskFile::Os(f) => f.read_at(buf, at),
            DiskFile::Sim(f) => f.read_at(buf, at),
        }
    }

    pub(crate) fn read_exact_at(&self, mut buf: &mut [u8], mut at: u64) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read_at(buf, at) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file ends before the record")),
                Ok(n) => {
                    buf = &mut buf[n..];
                    at += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub(crate) fn write_all_at(&self, buf: &[u8], at: u64) -> io::Result<()> {
        match self {
            DiskFile::Os(f) => f.write_all_at(buf, at),
            DiskFile::Sim(f) => f.write_all_at(buf, at),
        }
    }

    /// fdatasync: the content (and the length it needs) is durable.
    pub(crate) fn sync_data(&self) -> io::Result<()> {
        match self {
            DiskFile::Os(f) => f.sync_data(),
            DiskFile::Sim(f) => f.sync(),
        }
    }

    pub(crate) fn sync_all(&self) -> io::Result<()> {
        match self {
            DiskFile::Os(f) => f.sync_all(),
            DiskFile::Sim(f) => f.sync(),
        }
    }

    pub(crate) fn set_len(&self, len: u64) -> io::Result<()> {
        match self {
            DiskFile::Os(f) => f.set_len(len),
            DiskFile::Sim(f) => f.set_len(len),
        }
    }

    pub(crate) fn len(&self) -> io::Result<u64> {
        match self {
            DiskFile::Os(f) => f.metadata().map(|m| m.len()),
            DiskFile::Sim(f) => f.len(),
        }
    }

    /// A sequential reader from `at` on, for scanning.
    pub(crate) fn reader_at(&self, at: u64) -> impl Read + '_ {
        FileReader { file: self, at }
    }
}

struct FileReader<'a> {
    file: &'a DiskFile,
    at: u64,
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Syncs `dir` (making new entries in it durable), with the directory named in the error.
pub(crate) fn sync_dir(disk: &Disk, dir: &Path) -> Result<(), super::error::StorageError> {
    disk.sync_dir(dir).map_err(|e| super::error::StorageError::io("syncing the directory", dir, e))
}
