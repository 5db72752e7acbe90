//! The on-disk format of a segment file.
//!
//! A segment is named by the sequence number of its first record (`{base:020}.seg`) and holds
//! a 24-byte header — magic `KCSL`, format version (u16), reserved (u16), base seq (u64), the
//! log's last arrival time when the segment was created (i64, `i64::MIN` for none) — then frames:
//! `len: u32 | crc32(len ‖ body): u32 | body`, body = `arrival_ms: i64 | key_len: u16 | key | data`.
//! All integers are little-endian. The checksum covers the length so a torn or zeroed tail never
//! parses as a record.
//!
//! Version 2 is version 1's layout with a promise beside it: every sealed segment has an index file
//! (`index_file.rs`). A version 1 segment is read as it is; opening its log writes the index files it
//! lacks, and the segments written from then on say version 2.

use std::io::{self, BufReader, Read};
use std::path::Path;

use super::disk::DiskFile;
use super::error::StorageError;

pub(crate) const MAGIC: [u8; 4] = *b"KCSL";
pub(crate) const FORMAT_VERSION: u16 = 2;
/// The oldest version this build reads.
const OLDEST_VERSION: u16 = 1;
pub(crate) const HEADER_LEN: u64 = 24;
pub(crate) const FRAME_PREFIX: usize = 8;
const BODY_FIXED: usize = 10;
/// Larger than any record Kinesis accepts; bounds what a corrupt length can make recovery allocate.
pub(crate) const MAX_BODY: usize = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub base_seq: u64,
    pub arrival_floor: Option<i64>,
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut out = [0u8; HEADER_LEN as usize];
        out[0..4].copy_from_slice(&MAGIC);
        out[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        out[8..16].copy_from_slice(&self.base_seq.to_le_bytes());
        out[16..24].copy_from_slice(&self.arrival_floor.unwrap_or(i64::MIN).to_le_bytes());
        out
    }

    /// `Ok(None)` when the header is missing or torn (short or all zeros): the file was being created.
    pub(crate) fn read(file: &DiskFile, path: &Path) -> Result<Option<Header>, StorageError> {
        let mut raw = [0u8; HEADER_LEN as usize];
        let mut filled = 0;
        while filled < raw.len() {
            match file.read_at(&mut raw[filled..], filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StorageError::io("reading the header of", path, e)),
            }
        }
        if filled < raw.len() || raw.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        if raw[0..4] != MAGIC {
            return Err(StorageError::BadMagic { path: path.to_path_buf() });
        }
        let version = u16::from_le_bytes([raw[4], raw[5]]);
        if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(StorageError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let base_seq = u64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
        let floor = i64::from_le_bytes(raw[16..24].try_into().unwrap_or_default());
        Ok(Some(Header { base_seq, arrival_floor: (floor != i64::MIN).then_some(floor) }))
    }
}

/// Bytes a record takes on disk, or `None` when it cannot be framed.
pub(crate) fn frame_len(key: &str, data: &[u8]) -> Option<usize> {
    if key.len() > u16::MAX as usize {
        return None;
    }
    let body = BODY_FIXED + key.len() + data.len();
    (body <= MAX_BODY).then_some(FRAME_PREFIX + body)
}

/// Appends one frame; the caller has checked `frame_len`.
pub(crate) fn encode_frame(buf: &mut Vec<u8>, arrival_ms: i64, key: &str, data: &[u8]) {
    let body_len = (BODY_FIXED + key.len() + data.len()) as u32;
    let start = buf.len();
    buf.extend_from_slice(&body_len.to_le_bytes());
    buf.extend_from_slice(&[0; 4]);
    buf.extend_from_slice(&arrival_ms.to_le_bytes());
    buf.extend_from_slice(&(key.len() as u16).to_le_bytes());
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(data);
    let crc = checksum(&buf[start..start + 4], &buf[start + FRAME_PREFIX..]);
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
}

fn checksum(len: &[u8], body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(len);
    hasher.update(body);
    hasher.finalize()
}

/// One decoded frame, as ranges into the buffer it was decoded from.
#[derive(Debug)]
pub(crate) struct Frame {
    pub len: usize,
    pub arrival_ms: i64,
    pub key: std::ops::Range<usize>,
    pub data: std::ops::Range<usize>,
}

/// Decodes the frame at the start of `buf`, checking its checksum.
pub(crate) fn decode_frame(buf: &[u8]) -> Result<Frame, String> {
    let prefix: [u8; FRAME_PREFIX] =
        buf.get(..FRAME_PREFIX).and_then(|p| p.try_into().ok()).ok_or("frame header cut short")?;
    let body_len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if !(BODY_FIXED..=MAX_BODY).contains(&body_len) {
        return Err(format!("impossible frame length {body_len}"));
    }
    let body = buf.get(FRAME_PREFIX..FRAME_PREFIX + body_len).ok_or("frame cut short")?;
    let crc = u32::from_le_bytes([prefix[4], prefix[5], prefix[6], prefix[7]]);
    if checksum(&prefix[..4], body) != crc {
        return Err("checksum mismatch".into());
    }
    parse_body(body).map(|(arrival_ms, key_len)| {
        let key_start = FRAME_PREFIX + BODY_FIXED;
        Frame {
            len: FRAME_PREFIX + body_len,
            arrival_ms,
            key: key_start..key_start + key_len,
            data: key_start + key_len..FRAME_PREFIX + body_len,
        }
    })
}

fn parse_body(body: &[u8]) -> Result<(i64, usize), String> {
    let arrival_ms = i64::from_le_bytes(body[0..8].try_into().map_err(|_| "short body")?);
    let key_len = u16::from_le_bytes([body[8], body[9]]) as usize;
    if BODY_FIXED + key_len > body.len() {
        return Err(format!("partition key length {key_len} exceeds the frame"));
    }
    Ok((arrival_ms, key_len))
}

/// What recovery found in a segment: where the intact part ends.
pub(crate) struct Scan {
    pub valid_end: u64,
    /// Why scanning stopped before the end of the file, if it did.
    pub torn: Option<String>,
}

/// Reads a segment front to back through a bounded buffer, stopping at the first bad frame; hands each
/// intact frame's offset and arrival to `frame`, so memory stays flat however many records there are.
pub(crate) fn scan(file: &DiskFile, path: &Path, mut each: impl FnMut(u32, i64)) -> Result<Scan, StorageError> {
    let file_len = file.len().map_err(|e| StorageError::io("inspecting", path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file.reader_at(0));
    let mut skip = [0u8; HEADER_LEN as usize];
    reader.read_exact(&mut skip).map_err(|e| StorageError::io("reading", path, e))?;
    let mut scan = Scan { valid_end: HEADER_LEN, torn: None };
    let mut frame = Vec::new();
    while scan.valid_end < file_len {
        let remaining = file_len - scan.valid_end;
        match read_frame(&mut reader, &mut frame, remaining) {
            Ok(()) => {}
            Err(Some(e)) => return Err(StorageError::io("reading", path, e)),
            Err(None) => {
                scan.torn = Some("record cut short".into());
                break;
            }
        }
        match decode_frame(&frame) {
            Ok(f) if scan.valid_end + (f.len as u64) <= u64::from(u32::MAX) => {
                each(scan.valid_end as u32, f.arrival_ms);
                scan.valid_end += f.len as u64;
            }
            Ok(_) => {
                scan.torn = Some("segment exceeds 4 GiB".into());
                break;
            }
            Err(reason) => {
                scan.torn = Some(reason);
                break;
            }
        }
    }
    Ok(scan)
}

/// Reads one whole frame into `frame`. `Err(None)` means the file ends (or the length is absurd) first.
fn read_frame(reader: &mut impl Read, frame: &mut Vec<u8>, remaining: u64) -> Result<(), Option<io::Error>> {
    if remaining < FRAME_PREFIX as u64 {
        return Err(None);
    }
    frame.resize(FRAME_PREFIX, 0);
    reader.read_exact(frame).map_err(Some)?;
    let body_len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as u64;
    let total = FRAME_PREFIX as u64 + body_len;
    if body_len > MAX_BODY as u64 || total > remaining {
        return Err(None);
    }
    frame.resize(total as usize, 0);
    reader.read_exact(&mut frame[FRAME_PREFIX..]).map_err(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::storage::disk::Disk;

    #[test]
    fn frame_round_trip_and_corruption() {
        let mut buf = Vec::new();
        encode_frame(&mut buf, 42, "pk", b"hello");
        assert_eq!(Some(buf.len()), frame_len("pk", b"hello"));
        let f = decode_frame(&buf).unwrap();
        assert_eq!((f.len, f.arrival_ms), (buf.len(), 42));
        assert_eq!(&buf[f.key], b"pk");
        assert_eq!(&buf[f.data], b"hello");
        for i in 0..buf.len() {
            let mut bad = buf.clone();
            bad[i] ^= 0x40;
            assert!(decode_frame(&bad).is_err(), "flipping byte {i} went unnoticed");
        }
        assert!(decode_frame(&buf[..buf.len() - 1]).is_err());
        assert!(decode_frame(&[0u8; 32]).is_err());
    }

    #[test]
    fn header_round_trip() {
        let h = Header { base_seq: 77, arrival_floor: Some(-5) };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.seg");
        std::fs::write(&path, h.encode()).unwrap();
        let file = Disk::Os.open(&path).unwrap();
        assert_eq!(Header::read(&file, &path).unwrap(), Some(h));
        std::fs::write(&path, &h.encode()[..10]).unwrap();
        let file = Disk::Os.open(&path).unwrap();
        assert_eq!(Header::read(&file, &path).unwrap(), None);
    }
}
