//! Throttles and quotas of the data plane, on the cloud clock: a token bucket per stage method
//! setting and per API key of a usage plan (refilled at the rate, holding at most the burst), and a
//! request count per key and quota period.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

#[derive(Default)]
pub struct Buckets {
    buckets: Mutex<HashMap<String, Bucket>>,
    quotas: Mutex<HashMap<String, (u64, i64)>>,
}

impl Buckets {
    /// Takes one token from the bucket `key` (created full); false when it is empty.
    pub fn take(&self, key: &str, rate: f64, burst: i64, now_ms: u64) -> bool {
        let capacity = (burst.max(1)) as f64;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets.entry(key.to_string()).or_insert(Bucket { tokens: capacity, at_ms: now_ms });
        let elapsed = now_ms.saturating_sub(b.at_ms) as f64 / 1000.0;
        b.tokens = (b.tokens + elapsed * rate.max(0.0)).min(capacity);
        b.at_ms = b.at_ms.max(now_ms);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Counts one request against `key`'s quota of `limit` in the period numbered `period`; false
    /// once the period's requests reached the limit.
    pub fn count(&self, key: &str, limit: i64, period: u64) -> bool {
        let mut quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
        let entry = quotas.entry(key.to_string()).or_insert((period, 0));
        if entry.0 != period {
            *entry = (period, 0);
        }
        if entry.1 >= limit {
            return false;
        }
        entry.1 += 1;
        true
    }

    pub fn clear(&self) {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.quotas.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The number of the quota period (`DAY`, `WEEK`, `MONTH`, in UTC) holding `now_ms`.
pub fn period(kind: &str, now_ms: u64) -> u64 {
    let day = now_ms / 86_400_000;
    match kind {
        // 1970-01-01 was a Thursday; AWS's weeks start on Monday.
        "WEEK" => (day + 3) / 7,
        "MONTH" => {
            let date = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(day as i64);
            date.year() as u64 * 12 + date.month() as u64
        }
        _ => day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let b = Buckets::default();
        assert!((0..5).all(|_| b.take("k", 2.0, 5, 0)));
        assert!(!b.take("k", 2.0, 5, 0));
        assert!(b.take("k", 2.0, 5, 500));
        assert!(!b.take("k", 2.0, 5, 500));
        assert!((0..5).all(|_| b.take("k", 2.0, 5, 60_000)));
        assert!(!b.take("k", 2.0, 5, 60_000));
    }

    #[test]
    fn a_quota_resets_with_its_period() {
        let b = Buckets::default();
        assert!(b.count("k", 2, 1) && b.count("k", 2, 1));
        assert!(!b.count("k", 2, 1));
        assert!(b.count("k", 2, 2));
        assert_eq!(period("DAY", 86_400_000 * 3 + 5), 3);
        // 1970-01-04 was a Sunday, the 5th a Monday, the 11th the next Sunday.
        assert_ne!(period("WEEK", 86_400_000 * 3), period("WEEK", 86_400_000 * 4));
        assert_eq!(period("WEEK", 86_400_000 * 4), period("WEEK", 86_400_000 * 10));
    }
}
