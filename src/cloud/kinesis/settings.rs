//! The Kinesis service's own settings: how long status transitions last, the account quotas, the shard
//! log's segment size, and the per-stream switches for the shard throughput limits. `CloudConfig`
//! carries the settings (so the CLI flags reach them); the switches live on the cloud context because
//! the admin API flips them at run time.

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Regions where AWS's default shard quota is 20,000 per account; elsewhere it is 1,000 (or 6,000 in a
/// few regions, which AWS does not list; the lower figure is used).
const LARGE_QUOTA_REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisSettings {
    /// How long CREATING, UPDATING and DELETING last on the cloud clock (0: instant).
    pub transition_ms: i64,
    /// Open shards allowed across the account (AWS's default shard quota); `None` takes the region's default.
    pub shard_limit: Option<usize>,
    /// Streams in ON_DEMAND mode allowed across the account (AWS: 50 by default).
    pub on_demand_stream_limit: usize,
    /// Streams of any mode. AWS documents no such quota for provisioned streams; this local cap keeps a
    /// client from filling the disk with empty streams.
    pub stream_limit: usize,
    /// Size at which a shard log rolls to a new segment file.
    pub segment_bytes: u64,
    /// Fault injection for tests: fails the metadata file's writes while set.
    pub disk_fault: Option<DiskFault>,
}

impl Default for KinesisSettings {
    fn default() -> Self {
        KinesisSettings {
            transition_ms: 500,
            shard_limit: None,
            on_demand_stream_limit: 50,
            stream_limit: 10_000,
            segment_bytes: 64 << 20,
            disk_fault: None,
        }
    }
}

impl KinesisSettings {
    /// The shard quota in `region`: the configured one, or AWS's default there.
    pub fn shard_limit_in(&self, region: &str) -> usize {
        self.shard_limit.unwrap_or(if LARGE_QUOTA_REGIONS.contains(&region) { 20_000 } else { 1_000 })
    }
}

/// A fault-injection seam for tests: while set, every write and sync of the metadata file fails with
/// ENOSPC, as on a full disk. Reads still work. Production code never sets it.
#[derive(Debug, Clone, Default)]
pub struct DiskFault(Arc<AtomicBool>);

impl DiskFault {
    pub fn set(&self, failing: bool) {
        self.0.store(failing, Ordering::SeqCst);
    }

    /// ENOSPC while the fault is set.
    pub fn check(&self) -> io::Result<()> {
        if self.0.load(Ordering::SeqCst) {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        Ok(())
    }
}

impl PartialEq for DiskFault {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for DiskFault {}

/// Per-stream switches for limit enforcement, over a global default.
#[derive(Debug)]
pub struct LimitSwitches {
    enforce: AtomicBool,
    per_stream: RwLock<HashMap<String, bool>>,
}

impl LimitSwitches {
    pub fn new(enforce: bool) -> Self {
        LimitSwitches { enforce: AtomicBool::new(enforce), per_stream: RwLock::default() }
    }

    pub fn set_global(&self, enforce: bool) {
        self.enforce.store(enforce, Ordering::Relaxed);
    }

    pub fn global(&self) -> bool {
        self.enforce.load(Ordering::Relaxed)
    }

    pub fn set_for(&self, resource: &str, enforce: Option<bool>) {
        let mut map = self.per_stream.write().unwrap_or_else(|p| p.into_inner());
        match enforce {
            Some(e) => map.insert(resource.to_string(), e),
            None => map.remove(resource),
        };
    }

    pub fn enforced(&self, resource: &str) -> bool {
        let map = self.per_stream.read().unwrap_or_else(|p| p.into_inner());
        map.get(resource).copied().unwrap_or_else(|| self.global())
    }

    pub fn overrides(&self) -> HashMap<String, bool> {
        self.per_stream.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shard_quota_follows_the_region_unless_configured() {
        let mut s = KinesisSettings::default();
        assert_eq!(s.shard_limit_in("us-east-1"), 20_000);
        assert_eq!(s.shard_limit_in("ap-south-2"), 1_000);
        s.shard_limit = Some(7);
        assert_eq!(s.shard_limit_in("us-east-1"), 7);
    }

    #[test]
    fn a_stream_switch_overrides_the_global_one_until_cleared() {
        let l = LimitSwitches::new(true);
        l.set_for("bulk", Some(false));
        assert!(!l.enforced("bulk") && l.enforced("other"));
        l.set_global(false);
        l.set_for("bulk", None);
        assert!(!l.enforced("bulk"));
    }
}
