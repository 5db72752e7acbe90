//! SubscribeToShard bookkeeping shared by every subscription: the newest one of each consumer to each
//! shard, so a consumer subscribes at most once per 5 s and a newer subscription takes over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::keys::shard_id;
use super::validate::in_use;
use crate::cloud::error::ApiError;

const RESUBSCRIBE_MS: i64 = 5_000;

/// The newest subscription of each consumer to each shard: when it started, and the flag that tells
/// it a newer one took over (read by its task on every look, so without a lock).
#[derive(Default)]
pub struct Subscriptions {
    latest: Mutex<HashMap<(String, u32), Latest>>,
}

/// When the newest subscription started, and its taken-over flag.
type Latest = (i64, Arc<AtomicBool>);

impl Subscriptions {
    /// Starts a subscription, ending the one before it, or refuses one within 5 s of the last.
    pub fn begin(&self, consumer: &str, shard: u32, now: i64) -> Result<Arc<AtomicBool>, ApiError> {
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        let key = (consumer.to_string(), shard);
        if latest.get(&key).is_some_and(|(at, _)| now - at < RESUBSCRIBE_MS) {
            return Err(in_use(format!(
                "Another active subscription exists for consumer {consumer} on shard {}; subscribe again at most once every 5 seconds.",
                shard_id(shard)
            )));
        }
        let taken_over = Arc::new(AtomicBool::new(false));
        if let Some((_, older)) = latest.insert(key, (now, taken_over.clone())) {
            older.store(true, Ordering::Relaxed);
        }
        Ok(taken_over)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_resubscribes_at_most_every_five_seconds_and_the_newest_wins() {
        let subs = Subscriptions::default();
        let first = subs.begin("arn", 0, 1_000).unwrap();
        assert_eq!(subs.begin("arn", 0, 5_999).unwrap_err().code, "ResourceInUseException");
        let other_shard = subs.begin("arn", 1, 2_000).expect("other shards are separate");
        let second = subs.begin("arn", 0, 6_000).unwrap();
        assert!(first.load(Ordering::Relaxed), "the newer subscription took over");
        assert!(!second.load(Ordering::Relaxed));
        assert!(!other_shard.load(Ordering::Relaxed));
    }
}
