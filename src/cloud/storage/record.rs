//! What callers hand the shard log and what they get back; below both the log and its writer.

use bytes::Bytes;

pub struct NewRecord {
    pub partition_key: String,
    pub data: Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
    pub seq: u64,
    pub arrival_ms: i64,
    pub partition_key: String,
    pub data: Bytes,
}
