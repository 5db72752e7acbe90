//! CloudWatch Logs' quotas, with AWS's defaults; tests set them small.

#[derive(Debug, Clone)]
pub struct LogsSettings {
    /// Log groups per account and region (AWS: 1,000,000).
    pub log_group_limit: usize,
}

impl Default for LogsSettings {
    fn default() -> Self {
        LogsSettings { log_group_limit: 1_000_000 }
    }
}
