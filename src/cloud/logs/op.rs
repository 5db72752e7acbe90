//! What every CloudWatch Logs operation works with, and the retention catch-up they share; below the
//! operation files, so none of them imports `mod.rs`.

use std::sync::atomic::{AtomicI64, Ordering};

use super::state::LogState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;

/// What an operation works with.
pub struct Op<'a> {
    pub state: &'a LogState,
    pub ctx: &'a CloudContext,
    pub region: &'a str,
    pub now: Millis,
}

/// Deletes expired events once per second of cloud time; a failure is logged and retried next time
/// (reads hide expired events regardless).
pub fn catch_up(state: &LogState, last_trim: &AtomicI64, now: Millis) {
    let last = last_trim.load(Ordering::Relaxed);
    if now.saturating_sub(last) < 1000
        || last_trim.compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed).is_err()
    {
        return;
    }
    if let Err(e) = state.trim(now) {
        tracing::warn!("CloudWatch Logs retention: {e}");
        last_trim.store(last, Ordering::Relaxed);
    }
}
