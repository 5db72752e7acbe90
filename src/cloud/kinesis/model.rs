//! Stream and shard metadata as stored in redb and rendered in the API's shapes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::keys::{self, SeqNo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Creating,
    Deleting,
    Active,
    Updating,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "CREATING",
            Status::Deleting => "DELETING",
            Status::Active => "ACTIVE",
            Status::Updating => "UPDATING",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    #[serde(rename = "PROVISIONED")]
    Provisioned,
    #[serde(rename = "ON_DEMAND")]
    OnDemand,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Provisioned => "PROVISIONED",
            Mode::OnDemand => "ON_DEMAND",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardMeta {
    /// Position in the stream's shard list; part of the shard id and of its sequence numbers.
    pub index: u32,
    pub parent: Option<u32>,
    pub adjacent_parent: Option<u32>,
    pub start_hash: u128,
    pub end_hash: u128,
    pub created_ms: i64,
    /// Log sequence of the shard's first record.
    pub first_log_seq: u64,
    /// Set when the shard is closed: its last log sequence (or `first_log_seq` when it held nothing).
    pub closed: Option<ClosedShard>,
    /// A closed shard whose retention has ended: no longer listed, its records deleted.
    #[serde(default)]
    pub gone: bool,
    /// The shards this one replaced: one after a split, two after a merge.
    #[serde(default)]
    pub parents: Vec<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct ClosedShard {
    pub at_ms: i64,
    pub last_log_seq: u64,
}

impl ShardMeta {
    pub fn id(&self) -> String {
        keys::shard_id(self.index)
    }

    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    pub fn contains(&self, hash: u128) -> bool {
        self.start_hash <= hash && hash <= self.end_hash
    }
}

/// The most records and bytes accepted in one second during one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPeak {
    pub day: i64,
    pub records: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsumerMeta {
    pub name: String,
    pub created_ms: i64,
    pub status: Status,
    pub transition_at_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamMeta {
    pub name: String,
    pub region: String,
    pub created_ms: i64,
    pub status: Status,
    /// When the current CREATING/UPDATING/DELETING state ends.
    pub transition_at_ms: Option<i64>,
    /// The children of a reshard still UPDATING: listed, and their parents closed, when it ends.
    #[serde(default)]
    pub pending_shards: Vec<ShardMeta>,
    pub mode: Mode,
    pub mode_changed_ms: Option<i64>,
    pub retention_hours: u32,
    pub shards: Vec<ShardMeta>,
    pub enhanced_metrics: Vec<String>,
    pub encryption_key: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub consumers: Vec<ConsumerMeta>,
    /// The busiest second of each recent day, which sizes an on-demand stream.
    #[serde(default)]
    pub write_peaks: Vec<DayPeak>,
    /// The largest record (data plus partition key) the stream takes, in KiB: CreateStream's or
    /// UpdateMaxRecordSize's `MaxRecordSizeInKiB`. Metadata written before the setting existed reads
    /// as AWS's default, 1 MiB.
    #[serde(default = "default_max_record_kib")]
    pub max_record_kib: u32,
}

/// AWS's default record size limit, for new streams and for those stored without the setting.
pub const DEFAULT_MAX_RECORD_KIB: u32 = 1024;
/// The largest `MaxRecordSizeInKiB` the API model allows (10 MiB).
pub const MAX_RECORD_KIB: u32 = 10 * 1024;
/// What one shard takes in writes per second, in MiB: an on-demand stream's warm throughput is its
/// open shards' sum.
const SHARD_WRITE_MIBPS: usize = 1;

fn default_max_record_kib() -> u32 {
    DEFAULT_MAX_RECORD_KIB
}

pub fn epoch_seconds(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

impl StreamMeta {
    pub fn arn(&self) -> String {
        keys::stream_arn(&self.region, &self.name)
    }

    pub fn open_shards(&self) -> impl Iterator<Item = &ShardMeta> {
        self.shards.iter().filter(|s| s.is_open())
    }

    pub fn open_shard_count(&self) -> usize {
        self.open_shards().count()
    }

    /// The existing shards the pending children replace, each once.
    pub fn pending_parent_indexes(&self) -> Vec<u32> {
        let base = self.shards.len() as u32;
        let mut out: Vec<u32> =
            self.pending_shards.iter().flat_map(|c| c.parents.iter().copied()).filter(|p| *p < base).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The open shards of the stream now, or once its pending reshard took effect, whichever is more: what
    /// the account's shard quota counts while the stream is UPDATING.
    pub fn shards_held(&self) -> usize {
        let open = self.open_shard_count();
        let added = self.pending_shards.iter().filter(|c| c.is_open()).count();
        open.max((open + added).saturating_sub(self.pending_parent_indexes().len()))
    }

    pub fn seq(&self, shard: &ShardMeta, log_seq: u64) -> SeqNo {
        SeqNo { stream_ms: self.created_ms, shard: shard.index, shard_ms: shard.created_ms, log_seq }
    }

    /// The sequence number at `log_seq` in the shard with this index.
    pub fn seq_at(&self, index: u32, log_seq: u64) -> SeqNo {
        let shard_ms = self.shards.get(index as usize).map_or(self.created_ms, |s| s.created_ms);
        SeqNo { stream_ms: self.created_ms, shard: index, shard_ms, log_seq }
    }

    pub fn retention_ms(&self) -> i64 {
        self.retention_hours as i64 * 3_600_000
    }

    pub fn mode_details(&self) -> Value {
        json!({ "StreamMode": self.mode.as_str() })
    }

    pub fn encryption(&self, out: &mut serde_json::Map<String, Value>) {
        match &self.encryption_key {
            Some(key) => {
                out.insert("EncryptionType".into(), json!("KMS"));
                out.insert("KeyId".into(), json!(key));
            }
            None => {
                out.insert("EncryptionType".into(), json!("NONE"));
            }
        }
    }

    /// The largest record the stream takes, in bytes (data plus partition key).
    pub fn max_record_bytes(&self) -> usize {
        self.max_record_kib as usize * 1024
    }

    /// DescribeStreamSummary's members beyond the common description: the record size limit, and for
    /// an on-demand stream its warm throughput (the write capacity its open shards have now; the
    /// account has no MinimumThroughputBillingCommitment, so nothing is warmed beyond it) and its
    /// record distribution strategy (always AWS's default, routing by partition key).
    pub fn summary_limits(&self, out: &mut serde_json::Map<String, Value>) {
        out.insert("MaxRecordSizeInKiB".into(), json!(self.max_record_kib));
        if self.mode == Mode::OnDemand {
            let current = self.open_shard_count() * SHARD_WRITE_MIBPS;
            out.insert("WarmThroughput".into(), json!({ "CurrentMiBps": current }));
            out.insert("RecordDistributionStrategy".into(), json!("USER_PARTITION_KEY"));
        }
    }

    pub fn enhanced_monitoring(&self) -> Value {
        json!([{ "ShardLevelMetrics": self.enhanced_metrics }])
    }

    pub fn shard_json(&self, shard: &ShardMeta) -> Value {
        let mut range = json!({ "StartingSequenceNumber": self.seq(shard, shard.first_log_seq).to_string() });
        if let Some(closed) = shard.closed {
            range["EndingSequenceNumber"] = json!(self.seq(shard, closed.last_log_seq).to_string());
        }
        let mut v = json!({
            "ShardId": shard.id(),
            "HashKeyRange": { "StartingHashKey": shard.start_hash.to_string(), "EndingHashKey": shard.end_hash.to_string() },
            "SequenceNumberRange": range,
        });
        if let Some(p) = shard.parent {
            v["ParentShardId"] = json!(keys::shard_id(p));
        }
        if let Some(p) = shard.adjacent_parent {
            v["AdjacentParentShardId"] = json!(keys::shard_id(p));
        }
        v
    }

    pub fn child_shards_of(&self, index: u32) -> Vec<Value> {
        self.shards
            .iter()
            .filter(|s| s.parents.contains(&index))
            .map(|s| {
                let parents: Vec<String> = s.parents.iter().map(|p| keys::shard_id(*p)).collect();
                json!({
                    "ShardId": s.id(),
                    "ParentShards": parents,
                    "HashKeyRange": { "StartingHashKey": s.start_hash.to_string(), "EndingHashKey": s.end_hash.to_string() },
                })
            })
            .collect()
    }

    pub fn summary_json(&self) -> Value {
        json!({
            "StreamName": self.name,
            "StreamARN": self.arn(),
            "StreamStatus": self.status.as_str(),
            "StreamModeDetails": self.mode_details(),
            "StreamCreationTimestamp": epoch_seconds(self.created_ms),
        })
    }

    pub fn shard_by_id(&self, id: &str) -> Option<&ShardMeta> {
        let index = keys::parse_shard_id(id)?;
        self.shards.get(index as usize).filter(|s| s.index == index)
    }

    pub fn active_consumers(&self) -> usize {
        self.consumers.iter().filter(|c| c.status != Status::Deleting).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metadata as stored before streams had a record size limit.
    fn stored_without_limits() -> Value {
        json!({
            "name": "old", "region": "us-east-1", "created_ms": 1, "status": "ACTIVE", "transition_at_ms": null,
            "mode": "ON_DEMAND", "mode_changed_ms": null, "retention_hours": 24, "shards": [],
            "enhanced_metrics": [], "encryption_key": null, "tags": {}, "consumers": []
        })
    }

    #[test]
    fn metadata_stored_before_the_record_size_limit_reads_as_one_mebibyte() {
        let meta: StreamMeta = serde_json::from_value(stored_without_limits()).unwrap();
        assert_eq!(meta.max_record_kib, DEFAULT_MAX_RECORD_KIB);
        assert_eq!(meta.max_record_bytes(), 1024 * 1024);
        let mut summary = serde_json::Map::new();
        meta.summary_limits(&mut summary);
        assert_eq!(summary["MaxRecordSizeInKiB"], 1024);
        assert_eq!(summary["WarmThroughput"], json!({ "CurrentMiBps": 0 }), "no open shards, no throughput");
    }
}
