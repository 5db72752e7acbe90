//! SDK-side operations shared by the CLI and the TUI. The read-only guard lives here so both
//! front ends refuse mutating actions the same way.

pub mod alarms;
pub mod credentials;
pub mod dashboard;
pub mod dlq;
pub mod flink;
pub mod invoke;
pub mod logs_insights;
pub mod metrics;
pub mod objects;
pub mod production;
pub mod record_feed;
pub mod sample;
pub mod stacks;
pub mod streams;
pub mod tail;

#[derive(Debug, thiserror::Error)]
#[error("refusing to {action}: the console runs with --read-only")]
pub struct ReadOnlyError {
    pub action: String,
}

/// Whether mutating actions are allowed in this session.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub read_only: bool,
}

impl Access {
    /// Fails with a message naming the refused action when the session is read-only.
    pub fn check(&self, action: &str) -> Result<(), ReadOnlyError> {
        if self.read_only { Err(ReadOnlyError { action: action.to_string() }) } else { Ok(()) }
    }
}
