//! The producer's live counters, shared with whoever shows progress (the CLI's progress line, the
//! console): written by the engine with atomics, read as a [`Snapshot`] at any time.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

#[derive(Debug)]
pub struct Counters {
    /// Records the workload made.
    pub produced: AtomicU64,
    /// Records sent in a request, counting every attempt.
    pub sent: AtomicU64,
    pub acknowledged: AtomicU64,
    /// Records sent again after a failure of theirs or of their request.
    pub retried: AtomicU64,
    /// Record failures the stream answered with ProvisionedThroughputExceeded (or whole throttled calls).
    pub throttled: AtomicU64,
    /// Records older than their time-to-live when they were due to be sent (again): never delivered.
    pub expired: AtomicU64,
    /// Records the stream refused for good (too large, a key it does not take).
    pub failed: AtomicU64,
    /// Records in requests that have not answered yet.
    pub in_flight: AtomicU64,
    /// Records sent again after a request whose answer was lost: the first attempt may have landed too,
    /// so each may be on the stream twice.
    pub possible_duplicates: AtomicU64,
    latency: Mutex<Histogram<u64>>,
    per_shard: Mutex<BTreeMap<String, u64>>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            produced: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            acknowledged: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            expired: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            possible_duplicates: AtomicU64::new(0),
            // Microseconds from 1 µs to an hour, three significant digits.
            latency: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")),
            per_shard: Mutex::default(),
        }
    }
}

/// What the counters said at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub produced: u64,
    pub sent: u64,
    pub acknowledged: u64,
    pub retried: u64,
    pub throttled: u64,
    pub expired: u64,
    pub failed: u64,
    pub in_flight: u64,
    pub possible_duplicates: u64,
    /// Request latency of acknowledged records, in milliseconds.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// Acknowledged records per shard.
    pub per_shard: BTreeMap<String, u64>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }

    /// `n` records acknowledged on `shard` after a request that took `latency`.
    pub fn acknowledge(&self, shard: &str, n: u64, latency: Duration) {
        Self::add(&self.acknowledged, n);
        let micros = (latency.as_micros() as u64).clamp(1, 3_600_000_000);
        if let Ok(mut h) = self.latency.lock() {
            let _ = h.record_n(micros, n);
        }
        if let Ok(mut shards) = self.per_shard.lock() {
            match shards.get_mut(shard) {
                Some(count) => *count += n,
                None => {
                    shards.insert(shard.to_string(), n);
                }
            }
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (p50, p99) = self
            .latency
            .lock()
            .map(|h| if h.is_empty() { (0, 0) } else { (h.value_at_quantile(0.5), h.value_at_quantile(0.99)) })
            .unwrap_or_default();
        Snapshot {
            produced: load(&self.produced),
            sent: load(&self.sent),
            acknowledged: load(&self.acknowledged),
            retried: load(&self.retried),
            throttled: load(&self.throttled),
            expired: load(&self.expired),
            failed: load(&self.failed),
            in_flight: load(&self.in_flight),
            possible_duplicates: load(&self.possible_duplicates),
            latency_p50_ms: p50 as f64 / 1000.0,
            latency_p99_ms: p99 as f64 / 1000.0,
            per_shard: self.per_shard.lock().map(|m| m.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_counts_latency_quantiles_and_shards() {
        let c = Counters::default();
        Counters::add(&c.produced, 10);
        c.acknowledge("shardId-000000000000", 9, Duration::from_millis(4));
        c.acknowledge("shardId-000000000001", 1, Duration::from_millis(200));
        let s = c.snapshot();
        assert_eq!((s.produced, s.acknowledged), (10, 10));
        assert!((s.latency_p50_ms - 4.0).abs() < 0.01, "{}", s.latency_p50_ms);
        assert!((s.latency_p99_ms - 200.0).abs() < 0.5, "{}", s.latency_p99_ms);
        assert_eq!(s.per_shard["shardId-000000000000"], 9);
        assert_eq!(Counters::default().snapshot().latency_p99_ms, 0.0, "no latency before the first answer");
    }
}
