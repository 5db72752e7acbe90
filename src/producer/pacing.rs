//! How fast the producer may send: a pacer that holds an asked rate over time without bursting above
//! it, and the retry delays of exponential backoff with full jitter.
//!
//! Both work on plain durations from a start instant, so the engine can drive them from any clock (the
//! tokio clock, paused in tests) and the arithmetic is tested without waiting.

use std::time::Duration;

/// Spaces sends so that records never leave faster than `rate` per second, measured over any window
/// longer than one batch. A pacer that fell behind (the stream was slow) does not catch up in a burst:
/// its schedule restarts from now.
#[derive(Debug, Clone)]
pub struct Pacer {
    per_record: Duration,
    /// When the next record may leave, as time since the start.
    next: Duration,
}

impl Pacer {
    /// `rate` records per second; a rate of zero or less is refused by the caller, so it is clamped here.
    pub fn new(rate: f64) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 { rate } else { 1.0 };
        Pacer { per_record: Duration::from_secs_f64(1.0 / rate), next: Duration::ZERO }
    }

    /// Reserves `n` records at `now` and says when they may be sent (`now` or later). The reservation
    /// moves the schedule on by `n` records' worth of time from that instant.
    pub fn reserve(&mut self, now: Duration, n: u32) -> Duration {
        let at = self.next.max(now);
        self.next = at + self.per_record * n;
        at
    }

    /// Gives back `n` records of the last reservation that were not sent after all (a replay whose next
    /// record was not due yet), so the schedule does not run ahead of what left.
    pub fn refund(&mut self, n: u32) {
        self.next = self.next.saturating_sub(self.per_record * n);
    }

    /// How many records the pacer would let leave per reservation so that one leaves at least every
    /// `tick` (the engine batches this many before it waits).
    pub fn batch_for(&self, tick: Duration, max: u32) -> u32 {
        let n = tick.as_secs_f64() / self.per_record.as_secs_f64();
        (n.floor() as u32).clamp(1, max.max(1))
    }
}

/// Exponential backoff with full jitter (AWS's recommendation for retries of throttled calls): the n-th
/// retry waits a uniformly random time in `[0, min(cap, base · 2ⁿ)]`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    /// The SDKs' standard retry mode: 100 ms doubling, at most 20 s.
    fn default() -> Self {
        Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(20) }
    }
}

impl Backoff {
    /// The ceiling of the `attempt`-th retry's wait (0 is the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The wait before the `attempt`-th retry, with `unit` a uniform random number in `[0, 1)`.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        self.ceiling(attempt).mul_f64(unit.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_pacer_spaces_batches_by_their_size() {
        let mut p = Pacer::new(100.0);
        assert_eq!(p.reserve(Duration::ZERO, 10), Duration::ZERO);
        assert_eq!(p.reserve(Duration::ZERO, 10), 100 * MS, "ten records at 100/s take 100 ms");
        assert_eq!(p.reserve(150 * MS, 1), 200 * MS);
        p.refund(1);
        assert_eq!(p.reserve(150 * MS, 1), 200 * MS, "a refunded record's time is free again");
        assert_eq!(p.batch_for(100 * MS, 500), 10);
        assert_eq!(p.batch_for(100 * MS, 5), 5, "never more than the request allows");
        assert_eq!(Pacer::new(1.0).batch_for(100 * MS, 500), 1, "always at least one");
    }

    #[test]
    fn a_pacer_that_fell_behind_does_not_burst() {
        let mut p = Pacer::new(10.0);
        p.reserve(Duration::ZERO, 1);
        // The stream stalled for five seconds: fifty records' worth of time passed unused.
        let at = p.reserve(Duration::from_secs(5), 1);
        assert_eq!(at, Duration::from_secs(5));
        assert_eq!(p.reserve(Duration::from_secs(5), 1), Duration::from_secs(5) + 100 * MS);
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_jitters_below_the_ceiling() {
        let b = Backoff::default();
        assert_eq!(b.ceiling(0), 100 * MS);
        assert_eq!(b.ceiling(3), 800 * MS);
        assert_eq!(b.ceiling(40), Duration::from_secs(20));
        assert_eq!(b.delay(3, 0.5), 400 * MS);
        assert_eq!(b.delay(3, 0.0), Duration::ZERO);
        assert!(b.delay(3, 7.0) <= b.ceiling(3), "a bad random number stays within the ceiling");
    }

    proptest! {
        #[test]
        fn no_window_sees_more_than_the_rate_allows(
            rate in 1.0f64..5_000.0,
            gaps in prop::collection::vec((0u64..50_000, 1u32..500), 1..200),
        ) {
            let mut p = Pacer::new(rate);
            let mut now = Duration::ZERO;
            let mut sent: Vec<(Duration, u32)> = Vec::new();
            for (gap_us, n) in gaps {
                now += Duration::from_micros(gap_us);
                let at = p.reserve(now, n);
                prop_assert!(at >= now);
                now = at;
                sent.push((at, n));
            }
            // Between the start of any batch and the start of a later one, the records of the batches in
            // between never exceed what the rate allows for that span.
            for i in 0..sent.len() {
                let mut records = 0u64;
                for j in i..sent.len() - 1 {
                    records += u64::from(sent[j].1);
                    let span = (sent[j + 1].0 - sent[i].0).as_secs_f64();
                    prop_assert!(records as f64 <= rate * span * (1.0 + 1e-6) + 1.0,
                        "{records} records in {span}s at {rate}/s");
                }
            }
        }
    }
}
