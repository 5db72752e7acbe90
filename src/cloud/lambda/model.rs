//! What the local Lambda stores: functions (configuration, code, tags, policy) and event source
//! mappings with their read positions. Plain data, serialized as JSON documents in `lambda.redb`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cloud::clock::Millis;

/// The tag naming the built-in handler a function runs (ignored by AWS).
pub const BUILTIN_TAG: &str = "kinesis-console:builtin";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Function {
    pub name: String,
    pub arn: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    pub description: String,
    pub timeout: u32,
    pub memory_size: u32,
    pub environment: BTreeMap<String, String>,
    pub tracing_mode: String,
    /// `LoggingConfig.LogGroup`; `/aws/lambda/<name>` when unset.
    pub log_group: Option<String>,
    /// The deployment package (a zip), base64 in the document.
    #[serde(with = "b64")]
    pub zip: Vec<u8>,
    pub code_sha256: String,
    pub revision_id: String,
    pub last_modified_ms: Millis,
    /// Until this instant the function is `Pending` (created) or its last update `InProgress`.
    pub ready_at_ms: Millis,
    /// Whether the last change was a creation (Pending) or an update (InProgress).
    pub created_only: bool,
    pub tags: BTreeMap<String, String>,
    pub reserved_concurrency: Option<u32>,
    /// Resource-based policy statements, in the order added.
    pub statements: Vec<serde_json::Value>,
}

impl Function {
    pub fn log_group(&self) -> String {
        self.log_group.clone().unwrap_or_else(|| format!("/aws/lambda/{}", self.name))
    }

    pub fn builtin(&self) -> Option<&str> {
        self.tags.get(BUILTIN_TAG).map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum StartingPosition {
    Latest,
    TrimHorizon,
    AtTimestamp,
}

impl StartingPosition {
    pub fn as_str(self) -> &'static str {
        match self {
            StartingPosition::Latest => "LATEST",
            StartingPosition::TrimHorizon => "TRIM_HORIZON",
            StartingPosition::AtTimestamp => "AT_TIMESTAMP",
        }
    }
}

/// The transition a mapping is in, and since when (ends `transition_ms` later on the cloud clock).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Transition {
    Creating,
    Enabling,
    Disabling,
    Updating,
    Deleting,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Mapping {
    pub uuid: String,
    pub function_arn: String,
    pub event_source_arn: String,
    pub starting_position: StartingPosition,
    pub starting_timestamp_ms: Option<Millis>,
    pub batch_size: u32,
    pub batching_window_s: u32,
    pub parallelization: u32,
    pub max_retries: i64,
    pub max_record_age_s: i64,
    pub bisect: bool,
    pub on_failure: Option<String>,
    pub report_item_failures: bool,
    pub tumbling_window_s: u32,
    pub enabled: bool,
    pub transition: Option<Transition>,
    pub transition_at_ms: Millis,
    pub last_modified_ms: Millis,
    pub last_result: String,
    pub tags: BTreeMap<String, String>,
}

/// Where a mapping stands in one shard: the next log position to read, and whether the shard
/// (closed) has been read to its end.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cursor {
    pub position: u64,
    pub done: bool,
}

/// A mapping's durable read positions, by shard id, with the stream incarnation they belong to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Positions {
    pub stream_created_ms: Millis,
    pub shards: BTreeMap<String, Cursor>,
}

mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        STANDARD.decode(s).map_err(serde::de::Error::custom)
    }
}
