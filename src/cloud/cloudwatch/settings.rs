//! CloudWatch's own settings: how much a client may create. AWS documents no quota on alarms,
//! dashboards or metric series per account, so these are local limits, generous by default, that
//! keep one client from growing the host without bound; tests set them small.

/// Limits on what clients can create in the local CloudWatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudWatchSettings {
    /// Metric alarms at most; PutMetricAlarm of a new alarm beyond it answers `LimitExceeded`.
    pub max_alarms: usize,
    /// Dashboards at most; PutDashboard of a new dashboard beyond it answers `LimitExceeded`.
    pub max_dashboards: usize,
    /// Distinct metric series (namespace, name, dimensions, unit) at most; PutMetricData that would
    /// start a new series beyond it answers `LimitExceeded`.
    pub max_series: usize,
}

impl Default for CloudWatchSettings {
    fn default() -> Self {
        CloudWatchSettings { max_alarms: 10_000, max_dashboards: 5_000, max_series: 100_000 }
    }
}
