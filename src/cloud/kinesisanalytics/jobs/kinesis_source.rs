//! The Kinesis source of the built-in jobs, as Flink's Kinesis connector reads: every shard of the
//! input stream, children only after their parents were read to their end, each shard polled at the
//! job's interval through the read limits other readers share, KPL aggregates taken apart. Its
//! positions are part of the job's state, so a job restored from a checkpoint or snapshot reads on
//! from exactly where that state was taken.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::job::JobError;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::stream_source::{SourceStream, readable_shards};
use crate::kpl::deaggregate;

/// As GetRecords allows, and the connector's `SHARD_GETRECORDS_MAX` default: 10,000 records a read.
const MAX_RECORDS: usize = 10_000;
const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Where the source is in each shard: the part of a job's state that belongs to its source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourcePositions {
    /// The creation time of the stream the positions belong to: a stream deleted and created again
    /// under the same name starts over from its first records.
    pub stream_created_ms: Millis,
    /// Shard id → the next position to read and whether the shard was read to its end.
    pub shards: BTreeMap<String, (u64, bool)>,
}

/// One user record as the job sees it (an aggregate's records one by one).
#[derive(Debug, Clone, PartialEq)]
pub struct InputRecord {
    pub shard_id: String,
    pub partition_key: String,
    pub data: Vec<u8>,
    /// The Kinesis record's approximate arrival time.
    pub arrival_ms: Millis,
}

#[derive(Debug, Clone, Default)]
struct Cursor {
    position: u64,
    done: bool,
    /// When the shard may be polled next.
    next_poll_ms: Millis,
    millis_behind: Millis,
}

pub struct KinesisSource {
    stream_arn: String,
    stream_name: String,
    poll_interval_ms: Millis,
    created_ms: Millis,
    cursors: BTreeMap<String, Cursor>,
    /// Reads the shard limits refused, since the source started.
    pub throttled_reads: u64,
}

/// Kinesis's error as a Flink job logs it: the exception's name first, so the dashboards' Logs
/// Insights filters (`ResourceNotFoundException`, `AccessDenied`) find it.
fn job_error(e: &ApiError, what: String) -> JobError {
    JobError(format!("{}: {} ({what})", e.code, e.message))
}

impl KinesisSource {
    /// A source for the stream `stream_name` in the cloud's account and region, polling each shard
    /// every `poll_interval_ms`.
    pub fn new(ctx: &CloudContext, stream_name: &str, poll_interval_ms: Millis) -> Self {
        KinesisSource {
            stream_arn: format!("arn:aws:kinesis:{}:{}:stream/{stream_name}", ctx.config.region, ctx.account_id()),
            stream_name: stream_name.to_string(),
            poll_interval_ms: poll_interval_ms.max(1),
            created_ms: 0,
            cursors: BTreeMap::new(),
            throttled_reads: 0,
        }
    }

    fn describe(&self, ctx: &CloudContext) -> Result<SourceStream, JobError> {
        ctx.stream_reader
            .describe(&self.stream_arn)
            .map_err(|e| job_error(&e, format!("describing the source stream {}", self.stream_name)))
    }

    /// Starts at `positions`, or with none at the tip of every open shard (the connector's LATEST,
    /// fixed now, so a record put after the start is read even if it arrives before the first poll).
    pub fn start(&mut self, ctx: &CloudContext, positions: Option<SourcePositions>) -> Result<(), JobError> {
        let stream = self.describe(ctx)?;
        self.created_ms = stream.created_ms;
        self.cursors.clear();
        match positions.filter(|p| p.stream_created_ms == stream.created_ms) {
            Some(p) => {
                for (id, (position, done)) in p.shards {
                    self.cursors.insert(id, Cursor { position, done, ..Cursor::default() });
                }
            }
            None => {
                for shard in &stream.shards {
                    let cursor = if shard.closed {
                        Cursor { done: true, ..Cursor::default() }
                    } else {
                        let tip = ctx.stream_reader.tip(&self.stream_arn, &shard.shard_id).map_err(|e| {
                            job_error(&e, format!("finding LATEST in shard {} of {}", shard.shard_id, self.stream_name))
                        })?;
                        Cursor { position: tip, ..Cursor::default() }
                    };
                    self.cursors.insert(shard.shard_id.clone(), cursor);
                }
            }
        }
        Ok(())
    }

    /// Reads every shard whose poll is due by `now`; with the stream's limits off, a shard is read
    /// until caught up, else once per poll. A read the limits refuse waits for the next poll.
    pub fn poll(&mut self, ctx: &CloudContext, now: Millis) -> Result<Vec<InputRecord>, JobError> {
        let stream = self.describe(ctx)?;
        if stream.created_ms != self.created_ms {
            // Deleted and created again: the old positions mean nothing in the new stream.
            self.created_ms = stream.created_ms;
            self.cursors.clear();
        }
        let reads = if ctx.limits.enforced(&self.stream_name) { 1 } else { usize::MAX };
        let mut out = Vec::new();
        let readable = readable_shards(&stream, |id| self.cursors.get(id).map(|c| (c.position, c.done)));
        for (shard_id, from) in readable {
            let cursor = self.cursors.entry(shard_id.clone()).or_insert(Cursor { position: from, ..Cursor::default() });
            if cursor.next_poll_ms > now {
                continue;
            }
            cursor.next_poll_ms = now + self.poll_interval_ms;
            for _ in 0..reads {
                let batch = match ctx.stream_reader.read(
                    &self.stream_arn,
                    &shard_id,
                    cursor.position,
                    MAX_RECORDS,
                    MAX_BYTES,
                ) {
                    Ok(b) => b,
                    Err(e) if e.code == "ProvisionedThroughputExceededException" => {
                        self.throttled_reads += 1;
                        break;
                    }
                    Err(e) => return Err(job_error(&e, format!("reading shard {shard_id} of {}", self.stream_name))),
                };
                let full = batch.records.len() >= MAX_RECORDS;
                for r in batch.records {
                    match deaggregate(&r.data) {
                        Some(users) => out.extend(users.into_iter().map(|u| InputRecord {
                            shard_id: shard_id.clone(),
                            partition_key: u.partition_key,
                            data: u.data,
                            arrival_ms: r.arrival_ms,
                        })),
                        None => out.push(InputRecord {
                            shard_id: shard_id.clone(),
                            partition_key: r.partition_key,
                            data: r.data,
                            arrival_ms: r.arrival_ms,
                        }),
                    }
                }
                cursor.position = cursor.position.max(batch.next_position);
                cursor.done = batch.end_of_shard;
                cursor.millis_behind = batch.millis_behind;
                if batch.end_of_shard || !full {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The positions to keep with a checkpoint: everything returned by [`poll`](Self::poll) so far
    /// is before them.
    pub fn positions(&self) -> SourcePositions {
        SourcePositions {
            stream_created_ms: self.created_ms,
            shards: self.cursors.iter().map(|(id, c)| (id.clone(), (c.position, c.done))).collect(),
        }
    }

    /// Per shard still being read: how far its last read was behind the shard's tip.
    pub fn millis_behind_latest(&self) -> BTreeMap<String, Millis> {
        self.cursors.iter().filter(|(_, c)| !c.done).map(|(id, c)| (id.clone(), c.millis_behind)).collect()
    }

    pub fn stream_name(&self) -> &str {
        &self.stream_name
    }
}
