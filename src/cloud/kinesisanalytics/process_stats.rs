//! The local cloud's own resource use, which stands for the task managers' in the
//! `AWS/KinesisAnalytics` metrics: every built-in job runs in this process, so its CPU time
//! (`getrusage`), resident memory and live threads (`/proc/self/status`) are what the jobs use.
//! Where `/proc` is missing (not Linux) memory and threads are unknown and left unpublished.

use std::time::{Duration, Instant};

/// One reading of the process, with the CPU use since the reading before it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessUse {
    /// CPU time over wall time since the previous reading, across all the host's cores, in percent.
    pub cpu_percent: f64,
    pub resident_bytes: Option<u64>,
    pub threads: Option<u64>,
}

/// Keeps the previous reading, so CPU use is a rate over the time between two readings.
pub struct ProcessMeter {
    last: (Instant, Duration),
}

impl ProcessMeter {
    pub fn new() -> Self {
        ProcessMeter { last: (Instant::now(), cpu_time()) }
    }

    /// Reads the process now. CPU is measured on the host's clock, not the cloud's: a virtual clock
    /// that jumps a minute has not made the process do a minute's work.
    pub fn read(&mut self) -> ProcessUse {
        let (at, cpu) = (Instant::now(), cpu_time());
        let wall = at.duration_since(self.last.0).as_secs_f64();
        let used = cpu.saturating_sub(self.last.1).as_secs_f64();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        self.last = (at, cpu);
        let cpu_percent = if wall > 0.0 { (used / wall / cores * 100.0).clamp(0.0, 100.0) } else { 0.0 };
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        ProcessUse {
            cpu_percent,
            resident_bytes: status_field(&status, "VmRSS:").map(|kib| kib * 1024),
            threads: status_field(&status, "Threads:"),
        }
    }
}

impl Default for ProcessMeter {
    fn default() -> Self {
        Self::new()
    }
}

/// User and system CPU time of the whole process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct it is given; RUSAGE_SELF needs nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; the pointer is to a live, properly aligned rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// The number a `/proc/self/status` line starts with (`VmRSS:   12345 kB` → 12345).
fn status_field(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix(key))?.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_line_gives_its_number() {
        let status = "Name:\tkc\nVmRSS:\t   20480 kB\nThreads:\t7\n";
        assert_eq!(status_field(status, "VmRSS:"), Some(20480));
        assert_eq!(status_field(status, "Threads:"), Some(7));
        assert_eq!(status_field(status, "VmSwap:"), None);
    }

    #[test]
    fn reading_the_process_measures_real_use() {
        let mut meter = ProcessMeter::new();
        // Some work, so the CPU reading has something to measure.
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let u = meter.read();
        assert!((0.0..=100.0).contains(&u.cpu_percent), "{u:?}");
        if cfg!(target_os = "linux") {
            assert!(u.resident_bytes.is_some_and(|b| b > 1024 * 1024), "{u:?}");
            assert!(u.threads.is_some_and(|t| t >= 1), "{u:?}");
        }
    }
}
