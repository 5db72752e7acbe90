//! A disk in memory that knows what a crash would keep, for crash and full-disk tests of the shard log.
//!
//! SIGKILL leaves the page cache intact, so a test that kills a process cannot see a missing fsync.
//! This disk can: per file it keeps the content as of the last sync and the changes since, per directory
//! the entries as of the last directory sync and the current ones. [`SimDisk::crash`] keeps what was
//! synced plus a random prefix of each file's later changes (the last one possibly cut short), and only
//! the directory entries a directory sync made durable — a file whose entry was never synced is gone,
//! however often the file itself was synced. Faults: a capacity (writes past it are cut short with
//! ENOSPC), failing syncs (EIO), and a power cut after a number of changes (everything after fails).
//!
//! Paths are absolute; `/` always exists. Handles opened before a crash fail afterwards.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A simulated disk; clones share it.
#[derive(Clone, Default)]
pub struct SimDisk {
    state: Arc<Mutex<State>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    File(u64),
    Dir,
}

#[derive(Default)]
struct DirNode {
    entries: BTreeMap<OsString, Node>,
    durable: BTreeMap<OsString, Node>,
}

#[derive(Default)]
struct Inode {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// Changes since the last sync, oldest first.
    pending: Vec<Change>,
}

enum Change {
    Write { at: u64, bytes: Vec<u8> },
    SetLen(u64),
}

#[derive(Default)]
struct Faults {
    capacity: Option<u64>,
    failing_syncs: bool,
    /// Changes still allowed before the power goes; `Some(0)` means it is gone.
    changes_left: Option<u64>,
}

#[derive(Default)]
struct State {
    dirs: BTreeMap<PathBuf, DirNode>,
    inodes: HashMap<u64, Inode>,
    next_inode: u64,
    generation: u64,
    faults: Faults,
    changes: u64,
    bytes_read: u64,
}

/// An open file of a [`SimDisk`].
pub struct SimFile {
    disk: SimDisk,
    inode: u64,
    generation: u64,
}

fn err(kind: io::ErrorKind, what: &str) -> io::Error {
    io::Error::new(kind, format!("simulated disk: {what}"))
}

fn enospc() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOSPC)
}

fn eio() -> io::Error {
    io::Error::from_raw_os_error(libc::EIO)
}

/// Splits an absolute path into its parent and last name.
fn split(path: &Path) -> io::Result<(PathBuf, OsString)> {
    let bad = || err(io::ErrorKind::InvalidInput, "paths must be absolute and plain");
    if !path.is_absolute() || path.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Err(bad());
    }
    let name = path.file_name().ok_or_else(bad)?.to_os_string();
    Ok((path.parent().ok_or_else(bad)?.to_path_buf(), name))
}

impl State {
    fn new() -> State {
        let mut state = State::default();
        state.dirs.insert(PathBuf::from("/"), DirNode::default());
        state
    }

    /// Counts a change against the power cut; fails once the power is gone.
    fn change(&mut self) -> io::Result<()> {
        match &mut self.faults.changes_left {
            Some(0) => Err(eio()),
            Some(left) => {
                *left -= 1;
                self.changes += 1;
                Ok(())
            }
            None => {
                self.changes += 1;
                Ok(())
            }
        }
    }

    fn powered(&self) -> io::Result<()> {
        if self.faults.changes_left == Some(0) { Err(eio()) } else { Ok(()) }
    }

    fn dir(&mut self, dir: &Path) -> io::Result<&mut DirNode> {
        self.dirs.get_mut(dir).ok_or_else(|| err(io::ErrorKind::NotFound, "no such directory"))
    }

    fn lookup(&self, path: &Path) -> io::Result<Node> {
        if path == Path::new("/") {
            return Ok(Node::Dir);
        }
        let (parent, name) = split(path)?;
        let parent = self.dirs.get(&parent).ok_or_else(|| err(io::ErrorKind::NotFound, "no such directory"))?;
        parent.entries.get(&name).copied().ok_or_else(|| err(io::ErrorKind::NotFound, "no such file"))
    }

    fn used(&self) -> u64 {
        self.inodes.values().map(|i| i.data.len() as u64).sum()
    }

    fn inode(&mut self, id: u64) -> &mut Inode {
        self.inodes.entry(id).or_default()
    }

    fn mkdir(&mut self, dir: &Path) -> io::Result<()> {
        let (parent, name) = split(dir)?;
        self.change()?;
        self.dir(&parent)?.entries.insert(name, Node::Dir);
        self.dirs.insert(dir.to_path_buf(), DirNode::default());
        Ok(())
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        self.change()?;
        if self.faults.failing_syncs {
            return Err(eio());
        }
        let node = self.dir(dir)?;
        node.durable = node.entries.clone();
        Ok(())
    }

    /// What survives a power cut: durable entries from `/` down, and for each file still named its
    /// synced content plus a seeded prefix of the changes since.
    fn crash(&mut self, seed: u64) {
        let mut rng = seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut dirs = BTreeMap::new();
        let mut live = Vec::new();
        let mut stack = vec![PathBuf::from("/")];
        while let Some(path) = stack.pop() {
            let durable = self.dirs.get(&path).map(|d| d.durable.clone()).unwrap_or_default();
            for (name, node) in &durable {
                match node {
                    Node::Dir if self.dirs.contains_key(&path.join(name)) => stack.push(path.join(name)),
                    Node::Dir => {}
                    Node::File(id) => live.push(*id),
                }
            }
            let kept: BTreeMap<_, _> = durable
                .into_iter()
                .filter(|(n, node)| *node != Node::Dir || self.dirs.contains_key(&path.join(n)))
                .collect();
            dirs.insert(path, DirNode { entries: kept.clone(), durable: kept });
        }
        let mut inodes = HashMap::new();
        for id in live {
            let Some(old) = self.inodes.remove(&id) else { continue };
            let keep = (next_random(&mut rng) % (old.pending.len() as u64 + 1)) as usize;
            let mut data = old.durable;
            for (i, change) in old.pending.into_iter().take(keep).enumerate() {
                let cut = i + 1 == keep && next_random(&mut rng).is_multiple_of(2);
                apply(&mut data, change, cut.then(|| next_random(&mut rng)));
            }
            inodes.insert(id, Inode { durable: data.clone(), data, pending: Vec::new() });
        }
        self.dirs = dirs;
        self.inodes = inodes;
        self.generation += 1;
        self.faults = Faults::default();
    }
}

fn next_random(state: &mut u64) -> u64 {
    // splitmix64: deterministic per seed, which is all a reproducible crash needs.
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Applies a change; `cut` keeps only part of a write, as a torn write would.
fn apply(data: &mut Vec<u8>, change: Change, cut: Option<u64>) {
    match change {
        Change::Write { at, bytes } => {
            let keep = cut.map_or(bytes.len(), |r| (r % (bytes.len() as u64 + 1)) as usize);
            let end = at as usize + keep;
            if data.len() < end {
                data.resize(end, 0);
            }
            data[at as usize..end].copy_from_slice(&bytes[..keep]);
        }
        Change::SetLen(len) => data.resize(len as usize, 0),
    }
}

impl SimDisk {
    pub fn new() -> SimDisk {
        SimDisk { state: Arc::new(Mutex::new(State::new())) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Total bytes files may hold; writes past it are cut short with ENOSPC. `None`: no limit.
    pub fn set_capacity(&self, bytes: Option<u64>) {
        self.lock().faults.capacity = bytes;
    }

    /// Makes every file and directory sync fail with EIO (or succeed again).
    pub fn set_failing_syncs(&self, failing: bool) {
        self.lock().faults.failing_syncs = failing;
    }

    /// Cuts the power after `changes` more changes (creates, writes, syncs, removes): every operation
    /// after that fails with EIO until [`SimDisk::crash`].
    pub fn cut_power_after(&self, changes: u64) {
        self.lock().faults.changes_left = Some(changes);
    }

    /// Bytes the files hold now (to size a capacity).
    pub fn bytes_used(&self) -> u64 {
        self.lock().used()
    }

    /// Changes made so far (to size a power cut).
    pub fn changes(&self) -> u64 {
        self.lock().changes
    }

    /// Bytes read from files so far (to bound what a lookup reads).
    pub fn bytes_read(&self) -> u64 {
        self.lock().bytes_read
    }

    /// A crash and reboot: keeps what was made durable and, by `seed`, some of what was not; clears the
    /// faults; handles opened before fail from now on.
    pub fn crash(&self, seed: u64) {
        self.lock().crash(seed);
    }

    /// The current content of a file, as a reader would see it.
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let state = self.lock();
        match state.lookup(path)? {
            Node::File(id) => Ok(state.inodes.get(&id).map(|i| i.data.clone()).unwrap_or_default()),
            Node::Dir => Err(err(io::ErrorKind::InvalidInput, "is a directory")),
        }
    }

    /// The names in a directory now (empty when it does not exist).
    pub fn list_files(&self, dir: &Path) -> Vec<PathBuf> {
        let state = self.lock();
        state.dirs.get(dir).map(|d| d.entries.keys().map(|n| dir.join(n)).collect()).unwrap_or_default()
    }

    pub(crate) fn is_dir(&self, path: &Path) -> io::Result<bool> {
        let state = self.lock();
        state.powered()?;
        match state.lookup(path) {
            Ok(node) => Ok(node == Node::Dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Mirrors `files::create_private_dir_all`: each new directory's parent is synced.
    pub(crate) fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        if self.is_dir(dir)? {
            return Ok(());
        }
        let (parent, _) = split(dir)?;
        self.create_dir_all(&parent)?;
        let mut state = self.lock();
        state.mkdir(dir)?;
        state.sync_dir(&parent)
    }

    pub(crate) fn create_new(&self, path: &Path) -> io::Result<SimFile> {
        let (parent, name) = split(path)?;
        let mut state = self.lock();
        state.powered()?;
        if state.dir(&parent)?.entries.contains_key(&name) {
            return Err(err(io::ErrorKind::AlreadyExists, "file exists"));
        }
        state.change()?;
        let id = state.next_inode;
        state.next_inode += 1;
        state.inodes.insert(id, Inode::default());
        state.dir(&parent)?.entries.insert(name, Node::File(id));
        Ok(SimFile { disk: self.clone(), inode: id, generation: state.generation })
    }

    pub(crate) fn open(&self, path: &Path) -> io::Result<SimFile> {
        let state = self.lock();
        state.powered()?;
        match state.lookup(path)? {
            Node::File(id) => Ok(SimFile { disk: self.clone(), inode: id, generation: state.generation }),
            Node::Dir => Err(err(io::ErrorKind::InvalidInput, "is a directory")),
        }
    }

    pub(crate) fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut state = self.lock();
        state.powered()?;
        Ok(state.dir(dir)?.entries.keys().map(|name| dir.join(name)).collect())
    }

    pub(crate) fn remove_file(&self, path: &Path) -> io::Result<()> {
        let (parent, name) = split(path)?;
        let mut state = self.lock();
        if state.lookup(path)? == Node::Dir {
            return Err(err(io::ErrorKind::InvalidInput, "is a directory"));
        }
        state.change()?;
        state.dir(&parent)?.entries.remove(&name);
        Ok(())
    }

    pub(crate) fn remove_dir_all(&self, dir: &Path) -> io::Result<()> {
        let (parent, name) = split(dir)?;
        let mut state = self.lock();
        if state.lookup(dir)? != Node::Dir {
            return Err(err(io::ErrorKind::InvalidInput, "not a directory"));
        }
        state.change()?;
        state.dir(&parent)?.entries.remove(&name);
        state.dirs.retain(|path, _| !path.starts_with(dir));
        Ok(())
    }

    pub(crate) fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.lock().sync_dir(dir)
    }
}

impl SimFile {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> io::Result<T>) -> io::Result<T> {
        let mut state = self.disk.lock();
        if state.generation != self.generation {
            return Err(err(io::ErrorKind::Other, "handle opened before a crash"));
        }
        f(&mut state)
    }

    pub(crate) fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<usize> {
        self.with(|state| {
            state.powered()?;
            let data = &state.inode(self.inode).data;
            let start = (at as usize).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf[..n].copy_from_slice(&data[start..start + n]);
            state.bytes_read += n as u64;
            Ok(n)
        })
    }

    pub(crate) fn write_all_at(&self, buf: &[u8], at: u64) -> io::Result<()> {
        self.with(|state| {
            state.change()?;
            let len = state.inode(self.inode).data.len() as u64;
            let growth = (at + buf.len() as u64).saturating_sub(len);
            let room = state.faults.capacity.map_or(u64::MAX, |cap| cap.saturating_sub(state.used()));
            let fits = if growth <= room { buf.len() } else { (buf.len() as u64 - (growth - room)) as usize };
            let inode = state.inode(self.inode);
            let end = at as usize + fits;
            if inode.data.len() < end {
                inode.data.resize(end, 0);
            }
            inode.data[at as usize..end].copy_from_slice(&buf[..fits]);
            inode.pending.push(Change::Write { at, bytes: buf[..fits].to_vec() });
            if fits < buf.len() { Err(enospc()) } else { Ok(()) }
        })
    }

    pub(crate) fn set_len(&self, len: u64) -> io::Result<()> {
        self.with(|state| {
            state.change()?;
            let inode = state.inode(self.inode);
            inode.data.resize(len as usize, 0);
            inode.pending.push(Change::SetLen(len));
            Ok(())
        })
    }

    /// `sync_data` and `sync_all` alike: the file's content becomes durable (not its directory entry).
    pub(crate) fn sync(&self) -> io::Result<()> {
        self.with(|state| {
            state.change()?;
            if state.faults.failing_syncs {
                return Err(eio());
            }
            let inode = state.inode(self.inode);
            inode.durable = inode.data.clone();
            inode.pending.clear();
            Ok(())
        })
    }

    pub(crate) fn len(&self) -> io::Result<u64> {
        self.with(|state| {
            state.powered()?;
            Ok(state.inode(self.inode).data.len() as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn a_crash_keeps_synced_content_and_only_durable_entries() {
        let disk = SimDisk::new();
        disk.create_dir_all(&p("/d")).unwrap();
        let kept = disk.create_new(&p("/d/kept")).unwrap();
        kept.write_all_at(b"synced", 0).unwrap();
        kept.sync().unwrap();
        disk.sync_dir(&p("/d")).unwrap();
        kept.write_all_at(b" and not", 6).unwrap();
        let lost = disk.create_new(&p("/d/lost")).unwrap();
        lost.write_all_at(b"x", 0).unwrap();
        lost.sync().unwrap();
        disk.crash(0);
        assert!(kept.read_at(&mut [0; 4], 0).is_err(), "old handles fail after a crash");
        let content = disk.read(&p("/d/kept")).unwrap();
        assert!(content.starts_with(b"synced") && b"synced and not".starts_with(&content), "{content:?}");
        assert_eq!(disk.read(&p("/d/lost")).unwrap_err().kind(), io::ErrorKind::NotFound, "entry never synced");
    }

    #[test]
    fn an_unsynced_directory_vanishes_and_capacity_cuts_writes_short() {
        let disk = SimDisk::new();
        disk.create_dir_all(&p("/a")).unwrap();
        disk.lock().mkdir(&p("/a/b")).unwrap();
        disk.crash(1);
        assert!(disk.is_dir(&p("/a")).unwrap());
        assert!(!disk.is_dir(&p("/a/b")).unwrap());

        disk.set_capacity(Some(4));
        let f = disk.create_new(&p("/a/f")).unwrap();
        let e = f.write_all_at(b"123456", 0).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(disk.read(&p("/a/f")).unwrap(), b"1234");
        disk.cut_power_after(1);
        f.set_len(0).unwrap();
        assert_eq!(f.sync().unwrap_err().raw_os_error(), Some(libc::EIO), "the power is gone");
    }
}
