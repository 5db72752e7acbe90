//! What a built-in job is to the runtime: the [`Job`] trait, what it is given ([`JobEnv`]), where it
//! starts ([`StartFrom`]), how it fails ([`JobError`]) and the figures it reports ([`JobStats`]). Below
//! every job and the registry in `mod.rs`, so each job depends on this file alone.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::kinesisanalytics::model::LoggingOption;

/// Where a job starts reading.
#[derive(Debug, Clone, PartialEq)]
pub enum StartFrom {
    /// No state: the source starts at the tip of its input (LATEST, fixed at the start).
    Fresh,
    /// The state of a snapshot (a stop's, or CreateApplicationSnapshot's).
    Snapshot(Vec<u8>),
    /// The state of the last checkpoint (a restart after a crash or a restart of the local cloud).
    Checkpoint(Vec<u8>),
}

/// What a job is given: the application it runs for and the cloud it runs in.
#[derive(Clone)]
pub struct JobEnv {
    pub application: String,
    pub application_arn: String,
    pub version_id: i64,
    /// The application's property groups, by id (`FlinkApplicationProperties`, …).
    pub properties: BTreeMap<String, BTreeMap<String, String>>,
    /// Where the application's log goes (its CloudWatch logging options), for a job that logs.
    pub logging: Vec<LoggingOption>,
    pub ctx: Arc<CloudContext>,
}

/// Why a job failed, as its log and its operation say it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

pub trait Job: Send {
    /// Prepares to run from `from`; an error fails the start.
    fn start(&mut self, from: StartFrom) -> Result<(), JobError>;

    /// One step of the run loop, called once per second of the cloud clock while the application runs.
    fn step(&mut self, now: Millis) -> Result<(), JobError>;

    /// The state to keep (a checkpoint or a snapshot), in the job's own encoding, opaque to the
    /// runtime, which stores it as it is; output up to here is committed with it.
    fn state(&mut self) -> Result<Vec<u8>, JobError>;

    /// The state last handed over by [`state`](Self::state) is durable (a checkpoint or snapshot):
    /// output held back until then may be made visible now, as Flink's two-phase-commit sinks do on
    /// `notifyCheckpointComplete`. Not called when keeping the state failed.
    fn committed(&mut self) {}

    /// Stops the job; with `snapshot`, after a last [`state`](Self::state) the caller keeps.
    fn stop(&mut self);

    /// What the job has done so far, for its `AWS/KinesisAnalytics` metrics; counters are totals
    /// since the job started, so the reader takes differences.
    fn stats(&self) -> JobStats;
}

/// A running job's own figures: every one comes from the work the job did, never made up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobStats {
    /// Records read from the source since the job started.
    pub records_in: u64,
    /// Records (or results) emitted to the sink since the job started.
    pub records_out: u64,
    /// Records that arrived after the watermark had passed their window, since the job started.
    pub late_records_dropped: u64,
    /// The event time up to which the sources have seen input, if the job keeps event time.
    pub input_watermark_ms: Option<Millis>,
    /// The event time up to which results have been emitted.
    pub output_watermark_ms: Option<Millis>,
    /// Per shard id of the source: how far its last read was behind the shard's tip (the Kinesis
    /// connector's `millisBehindLatest`).
    pub millis_behind_latest: BTreeMap<String, Millis>,
}

/// The state of a job whose whole state is the number of steps it ran (`{"steps":N}`).
pub fn steps_state(steps: u64) -> Vec<u8> {
    format!(r#"{{"steps":{steps}}}"#).into_bytes()
}

/// The step count in a state [`steps_state`] made, or why the state is not one.
pub fn steps_from(state: &[u8]) -> Result<u64, JobError> {
    #[derive(serde::Deserialize)]
    struct Steps {
        steps: u64,
    }
    serde_json::from_slice::<Steps>(state)
        .map(|s| s.steps)
        .map_err(|e| JobError(format!("Job could not be restored: the saved state is unreadable: {e}")))
}
