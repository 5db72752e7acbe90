//! The read path below the index: walking a segment's frames forward from a sparse entry.

use std::path::Path;

use bytes::Bytes;

use super::disk::DiskFile;
use super::error::StorageError;
use super::index::Entry;
use super::record::StoredRecord;
use super::segment::{self, FRAME_PREFIX, Frame};

/// One frame met by [`walk`]: its place in the segment and its bytes (ranges into `raw`).
pub(crate) struct Met<'a> {
    pub ordinal: u32,
    pub offset: u64,
    pub raw: &'a Bytes,
    pub at: usize,
    pub frame: Frame,
}

impl Met<'_> {
    /// The record this frame holds, as seq `seq`.
    pub(crate) fn record(&self, seq: u64, path: &Path) -> Result<StoredRecord, StorageError> {
        let key = &self.raw[self.at..][self.frame.key.clone()];
        let key = std::str::from_utf8(key).map_err(|_| StorageError::Corrupt {
            path: path.into(),
            offset: self.offset,
            detail: "partition key is not UTF-8".into(),
        })?;
        let data = self.raw.slice(self.at + self.frame.data.start..self.at + self.frame.data.end);
        Ok(StoredRecord { seq, arrival_ms: self.frame.arrival_ms, partition_key: key.to_owned(), data })
    }
}

/// Decodes the frames of a segment from `from` up to `end`, in order, reading about `chunk` bytes at a
/// time (more when one frame is larger), until `visit` returns false. A bad frame is an error naming the
/// file and offset: published bytes were synced whole, so damage there is real damage.
pub(crate) fn walk(
    file: &DiskFile,
    path: &Path,
    from: Entry,
    end: u64,
    chunk: u64,
    mut visit: impl FnMut(Met<'_>) -> Result<bool, StorageError>,
) -> Result<(), StorageError> {
    let mut pos = u64::from(from.offset);
    let mut ordinal = from.ordinal;
    let mut want = chunk.max(FRAME_PREFIX as u64);
    while pos < end {
        let len = want.min(end - pos);
        let mut buf = vec![0u8; len as usize];
        file.read_exact_at(&mut buf, pos).map_err(|e| StorageError::io("reading", path, e))?;
        let raw = Bytes::from(buf);
        let mut at = 0usize;
        want = chunk.max(FRAME_PREFIX as u64);
        while at < raw.len() {
            let corrupt = |detail: String| StorageError::Corrupt { path: path.into(), offset: pos + at as u64, detail };
            let rest = &raw[at..];
            let Some(needed) = frame_size(rest) else { break };
            if needed > rest.len() {
                if pos + at as u64 + needed as u64 > end {
                    return Err(corrupt(format!("frame of {needed} bytes runs past the end of the segment")));
                }
                if at == 0 {
                    want = needed as u64;
                }
                break;
            }
            let frame = segment::decode_frame(rest).map_err(corrupt)?;
            let len = frame.len;
            let met = Met { ordinal, offset: pos + at as u64, raw: &raw, at, frame };
            if !visit(met)? {
                return Ok(());
            }
            at += len;
            ordinal += 1;
        }
        if at == 0 && pos + len == end {
            let detail = "frame header cut short at the end of the segment".to_string();
            return Err(StorageError::Corrupt { path: path.into(), offset: pos, detail });
        }
        pos += at as u64;
    }
    Ok(())
}

/// The whole frame's size from its length prefix, once the prefix is there.
fn frame_size(buf: &[u8]) -> Option<usize> {
    let prefix = buf.get(..4)?;
    (buf.len() >= FRAME_PREFIX)
        .then(|| FRAME_PREFIX + u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize)
}
