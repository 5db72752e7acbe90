//! The in-memory index of a shard log, sized by segments rather than records.
//!
//! Every segment keeps its bounds in memory (first seq, record count, first and last arrival, bytes).
//! Positions inside a segment come from a sparse index: one [`Entry`] for the first record and then
//! one for the first record at least [`INTERVAL`] bytes after the previous entry. Only the open segment
//! keeps its entries in memory; once sealed they move to the segment's index file
//! ([`super::index_file`]) and are searched there. A lookup takes the nearest entry at or before the
//! position wanted and scans forward from it, so it reads at most one interval (and one frame) too much.

use std::path::PathBuf;
use std::sync::Arc;

use super::disk::DiskFile;

/// Bytes of frames between two sparse entries: a scan after a lookup reads about this much.
pub(crate) const INTERVAL: u32 = 4096;

/// Where one record's frame starts, and when it arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The record's position in its segment (its seq minus the segment's base).
    pub ordinal: u32,
    pub offset: u32,
    pub arrival_ms: i64,
}

/// A segment's records as the index sees them: their bounds and sparse entries. Building one from the
/// same frames always gives the same entries, which is how an index file is checked at open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sparse {
    pub count: u64,
    pub first_arrival: i64,
    pub last_arrival: i64,
    pub entries: Vec<Entry>,
}

impl Sparse {
    /// Adds the next record. Arrivals never decrease along a segment: a smaller one is raised.
    pub(crate) fn push(&mut self, offset: u32, arrival_ms: i64) {
        let arrival_ms = if self.count == 0 { arrival_ms } else { arrival_ms.max(self.last_arrival) };
        if self.count == 0 {
            self.first_arrival = arrival_ms;
        }
        if self.entries.last().is_none_or(|e| offset.saturating_sub(e.offset) >= INTERVAL) {
            self.entries.push(Entry { ordinal: self.count as u32, offset, arrival_ms });
        }
        self.last_arrival = arrival_ms;
        self.count += 1;
    }
}

/// The open segment's file and entries; a sealed segment keeps them too until its index file is
/// written (that write failed, or has not run yet).
pub(crate) struct InMemory {
    pub file: Arc<DiskFile>,
    pub entries: Vec<Entry>,
}

pub(crate) struct Segment {
    pub base: u64,
    pub path: PathBuf,
    pub count: u64,
    first_arrival: i64,
    last_arrival: i64,
    /// Bytes of the file that hold published records (header included).
    pub end: u64,
    /// Entries in the index file, once the segment is sealed and the file written.
    pub file_entries: u32,
    pub memory: Option<InMemory>,
}

impl Segment {
    /// An open segment with no records yet.
    pub(crate) fn open(base: u64, path: PathBuf, file: Arc<DiskFile>, end: u64) -> Self {
        let memory = Some(InMemory { file, entries: Vec::new() });
        Segment { base, path, count: 0, first_arrival: 0, last_arrival: 0, end, file_entries: 0, memory }
    }

    /// A segment whose entries are in memory (the open one at recovery).
    pub(crate) fn with_entries(base: u64, path: PathBuf, file: Arc<DiskFile>, end: u64, sparse: Sparse) -> Self {
        let memory = Some(InMemory { file, entries: sparse.entries });
        let (first_arrival, last_arrival) = (sparse.first_arrival, sparse.last_arrival);
        Segment { base, path, count: sparse.count, first_arrival, last_arrival, end, file_entries: 0, memory }
    }

    /// A sealed segment whose index file holds its entries.
    pub(crate) fn sealed(base: u64, path: PathBuf, end: u64, sparse: &Sparse) -> Self {
        let (first_arrival, last_arrival) = (sparse.first_arrival, sparse.last_arrival);
        let file_entries = sparse.entries.len() as u32;
        Segment { base, path, count: sparse.count, first_arrival, last_arrival, end, file_entries, memory: None }
    }

    pub(crate) fn last_arrival(&self) -> Option<i64> {
        (self.count > 0).then_some(self.last_arrival)
    }

    /// What an index file of this segment holds, if its entries are still in memory.
    pub(crate) fn sparse(&self) -> Option<Sparse> {
        let memory = self.memory.as_ref()?;
        let (first_arrival, last_arrival) = (self.first_arrival, self.last_arrival);
        Some(Sparse { count: self.count, first_arrival, last_arrival, entries: memory.entries.clone() })
    }

    /// Whether a record arriving at `arrival_ms` (never earlier than the last) can join a segment whose
    /// first record arrived at `first_arrival`: arrivals within a segment span at most u32 milliseconds,
    /// a bound older segment formats relied on and recovery still checks.
    pub(crate) fn arrival_fits(first_arrival: Option<i64>, arrival_ms: i64) -> bool {
        first_arrival.is_none_or(|first| arrival_ms.saturating_sub(first) <= i64::from(u32::MAX))
    }

    /// Adds a published record to the open segment.
    pub(crate) fn push(&mut self, offset: u32, arrival_ms: i64) {
        let entries = self.memory.as_mut().map(|m| std::mem::take(&mut m.entries)).unwrap_or_default();
        let (count, first_arrival, last_arrival) = (self.count, self.first_arrival, self.last_arrival);
        let mut sparse = Sparse { count, first_arrival, last_arrival, entries };
        sparse.push(offset, arrival_ms);
        (self.count, self.first_arrival, self.last_arrival) = (sparse.count, sparse.first_arrival, sparse.last_arrival);
        if let Some(memory) = &mut self.memory {
            memory.entries = sparse.entries;
        }
    }

    /// Drops the in-memory entries once the index file holds them.
    pub(crate) fn seal(&mut self, file_entries: u32) {
        self.file_entries = file_entries;
        self.memory = None;
    }

    fn heap_bytes(&self) -> usize {
        let entries = self.memory.as_ref().map_or(0, |m| m.entries.capacity() * std::mem::size_of::<Entry>());
        entries + self.path.capacity()
    }
}

/// Where a lookup continues: a segment, and either the entry to scan from (entries in memory) or how
/// many entries its index file holds (searched after the index lock is released).
pub(crate) struct Found {
    pub base: u64,
    pub path: PathBuf,
    pub count: u64,
    pub end: u64,
    pub start: Start,
}

pub(crate) enum Start {
    Memory { file: Arc<DiskFile>, entry: Entry },
    File { entries: u32 },
}

pub(crate) struct Index {
    pub segments: Vec<Segment>,
    pub next_seq: u64,
    /// The latest arrival ever appended, kept after its records are trimmed.
    pub last_arrival: Option<i64>,
}

impl Index {
    pub(crate) fn first_seq(&self) -> u64 {
        self.segments.iter().find(|s| s.count > 0).map_or(self.next_seq, |s| s.base)
    }

    pub(crate) fn len(&self) -> u64 {
        self.segments.iter().map(|s| s.count).sum()
    }

    pub(crate) fn disk_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.end).sum()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.segments.iter().map(Segment::heap_bytes).sum::<usize>()
    }

    /// The segment holding `seq` (or the first retained one after it), and the last entry at or before it.
    pub(crate) fn find_seq(&self, seq: u64) -> Option<Found> {
        let at = self.segments.partition_point(|s| s.base + s.count <= seq);
        let seg = self.segments[at..].iter().find(|s| s.count > 0)?;
        let first = seq.max(seg.base);
        Some(found(seg, |e| seg.base + u64::from(e.ordinal) <= first))
    }

    /// The segment holding the first record that arrived at or after `ms`, and the last entry of a record
    /// that arrived before it. `Err(seq)` when the answer needs no scan: the segment's first record, or
    /// the next seq when every retained record arrived earlier.
    pub(crate) fn find_time(&self, ms: i64) -> Result<Found, u64> {
        let from = self.segments.partition_point(|s| s.last_arrival().is_none_or(|last| last < ms));
        let Some(seg) = self.segments.get(from) else { return Err(self.next_seq) };
        if ms <= seg.first_arrival {
            return Err(seg.base);
        }
        Ok(found(seg, |e| e.arrival_ms < ms))
    }
}

/// The segment's place for a lookup: `before` holds for the entries up to the one to scan from.
fn found(seg: &Segment, before: impl Fn(&Entry) -> bool) -> Found {
    let start = match &seg.memory {
        Some(memory) => {
            let at = memory.entries.partition_point(before).saturating_sub(1);
            let entry = memory.entries.get(at).copied().unwrap_or(Entry {
                ordinal: 0,
                offset: super::segment::HEADER_LEN as u32,
                arrival_ms: seg.first_arrival,
            });
            Start::Memory { file: memory.file.clone(), entry }
        }
        None => Start::File { entries: seg.file_entries },
    };
    Found { base: seg.base, path: seg.path.clone(), count: seg.count, end: seg.end, start }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_come_every_interval_and_arrivals_never_decrease() {
        let mut sparse = Sparse::default();
        let mut offset = 24u32;
        for i in 0..1000 {
            sparse.push(offset, 100 - (i % 3));
            offset += 100;
        }
        assert_eq!(sparse.count, 1000);
        assert_eq!((sparse.first_arrival, sparse.last_arrival), (100, 100));
        assert_eq!(sparse.entries[0], Entry { ordinal: 0, offset: 24, arrival_ms: 100 });
        for pair in sparse.entries.windows(2) {
            let gap = pair[1].offset - pair[0].offset;
            assert!((INTERVAL..INTERVAL + 100).contains(&gap), "gap {gap}");
        }
        assert!(sparse.entries.len() > 20, "{} entries", sparse.entries.len());
    }
}
