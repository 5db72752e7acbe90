//! Kinesis as a source for other local services (Firehose delivery, event source mappings, Flink
//! sources): the `StreamSource` the context's stream reader hands out. Reads run through the same
//! function as GetRecords, so they meet the same shard read limits and count in the same metrics.

use std::sync::{Arc, Weak};
use std::time::Instant;

use super::keys::shard_id;
use super::model::Status;
use super::reading::{ShardAt, read_shard};
use super::state::{State, Stream};
use super::validate::{invalid, not_found};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::stream_source::{SourceBatch, SourceRecord, SourceShard, SourceStream, StreamSource};

pub struct Source {
    state: Arc<State>,
    /// Weak: the context owns the stream reader that holds this source.
    ctx: Weak<CloudContext>,
}

impl Source {
    pub fn new(state: Arc<State>, ctx: Weak<CloudContext>) -> Self {
        Source { state, ctx }
    }

    fn ctx(&self) -> Result<Arc<CloudContext>, ApiError> {
        self.ctx.upgrade().ok_or_else(|| ApiError::internal("the local cloud is shutting down"))
    }

    /// The stream an ARN names, with any due status transition applied first (as a wire call
    /// catches up); the ARN must be the stream's own, region included. Retention needs no catching
    /// up here: reads start no earlier than the retention horizon of the moment.
    fn stream(&self, stream_arn: &str, now: i64) -> Result<Arc<Stream>, ApiError> {
        if self.state.is_closed() {
            return Err(ApiError::internal("the local Kinesis is shutting down"));
        }
        let name = super::keys::stream_name_from_arn(stream_arn)
            .ok_or_else(|| invalid(format!("Invalid StreamARN {stream_arn}.")))?;
        let stream = self.state.get(name, now)?;
        if stream.read().meta.arn() != stream_arn {
            return Err(not_found(name));
        }
        Ok(stream)
    }
}

impl StreamSource for Source {
    fn describe(&self, stream_arn: &str) -> Result<SourceStream, ApiError> {
        let now = self.ctx()?.clock.now_ms();
        let stream = self.stream(stream_arn, now)?;
        let inner = stream.read();
        let m = &inner.meta;
        if !matches!(m.status, Status::Active | Status::Updating) {
            return Err(not_found(&m.name));
        }
        let shards = m
            .shards
            .iter()
            .filter(|s| !s.gone)
            .map(|s| SourceShard {
                shard_id: s.id(),
                parent: s.parent.map(shard_id),
                adjacent_parent: s.adjacent_parent.map(shard_id),
                closed: s.closed.is_some(),
            })
            .collect();
        Ok(SourceStream { name: m.name.clone(), arn: m.arn(), created_ms: m.created_ms, shards })
    }

    fn tip(&self, stream_arn: &str, shard: &str) -> Result<u64, ApiError> {
        let now = self.ctx()?.clock.now_ms();
        let stream = self.stream(stream_arn, now)?;
        let inner = stream.read();
        let (_, rt) = inner.shard_by_id(shard)?;
        Ok(rt.log.next_seq())
    }

    fn read(
        &self,
        stream_arn: &str,
        shard: &str,
        from: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<SourceBatch, ApiError> {
        let started = Instant::now();
        let ctx = self.ctx()?;
        let now = ctx.clock.now_ms();
        let stream = self.stream(stream_arn, now)?;
        let inner = stream.read();
        let m = &inner.meta;
        let (meta, rt) = inner.shard_by_id(shard)?;
        let tip = rt.log.next_seq();
        if from > tip {
            return Err(invalid(format!(
                "Position {from} is past the end ({tip}) of shard {shard} in stream {}.",
                m.name
            )));
        }
        let max_records = max_records.clamp(1, super::reading::MAX_GET_RECORDS);
        let max_bytes = max_bytes.clamp(1, super::reading::MAX_GET_BYTES);
        let at = ShardAt { meta: m, shard: meta, rt };
        let read = read_shard(&ctx, &stream, at, from, max_records, max_bytes, now, started)?;
        let records = read
            .records
            .into_iter()
            .map(|r| SourceRecord {
                position: r.seq,
                sequence_number: m.seq(meta, r.seq).to_string(),
                partition_key: r.partition_key,
                data: r.data.to_vec(),
                arrival_ms: r.arrival_ms,
            })
            .collect();
        Ok(SourceBatch {
            records,
            next_position: read.next_position,
            millis_behind: read.millis_behind,
            end_of_shard: read.end_of_shard,
        })
    }
}
