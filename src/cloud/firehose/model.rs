//! What a delivery stream is, as stored: its configuration, status and version, and the delivery
//! progress that makes delivery resume where it stopped.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::format::compression::Compression;
use crate::cloud::clock::Millis;

/// The destination id AWS gives the one destination of a delivery stream.
pub const DESTINATION_ID: &str = "destinationId-000000000001";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamType {
    DirectPut,
    KinesisStreamAsSource,
}

impl StreamType {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamType::DirectPut => "DirectPut",
            StreamType::KinesisStreamAsSource => "KinesisStreamAsSource",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Creating,
    CreatingFailed,
    Active,
    Deleting,
    DeletingFailed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "CREATING",
            Status::CreatingFailed => "CREATING_FAILED",
            Status::Active => "ACTIVE",
            Status::Deleting => "DELETING",
            Status::DeletingFailed => "DELETING_FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// One of the service model's `DeliveryStreamFailureType` values.
    pub kind: String,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KinesisSource {
    pub stream_arn: String,
    pub role_arn: String,
    /// When reading starts: the moment the delivery stream was created (LATEST is fixed then).
    pub start_ms: Millis,
}

/// An S3 destination (the plain S3DestinationConfiguration is stored as the extended one, as AWS
/// maps it), or the backup destination of one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Destination {
    pub role_arn: String,
    pub bucket_arn: String,
    pub prefix: Option<String>,
    pub error_output_prefix: Option<String>,
    pub size_mb: u32,
    pub interval_s: u32,
    pub compression: Compression,
    pub file_extension: Option<String>,
    pub custom_time_zone: Option<String>,
    /// EncryptionConfiguration and CloudWatchLoggingOptions as given (echoed by Describe).
    pub encryption: Value,
    pub logging: Option<Value>,
    pub processing: Option<Value>,
    /// `Enabled` copies the source records to `backup`.
    pub backup_mode: String,
    pub backup: Option<Box<S3Destination>>,
}

impl S3Destination {
    /// The bucket name of `arn:aws:s3:::name`.
    pub fn bucket(&self) -> &str {
        self.bucket_arn.rsplit(':').next().unwrap_or_default()
    }

    pub fn time_zone(&self) -> &str {
        self.custom_time_zone.as_deref().unwrap_or("UTC")
    }

    pub fn extension(&self) -> &str {
        self.file_extension.as_deref().unwrap_or(self.compression.extension())
    }

    pub fn size_bytes(&self) -> usize {
        self.size_mb as usize * 1024 * 1024
    }

    pub fn backup_enabled(&self) -> bool {
        self.backup_mode == "Enabled" && self.backup.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryStream {
    pub name: String,
    pub arn: String,
    pub kind: StreamType,
    pub status: Status,
    pub failure: Option<Failure>,
    pub version: u64,
    pub created_ms: Millis,
    pub updated_ms: Millis,
    /// When CREATING or DELETING ends, on the cloud clock.
    pub transition_at_ms: Option<Millis>,
    pub source: Option<KinesisSource>,
    pub destination: S3Destination,
    pub tags: BTreeMap<String, String>,
}

pub fn stream_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:firehose:{region}:{account}:deliverystream/{name}")
}

/// Where a shard's reading stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ShardProgress {
    /// The next position to read.
    pub position: u64,
    /// Read to its end (a closed shard): its children may be read.
    pub done: bool,
}

/// Delivery progress, committed after each object is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Progress {
    /// The source stream's creation time when positions were taken (a stream created again under
    /// the same name is another stream).
    pub source_created_ms: Millis,
    pub shards: BTreeMap<String, ShardProgress>,
    /// DirectPut: every journalled record below this sequence is delivered.
    pub journal_delivered: u64,
    /// Objects written whose positions were not committed before a crash: their records were
    /// delivered again.
    pub duplicate_objects: u64,
    pub duplicate_records: u64,
}

/// An object about to be written, recorded before writing it: found at start with the object
/// present, it means the object's records are delivered a second time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    pub bucket: String,
    pub key: String,
    pub records: u64,
}

pub fn meta_key(name: &str) -> String {
    format!("d/{name}")
}

pub fn progress_key(name: &str) -> String {
    format!("p/{name}")
}

pub fn intent_key(name: &str) -> String {
    format!("i/{name}")
}

/// A journalled DirectPut record; zero-padded so keys sort by sequence.
pub fn journal_key(name: &str, seq: u64) -> String {
    format!("j/{name}/{seq:020}")
}
