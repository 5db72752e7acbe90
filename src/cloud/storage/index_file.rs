//! The index file beside a sealed segment (`{base:020}.idx`): the segment's sparse entries, so that
//! a sealed segment costs the index a few numbers in memory however many records it holds.
//!
//! Layout, little-endian: a 56-byte header — magic `KCSX`, version (u16), reserved (u16), base seq
//! (u64), record count (u64), first and last arrival (i64 each), the segment's length in bytes (u64),
//! entry count (u32), interval (u32) — then 16 bytes per entry — ordinal (u32), offset (u32), arrival
//! (i64) — then a crc32 of everything before it.
//!
//! The file is derived data and never trusted on its own: opening a log rebuilds every segment's
//! entries from its frames (the same scan that checks the frames' checksums) and compares the file
//! with them byte for byte. A missing, torn, damaged or stale file is rewritten and reported; the
//! records are intact, so it is no reason to set the shard aside.

use std::io;
use std::path::{Path, PathBuf};

use super::disk::sync_dir;
use super::disk::{Disk, DiskFile};
use super::error::StorageError;
use super::index::{Entry, INTERVAL, Sparse};

const MAGIC: [u8; 4] = *b"KCSX";
const VERSION: u16 = 1;
const HEADER: usize = 56;
const ENTRY: usize = 16;

/// The index file of the segment at `segment`.
pub(crate) fn path_of(segment: &Path) -> PathBuf {
    segment.with_extension("idx")
}

pub(crate) fn encode(base: u64, end: u64, sparse: &Sparse) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + sparse.entries.len() * ENTRY + 4);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    out.extend_from_slice(&base.to_le_bytes());
    out.extend_from_slice(&sparse.count.to_le_bytes());
    out.extend_from_slice(&sparse.first_arrival.to_le_bytes());
    out.extend_from_slice(&sparse.last_arrival.to_le_bytes());
    out.extend_from_slice(&end.to_le_bytes());
    out.extend_from_slice(&(sparse.entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&INTERVAL.to_le_bytes());
    for e in &sparse.entries {
        out.extend_from_slice(&e.ordinal.to_le_bytes());
        out.extend_from_slice(&e.offset.to_le_bytes());
        out.extend_from_slice(&e.arrival_ms.to_le_bytes());
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Writes `bytes` as the index file at `path`, replacing any older one; durable (file and directory
/// entry) when `sync`. A crash part way leaves a file that the next open finds wrong and rewrites.
pub(crate) fn write(disk: &Disk, path: &Path, bytes: &[u8], sync: bool) -> Result<(), StorageError> {
    match disk.remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(StorageError::io("replacing", path, e)),
    }
    let file = disk.create_new(path).map_err(|e| StorageError::io("creating", path, e))?;
    file.write_all_at(bytes, 0).map_err(|e| StorageError::io("writing", path, e))?;
    if sync {
        file.sync_all().map_err(|e| StorageError::io("syncing", path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir(disk, dir)?;
        }
    }
    Ok(())
}

/// Why the file at `path` does not hold exactly `expected`, or `None` when it does.
pub(crate) fn mismatch(disk: &Disk, path: &Path, expected: &[u8]) -> Option<String> {
    let file = match disk.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Some("missing".into()),
        Err(e) => return Some(format!("unreadable: {e}")),
    };
    let len = match file.len() {
        Ok(len) => len,
        Err(e) => return Some(format!("unreadable: {e}")),
    };
    if len != expected.len() as u64 {
        return Some(format!("{len} bytes where {} were expected", expected.len()));
    }
    let mut found = vec![0u8; expected.len()];
    if let Err(e) = file.read_exact_at(&mut found, 0) {
        return Some(format!("unreadable: {e}"));
    }
    if found != expected {
        let crc_ok =
            found.split_last_chunk::<4>().is_some_and(|(body, crc)| crc32fast::hash(body).to_le_bytes() == *crc);
        return Some(if crc_ok { "out of date".into() } else { "damaged (checksum mismatch)".into() });
    }
    None
}

/// The last of the file's `entries` entries for which `before` holds (the first one if none does);
/// `before` must hold for a prefix of the entries. A binary search, one small read per step.
pub(crate) fn search(
    file: &DiskFile,
    path: &Path,
    entries: u32,
    before: impl Fn(&Entry) -> bool,
) -> Result<Entry, StorageError> {
    if entries == 0 {
        return Err(StorageError::Corrupt { path: path.into(), offset: 0, detail: "index holds no entry".into() });
    }
    let (mut lo, mut hi) = (0u32, entries);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(&read_entry(file, path, mid)?) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    read_entry(file, path, lo.saturating_sub(1))
}

fn read_entry(file: &DiskFile, path: &Path, i: u32) -> Result<Entry, StorageError> {
    let mut raw = [0u8; ENTRY];
    let at = (HEADER + i as usize * ENTRY) as u64;
    file.read_exact_at(&mut raw, at).map_err(|e| StorageError::io("reading", path, e))?;
    let [a, b, c, d, e, f, g, h, rest @ ..] = raw;
    Ok(Entry {
        ordinal: u32::from_le_bytes([a, b, c, d]),
        offset: u32::from_le_bytes([e, f, g, h]),
        arrival_ms: i64::from_le_bytes(rest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_file_is_found_exact_and_searched_like_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000100.idx");
        let mut sparse = Sparse::default();
        for i in 0..5000u32 {
            sparse.push(24 + i * 50, 1_000 + i64::from(i / 10));
        }
        let bytes = encode(100, 24 + 5000 * 50, &sparse);
        let disk = Disk::Os;
        assert_eq!(mismatch(&disk, &path, &bytes).as_deref(), Some("missing"));
        write(&disk, &path, &bytes, true).unwrap();
        assert_eq!(mismatch(&disk, &path, &bytes), None);

        let file = disk.open(&path).unwrap();
        let n = sparse.entries.len() as u32;
        for target in [0u32, 1, 81, 82, 83, 2500, 4999] {
            let got = search(&file, &path, n, |e| e.ordinal <= target).unwrap();
            let at = sparse.entries.partition_point(|e| e.ordinal <= target) - 1;
            assert_eq!(got, sparse.entries[at], "ordinal {target}");
        }
        let got = search(&file, &path, n, |e| e.arrival_ms < 1_000).unwrap();
        assert_eq!(got, sparse.entries[0]);

        let mut damaged = bytes.clone();
        damaged[HEADER + 3] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        assert_eq!(mismatch(&disk, &path, &bytes).as_deref(), Some("damaged (checksum mismatch)"));
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(mismatch(&disk, &path, &bytes).is_some());
    }
}
