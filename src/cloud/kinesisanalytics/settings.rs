//! How long Managed Flink's transitions take on the cloud clock. AWS takes minutes to start a job;
//! locally a start takes seconds so the console's status view shows every status without long waits,
//! and tests move the virtual clock past them.

use crate::cloud::clock::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkSettings {
    /// STARTING → RUNNING (or back to READY when the job cannot start).
    pub start_ms: Millis,
    /// STOPPING → READY, the snapshot of the stop included.
    pub stop_ms: Millis,
    /// FORCE_STOPPING → READY.
    pub force_stop_ms: Millis,
    /// UPDATING → RUNNING for a running application.
    pub update_ms: Millis,
    /// DELETING → gone.
    pub delete_ms: Millis,
    /// A snapshot's CREATING → READY.
    pub snapshot_ms: Millis,
    /// A snapshot's DELETING → gone.
    pub snapshot_delete_ms: Millis,
}

impl Default for FlinkSettings {
    fn default() -> Self {
        FlinkSettings {
            start_ms: 5_000,
            stop_ms: 3_000,
            force_stop_ms: 1_000,
            update_ms: 3_000,
            delete_ms: 2_000,
            snapshot_ms: 2_000,
            snapshot_delete_ms: 1_000,
        }
    }
}
