//! What Managed Flink keeps per application: its configuration as the API describes it, its status and
//! the transition under way, its versions, snapshots, operations and tags. One application is one
//! document in the service's store, so every change to it (a version, a snapshot, an operation) is one
//! durable write.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cloud::clock::Millis;

/// The tag naming the built-in job an application runs (DESIGN §3; AWS ignores it).
pub const BUILTIN_TAG: &str = "kinesis-console:builtin";

/// The application statuses the API model lists; ROLLING_BACK is reached through RollbackApplication
/// and the system rollback of a failed update; AUTOSCALING, MAINTENANCE and ROLLED_BACK only through
/// features the local cloud does not run (autoscaling, maintenance windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Deleting,
    Starting,
    Stopping,
    Ready,
    Running,
    Updating,
    Autoscaling,
    ForceStopping,
    RollingBack,
    Maintenance,
    RolledBack,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Deleting => "DELETING",
            Status::Starting => "STARTING",
            Status::Stopping => "STOPPING",
            Status::Ready => "READY",
            Status::Running => "RUNNING",
            Status::Updating => "UPDATING",
            Status::Autoscaling => "AUTOSCALING",
            Status::ForceStopping => "FORCE_STOPPING",
            Status::RollingBack => "ROLLING_BACK",
            Status::Maintenance => "MAINTENANCE",
            Status::RolledBack => "ROLLED_BACK",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SnapshotStatus {
    Creating,
    Ready,
    Deleting,
    Failed,
}

impl SnapshotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotStatus::Creating => "CREATING",
            SnapshotStatus::Ready => "READY",
            SnapshotStatus::Deleting => "DELETING",
            SnapshotStatus::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    InProgress,
    Cancelled,
    Successful,
    Failed,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::InProgress => "IN_PROGRESS",
            OperationStatus::Cancelled => "CANCELLED",
            OperationStatus::Successful => "SUCCESSFUL",
            OperationStatus::Failed => "FAILED",
        }
    }
}

/// Where a start restores its state from (StartApplication's `ApplicationRestoreConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Restore {
    Skip,
    Latest,
    Custom(String),
}

impl Restore {
    pub fn type_name(&self) -> &'static str {
        match self {
            Restore::Skip => "SKIP_RESTORE_FROM_SNAPSHOT",
            Restore::Latest => "RESTORE_FROM_LATEST_SNAPSHOT",
            Restore::Custom(_) => "RESTORE_FROM_CUSTOM_SNAPSHOT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggingOption {
    pub id: String,
    pub log_stream_arn: String,
    pub role_arn: Option<String>,
}

/// A snapshot: the job's state when it was taken (opaque to the service), and its own status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub name: String,
    pub status: SnapshotStatus,
    pub version_id: i64,
    pub created_ms: Millis,
    /// When the CREATING or DELETING status ends.
    pub due_ms: Option<Millis>,
    pub state: Option<SavedState>,
}

/// Where a job's state (a checkpoint's or a snapshot's) is kept: a file of its own (`state_files.rs`),
/// written before the application's document refers to it, so the document stays small whatever the
/// state's size and reading an application never copies its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedState {
    /// `<application>/<file>`, a name used once.
    pub key: String,
    pub size_bytes: u64,
}

impl SavedState {
    /// A checkpoint of the application `app`.
    pub fn checkpoint(app: &str, size: usize) -> SavedState {
        SavedState::new(app, "checkpoint", size)
    }

    /// A snapshot of the application `app`.
    pub fn snapshot(app: &str, size: usize) -> SavedState {
        SavedState::new(app, "snapshot", size)
    }

    fn new(app: &str, kind: &str, size: usize) -> SavedState {
        let key = format!("{app}/{kind}-{}", uuid::Uuid::new_v4().simple());
        SavedState { key, size_bytes: size as u64 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: String,
    /// The API action that started it (`StartApplication`, `UpdateApplication`, …).
    pub name: String,
    pub status: OperationStatus,
    pub start_ms: Millis,
    pub end_ms: Option<Millis>,
    pub version_from: Option<i64>,
    pub version_to: Option<i64>,
    pub error: Option<String>,
    /// The system rollback a failed operation started (`OperationFailureDetails.RollbackOperationId`).
    #[serde(default)]
    pub rollback_operation_id: Option<String>,
}

/// A status that ends by itself on the cloud clock, and what it ends in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Transition {
    /// STARTING → RUNNING (or READY when the job cannot start).
    Start { restore: Restore },
    /// STOPPING or FORCE_STOPPING → READY; `snapshot` names the snapshot the stop takes.
    Stop { snapshot: Option<String> },
    /// UPDATING → RUNNING, the job restarted on the new version from its state at the update.
    Update,
    /// DELETING → gone.
    Delete,
    /// ROLLING_BACK → RUNNING, the job restarted on the restored version from the latest snapshot.
    Rollback,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub transition: Transition,
    pub due_ms: Millis,
    pub operation_id: Option<String>,
}

/// A superseded version: the application as DescribeApplicationVersion showed it then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub id: i64,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub name: String,
    pub arn: String,
    pub description: Option<String>,
    pub runtime: String,
    pub role: String,
    pub mode: String,
    pub status: Status,
    pub version_id: i64,
    pub version_from: Option<i64>,
    pub created_ms: Millis,
    pub updated_ms: Millis,
    pub version_created_ms: Millis,
    /// `ApplicationConfigurationDescription` as the API answers it.
    pub config: Value,
    pub logging: Vec<LoggingOption>,
    pub next_logging_id: u32,
    pub tags: BTreeMap<String, String>,
    pub versions: Vec<Version>,
    pub snapshots: Vec<Snapshot>,
    pub operations: Vec<Operation>,
    pub pending: Option<Pending>,
    /// The restore configuration of the last start (RunConfigurationDescription).
    pub last_restore: Option<Restore>,
    /// The job's state at its last checkpoint, and when that was taken.
    pub checkpoint: Option<SavedState>,
    pub checkpoint_ms: Option<Millis>,
    /// When the running job last started (running time, checkpoint interval).
    pub started_ms: Option<Millis>,
    /// The version a rollback came from and the one it restored, while the rollback is the current version.
    #[serde(default)]
    pub rolled_back: Option<(i64, i64)>,
    /// The job's failures, restarts and checkpoints since the application last started.
    #[serde(default)]
    pub health: JobHealth,
}

/// What the `AWS/KinesisAnalytics` metrics report about a job's failures and checkpoints, kept with
/// the application so the counts survive a restart of the local cloud. A start begins it again, as
/// a start on AWS runs a new Flink job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobHealth {
    /// When this Flink job was submitted (StartApplication or an update); a restart keeps the job.
    pub job_started_ms: Option<Millis>,
    /// Restarts after a failure (`numRestarts`; every restart restarts the whole job, so `fullRestarts` too).
    pub restarts: u64,
    /// Checkpoints whose state could not be taken (`numberOfFailedCheckpoints`).
    pub failed_checkpoints: u64,
    /// When the job failed; it is down (`downtime`) until it restarts.
    pub down_since_ms: Option<Millis>,
    /// When the restart strategy restarts the failed job.
    pub restart_due_ms: Option<Millis>,
    /// The delay the restart strategy chose after the last failure, and when that failure was.
    pub last_failure: Option<(Millis, Millis)>,
    pub last_checkpoint: Option<CheckpointStats>,
}

/// The last completed checkpoint (`lastCheckpointDuration`, `lastCheckpointSize`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointStats {
    pub at_ms: Millis,
    /// The bytes of the state as written.
    pub size_bytes: u64,
}

impl Application {
    pub fn builtin(&self) -> Option<&str> {
        self.tags.get(BUILTIN_TAG).map(String::as_str)
    }

    /// Whether a failed update is rolled back by the service (`ApplicationSystemRollbackConfiguration`).
    pub fn system_rollback_enabled(&self) -> bool {
        self.config["ApplicationSystemRollbackConfigurationDescription"]["RollbackEnabled"].as_bool().unwrap_or(false)
    }

    pub fn snapshots_enabled(&self) -> bool {
        self.config["ApplicationSnapshotConfigurationDescription"]["SnapshotsEnabled"].as_bool().unwrap_or(false)
    }

    /// The checkpoint interval the configuration gives (60 s unless CUSTOM says otherwise).
    pub fn checkpoint_interval_ms(&self) -> Option<Millis> {
        let c = &self.config["FlinkApplicationConfigurationDescription"]["CheckpointConfigurationDescription"];
        if c["CheckpointingEnabled"].as_bool() == Some(false) {
            return None;
        }
        Some(c["CheckpointInterval"].as_i64().unwrap_or(60_000).max(1))
    }

    /// The property groups, by id.
    pub fn properties(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        let groups = &self.config["EnvironmentPropertyDescriptions"]["PropertyGroupDescriptions"];
        let mut out = BTreeMap::new();
        for g in groups.as_array().into_iter().flatten() {
            let id = g["PropertyGroupId"].as_str().unwrap_or_default().to_string();
            let map = g["PropertyMap"]
                .as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
                .unwrap_or_default();
            out.insert(id, map);
        }
        out
    }

    pub fn operation_mut(&mut self, id: &str) -> Option<&mut Operation> {
        self.operations.iter_mut().find(|o| o.id == id)
    }

    pub fn snapshot(&self, name: &str) -> Option<&Snapshot> {
        self.snapshots.iter().find(|s| s.name == name)
    }

    /// The keys of the job states the application refers to (its checkpoint and snapshots).
    pub fn state_keys(&self) -> impl Iterator<Item = &str> {
        self.checkpoint.iter().chain(self.snapshots.iter().filter_map(|s| s.state.as_ref())).map(|s| s.key.as_str())
    }

    /// The newest READY snapshot, which RESTORE_FROM_LATEST_SNAPSHOT restores.
    pub fn latest_snapshot(&self) -> Option<&Snapshot> {
        self.snapshots.iter().filter(|s| s.status == SnapshotStatus::Ready).max_by_key(|s| s.created_ms)
    }
}

/// The store key of an application.
pub fn app_key(name: &str) -> String {
    format!("app/{name}")
}
