//! A shard's durable record log: append-only segment files, a sparse index whose memory grows with
//! segments rather than records, sealed segments opened on demand through a bounded cache of files,
//! group commit.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use tokio::sync::oneshot;

use super::disk::Disk;
pub use super::error::StorageError;
use super::handles::{self, SealedFiles};
pub use super::handles::{DEFAULT_OPEN_SEGMENTS, SegmentFiles};
use super::index::{self, Entry, Found, Index, Segment, Start};
use super::index_file;
use super::reader::{self, Met};
pub use super::record::{NewRecord, StoredRecord};
use super::recover::recover;
use super::segment;
use super::writer::{self, Inner, Pending, Queue, Writer};

#[derive(Clone, Debug)]
pub struct LogOptions {
    /// A segment rolls once it would grow past this (capped at 4 GiB; one record always fits).
    pub segment_bytes: u64,
    /// fdatasync before acknowledging an append.
    pub sync: bool,
    /// Where the log's sealed segments are kept open; logs sharing one cache share its bound on open
    /// files. The default is one process-wide cache of [`DEFAULT_OPEN_SEGMENTS`] segments.
    pub files: SegmentFiles,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions { segment_bytes: 64 << 20, sync: true, files: SegmentFiles::shared() }
    }
}

pub use super::recover::OpenMode;

/// One shard's log. Cheap to share behind an `Arc`; reads never wait for a sync in progress.
pub struct ShardLog {
    inner: Arc<Inner>,
}

/// Reads go to the file in pieces of at most this size,
const READ_CHUNK: u64 = 1 << 20;
/// and at least this (a page, at least one frame prefix).
const MIN_READ: u64 = 4 << 10;

/// The log's sealed segment files close with its handle, not with the last commit task still
/// holding its state: reads, the only users of those files, go through the handle.
impl Drop for ShardLog {
    fn drop(&mut self) {
        self.inner.files.evict(self.inner.log_id, |_| true);
    }
}

impl ShardLog {
    /// Creates or recovers the log in `dir` (one directory per shard): [`OpenMode::New`].
    pub fn open(dir: &Path, opts: LogOptions) -> Result<ShardLog, StorageError> {
        Self::open_with(dir, opts, OpenMode::New)
    }

    /// Opens the log in `dir` on the real file system. Recovery truncates a torn tail (partial or
    /// checksum-failing last record) and keeps everything before it; damage anywhere else is an error
    /// naming the file ([`StorageError::is_damage`]).
    pub fn open_with(dir: &Path, opts: LogOptions, mode: OpenMode) -> Result<ShardLog, StorageError> {
        Self::open_on(&Disk::Os, dir, opts, mode)
    }

    /// Opens the log in `dir` on `disk` (a simulated one in crash tests).
    pub fn open_on(disk: &Disk, dir: &Path, opts: LogOptions, mode: OpenMode) -> Result<ShardLog, StorageError> {
        let exists = disk.is_dir(dir).map_err(|e| StorageError::io("inspecting", dir, e))?;
        match mode {
            OpenMode::Existing if !exists => return Err(StorageError::Missing { dir: dir.to_path_buf() }),
            OpenMode::New if !exists => disk.create_dir_all(dir).map_err(|e| StorageError::io("creating", dir, e))?,
            _ => {}
        }
        let recovered = recover(disk, dir, opts.sync, mode)?;
        for path in &recovered.reindexed {
            tracing::warn!(file = %path.display(), "re-indexed a sealed segment whose index file was missing or wrong");
        }
        let writer = Writer {
            disk: disk.clone(),
            dir: dir.to_path_buf(),
            segment_limit: opts.segment_bytes.min(u64::from(u32::MAX)),
            sync: opts.sync,
            active: recovered.active,
            next_seq: recovered.index.next_seq,
            last_arrival: recovered.index.last_arrival,
            failed: None,
            closed: false,
        };
        let inner = Inner {
            dir: dir.to_path_buf(),
            disk: disk.clone(),
            log_id: handles::next_log_id(),
            files: opts.files,
            reindexed: recovered.reindexed,
            index: RwLock::new(recovered.index),
            writer: Mutex::new(writer),
            queue: Mutex::new(Queue::default()),
        };
        Ok(ShardLog { inner: Arc::new(inner) })
    }

    /// Appends records with one arrival time; returns their sequence numbers (strictly increasing,
    /// contiguous within a call) once they are on disk. Concurrent callers share one write and sync.
    /// Arrival times are clamped so they never decrease along the log. Dropping the future after the
    /// call does not withdraw the records: they are still written, only the answer is lost.
    /// A refused append (full disk, I/O error) leaves nothing readable, and the seqs it would have
    /// had are skipped, never handed out again; the next append repairs the log first.
    pub async fn append(&self, records: Vec<NewRecord>, arrival_ms: i64) -> Result<Vec<u64>, StorageError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        if let Some(r) = records.iter().find(|r| segment::frame_len(&r.partition_key, &r.data).is_none()) {
            let detail = format!("partition key of {} bytes and data of {} bytes", r.partition_key.len(), r.data.len());
            return Err(StorageError::RecordTooLarge { dir: self.inner.dir.clone(), detail });
        }
        let (reply, answer) = oneshot::channel();
        writer::enqueue(&self.inner, Pending { records, arrival_ms, reply });
        answer.await.map_err(|_| StorageError::Closed { dir: self.inner.dir.clone() })?
    }

    /// Records with seq >= `from_seq`, in order: at most `max_records`, and at most `max_bytes` of data
    /// unless the first record alone is larger. Trimmed seqs are skipped.
    pub fn read(&self, from_seq: u64, max_records: usize, max_bytes: usize) -> Result<Vec<StoredRecord>, StorageError> {
        let mut out = Vec::new();
        let mut data_bytes = 0usize;
        let mut seq = from_seq;
        while out.len() < max_records {
            let Some(found) = self.index().find_seq(seq) else { break };
            let first = seq.max(found.base);
            let Some((file, entry)) = self.start(&found, |e| found.base + u64::from(e.ordinal) <= first)? else {
                continue;
            };
            let budget = (max_bytes.saturating_sub(data_bytes) as u64).clamp(64 << 10, READ_CHUNK);
            let chunk = read_span(&found, &entry, first, max_records - out.len()).min(budget);
            let mut full = false;
            reader::walk(file.as_ref(), &found.path, entry, found.end, chunk, |met: Met<'_>| {
                let at = found.base + u64::from(met.ordinal);
                if at < first {
                    return Ok(true);
                }
                if !out.is_empty() && data_bytes + met.frame.data.len() > max_bytes {
                    full = true;
                    return Ok(false);
                }
                data_bytes += met.frame.data.len();
                out.push(met.record(at, &found.path)?);
                Ok(out.len() < max_records)
            })?;
            if full {
                break;
            }
            seq = found.base + found.count;
        }
        Ok(out)
    }

    /// The file of `found`'s segment and the entry to scan from: the last one for which `before` holds.
    /// `None` when retention deleted the segment meanwhile (look again: its records are gone).
    fn start(
        &self,
        found: &Found,
        before: impl Fn(&Entry) -> bool,
    ) -> Result<Option<(SegmentFile, Entry)>, StorageError> {
        let entries = match &found.start {
            Start::Memory { file, entry } => return Ok(Some((SegmentFile::Open(file.clone()), *entry))),
            Start::File { entries } => *entries,
        };
        let inner = &self.inner;
        let opened = inner.files.get((inner.log_id, found.base), || {
            let segment = inner.disk.open(&found.path)?;
            let index = inner.disk.open(&index_file::path_of(&found.path))?;
            Ok(SealedFiles { segment, index })
        });
        let files = match opened {
            Ok(files) => files,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.holds(found.base) => return Ok(None),
            Err(e) => return Err(StorageError::io("opening", &found.path, e)),
        };
        let idx = index_file::path_of(&found.path);
        let entry = index_file::search(&files.index, &idx, entries, before)?;
        Ok(Some((SegmentFile::Sealed(files), entry)))
    }

    /// Whether the segment starting at `base` is still retained.
    fn holds(&self, base: u64) -> bool {
        self.index().segments.iter().any(|s| s.base == base)
    }

    /// The seq the next record gets; survives restarts and is never reused.
    pub fn next_seq(&self) -> u64 {
        self.index().next_seq
    }

    /// The oldest retained record's seq (`next_seq` when the log is empty).
    pub fn first_seq(&self) -> u64 {
        self.index().first_seq()
    }

    /// The first seq with arrival time >= `ms` (`next_seq` if none). When the segment cannot be read,
    /// the error is logged and the answer is the start of the interval it lies in, so no record at or
    /// after `ms` is ever skipped.
    pub fn seq_at_time(&self, ms: i64) -> u64 {
        loop {
            let found = match self.index().find_time(ms) {
                Ok(found) => found,
                Err(seq) => return seq,
            };
            match self.scan_time(&found, ms) {
                Ok(Some(seq)) => return seq,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(dir = %self.inner.dir.display(), error = %e, "time lookup failed; starting at its segment");
                    return found.base;
                }
            }
        }
    }

    /// `seq_at_time` in one segment; `None` when retention deleted it meanwhile.
    fn scan_time(&self, found: &Found, ms: i64) -> Result<Option<u64>, StorageError> {
        let Some((file, entry)) = self.start(found, |e| e.arrival_ms < ms)? else { return Ok(None) };
        let mut answer = found.base + found.count;
        reader::walk(file.as_ref(), &found.path, entry, found.end, u64::from(index::INTERVAL) * 2, |met| {
            if met.frame.arrival_ms >= ms {
                answer = found.base + u64::from(met.ordinal);
                return Ok(false);
            }
            Ok(true)
        })?;
        Ok(Some(answer))
    }

    /// The latest arrival time ever appended (also after its records were trimmed).
    pub fn last_arrival_ms(&self) -> Option<i64> {
        self.index().last_arrival
    }

    /// Retention: deletes whole segments whose records all arrived before `ms`; returns bytes freed.
    pub fn trim_before(&self, ms: i64) -> Result<u64, StorageError> {
        let mut writer = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (expired, all) = {
            let index = self.index();
            let n = index.segments.len();
            let expired = index.segments.iter().enumerate().take_while(|(i, s)| match s.last_arrival() {
                Some(last) => last < ms,
                None => i + 1 < n,
            });
            let expired = expired.count();
            (expired, expired == n)
        };
        if expired == 0 {
            return Ok(0);
        }
        if all {
            // The active segment holds only expired records: start a fresh one so it can go.
            let fresh = writer.roll()?;
            writer::push_segment(&mut self.index_mut(), fresh);
        }
        let removed: Vec<Segment> = self.index_mut().segments.drain(..expired).collect();
        let disk = writer.disk.clone();
        drop(writer);
        let gone = |base| removed.iter().any(|s| s.base == base);
        self.inner.files.evict(self.inner.log_id, gone);
        let mut freed = 0;
        for segment in &removed {
            // The segment first: an index left by a crash here is an orphan the next open removes.
            let idx = index_file::path_of(&segment.path);
            for (path, counts) in [(&segment.path, true), (&idx, false)] {
                match disk.remove_file(path) {
                    Ok(()) if counts => freed += segment.end,
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StorageError::io("deleting", path, e)),
                }
            }
        }
        writer::sync_dir(&disk, &self.inner.dir)?;
        Ok(freed)
    }

    /// Bytes the retained segments take on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.index().disk_bytes()
    }

    /// Records retained.
    pub fn len(&self) -> u64 {
        self.index().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes the in-memory index takes.
    pub fn index_bytes(&self) -> usize {
        self.index().heap_bytes()
    }

    /// Sealed segments whose index file was missing, damaged or out of date when the log was opened,
    /// and was rebuilt from the segment (their records were intact).
    pub fn reindexed(&self) -> &[PathBuf] {
        &self.inner.reindexed
    }

    /// Where the log's sealed segments are kept open.
    pub fn segment_files(&self) -> &SegmentFiles {
        &self.inner.files
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Deletes the log's files (DeleteStream). Appends still queued elsewhere fail with `Closed`.
    pub fn destroy(self) -> Result<(), StorageError> {
        let mut writer = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.closed = true;
        self.index_mut().segments.clear();
        self.inner.files.evict(self.inner.log_id, |_| true);
        writer.disk.remove_dir_all(&self.inner.dir).map_err(|e| StorageError::io("deleting", &self.inner.dir, e))
    }

    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.inner.index.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Bytes to read from `entry` for `records` records from seq `first` on: the segment's mean frame
/// size times the frames to pass over and to return, and a quarter more, so a read of records a little
/// larger than the mean still takes one file read (a shortfall only costs another). A positioned read
/// of a few records then reads about one index interval, not a whole chunk.
fn read_span(found: &Found, entry: &Entry, first: u64, records: usize) -> u64 {
    let mean = (found.end.saturating_sub(segment::HEADER_LEN) / found.count.max(1)).max(1);
    let skipped = first.saturating_sub(found.base + u64::from(entry.ordinal));
    let left = (found.base + found.count).saturating_sub(first);
    let frames = skipped + left.min(records as u64);
    (frames.saturating_mul(mean) / 4 * 5 + mean).clamp(MIN_READ, READ_CHUNK)
}

/// The file a read goes to: the open segment's, or a sealed one's from the cache.
enum SegmentFile {
    Open(Arc<super::disk::DiskFile>),
    Sealed(Arc<SealedFiles>),
}

impl AsRef<super::disk::DiskFile> for SegmentFile {
    fn as_ref(&self) -> &super::disk::DiskFile {
        match self {
            SegmentFile::Open(file) => file,
            SegmentFile::Sealed(files) => &files.segment,
        }
    }
}
