//! A shard's append-only record log: one file of length-prefixed frames, synced before an append
//! returns, with an in-memory index of frame offsets and arrival times.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;

const FILE_NAME: &str = "records.log";
/// seq, arrival_ms, key length, data length.
const HEADER: usize = 8 + 8 + 2 + 4;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("shard log I/O at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("shard log {path} is corrupt at offset {offset}")]
    Corrupt { path: PathBuf, offset: u64 },
}

pub struct NewRecord {
    pub partition_key: String,
    pub data: Bytes,
}

#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub seq: u64,
    pub arrival_ms: i64,
    pub partition_key: String,
    pub data: Bytes,
}

#[derive(Debug, Clone)]
pub struct LogOptions {
    pub segment_bytes: u64,
    pub sync: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions { segment_bytes: 64 * 1024 * 1024, sync: true }
    }
}

struct Entry {
    offset: u64,
    arrival_ms: i64,
}

struct Inner {
    file: File,
    /// Index of retained records; `base_seq` is the seq of `index[0]`.
    index: Vec<Entry>,
    base_seq: u64,
    end_offset: u64,
}

pub struct ShardLog {
    path: PathBuf,
    opts: LogOptions,
    inner: Mutex<Inner>,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::Io { path: path.to_path_buf(), source }
}

impl ShardLog {
    pub fn open(dir: &Path, opts: LogOptions) -> Result<ShardLog, StorageError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(FILE_NAME);
        let mut file = OpenOptions::new().create(true).read(true).append(true).open(&path).map_err(io(&path))?;
        let mut buf = Vec::new();
        file.read_to_end(&mut buf).map_err(io(&path))?;
        let (index, base_seq, end_offset) = scan(&buf);
        if end_offset < buf.len() as u64 {
            // A torn frame from a crash mid-append: it was never acknowledged.
            file.set_len(end_offset).map_err(io(&path))?;
        }
        Ok(ShardLog { path, opts, inner: Mutex::new(Inner { file, index, base_seq, end_offset }) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub async fn append(&self, records: Vec<NewRecord>, arrival_ms: i64) -> Result<Vec<u64>, StorageError> {
        let mut inner = self.lock();
        let first = inner.base_seq + inner.index.len() as u64;
        let mut buf = Vec::with_capacity(records.iter().map(|r| HEADER + r.partition_key.len() + r.data.len()).sum());
        let mut seqs = Vec::with_capacity(records.len());
        let mut offset = inner.end_offset;
        for (i, r) in records.iter().enumerate() {
            let seq = first + i as u64;
            let start = buf.len();
            buf.extend_from_slice(&seq.to_le_bytes());
            buf.extend_from_slice(&arrival_ms.to_le_bytes());
            buf.extend_from_slice(&(r.partition_key.len() as u16).to_le_bytes());
            buf.extend_from_slice(&(r.data.len() as u32).to_le_bytes());
            buf.extend_from_slice(r.partition_key.as_bytes());
            buf.extend_from_slice(&r.data);
            inner.index.push(Entry { offset, arrival_ms });
            offset += (buf.len() - start) as u64;
            seqs.push(seq);
        }
        let written =
            inner.file.write_all(&buf).and_then(|_| if self.opts.sync { inner.file.sync_data() } else { Ok(()) });
        if let Err(e) = written {
            let keep = inner.index.len() - records.len();
            inner.index.truncate(keep);
            return Err(StorageError::Io { path: self.path.clone(), source: e });
        }
        inner.end_offset = offset;
        Ok(seqs)
    }

    pub fn read(&self, from_seq: u64, max_records: usize, max_bytes: usize) -> Result<Vec<StoredRecord>, StorageError> {
        let inner = self.lock();
        let start = from_seq.max(inner.base_seq);
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut i = (start - inner.base_seq) as usize;
        while i < inner.index.len() && out.len() < max_records {
            let offset = inner.index[i].offset;
            let end = inner.index.get(i + 1).map(|e| e.offset).unwrap_or(inner.end_offset);
            let mut frame = vec![0u8; (end - offset) as usize];
            inner.file.read_exact_at(&mut frame, offset).map_err(io(&self.path))?;
            let rec = decode(&frame).ok_or(StorageError::Corrupt { path: self.path.clone(), offset })?;
            bytes += rec.data.len() + rec.partition_key.len();
            if bytes > max_bytes && !out.is_empty() {
                break;
            }
            out.push(rec);
            i += 1;
        }
        Ok(out)
    }

    pub fn next_seq(&self) -> u64 {
        let inner = self.lock();
        inner.base_seq + inner.index.len() as u64
    }

    pub fn first_seq(&self) -> u64 {
        self.lock().base_seq
    }

    pub fn seq_at_time(&self, ms: i64) -> u64 {
        let inner = self.lock();
        inner.base_seq + inner.index.partition_point(|e| e.arrival_ms < ms) as u64
    }

    pub fn last_arrival_ms(&self) -> Option<i64> {
        self.lock().index.last().map(|e| e.arrival_ms)
    }

    /// Forgets records that arrived before `ms` (the file keeps them until the shard is destroyed).
    pub fn trim_before(&self, ms: i64) -> Result<u64, StorageError> {
        let mut inner = self.lock();
        let n = inner.index.partition_point(|e| e.arrival_ms < ms);
        inner.index.drain(..n);
        inner.base_seq += n as u64;
        Ok(n as u64)
    }

    pub fn disk_bytes(&self) -> u64 {
        self.lock().end_offset
    }

    pub fn len(&self) -> u64 {
        self.lock().index.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn destroy(self) -> Result<(), StorageError> {
        let dir = self.path.parent().map(Path::to_path_buf).unwrap_or_default();
        drop(self);
        std::fs::remove_dir_all(&dir).map_err(io(&dir))
    }
}

fn decode(frame: &[u8]) -> Option<StoredRecord> {
    let seq = u64::from_le_bytes(frame.get(0..8)?.try_into().ok()?);
    let arrival_ms = i64::from_le_bytes(frame.get(8..16)?.try_into().ok()?);
    let klen = u16::from_le_bytes(frame.get(16..18)?.try_into().ok()?) as usize;
    let dlen = u32::from_le_bytes(frame.get(18..22)?.try_into().ok()?) as usize;
    let key = std::str::from_utf8(frame.get(HEADER..HEADER + klen)?).ok()?.to_string();
    let data = Bytes::copy_from_slice(frame.get(HEADER + klen..HEADER + klen + dlen)?);
    Some(StoredRecord { seq, arrival_ms, partition_key: key, data })
}

/// Indexes the complete frames of a log file; returns the index, its base seq and the end of the last frame.
fn scan(buf: &[u8]) -> (Vec<Entry>, u64, u64) {
    let mut index = Vec::new();
    let mut base = None;
    let mut off = 0usize;
    while let Some(head) = buf.get(off..off + HEADER) {
        let seq = u64::from_le_bytes(head[0..8].try_into().unwrap_or_default());
        let arrival_ms = i64::from_le_bytes(head[8..16].try_into().unwrap_or_default());
        let klen = u16::from_le_bytes(head[16..18].try_into().unwrap_or_default()) as usize;
        let dlen = u32::from_le_bytes(head[18..22].try_into().unwrap_or_default()) as usize;
        let end = off + HEADER + klen + dlen;
        if end > buf.len() {
            break;
        }
        base.get_or_insert(seq);
        index.push(Entry { offset: off as u64, arrival_ms });
        off = end;
    }
    (index, base.unwrap_or(0), off as u64)
}
