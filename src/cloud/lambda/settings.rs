//! The local Lambda's own settings, with AWS's defaults; tests make the transitions short.

#[derive(Debug, Clone)]
pub struct LambdaSettings {
    /// How long a function stays `Pending` (or `InProgress` after an update) and a mapping stays
    /// `Creating`/`Updating`/`Enabling`/`Disabling`/`Deleting`, in ms of the cloud clock.
    pub transition_ms: i64,
    /// The account's concurrent executions quota (AWS's default: 1,000 per Region).
    pub account_concurrency: u32,
    /// How long a `Code.Location` link from GetFunction works (AWS's presigned URLs: 10 minutes).
    pub code_url_ttl_ms: i64,
}

impl Default for LambdaSettings {
    fn default() -> Self {
        LambdaSettings { transition_ms: 1_000, account_concurrency: 1_000, code_url_ttl_ms: 600_000 }
    }
}
