//! Per-key maxima over event-time sliding windows, with the watermark that fires them, as Flink's
//! `SlidingEventTimeWindows` + `BoundedOutOfOrdernessWatermarks` + `EventTimeTrigger` behave:
//!
//! | rule | as Flink |
//! |---|---|
//! | windows | `[start, start + size)`, `start` a multiple of `slide` (offset 0), `slide ≤ size` |
//! | watermark | max event time seen − out-of-orderness − 1 ms, emitted after each batch (Flink: every 200 ms) |
//! | fires | when the watermark reaches the window's last millisecond (`end − 1`), once, in order of end |
//! | late | a record all of whose windows have fired: dropped and counted, as `numLateRecordsDropped` |
//!
//! Maxima are kept per pane (`gcd(size, slide)` wide) rather than per window: a record touches one
//! pane instead of `size / slide` windows, a window's maximum is the maximum of its panes, and a
//! checkpoint holds each key once per pane. The results are the same as Flink's per-window state.
//!
//! The state is encoded as bytes ([`Windows::encode_into`]), not as a JSON tree: a checkpoint with a
//! million keys is one string the application's document carries, not a million JSON objects.

use std::collections::{BTreeMap, HashMap};

use crate::cloud::clock::Millis;

/// Open panes by start, each key's maximum in it.
type Panes = BTreeMap<Millis, HashMap<String, f64>>;

#[derive(Debug, Clone, PartialEq)]
pub struct Windows {
    size: Millis,
    slide: Millis,
    pane: Millis,
    out_of_orderness: Millis,
    panes: Panes,
    /// The greatest event time seen, if any record was.
    max_event: Option<Millis>,
    /// The watermark last emitted (`i64::MIN` before the first).
    watermark: Millis,
    /// Every window ending at or before this has fired.
    fired_to: Millis,
}

/// The encoded state's first byte: its layout version.
const ENCODING: u8 = 1;

fn gcd(a: Millis, b: Millis) -> Millis {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Windows {
    /// Windows of `size` ms sliding by `slide` ms (`0 < slide ≤ size`), `out_of_orderness` ms (≥ 0).
    pub fn new(size: Millis, slide: Millis, out_of_orderness: Millis) -> Windows {
        Windows {
            size,
            slide,
            pane: gcd(size, slide).max(1),
            out_of_orderness,
            panes: BTreeMap::new(),
            max_event: None,
            watermark: Millis::MIN,
            fired_to: Millis::MIN,
        }
    }

    /// The watermark last emitted, once a record was seen.
    pub fn watermark(&self) -> Option<Millis> {
        (self.watermark != Millis::MIN).then_some(self.watermark)
    }

    /// The start of the first window holding `t` (the smallest multiple of `slide` above `t − size`).
    fn first_start_holding(&self, t: Millis) -> Millis {
        (t.saturating_sub(self.size)).div_euclid(self.slide) * self.slide + self.slide
    }

    /// The start of the last window holding `t`.
    fn last_start_holding(&self, t: Millis) -> Millis {
        t - t.rem_euclid(self.slide)
    }

    /// Adds one record; false when it is late (every window it belongs to has fired) and dropped.
    pub fn add(&mut self, event_ms: Millis, key: &str, value: f64) -> bool {
        if self.last_start_holding(event_ms).saturating_add(self.size) <= self.fired_to {
            return false;
        }
        self.max_event = Some(self.max_event.map_or(event_ms, |m| m.max(event_ms)));
        let pane = self.panes.entry(event_ms - event_ms.rem_euclid(self.pane)).or_default();
        match pane.get_mut(key) {
            Some(max) => {
                if value > *max {
                    *max = value;
                }
            }
            None => {
                pane.insert(key.to_string(), value);
            }
        }
        true
    }

    /// Emits the watermark the records so far give and fires every window it completes, in order of
    /// end and, within a window, of key: `emit(window_end, key, max)`. Returns the results emitted.
    pub fn advance(&mut self, mut emit: impl FnMut(Millis, &str, f64)) -> u64 {
        let Some(max_event) = self.max_event else { return 0 };
        let watermark = max_event.saturating_sub(self.out_of_orderness).saturating_sub(1);
        if watermark <= self.watermark {
            return 0;
        }
        self.watermark = watermark;
        // The last window the watermark completes ends at `fired_to`.
        let fired_to = self.last_start_holding(watermark.saturating_add(1).saturating_sub(self.size)) + self.size;
        let mut emitted = 0;
        let mut start = match self.panes.keys().next() {
            Some(&first) if self.fired_to == Millis::MIN => self.first_start_holding(first),
            Some(&first) => self.first_start_holding(first).max(self.first_start_holding(self.fired_to)),
            None => fired_to,
        };
        let mut results: Vec<(&str, f64)> = Vec::new();
        while start + self.size <= fired_to {
            let end = start + self.size;
            let mut maxima: HashMap<&str, f64> = HashMap::new();
            let mut any = false;
            for pane in self.panes.range(start..end).map(|(_, p)| p) {
                any = true;
                for (k, &v) in pane {
                    maxima.entry(k.as_str()).and_modify(|m| *m = m.max(v)).or_insert(v);
                }
            }
            if !any {
                // Nothing in this window: skip to the first window holding the next pane.
                match self.panes.range(end..).next() {
                    Some((&next, _)) => start = self.first_start_holding(next).max(start + self.slide),
                    None => break,
                }
                continue;
            }
            results.clear();
            results.extend(maxima);
            results.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for &(k, v) in &results {
                emit(end, k, v);
            }
            emitted += results.len() as u64;
            start += self.slide;
        }
        self.fired_to = self.fired_to.max(fired_to);
        // A pane is dropped once the last window holding it has fired.
        let keep_from = self.panes.keys().copied().find(|&p| self.last_start_holding(p) + self.size > self.fired_to);
        match keep_from {
            Some(from) => self.panes = self.panes.split_off(&from),
            None => self.panes.clear(),
        }
        emitted
    }

    /// The state as bytes, appended to `out` (a checkpoint's state ends with it, uncopied): the clock
    /// fields, then each pane's start, its keys and maxima.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        // Sized by the key count alone: measuring every key would be a second pass over the state.
        let keys: usize = self.panes.values().map(HashMap::len).sum();
        out.reserve(33 + self.panes.len() * 16 + keys * 24);
        out.push(ENCODING);
        for v in [self.max_event.unwrap_or(Millis::MIN), self.watermark, self.fired_to] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(self.panes.len() as u64).to_le_bytes());
        for (start, keys) in &self.panes {
            out.extend_from_slice(&start.to_le_bytes());
            out.extend_from_slice(&(keys.len() as u64).to_le_bytes());
            for (k, v) in keys {
                out.extend_from_slice(&(k.len() as u32).to_le_bytes());
                out.extend_from_slice(k.as_bytes());
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    /// Restores what [`encode_into`](Self::encode_into) wrote into windows of this shape; the reason when the
    /// bytes are not such a state.
    pub fn decode(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.take(1)?[0];
        if version != ENCODING {
            return Err(format!("window state encoding {version}, this build reads {ENCODING}"));
        }
        let max_event = r.i64()?;
        let watermark = r.i64()?;
        let fired_to = r.i64()?;
        let mut panes = BTreeMap::new();
        for _ in 0..r.u64()? {
            let start = r.i64()?;
            let n = r.u64()?;
            let mut keys = HashMap::with_capacity(n.min(1 << 20) as usize);
            for _ in 0..n {
                let len = u32::from_le_bytes(r.array()?) as usize;
                let key = std::str::from_utf8(r.take(len)?).map_err(|_| "a window key is not UTF-8".to_string())?;
                let key = key.to_string();
                keys.insert(key, f64::from_le_bytes(r.array()?));
            }
            panes.insert(start, keys);
        }
        if r.at != bytes.len() {
            return Err(format!("{} bytes after the window state", bytes.len() - r.at));
        }
        self.max_event = (max_event != Millis::MIN).then_some(max_event);
        self.watermark = watermark;
        self.fired_to = fired_to;
        self.panes = panes;
        Ok(())
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the window state ends early (at byte {})", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fire(w: &mut Windows) -> Vec<(Millis, String, f64)> {
        let mut out = Vec::new();
        w.advance(|end, k, v| out.push((end, k.to_string(), v)));
        out
    }

    #[test]
    fn windows_fire_when_the_watermark_reaches_their_last_millisecond() {
        // 10 s windows sliding by 5 s, 5 s out of orderness.
        let mut w = Windows::new(10_000, 5_000, 5_000);
        assert!(w.add(12_000, "A", 3.0));
        assert!(w.add(7_000, "A", 9.0));
        assert!(w.add(14_000, "B", 1.0));
        // Watermark 14 000 − 5 000 − 1 = 8 999: nothing ends at or before 9 000.
        assert!(fire(&mut w).is_empty());
        assert_eq!(w.watermark(), Some(8_999));
        assert!(w.add(15_001, "A", 0.5));
        // Watermark 10 000: [0, 10 000) fires (its last millisecond is 9 999).
        assert_eq!(fire(&mut w), vec![(10_000, "A".to_string(), 9.0)]);
        assert!(w.add(25_000, "B", 2.0));
        // Watermark 19 999: [5 000, 15 000) and [10 000, 20 000) fire.
        assert_eq!(
            fire(&mut w),
            vec![
                (15_000, "A".to_string(), 9.0),
                (15_000, "B".to_string(), 1.0),
                (20_000, "A".to_string(), 3.0),
                (20_000, "B".to_string(), 1.0),
            ]
        );
    }

    #[test]
    fn a_record_is_late_only_when_every_window_it_belongs_to_has_fired() {
        let mut w = Windows::new(10_000, 5_000, 0);
        w.add(20_001, "A", 1.0);
        // Watermark 20 000: windows ending ≤ 20 001 fired, [10 000, 20 000) the last.
        assert_eq!(fire(&mut w).len(), 0, "no records in the fired windows");
        assert!(!w.add(14_999, "A", 5.0), "[5 000, 15 000) and [10 000, 20 000) have both fired");
        assert!(w.add(15_000, "A", 7.0), "[15 000, 25 000) is still open");
        w.add(30_000, "A", 1.0);
        assert_eq!(fire(&mut w), vec![(25_000, "A".to_string(), 7.0), (30_000, "A".to_string(), 1.0)]);
    }

    #[test]
    fn empty_stretches_of_event_time_are_skipped_not_walked() {
        let mut w = Windows::new(10_000, 5_000, 0);
        w.add(0, "A", 1.0);
        w.add(1_000_000_000_000, "A", 2.0);
        let out = fire(&mut w);
        assert_eq!(out, vec![(5_000, "A".to_string(), 1.0), (10_000, "A".to_string(), 1.0)]);
        assert_eq!(
            w.panes.values().map(HashMap::len).sum::<usize>(),
            1,
            "the first pane is dropped once its last window fired"
        );
    }

    #[test]
    fn the_state_round_trips_and_bad_bytes_are_refused() {
        let mut w = Windows::new(10_000, 5_000, 5_000);
        for (i, k) in ["AAPL", "AMZN", "MSFT"].iter().enumerate() {
            w.add(1_000 * i as i64, k, i as f64);
            w.add(9_000, k, 50.0 + i as f64);
        }
        fire(&mut w);
        let mut bytes = Vec::new();
        w.encode_into(&mut bytes);
        let mut back = Windows::new(10_000, 5_000, 5_000);
        back.decode(&bytes).unwrap();
        assert_eq!(back, w);
        assert!(back.decode(&bytes[..bytes.len() - 3]).unwrap_err().contains("ends early"));
        let mut other = bytes.clone();
        other[0] = 9;
        assert!(back.decode(&other).unwrap_err().contains("encoding 9"));
    }
}
