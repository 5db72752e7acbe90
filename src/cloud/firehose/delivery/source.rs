//! Reading a Kinesis source: every shard from its stored position, children only after their parents
//! were read to their end, through the shard read limits other readers share.

use super::super::model::{DeliveryStream, ShardProgress};
use super::work::Work;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::stream_source::readable_shards;
use crate::kpl::deaggregate;

/// As GetRecords allows: up to 10,000 records or 10 MiB per read.
const MAX_RECORDS: usize = 10_000;
const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Reads per shard per second when the stream's limits are on (GetRecords allows 5 per second);
/// with limits off, a shard is read until it is caught up.
const LIMITED_READS: usize = 5;

fn stream_name(arn: &str) -> &str {
    arn.rsplit_once(":stream/").map_or(arn, |(_, n)| n)
}

/// Takes in what every readable shard has, stopping early when a full buffer cannot be written.
/// `flush` writes the buffer (false when S3 refused it).
pub fn read(ctx: &CloudContext, meta: &DeliveryStream, w: &mut Work, now: Millis, flush: &dyn Fn(&mut Work) -> bool) {
    let Some(source) = &meta.source else { return };
    let stream = match ctx.stream_reader.describe(&source.stream_arn) {
        Ok(s) => {
            w.source_error = None;
            s
        }
        Err(e) => {
            if w.source_error.as_deref() != Some(e.message.as_str()) {
                tracing::warn!(delivery_stream = %meta.name, source = %source.stream_arn, error = %e, "cannot read the source stream");
                w.source_error = Some(e.message.clone());
            }
            return;
        }
    };
    let max_reads = if ctx.limits.enforced(stream_name(&source.stream_arn)) { LIMITED_READS } else { usize::MAX };
    for (shard_id, from) in readable_shards(&stream, |id| w.cursors.get(id).map(|c| (c.position, c.done))) {
        w.cursors.entry(shard_id.clone()).or_insert(ShardProgress { position: from, done: false });
        if !read_shard(ctx, meta, w, &shard_id, max_reads, now, flush) {
            return;
        }
    }
}

/// Reads one shard until it is caught up, throttled or out of reads; false when a full buffer
/// could not be written (reading stops until it is).
fn read_shard(
    ctx: &CloudContext,
    meta: &DeliveryStream,
    w: &mut Work,
    shard_id: &str,
    max_reads: usize,
    now: Millis,
    flush: &dyn Fn(&mut Work) -> bool,
) -> bool {
    let Some(source) = &meta.source else { return true };
    let size = meta.destination.size_bytes();
    for _ in 0..max_reads {
        let from = w.cursors.get(shard_id).map_or(0, |c| c.position);
        let batch = match ctx.stream_reader.read(&source.stream_arn, shard_id, from, MAX_RECORDS, MAX_BYTES) {
            Ok(b) => b,
            Err(e) if e.code == "ProvisionedThroughputExceededException" => {
                w.stats.throttled_get_records += 1;
                return true;
            }
            Err(e) => {
                tracing::warn!(delivery_stream = %meta.name, shard = shard_id, error = %e, "reading the source shard failed");
                return true;
            }
        };
        w.stats.millis_behind = Some(w.stats.millis_behind.unwrap_or(0).max(batch.millis_behind));
        let (count, full) = (batch.records.len(), batch.records.len() >= MAX_RECORDS);
        for record in &batch.records {
            w.stats.read_records += 1;
            w.stats.read_bytes += record.data.len() as u64;
            match deaggregate(&record.data) {
                Some(users) => users.iter().for_each(|u| w.buffer.push(&u.data, record.arrival_ms, now)),
                None => w.buffer.push(&record.data, record.arrival_ms, now),
            }
            if let Some(c) = w.cursors.get_mut(shard_id) {
                c.position = record.position + 1;
            }
            if w.buffer.data.len() >= size && !flush(w) {
                return false;
            }
        }
        if let Some(c) = w.cursors.get_mut(shard_id) {
            // Past what retention trimmed, or past the end of what was read.
            c.position = c.position.max(batch.next_position);
            c.done = batch.end_of_shard;
        }
        if batch.end_of_shard || count == 0 || !full {
            return true;
        }
    }
    true
}
