//! Open files of sealed segments, shared by every shard log that uses the same cache: a small LRU,
//! so the number of open files stays bounded whatever the retention and shard count.
//!
//! A sealed segment is opened on its first read after it left the cache (its segment file and its
//! index file), and closed when a newer one needs the slot. Readers hold what they got behind an
//! `Arc`, so eviction never closes a file under a read in progress; at most the cache's capacity plus
//! the reads in flight are open. Retention and a log's end evict their entries at once, so a deleted
//! segment's space is not held by a cached handle.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::disk::DiskFile;

/// Sealed segments kept open by default; each holds two files (segment and index).
pub const DEFAULT_OPEN_SEGMENTS: usize = 64;

/// A sealed segment's files.
pub(crate) struct SealedFiles {
    pub segment: DiskFile,
    pub index: DiskFile,
}

/// A cache of sealed segments' open files. Cheap to clone; clones share the cache.
#[derive(Clone)]
pub struct SegmentFiles {
    inner: Arc<Mutex<Lru>>,
}

/// Which segment: the log (a number each opened log gets) and the segment's base seq.
type Key = (u64, u64);

struct Lru {
    capacity: usize,
    tick: u64,
    slots: Vec<Slot>,
}

struct Slot {
    key: Key,
    files: Arc<SealedFiles>,
    used: u64,
}

static NEXT_LOG: AtomicU64 = AtomicU64::new(1);

/// A number for a newly opened log, never given to another in this process.
pub(crate) fn next_log_id() -> u64 {
    NEXT_LOG.fetch_add(1, Ordering::Relaxed)
}

impl SegmentFiles {
    /// A cache keeping at most `capacity` sealed segments open (at least one).
    pub fn new(capacity: usize) -> Self {
        let lru = Lru { capacity: capacity.max(1), tick: 0, slots: Vec::new() };
        SegmentFiles { inner: Arc::new(Mutex::new(lru)) }
    }

    /// The process-wide cache of [`DEFAULT_OPEN_SEGMENTS`] that logs use unless given another.
    pub fn shared() -> Self {
        static SHARED: OnceLock<SegmentFiles> = OnceLock::new();
        SHARED.get_or_init(|| SegmentFiles::new(DEFAULT_OPEN_SEGMENTS)).clone()
    }

    pub fn capacity(&self) -> usize {
        self.lock().capacity
    }

    /// Sealed segments currently open through this cache.
    pub fn open_segments(&self) -> usize {
        self.lock().slots.len()
    }

    /// The files of `key`, opening them with `open` on a miss (outside the lock, so a slow open holds
    /// up no other reader) and evicting the least recently used segment when full.
    pub(crate) fn get(&self, key: Key, open: impl FnOnce() -> io::Result<SealedFiles>) -> io::Result<Arc<SealedFiles>> {
        {
            let mut lru = self.lock();
            lru.tick += 1;
            let tick = lru.tick;
            if let Some(slot) = lru.slots.iter_mut().find(|s| s.key == key) {
                slot.used = tick;
                return Ok(slot.files.clone());
            }
        }
        let files = Arc::new(open()?);
        let mut lru = self.lock();
        lru.tick += 1;
        let tick = lru.tick;
        if let Some(slot) = lru.slots.iter_mut().find(|s| s.key == key) {
            // Another reader opened it meanwhile: keep one copy.
            slot.used = tick;
            return Ok(slot.files.clone());
        }
        let oldest = lru.slots.iter().enumerate().min_by_key(|(_, s)| s.used).map(|(i, _)| i);
        if let Some(oldest) = oldest.filter(|_| lru.slots.len() >= lru.capacity) {
            lru.slots.swap_remove(oldest);
        }
        lru.slots.push(Slot { key, files: files.clone(), used: tick });
        Ok(files)
    }

    /// Closes the cached files of `log`'s segments that `gone` picks.
    pub(crate) fn evict(&self, log: u64, gone: impl Fn(u64) -> bool) {
        self.lock().slots.retain(|s| s.key.0 != log || !gone(s.key.1));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for SegmentFiles {
    fn default() -> Self {
        SegmentFiles::shared()
    }
}

impl fmt::Debug for SegmentFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lru = self.lock();
        f.debug_struct("SegmentFiles").field("capacity", &lru.capacity).field("open", &lru.slots.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::storage::disk::Disk;

    #[test]
    fn the_least_recently_used_segment_is_closed_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").unwrap();
        let open = || Ok(SealedFiles { segment: Disk::Os.open(&path)?, index: Disk::Os.open(&path)? });
        let cache = SegmentFiles::new(2);
        let opens = std::cell::Cell::new(0);
        let get = |key| {
            cache
                .get(key, || {
                    opens.set(opens.get() + 1);
                    open()
                })
                .unwrap()
        };
        get((1, 0));
        get((1, 10));
        get((1, 0));
        get((1, 20));
        assert_eq!(opens.get(), 3);
        get((1, 0));
        assert_eq!(opens.get(), 3, "segment 0 was used last but one, so segment 10 went");
        get((1, 10));
        assert_eq!(opens.get(), 4);
        assert_eq!(cache.open_segments(), 2);
        cache.evict(1, |base| base == 10);
        assert_eq!(cache.open_segments(), 1);
        cache.evict(2, |_| true);
        assert_eq!(cache.open_segments(), 1, "another log's eviction leaves these alone");
    }
}
