//! A shard's durable record log: append-only segment files, a compact in-memory index, group commit.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use bytes::Bytes;
use tokio::sync::oneshot;

use super::disk::Disk;
pub use super::error::StorageError;
use super::index::{Index, ReadPlan, Segment};
pub use super::record::{NewRecord, StoredRecord};
use super::segment::{self, Header};
use super::writer::{self, Active, Inner, Pending, Queue, Writer};

#[derive(Clone, Debug)]
pub struct LogOptions {
    /// A segment rolls once it would grow past this (capped at 4 GiB; one record always fits).
    pub segment_bytes: u64,
    /// fdatasync before acknowledging an append.
    pub sync: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions { segment_bytes: 64 << 20, sync: true }
    }
}

/// Whether opening a log may create it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    /// A shard being created (CreateStream, a reshard's children): makes the directory (syncing its
    /// parent) and the first segment. A directory left by an unfinished earlier attempt is reused.
    New,
    /// A shard that metadata says exists (loading streams at start-up): a missing directory is
    /// [`StorageError::Missing`] and a directory without segments is [`StorageError::Corrupt`], never
    /// a new empty log, which would hand out its seqs again.
    Existing,
}

/// One shard's log. Cheap to share behind an `Arc`; reads never wait for a sync in progress.
pub struct ShardLog {
    inner: Arc<Inner>,
}

/// Reads go to the file in pieces of about this size.
const READ_CHUNK: u64 = 1 << 20;

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
            let span = (max_bytes.saturating_sub(data_bytes) as u64).clamp(64 << 10, READ_CHUNK);
            let Some(plan) = self.index().plan(seq, max_records - out.len(), span) else { break };
            seq = plan.first_seq + plan.count as u64;
            if !read_run(&plan, &mut out, &mut data_bytes, max_bytes)? {
                break;
            }
        }
        Ok(out)
    }

    /// The seq the next record gets; survives restarts and is never reused.
    pub fn next_seq(&self) -> u64 {
        self.index().next_seq
    }

    /// The oldest retained record's seq (`next_seq` when the log is empty).
    pub fn first_seq(&self) -> u64 {
        self.index().first_seq()
    }

    /// The first seq with arrival time >= `ms` (`next_seq` if none).
    pub fn seq_at_time(&self, ms: i64) -> u64 {
        self.index().seq_at_time(ms)
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
        let mut freed = 0;
        for segment in &removed {
            match disk.remove_file(&segment.path) {
                Ok(()) => freed += segment.end,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io("deleting", &segment.path, e)),
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

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Deletes the log's files (DeleteStream). Appends still queued elsewhere fail with `Closed`.
    pub fn destroy(self) -> Result<(), StorageError> {
        let mut writer = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.closed = true;
        self.index_mut().segments.clear();
        writer.disk.remove_dir_all(&self.inner.dir).map_err(|e| StorageError::io("deleting", &self.inner.dir, e))
    }

    fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.inner.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.inner.index.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads one planned run with a single positional read. Returns false once the byte budget is spent.
fn read_run(
    plan: &ReadPlan,
    out: &mut Vec<StoredRecord>,
    data_bytes: &mut usize,
    max_bytes: usize,
) -> Result<bool, StorageError> {
    let mut raw = vec![0u8; (plan.end - plan.start) as usize];
    plan.file.read_exact_at(&mut raw, plan.start).map_err(|e| StorageError::io("reading", &plan.path, e))?;
    let raw = Bytes::from(raw);
    let mut pos = 0;
    for k in 0..plan.count {
        let corrupt =
            |detail: String| StorageError::Corrupt { path: plan.path.clone(), offset: plan.start + pos as u64, detail };
        let frame = segment::decode_frame(&raw[pos..]).map_err(corrupt)?;
        if !out.is_empty() && *data_bytes + frame.data.len() > max_bytes {
            return Ok(false);
        }
        let key = std::str::from_utf8(&raw[pos..][frame.key.clone()])
            .map_err(|_| corrupt("partition key is not UTF-8".into()))?
            .to_owned();
        *data_bytes += frame.data.len();
        out.push(StoredRecord {
            seq: plan.first_seq + k as u64,
            arrival_ms: frame.arrival_ms,
            partition_key: key,
            data: raw.slice(pos + frame.data.start..pos + frame.data.end),
        });
        pos += frame.len;
    }
    Ok(true)
}

struct Recovered {
    index: Index,
    active: Active,
}

/// Rebuilds the index from the segment files in `dir`, creating the first segment of a new log.
fn recover(disk: &Disk, dir: &Path, sync: bool, mode: OpenMode) -> Result<Recovered, StorageError> {
    let files = list_segments(disk, dir)?;
    if files.is_empty() && mode == OpenMode::Existing {
        let detail = "the shard directory holds no segment file".to_string();
        return Err(StorageError::Corrupt { path: dir.to_path_buf(), offset: 0, detail });
    }
    let mut index = Index { segments: Vec::new(), next_seq: 0, last_arrival: None };
    let mut active = None;
    for (i, (base, path)) in files.iter().enumerate() {
        let is_last = i + 1 == files.len();
        let (segment, seg_active) = recover_segment(disk, dir, *base, path, is_last, &mut index, sync)?;
        if *base < index.next_seq {
            let detail = format!("starts at seq {base}, before the previous segment ends ({})", index.next_seq);
            return Err(StorageError::Corrupt { path: path.clone(), offset: 0, detail });
        }
        if *base > index.next_seq && i > 0 {
            tracing::warn!(file = %path.display(), expected = index.next_seq, "segment starts after a gap");
        }
        index.next_seq = base + segment.count();
        index.last_arrival = index.last_arrival.max(segment.last_arrival());
        writer::push_segment(&mut index, segment);
        active = seg_active;
    }
    let active = match active {
        Some(active) => active,
        None => {
            let header = Header { base_seq: 0, arrival_floor: None };
            let (active, segment) = writer::create_segment(disk, dir, header, sync)?;
            index.segments.push(segment);
            active
        }
    };
    Ok(Recovered { index, active })
}

/// Segment files in `dir`, by base seq. Other files are left alone.
fn list_segments(disk: &Disk, dir: &Path) -> Result<Vec<(u64, PathBuf)>, StorageError> {
    let mut files = Vec::new();
    for path in disk.list(dir).map_err(|e| StorageError::io("listing", dir, e))? {
        let base = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".seg"))
            .filter(|stem| stem.len() == 20)
            .and_then(|stem| stem.parse::<u64>().ok());
        if let Some(base) = base {
            files.push((base, path));
        }
    }
    files.sort();
    Ok(files)
}

/// Loads one segment. The last one may have a torn tail (cut off with a warning) or a torn header
/// (rewritten); anywhere else damage is an error, since sealed segments were synced whole.
fn recover_segment(
    disk: &Disk,
    dir: &Path,
    base: u64,
    path: &Path,
    is_last: bool,
    index: &mut Index,
    sync: bool,
) -> Result<(Segment, Option<Active>), StorageError> {
    let file = disk.open(path).map_err(|e| StorageError::io("opening", path, e))?;
    let header = match Header::read(&file, path)? {
        Some(header) => header,
        None if is_last => {
            tracing::warn!(file = %path.display(), "rewriting the torn header of the newest segment");
            let header = Header { base_seq: base, arrival_floor: index.last_arrival };
            file.set_len(0).map_err(|e| StorageError::io("truncating", path, e))?;
            file.write_all_at(&header.encode(), 0).map_err(|e| StorageError::io("writing the header of", path, e))?;
            if sync {
                file.sync_all().map_err(|e| StorageError::io("syncing", path, e))?;
            }
            header
        }
        None => {
            return Err(StorageError::Corrupt { path: path.into(), offset: 0, detail: "header is missing".into() });
        }
    };
    if header.base_seq != base {
        let detail = format!("header says base seq {}, file name says {base}", header.base_seq);
        return Err(StorageError::Corrupt { path: path.into(), offset: 8, detail });
    }
    index.last_arrival = index.last_arrival.max(header.arrival_floor);
    let scan = segment::scan(&file, path)?;
    if let Some(reason) = &scan.torn {
        if !is_last {
            let detail = format!("{reason} in a sealed segment");
            return Err(StorageError::Corrupt { path: path.into(), offset: scan.valid_end, detail });
        }
        tracing::warn!(file = %path.display(), offset = scan.valid_end, reason = %reason, "truncating a torn tail");
        file.set_len(scan.valid_end).map_err(|e| StorageError::io("truncating", path, e))?;
    }
    if scan.torn.is_some() && sync {
        file.sync_all().map_err(|e| StorageError::io("syncing", path, e))?;
        writer::sync_dir(disk, dir)?;
    }
    let file = Arc::new(file);
    let mut segment = Segment::new(base, path.to_path_buf(), file.clone(), scan.valid_end);
    segment.offsets.reserve_exact(scan.frames.len());
    for (offset, arrival) in scan.frames {
        if !segment.push(offset, arrival) {
            let detail = "arrival times span more than 49 days".to_string();
            return Err(StorageError::Corrupt { path: path.into(), offset: u64::from(offset), detail });
        }
    }
    let active = is_last.then(|| Active {
        path: path.to_path_buf(),
        file,
        len: scan.valid_end,
        acked_len: scan.valid_end,
        count: segment.count(),
        first_arrival: segment.first_arrival(),
    });
    Ok((segment, active))
}
