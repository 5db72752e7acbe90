//! The write path: group commit of concurrent appends into one write and one fdatasync.
//!
//! Callers queue their records and wait on a oneshot. Whoever finds no commit running starts one on
//! the blocking pool; it drains the queue batch after batch until it is empty, so every caller that
//! queued while a sync was in flight shares the next one.
//!
//! After a failed write or sync (a full disk, an I/O error) the batch is refused and nothing of it is
//! published. The next commit first repairs the log: it cuts the active segment back to its last
//! acknowledged byte, syncs that, and starts a fresh segment at the next unused seq, so a failure
//! costs a gap in the seqs, never a reused one, and the log heals without a restart once the disk does.
//!
//! A segment the writer has left (rolled past, or set aside by a repair) is sealed by the commit that
//! left it, before its callers hear back: its sparse entries go to its index file, then leave memory.
//! The index file is written only once the segment's last record is published, so it describes the
//! final segment. If that write fails, the entries stay in memory and the next commit tries again; the
//! append still succeeds, its records being durable in the segment.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::oneshot;

use super::disk::{Disk, DiskFile};
use super::error::StorageError;
use super::handles::SegmentFiles;
use super::index::{Index, Segment};
use super::index_file;
use super::record::NewRecord;
use super::segment::{self, HEADER_LEN, Header};

/// A write buffer past this size goes to the file before the batch ends.
const FLUSH_BYTES: usize = 8 << 20;

/// A shard log's shared state: what readers see (the index) and the write path behind it.
pub(crate) struct Inner {
    pub dir: PathBuf,
    pub disk: Disk,
    /// This log's number in the cache of sealed segments' files.
    pub log_id: u64,
    pub files: SegmentFiles,
    /// Sealed segments whose index file was missing or wrong at open, and was rewritten.
    pub reindexed: Vec<PathBuf>,
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
    pub file: Arc<DiskFile>,
    pub len: u64,
    /// Where the last acknowledged record ends: what a repair after a failure cuts back to.
    pub acked_len: u64,
    pub count: u64,
    pub first_arrival: Option<i64>,
}

pub(crate) struct Writer {
    pub disk: Disk,
    pub dir: PathBuf,
    pub segment_limit: u64,
    pub sync: bool,
    pub active: Active,
    pub next_seq: u64,
    pub last_arrival: Option<i64>,
    /// Set after a failed write or sync: what is on disk past the acknowledged end is unknown until
    /// the next commit repairs it.
    pub failed: Option<String>,
    pub closed: bool,
}

/// What a repair changed, for the index: a new segment, and the empty one it replaced if removed.
pub(crate) struct Repaired {
    pub fresh: Segment,
    pub dropped: Option<PathBuf>,
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

pub(crate) use super::disk::sync_dir;

/// Creates an empty segment file with its header, durably (file and directory entry) when `sync`.
/// A file left half made by a failure is removed, so a later attempt can take its name.
pub(crate) fn create_segment(
    disk: &Disk,
    dir: &Path,
    header: Header,
    sync: bool,
) -> Result<(Active, Segment), StorageError> {
    let path = segment_path(dir, header.base_seq);
    let file = disk.create_new(&path).map_err(|e| StorageError::io("creating", &path, e))?;
    let made = (|| {
        file.write_all_at(&header.encode(), 0).map_err(|e| StorageError::io("writing the header of", &path, e))?;
        if sync {
            file.sync_all().map_err(|e| StorageError::io("syncing", &path, e))?;
            sync_dir(disk, dir)?;
        }
        Ok(())
    })();
    if let Err(e) = made {
        let _ = disk.remove_file(&path);
        return Err(e);
    }
    let file = Arc::new(file);
    let segment = Segment::open(header.base_seq, path.clone(), file.clone(), HEADER_LEN);
    let active = Active { path, file, len: HEADER_LEN, acked_len: HEADER_LEN, count: 0, first_arrival: None };
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
    let written = writer.repair().and_then(|repaired| {
        if let Some(repaired) = repaired {
            let mut index = inner.index.write().unwrap_or_else(|e| e.into_inner());
            index.segments.retain(|s| Some(&s.path) != repaired.dropped.as_ref());
            push_segment(&mut index, repaired.fresh);
            index.next_seq = writer.next_seq;
        }
        writer.write_batch(&batch)
    });
    match written {
        Ok((staged, seqs)) => {
            publish(&mut inner.index.write().unwrap_or_else(|e| e.into_inner()), staged, &writer);
            seal_pending(inner, &writer);
            drop(writer);
            for (pending, seqs) in batch.into_iter().zip(seqs) {
                let _ = pending.reply.send(Ok(seqs));
            }
        }
        Err(e) => {
            if !matches!(e, StorageError::Failed { .. } | StorageError::Closed { .. }) {
                tracing::error!(dir = %inner.dir.display(), error = %e, "shard log write failed; append refused, the next one repairs the log first");
                writer.failed = Some(e.to_string());
            }
            seal_pending(inner, &writer);
            drop(writer);
            for pending in batch {
                let _ = pending.reply.send(Err(e.duplicate()));
            }
        }
    }
}

/// Adds a new segment to the index; the previous one is sealed by [`seal_pending`].
pub(crate) fn push_segment(index: &mut Index, segment: Segment) {
    index.segments.push(segment);
}

/// Writes the index file of every segment the writer has left whose entries are still in memory, then
/// drops those entries. A failure leaves them in memory for the next commit to try again.
fn seal_pending(inner: &Inner, writer: &Writer) {
    if writer.closed {
        return;
    }
    let pending: Vec<(u64, PathBuf, Vec<u8>, u32)> = {
        let index = inner.index.read().unwrap_or_else(|e| e.into_inner());
        let left = index.segments.len().saturating_sub(1);
        index.segments[..left]
            .iter()
            .filter_map(|s| {
                let sparse = s.sparse()?;
                let bytes = index_file::encode(s.base, s.end, &sparse);
                Some((s.base, s.path.clone(), bytes, sparse.entries.len() as u32))
            })
            .collect()
    };
    for (base, path, bytes, entries) in pending {
        let idx = index_file::path_of(&path);
        if let Err(e) = index_file::write(&writer.disk, &idx, &bytes, writer.sync) {
            tracing::warn!(file = %idx.display(), error = %e, "writing a sealed segment's index failed; its entries stay in memory");
            continue;
        }
        let mut index = inner.index.write().unwrap_or_else(|e| e.into_inner());
        if let Some(segment) = index.segments.iter_mut().find(|s| s.base == base) {
            segment.seal(entries);
        }
    }
}

fn publish(index: &mut Index, staged: Vec<Staged>, writer: &Writer) {
    for stage in staged {
        if let Some(segment) = stage.new_segment {
            push_segment(index, segment);
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
        let (active, segment) = create_segment(&self.disk, &self.dir, header, self.sync)?;
        self.active = active;
        Ok(segment)
    }

    /// After a failure: cuts the active segment back to its acknowledged end, durably, and starts a
    /// fresh segment at the next unused seq. `None` when nothing failed. While the disk still fails
    /// this fails too, and the log stays refused.
    pub(crate) fn repair(&mut self) -> Result<Option<Repaired>, StorageError> {
        if self.closed || self.failed.is_none() {
            return Ok(None);
        }
        let active = &self.active;
        active.file.set_len(active.acked_len).map_err(|e| StorageError::io("truncating", &active.path, e))?;
        active.file.sync_all().map_err(|e| StorageError::io("syncing", &active.path, e))?;
        let path = segment_path(&self.dir, self.next_seq);
        let repaired = if path == active.path {
            // Nothing was numbered since the segment began: keep it, now back to its header.
            self.active.len = self.active.acked_len;
            None
        } else {
            match self.disk.remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io("removing the unfinished", &path, e)),
            }
            let header = Header { base_seq: self.next_seq, arrival_floor: self.last_arrival };
            let (active, fresh) = create_segment(&self.disk, &self.dir, header, self.sync)?;
            let old = std::mem::replace(&mut self.active, active);
            // An old segment without acknowledged records goes, or a disk that stays full would
            // collect an empty segment per refused append. Only now: the fresh one is durable, so
            // the directory never lacks a segment.
            let dropped = (old.acked_len == HEADER_LEN && self.disk.remove_file(&old.path).is_ok()).then_some(old.path);
            Some(Repaired { fresh, dropped })
        };
        tracing::info!(dir = %self.dir.display(), next_seq = self.next_seq, "shard log repaired after a failure; accepting appends again");
        self.failed = None;
        Ok(repaired)
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
        self.active.acked_len = self.active.len;
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
