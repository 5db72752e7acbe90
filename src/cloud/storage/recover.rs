//! Opening a shard log: every segment's frames are scanned (in constant memory) and checked, a torn
//! tail of the newest one is cut off, and each sealed segment's index file is compared with the
//! entries the scan implies, and rewritten when it is missing, torn, damaged or out of date (a log
//! written by format version 1 has none: this is its upgrade). Only the newest segment's entries stay
//! in memory; sealed segments keep their bounds.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::disk::Disk;
use super::error::StorageError;
use super::index::{Index, Segment, Sparse};
use super::index_file;
use super::segment::{self, Header};
use super::writer::{self, Active};

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

pub(crate) struct Recovered {
    pub index: Index,
    pub active: Active,
    pub reindexed: Vec<PathBuf>,
}

/// Rebuilds the index from the segment files in `dir`, creating the first segment of a new log.
pub(crate) fn recover(disk: &Disk, dir: &Path, sync: bool, mode: OpenMode) -> Result<Recovered, StorageError> {
    let (files, indexes) = list_files(disk, dir)?;
    if files.is_empty() && mode == OpenMode::Existing {
        let detail = "the shard directory holds no segment file".to_string();
        return Err(StorageError::Corrupt { path: dir.to_path_buf(), offset: 0, detail });
    }
    let mut index = Index { segments: Vec::new(), next_seq: 0, last_arrival: None };
    let mut active = None;
    let mut stale = Vec::new();
    for (i, (base, path)) in files.iter().enumerate() {
        let is_last = i + 1 == files.len();
        let (segment, seg_active, sparse) = recover_segment(disk, dir, *base, path, is_last, &mut index, sync)?;
        if *base < index.next_seq {
            let detail = format!("starts at seq {base}, before the previous segment ends ({})", index.next_seq);
            return Err(StorageError::Corrupt { path: path.clone(), offset: 0, detail });
        }
        if *base > index.next_seq && i > 0 {
            tracing::warn!(file = %path.display(), expected = index.next_seq, "segment starts after a gap");
        }
        index.next_seq = base + segment.count;
        index.last_arrival = index.last_arrival.max(segment.last_arrival());
        if let Some(sparse) = sparse {
            stale.push((segment.base, segment.end, path.clone(), sparse));
        }
        writer::push_segment(&mut index, segment);
        active = seg_active;
    }
    let reindexed = reindex(disk, stale, sync)?;
    remove_orphans(disk, dir, &files, indexes, sync)?;
    let active = match active {
        Some(active) => active,
        None => {
            let header = Header { base_seq: 0, arrival_floor: None };
            let (active, segment) = writer::create_segment(disk, dir, header, sync)?;
            index.segments.push(segment);
            active
        }
    };
    Ok(Recovered { index, active, reindexed })
}

/// Writes the index files found wrong; returns their segments.
fn reindex(disk: &Disk, stale: Vec<(u64, u64, PathBuf, Sparse)>, sync: bool) -> Result<Vec<PathBuf>, StorageError> {
    let mut reindexed = Vec::with_capacity(stale.len());
    for (base, end, path, sparse) in stale {
        let idx = index_file::path_of(&path);
        index_file::write(disk, &idx, &index_file::encode(base, end, &sparse), sync)?;
        reindexed.push(path);
    }
    Ok(reindexed)
}

/// Index files whose segment is gone (retention deleted the segment, then stopped): removed.
fn remove_orphans(
    disk: &Disk,
    dir: &Path,
    segments: &[(u64, PathBuf)],
    indexes: Vec<PathBuf>,
    sync: bool,
) -> Result<(), StorageError> {
    let mut removed = false;
    for idx in indexes {
        if segments.iter().any(|(_, seg)| index_file::path_of(seg) == idx) {
            continue;
        }
        match disk.remove_file(&idx) {
            Ok(()) => removed = true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::io("removing the orphaned index", &idx, e)),
        }
    }
    if removed && sync {
        writer::sync_dir(disk, dir)?;
    }
    Ok(())
}

/// Segment files by base seq.
type SegmentPaths = Vec<(u64, PathBuf)>;

/// Segment files in `dir` by base seq, and index files. Other files are left alone.
fn list_files(disk: &Disk, dir: &Path) -> Result<(SegmentPaths, Vec<PathBuf>), StorageError> {
    let mut segments = Vec::new();
    let mut indexes = Vec::new();
    for path in disk.list(dir).map_err(|e| StorageError::io("listing", dir, e))? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let (stem, is_segment) = match (name.strip_suffix(".seg"), name.strip_suffix(".idx")) {
            (Some(stem), _) => (stem, true),
            (None, Some(stem)) => (stem, false),
            (None, None) => continue,
        };
        let Some(base) = Some(stem).filter(|s| s.len() == 20).and_then(|s| s.parse::<u64>().ok()) else { continue };
        if is_segment {
            segments.push((base, path));
        } else {
            indexes.push(path);
        }
    }
    segments.sort();
    Ok((segments, indexes))
}

/// Loads one segment. The last one may have a torn tail (cut off with a warning) or a torn header
/// (rewritten); anywhere else damage is an error, since sealed segments were synced whole. Returns the
/// entries of a sealed segment whose index file does not match them.
fn recover_segment(
    disk: &Disk,
    dir: &Path,
    base: u64,
    path: &Path,
    is_last: bool,
    index: &mut Index,
    sync: bool,
) -> Result<(Segment, Option<Active>, Option<Sparse>), StorageError> {
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
    let mut sparse = Sparse::default();
    let mut too_wide = None;
    let scan = segment::scan(&file, path, |offset, arrival| {
        let first = (sparse.count > 0).then_some(sparse.first_arrival);
        if too_wide.is_none() && !Segment::arrival_fits(first, arrival.max(sparse.last_arrival)) {
            too_wide = Some(offset);
        }
        sparse.push(offset, arrival);
    })?;
    if let Some(offset) = too_wide {
        let detail = "arrival times span more than 49 days".to_string();
        return Err(StorageError::Corrupt { path: path.into(), offset: u64::from(offset), detail });
    }
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
    if !is_last {
        let expected = index_file::encode(base, scan.valid_end, &sparse);
        let idx = index_file::path_of(path);
        let segment = Segment::sealed(base, path.to_path_buf(), scan.valid_end, &sparse);
        return Ok(match index_file::mismatch(disk, &idx, &expected) {
            None => (segment, None, None),
            Some(why) => {
                tracing::warn!(file = %idx.display(), problem = %why, "rebuilding a sealed segment's index from the segment");
                (segment, None, Some(sparse))
            }
        });
    }
    let file = Arc::new(file);
    let first_arrival = (sparse.count > 0).then_some(sparse.first_arrival);
    let active = Active {
        path: path.to_path_buf(),
        file: file.clone(),
        len: scan.valid_end,
        acked_len: scan.valid_end,
        count: sparse.count,
        first_arrival,
    };
    let segment = Segment::with_entries(base, path.to_path_buf(), file, scan.valid_end, sparse);
    Ok((segment, Some(active), None))
}
