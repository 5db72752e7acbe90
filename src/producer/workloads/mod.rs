//! What the producer sends: each workload is an endless (or, for a replay, finite) iterator of user
//! records, seeded so a run can be repeated exactly.

pub mod taxi;
pub mod ticker;

use std::time::Duration;

use crate::kpl::UserRecord;

/// The workloads there are: ticker events (pattern 2's producer, and any stream's default), a taxi-trip
/// replay (pattern 4's), or ticker events through pattern 1's REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadKind {
    Ticker,
    Taxi,
    /// Ticker events through pattern 1's REST API (`POST /records`) instead of PutRecords.
    Rest,
}

impl WorkloadKind {
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Ticker => "ticker",
            WorkloadKind::Taxi => "taxi",
            WorkloadKind::Rest => "rest",
        }
    }
}

/// What the producer sends: records one at a time and, for a replay, when each is due.
pub trait Workload: Send {
    fn next_record(&mut self) -> Option<UserRecord>;

    /// When the record `next_record` gives next is due, as time since the run started; `None` when the
    /// rate alone paces the workload.
    fn next_due(&mut self) -> Option<Duration> {
        None
    }
}

/// Any record iterator is a workload paced by the rate alone.
impl<I: Iterator<Item = UserRecord> + Send> Workload for I {
    fn next_record(&mut self) -> Option<UserRecord> {
        self.next()
    }
}
