//! Firehose's settings, with AWS-like defaults; tests set the timings small.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

#[derive(Debug, Clone)]
pub struct FirehoseSettings {
    /// Cloud time a delivery stream spends CREATING before ACTIVE, and DELETING before it is gone.
    pub transition_ms: i64,
    /// Delivery streams per region (AWS's default quota: 5,000).
    pub delivery_stream_limit: usize,
    /// First wait after a failed S3 write; doubled per failure up to `retry_max_ms`.
    pub retry_base_ms: i64,
    pub retry_max_ms: i64,
    /// Test hook, shared by every copy of the settings: while set, delivery skips committing read
    /// positions after writing an object, as if the host died between the two.
    pub skip_commit_after_write: Arc<AtomicBool>,
}

impl Default for FirehoseSettings {
    fn default() -> Self {
        FirehoseSettings {
            transition_ms: 5_000,
            delivery_stream_limit: 5_000,
            retry_base_ms: 1_000,
            retry_max_ms: 30_000,
            skip_commit_after_write: Arc::new(AtomicBool::new(false)),
        }
    }
}
