//! The records waiting to become one object: concatenated as they are (Firehose adds no delimiter),
//! sized before compression, aged by the cloud clock.

use crate::cloud::clock::Millis;

#[derive(Default)]
pub struct Buffer {
    pub data: Vec<u8>,
    pub records: u64,
    /// Approximate arrival of the oldest record: the object's timestamp, and what DataFreshness ages.
    pub oldest_ms: Option<Millis>,
    /// When the first record entered the buffer: the interval hint counts from here.
    pub started_ms: Option<Millis>,
}

impl Buffer {
    pub fn push(&mut self, data: &[u8], arrival_ms: Millis, now: Millis) {
        self.data.extend_from_slice(data);
        self.records += 1;
        self.oldest_ms = Some(self.oldest_ms.map_or(arrival_ms, |o| o.min(arrival_ms)));
        self.started_ms.get_or_insert(now);
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The size hint or the interval hint is reached, whichever comes first.
    pub fn is_due(&self, size_bytes: usize, interval_ms: Millis, now: Millis) -> bool {
        !self.is_empty() && (self.data.len() >= size_bytes || self.started_ms.is_some_and(|s| now - s >= interval_ms))
    }

    pub fn clear(&mut self) {
        // Keeps the allocation: the next object reuses it.
        self.data.clear();
        self.records = 0;
        self.oldest_ms = None;
        self.started_ms = None;
    }

    /// DataFreshness: the age in seconds of the oldest record not yet delivered.
    pub fn freshness_s(&self, now: Millis) -> f64 {
        self.oldest_ms.map_or(0.0, |o| ((now - o).max(0) / 1000) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_concatenated_and_the_first_hint_reached_makes_it_due() {
        let mut b = Buffer::default();
        assert!(!b.is_due(1, 0, 0), "an empty buffer is never due");
        b.push(b"ab", 900, 1_000);
        b.push(b"c", 800, 1_500);
        assert_eq!((b.data.as_slice(), b.records, b.oldest_ms, b.started_ms), (&b"abc"[..], 2, Some(800), Some(1_000)));
        assert!(!b.is_due(4, 60_000, 2_000));
        assert!(b.is_due(3, 60_000, 2_000), "size reached");
        assert!(b.is_due(4, 60_000, 61_000), "interval reached");
        assert_eq!(b.freshness_s(10_800), 10.0);
        b.clear();
        assert!(b.is_empty() && b.freshness_s(10_000) == 0.0);
    }
}
