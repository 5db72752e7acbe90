//! How local services read a Kinesis stream (Firehose delivery, event source mappings, Flink sources)
//! without going through the wire: a narrow handle Kinesis installs on the context when it is built.
//! Reads go through the same per-shard read limits as GetRecords, and count in the stream's metrics.

use std::sync::{Arc, OnceLock};

use super::clock::Millis;
use super::error::ApiError;

/// A stream as a reader needs it: its shards with their lineage.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStream {
    pub name: String,
    pub arn: String,
    /// Creation time; a stream deleted and created again under the same name has another one, so a
    /// reader's stored positions are known to belong to a stream that no longer exists.
    pub created_ms: Millis,
    /// Every shard still within retention, open and closed, in shard id order.
    pub shards: Vec<SourceShard>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceShard {
    pub shard_id: String,
    /// The shard it was split from, or the first of the two it was merged from.
    pub parent: Option<String>,
    /// The second parent of a merge.
    pub adjacent_parent: Option<String>,
    /// Closed by a split or merge: it takes no more records, and a reader that has read all of it
    /// moves on to its children.
    pub closed: bool,
}

/// One record as stored, with its position in the shard.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Position in the shard's log; the next read after this record starts at `position + 1`.
    pub position: u64,
    /// The record's sequence number as GetRecords shows it.
    pub sequence_number: String,
    pub partition_key: String,
    pub data: Vec<u8>,
    pub arrival_ms: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceBatch {
    pub records: Vec<SourceRecord>,
    /// Where the next read starts (after the last record, or where this read started when it found none;
    /// past records retention trimmed away when the requested position had fallen off).
    pub next_position: u64,
    /// As GetRecords' MillisBehindLatest: how far the last record read is behind the shard's tip.
    pub millis_behind: Millis,
    /// The shard is closed and this read reached its end: continue with its children.
    pub end_of_shard: bool,
}

/// What Kinesis offers other services. Errors are Kinesis's own: `ResourceNotFoundException` for a
/// stream or shard that does not exist, `ProvisionedThroughputExceededException` when the shard's
/// read limits refuse the read (the reader backs off and counts a throttle).
pub trait StreamSource: Send + Sync {
    /// The stream named by `stream_arn`, ACTIVE or UPDATING.
    fn describe(&self, stream_arn: &str) -> Result<SourceStream, ApiError>;

    /// The position LATEST means on this shard now: the next record appended will be at it.
    fn tip(&self, stream_arn: &str, shard_id: &str) -> Result<u64, ApiError>;

    /// Up to `max_records` records (and at most about `max_bytes`) from `from`, charged to the shard's
    /// read limits like one GetRecords call.
    fn read(
        &self,
        stream_arn: &str,
        shard_id: &str,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<SourceBatch, ApiError>;
}

/// Which shards of `stream` a reader may read now, with the position to read from: those it has a
/// position in that it has not read to their end, and new ones whose every parent it has read to its
/// end (a parent it never knew and the stream no longer lists fell out of retention first) from their
/// start. `cursor` gives the reader's position in a shard and whether it read the shard to its end.
pub fn readable_shards(stream: &SourceStream, cursor: impl Fn(&str) -> Option<(u64, bool)>) -> Vec<(String, u64)> {
    let finished = |id: &String| cursor(id).map_or_else(|| !stream.shards.iter().any(|s| &s.shard_id == id), |c| c.1);
    stream
        .shards
        .iter()
        .filter_map(|s| match cursor(&s.shard_id) {
            Some((_, true)) => None,
            Some((position, false)) => Some((s.shard_id.clone(), position)),
            None => {
                [&s.parent, &s.adjacent_parent].into_iter().flatten().all(finished).then(|| (s.shard_id.clone(), 0))
            }
        })
        .collect()
}

/// The handle services hold: the source Kinesis installs, or a clear error before it is.
#[derive(Default)]
pub struct StreamReader {
    source: OnceLock<Arc<dyn StreamSource>>,
}

impl StreamReader {
    pub fn install(&self, source: Arc<dyn StreamSource>) {
        let _ = self.source.set(source);
    }

    fn get(&self) -> Result<&Arc<dyn StreamSource>, ApiError> {
        self.source.get().ok_or_else(|| ApiError::internal("the local Kinesis is not running"))
    }

    pub fn describe(&self, stream_arn: &str) -> Result<SourceStream, ApiError> {
        self.get()?.describe(stream_arn)
    }

    pub fn tip(&self, stream_arn: &str, shard_id: &str) -> Result<u64, ApiError> {
        self.get()?.tip(stream_arn, shard_id)
    }

    /// Blocking only briefly (an in-memory index and page-cache reads); fine on an async task for
    /// small batches, use a blocking task for large ones.
    pub fn read(
        &self,
        stream_arn: &str,
        shard_id: &str,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<SourceBatch, ApiError> {
        self.get()?.read(stream_arn, shard_id, from, max_records, max_bytes)
    }

    pub fn is_installed(&self) -> bool {
        self.source.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn shard(id: &str, parent: Option<&str>, adjacent: Option<&str>) -> SourceShard {
        SourceShard {
            shard_id: id.into(),
            parent: parent.map(Into::into),
            adjacent_parent: adjacent.map(Into::into),
            closed: false,
        }
    }

    #[test]
    fn a_child_is_read_only_after_every_parent_reached_its_end() {
        let stream = SourceStream {
            name: "s".into(),
            arn: "arn".into(),
            created_ms: 0,
            shards: vec![
                shard("0", None, None),
                shard("1", None, None),
                shard("2", Some("0"), Some("1")),
                shard("3", Some("gone"), None),
            ],
        };
        let mut cursors: BTreeMap<&str, (u64, bool)> = BTreeMap::new();
        cursors.insert("0", (7, true));
        cursors.insert("1", (3, false));
        let readable = |c: &BTreeMap<&str, (u64, bool)>| readable_shards(&stream, |id| c.get(id).copied());
        assert_eq!(
            readable(&cursors),
            vec![("1".to_string(), 3), ("3".to_string(), 0)],
            "0 is done, 2 waits for parent 1, and 3's parent fell out of retention so counts as read"
        );
        cursors.insert("1", (9, true));
        assert_eq!(readable(&cursors), vec![("2".to_string(), 0), ("3".to_string(), 0)]);
    }
}
