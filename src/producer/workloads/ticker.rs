//! Pattern 2's workload, as the reference's KPL demo producer makes it: `{EVENT_TIME, TICKER, PRICE}`
//! with the ticker drawn uniformly from five symbols and the price uniformly from [0, 100), one constant
//! partition key (the producer's start time in ms) and a random 128-bit explicit hash key per record, so
//! the records spread evenly over the shards; or a random partition key per record instead.

use crate::kpl::UserRecord;
use crate::text_format::timestamp_ms;

pub const TICKERS: [&str; 5] = ["AAPL", "AMZN", "MSFT", "INTC", "TBV"];

/// How records are keyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// One partition key for the run, and a random explicit hash key per record (the reference's way).
    ConstantWithHashKey,
    /// A random partition key per record.
    Random,
}

pub struct Ticker {
    rng: fastrand::Rng,
    keys: Keys,
    constant_key: String,
    now_ms: Box<dyn FnMut() -> i64 + Send>,
    /// The last EVENT_TIME written: thousands of records share a millisecond at high rates.
    stamp: (i64, String),
}

impl Ticker {
    /// `now_ms` stamps EVENT_TIME (the wall clock in a real run); `seed` fixes every draw.
    pub fn new(seed: u64, keys: Keys, now_ms: Box<dyn FnMut() -> i64 + Send>) -> Ticker {
        let mut now_ms = now_ms;
        let constant_key = now_ms().to_string();
        Ticker { rng: fastrand::Rng::with_seed(seed), keys, constant_key, now_ms, stamp: (i64::MIN, String::new()) }
    }
}

impl Iterator for Ticker {
    type Item = UserRecord;

    fn next(&mut self) -> Option<UserRecord> {
        let ticker = TICKERS[self.rng.usize(..TICKERS.len())];
        let price = self.rng.f64() * 100.0;
        let now = (self.now_ms)();
        if self.stamp.0 != now {
            self.stamp = (now, timestamp_ms(now));
        }
        // Written directly rather than through a JSON value: at high rates this is the producer's hot path.
        // Every part is a fixed symbol, a formatted time or a finite number, so the text is valid JSON.
        let data = format!(r#"{{"EVENT_TIME":"{}","TICKER":"{ticker}","PRICE":{price}}}"#, self.stamp.1);
        let (partition_key, explicit_hash_key) = match self.keys {
            Keys::ConstantWithHashKey => (self.constant_key.clone(), Some(self.rng.u128(..).to_string())),
            Keys::Random => (format!("{:032x}", self.rng.u128(..)), None),
        };
        Some(UserRecord { partition_key, explicit_hash_key, data: data.into_bytes() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed_clock() -> Box<dyn FnMut() -> i64 + Send> {
        Box::new(|| 1_796_009_905_120)
    }

    #[test]
    fn records_are_shaped_and_keyed_as_the_reference_producer_makes_them() {
        let records: Vec<UserRecord> = Ticker::new(7, Keys::ConstantWithHashKey, fixed_clock()).take(500).collect();
        let keys: std::collections::BTreeSet<&str> = records.iter().map(|r| r.partition_key.as_str()).collect();
        assert_eq!(keys.into_iter().collect::<Vec<_>>(), ["1796009905120"], "one partition key for the run");
        let hash_keys: std::collections::BTreeSet<&str> =
            records.iter().filter_map(|r| r.explicit_hash_key.as_deref()).collect();
        assert_eq!(hash_keys.len(), 500, "a fresh hash key per record");
        let mut seen = std::collections::BTreeSet::new();
        for r in &records {
            let v: serde_json::Value = serde_json::from_slice(&r.data).unwrap();
            assert_eq!(v["EVENT_TIME"], "2026-11-30T03:38:25.120Z");
            let price = v["PRICE"].as_f64().unwrap();
            assert!((0.0..100.0).contains(&price), "{price}");
            seen.insert(v["TICKER"].as_str().unwrap().to_string());
        }
        assert_eq!(seen.len(), 5, "all five tickers appear: {seen:?}");
        // Half the hash space holds about half the records: the keys spread over shards.
        let low =
            records.iter().filter(|r| r.explicit_hash_key.as_deref().unwrap().parse::<u128>().unwrap() < u128::MAX / 2);
        assert!((200..300).contains(&low.count()));
    }

    #[test]
    fn a_seed_repeats_a_run_and_random_keys_vary() {
        let a: Vec<UserRecord> = Ticker::new(1, Keys::Random, fixed_clock()).take(20).collect();
        let b: Vec<UserRecord> = Ticker::new(1, Keys::Random, fixed_clock()).take(20).collect();
        assert_eq!(a, b);
        assert!(a.iter().all(|r| r.explicit_hash_key.is_none()));
        let keys: std::collections::BTreeSet<&str> = a.iter().map(|r| r.partition_key.as_str()).collect();
        assert_eq!(keys.len(), 20);
        let c: Vec<UserRecord> = Ticker::new(2, Keys::Random, fixed_clock()).take(20).collect();
        assert_ne!(a, c);
    }
}
