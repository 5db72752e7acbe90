//! The in-memory index of a shard log: per segment its base seq, one u32 offset and one u32
//! arrival delta per record (8 bytes a record), and the open file that reads go to.

use std::path::PathBuf;
use std::sync::Arc;

use super::disk::DiskFile;

pub(crate) struct Segment {
    pub base: u64,
    pub path: PathBuf,
    pub file: Arc<DiskFile>,
    /// Byte offset of each record's frame.
    pub offsets: Vec<u32>,
    first_arrival: i64,
    /// Arrival of each record minus the first one's; the writer rolls before a delta would overflow.
    deltas: Vec<u32>,
    /// Bytes of the file that hold published records (header included).
    pub end: u64,
}

impl Segment {
    pub(crate) fn new(base: u64, path: PathBuf, file: Arc<DiskFile>, end: u64) -> Self {
        Segment { base, path, file, offsets: Vec::new(), first_arrival: 0, deltas: Vec::new(), end }
    }

    pub(crate) fn count(&self) -> u64 {
        self.offsets.len() as u64
    }

    pub(crate) fn first_arrival(&self) -> Option<i64> {
        (!self.offsets.is_empty()).then_some(self.first_arrival)
    }

    pub(crate) fn last_arrival(&self) -> Option<i64> {
        self.deltas.last().map(|d| self.first_arrival + i64::from(*d))
    }

    /// Whether a record arriving at `arrival_ms` (never earlier than the last) can join this segment.
    pub(crate) fn arrival_fits(first_arrival: Option<i64>, arrival_ms: i64) -> bool {
        first_arrival.is_none_or(|first| arrival_ms.saturating_sub(first) <= i64::from(u32::MAX))
    }

    /// Adds a record; returns false (and adds nothing) when its arrival cannot be stored.
    pub(crate) fn push(&mut self, offset: u32, arrival_ms: i64) -> bool {
        let first = if self.offsets.is_empty() { None } else { Some(self.first_arrival) };
        let arrival_ms = arrival_ms.max(self.last_arrival().unwrap_or(i64::MIN));
        if !Self::arrival_fits(first, arrival_ms) {
            return false;
        }
        if first.is_none() {
            self.first_arrival = arrival_ms;
        }
        self.deltas.push((arrival_ms - self.first_arrival) as u32);
        self.offsets.push(offset);
        true
    }

    /// How many records arrived before `ms`.
    fn count_before(&self, ms: i64) -> usize {
        let threshold = ms.saturating_sub(self.first_arrival);
        self.deltas.partition_point(|d| i64::from(*d) < threshold)
    }

    /// End of record `i`'s frame.
    pub(crate) fn frame_end(&self, i: usize) -> u64 {
        self.offsets.get(i + 1).map_or(self.end, |o| u64::from(*o))
    }

    pub(crate) fn shrink(&mut self) {
        self.offsets.shrink_to_fit();
        self.deltas.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        (self.offsets.capacity() + self.deltas.capacity()) * 4 + self.path.capacity()
    }
}

/// Where a read goes next: a contiguous run of frames in one segment.
pub(crate) struct ReadPlan {
    pub file: Arc<DiskFile>,
    pub path: PathBuf,
    pub first_seq: u64,
    pub start: u64,
    pub end: u64,
    pub count: usize,
}

pub(crate) struct Index {
    pub segments: Vec<Segment>,
    pub next_seq: u64,
    /// The latest arrival ever appended, kept after its records are trimmed.
    pub last_arrival: Option<i64>,
}

impl Index {
    pub(crate) fn first_seq(&self) -> u64 {
        self.segments.iter().find(|s| s.count() > 0).map_or(self.next_seq, |s| s.base)
    }

    pub(crate) fn len(&self) -> u64 {
        self.segments.iter().map(Segment::count).sum()
    }

    pub(crate) fn disk_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.end).sum()
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.segments.capacity() * std::mem::size_of::<Segment>()
            + self.segments.iter().map(Segment::heap_bytes).sum::<usize>()
    }

    pub(crate) fn seq_at_time(&self, ms: i64) -> u64 {
        let from = self.segments.partition_point(|s| s.last_arrival().is_none_or(|last| last < ms));
        let Some(seg) = self.segments.get(from) else { return self.next_seq };
        seg.base + seg.count_before(ms) as u64
    }

    /// The run of at most `max_records` records from `seq` on (or the first retained one after it)
    /// whose frames span at most `max_span` bytes — always at least one record if any remains.
    pub(crate) fn plan(&self, seq: u64, max_records: usize, max_span: u64) -> Option<ReadPlan> {
        let at = self.segments.partition_point(|s| s.base + s.count() <= seq);
        let seg = self.segments[at..].iter().find(|s| s.count() > 0)?;
        let first = seq.max(seg.base);
        let i = (first - seg.base) as usize;
        let start = u64::from(seg.offsets[i]);
        let last_allowed = seg.offsets.len().min(i.saturating_add(max_records.max(1))) - 1;
        let mut j = i;
        while j < last_allowed && seg.frame_end(j + 1) - start <= max_span {
            j += 1;
        }
        Some(ReadPlan {
            file: seg.file.clone(),
            path: seg.path.clone(),
            first_seq: first,
            start,
            end: seg.frame_end(j),
            count: j - i + 1,
        })
    }
}
