//! The write path: group commit of concurrent appends into one write and one fdatasync.
//!
//! Callers queue their records and wait on a oneshot. Whoever finds no commit running starts one on
//! the blocking pool; it drains the queue batch after batch until it is empty, so every caller that
//! queued while a sync was in flight shares the next one.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::oneshot;

use super::error::StorageError;
use super::index::{Index, Segment};
use super::record::NewRecord;
use super::segment::{self, HEADER_LEN, Header};

/// A write buffer past this size goes to the file before the batch ends.
const FLUSH_BYTES: usize = 8 << 20;

/// A shard log's shared state: what readers see (the index) and the write path behind it.
pub(crate) struct Inner {
    pub dir: PathBuf,
    pub index: RwLock<Index>,
    pub writer: Mutex<Writer>,
    pub queue: Mutex<Queue>,
}

pub(crate) struct Pending {
    pub records: Vec<NewRecord>,
    pub arrival_ms: i64,
    pub reply: oneshot::Sender<Result<Vec<u64>, StorageError>>,
}

#[derive(Default)]
pub(crate) struct Queue {
    pending: Vec<Pending>,
    committing: bool,
}

/// The segment appends go to.
pub(crate) struct Active {
    pub path: PathBuf,
    pub file: Arc<File>,
    pub len: u64,
    pub count: u64,
    pub first_arrival: Option<i64>,
}

pub(crate) struct Writer {
    pub dir: PathBuf,
    pub segment_limit: u64,
    pub sync: bool,
    pub active: Active,
    pub next_seq: u64,
    pub last_arrival: Option<i64>,
    /// Set after a failed write or sync: what is on disk past the published end is unknown.
    pub failed: Option<String>,
    pub closed: bool,
}

/// Records written to one segment in a batch, published to the index once the sync succeeded.
struct Staged {
    new_segment: Option<Segment>,
    entries: Vec<(u32, i64)>,
    end: u64,
}

pub(crate) fn segment_path(dir: &Path, base: u64) -> PathBuf {
    dir.join(format!("{base:020}.seg"))
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| StorageError::io("syncing the directory", dir, e))
}

/// Creates an empty segment file with its header, durably (file and directory entry).
pub(crate) fn create_segment(dir: &Path, header: Header, sync: bool) -> Result<(Active, Segment), StorageError> {
    let path = segment_path(dir, header.base_seq);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| StorageError::io("creating", &path, e))?;
    file.write_all_at(&header.encode(), 0).map_err(|e| StorageError::io("writing the header of", &path, e))?;
    if sync {
        file.sync_all().map_err(|e| StorageError::io("syncing", &path, e))?;
        sync_dir(dir)?;
    }
    let file = Arc::new(file);
    let segment = Segment::new(header.base_seq, path.clone(), file.clone(), HEADER_LEN);
    let active = Active { path, file, len: HEADER_LEN, count: 0, first_arrival: None };
    Ok((active, segment))
}

/// Queues an append and makes sure a commit runs to pick it up.
pub(crate) fn enqueue(inner: &Arc<Inner>, pending: Pending) {
    let mut queue = inner.queue.lock().unwrap_or_else(|e| e.into_inner());
    queue.pending.push(pending);
    if queue.committing {
        return;
    }
    queue.committing = true;
    drop(queue);
    let guard = CommitGuard { inner: inner.clone(), finished: false };
    tokio::task::spawn_blocking(move || guard.run());
}

/// Runs commits while work is queued. If it is dropped without finishing (a panic, a runtime
/// shutting down), it releases the queue and fails the waiting callers instead of stranding them.
/// Once it has handed the queue back it must not touch it again: a newer commit may own it by then.
struct CommitGuard {
    inner: Arc<Inner>,
    finished: bool,
}

impl CommitGuard {
    fn run(mut self) {
        loop {
            let batch = {
                let mut queue = self.inner.queue.lock().unwrap_or_else(|e| e.into_inner());
                if queue.pending.is_empty() {
                    queue.committing = false;
                    self.finished = true;
                    return;
                }
                std::mem::take(&mut queue.pending)
            };
            commit(&self.inner, batch);
        }
    }
}

impl Drop for CommitGuard {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut queue = self.inner.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.committing = false;
        for pending in queue.pending.drain(..) {
            let _ = pending.reply.send(Err(StorageError::Closed { dir: self.inner.dir.clone() }));
        }
    }
}

fn commit(inner: &Inner, batch: Vec<Pending>) {
    let mut writer = inner.writer.lock().unwrap_or_else(|e| e.into_inner());
    match writer.write_batch(&batch) {
        Ok((staged, seqs)) => {
            publish(&mut inner.index.write().unwrap_or_else(|e| e.into_inner()), staged, &writer);
            drop(writer);
            for (pending, seqs) in batch.into_iter().zip(seqs) {
                let _ = pending.reply.send(Ok(seqs));
            }
        }
        Err(e) => {
            if !matches!(e, StorageError::Failed { .. } | StorageError::Closed { .. }) {
                tracing::error!(dir = %inner.dir.display(), error = %e, "shard log write failed; refusing further appends");
                writer.failed = Some(e.to_string());
            }
            drop(writer);
            for pending in batch {
                let _ = pending.reply.send(Err(e.duplicate()));
            }
        }
    }
}

fn publish(index: &mut Index, staged: Vec<Staged>, writer: &Writer) {
    for stage in staged {
        if let Some(segment) = stage.new_segment {
            if let Some(previous) = index.segments.last_mut() {
                previous.shrink();
            }
            index.segments.push(segment);
        }
        let Some(segment) = index.segments.last_mut() else { continue };
        for (offset, arrival) in stage.entries {
            segment.push(offset, arrival);
        }
        segment.end = stage.end;
    }
    index.next_seq = writer.next_seq;
    index.last_arrival = writer.last_arrival;
}

impl Writer {
    pub(crate) fn usable(&self) -> Result<(), StorageError> {
        if self.closed {
            return Err(StorageError::Closed { dir: self.dir.clone() });
        }
        match &self.failed {
            Some(cause) => Err(StorageError::Failed { dir: self.dir.clone(), cause: cause.clone() }),
            None => Ok(()),
        }
    }

    /// Seals the active segment and starts a new one at `next_seq`; returns the new one for the index.
    pub(crate) fn roll(&mut self) -> Result<Segment, StorageError> {
        self.usable()?;
        let header = Header { base_seq: self.next_seq, arrival_floor: self.last_arrival };
        let (active, segment) = create_segment(&self.dir, header, self.sync)?;
        self.active = active;
        Ok(segment)
    }

    fn write_batch(&mut self, batch: &[Pending]) -> Result<(Vec<Staged>, Vec<Vec<u64>>), StorageError> {
        self.usable()?;
        let mut staged = vec![Staged { new_segment: None, entries: Vec::new(), end: self.active.len }];
        let mut all_seqs = Vec::with_capacity(batch.len());
        let mut buf = Vec::with_capacity(batch_bytes(batch).min(FLUSH_BYTES));
        for pending in batch {
            let arrival = pending.arrival_ms.max(self.last_arrival.unwrap_or(i64::MIN));
            let mut seqs = Vec::with_capacity(pending.records.len());
            for record in &pending.records {
                let len = segment::frame_len(&record.partition_key, &record.data).unwrap_or(usize::MAX);
                if self.needs_roll(buf.len() + len, arrival) {
                    self.flush(&mut buf)?;
                    self.sync_active()?;
                    if let Some(stage) = staged.last_mut() {
                        stage.end = self.active.len;
                    }
                    let segment = self.roll()?;
                    staged.push(Staged { new_segment: Some(segment), entries: Vec::new(), end: HEADER_LEN });
                } else if buf.len() >= FLUSH_BYTES {
                    self.flush(&mut buf)?;
                }
                let offset = (self.active.len + buf.len() as u64) as u32;
                segment::encode_frame(&mut buf, arrival, &record.partition_key, &record.data);
                if let Some(stage) = staged.last_mut() {
                    stage.entries.push((offset, arrival));
                }
                self.active.first_arrival.get_or_insert(arrival);
                self.active.count += 1;
                seqs.push(self.next_seq);
                self.next_seq += 1;
            }
            self.last_arrival = Some(arrival);
            all_seqs.push(seqs);
        }
        self.flush(&mut buf)?;
        self.sync_active()?;
        if let Some(stage) = staged.last_mut() {
            stage.end = self.active.len;
        }
        Ok((staged, all_seqs))
    }

    fn needs_roll(&self, unflushed: usize, arrival: i64) -> bool {
        self.active.count > 0
            && (self.active.len + unflushed as u64 > self.segment_limit
                || !Segment::arrival_fits(self.active.first_arrival, arrival))
    }

    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<(), StorageError> {
        if buf.is_empty() {
            return Ok(());
        }
        let path = &self.active.path;
        self.active.file.write_all_at(buf, self.active.len).map_err(|e| StorageError::io("writing", path, e))?;
        self.active.len += buf.len() as u64;
        buf.clear();
        Ok(())
    }

    fn sync_active(&self) -> Result<(), StorageError> {
        if !self.sync {
            return Ok(());
        }
        self.active.file.sync_data().map_err(|e| StorageError::io("syncing", &self.active.path, e))
    }
}

fn batch_bytes(batch: &[Pending]) -> usize {
    let records = batch.iter().flat_map(|p| &p.records);
    records.map(|r| segment::FRAME_PREFIX + 10 + r.partition_key.len() + r.data.len()).sum()
}
