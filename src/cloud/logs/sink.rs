//! The [`LogSink`] other services write through: the same rules as PutLogEvents (lines outside the
//! accepted window are dropped, batches split at AWS's batch limits), without the wire.

use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Weak};

use super::events::{EVENT_OVERHEAD, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, screen};
use super::model::{Event, GroupMeta, StreamMeta};
use super::state::LogState;
use crate::cloud::context::CloudContext;
use crate::cloud::log_sink::{LogLine, LogSink, LogSinkError};

pub struct LogsSink {
    state: Arc<LogState>,
    /// Weak: the context holds this sink, so a strong reference would keep both alive forever.
    ctx: Weak<CloudContext>,
    last_trim: Arc<AtomicI64>,
}

impl LogsSink {
    pub fn new(state: Arc<LogState>, ctx: Weak<CloudContext>, last_trim: Arc<AtomicI64>) -> Self {
        LogsSink { state, ctx, last_trim }
    }

    fn now(&self) -> Result<i64, LogSinkError> {
        let ctx = self.ctx.upgrade().ok_or_else(|| LogSinkError("the local cloud has stopped".into()))?;
        Ok(ctx.clock.now_ms())
    }
}

fn refused(group: &str, stream: &str, e: impl std::fmt::Display) -> LogSinkError {
    LogSinkError(format!("log group {group}, stream {stream}: {e}"))
}

impl LogSink for LogsSink {
    fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), LogSinkError> {
        super::validate::group_name(group, "logGroupName").map_err(|e| refused(group, stream, e))?;
        super::validate::stream_name(stream, "logStreamName").map_err(|e| refused(group, stream, e))?;
        let now = self.now()?;
        let mut groups = self.state.lock();
        if !groups.contains_key(group) {
            let meta =
                GroupMeta { name: group.into(), created_ms: now, retention_days: None, tags: Default::default() };
            self.state.create_group(&mut groups, meta).map_err(|e| refused(group, stream, e))?;
        }
        let Some(g) = groups.get_mut(group) else { return Err(refused(group, stream, "the group vanished")) };
        if !g.streams.contains_key(stream) {
            let meta = StreamMeta { name: stream.into(), created_ms: now };
            self.state.create_stream(g, meta).map_err(|e| refused(group, stream, e))?;
        }
        Ok(())
    }

    fn append(&self, group: &str, stream: &str, lines: Vec<LogLine>) -> Result<(), LogSinkError> {
        let now = self.now()?;
        super::catch_up(&self.state, &self.last_trim, now);
        for batch in batches(lines) {
            let mut groups = self.state.lock();
            let g = groups.get_mut(group).ok_or_else(|| refused(group, stream, "the log group does not exist"))?;
            let events: Vec<(i64, String)> = batch.into_iter().map(|l| (l.timestamp_ms, l.message)).collect();
            let (accepted, _) = screen(g, now, &events).map_err(|e| refused(group, stream, e))?;
            let accepted =
                accepted.into_iter().map(|(ts, message)| (ts, Event { message, ingestion_ms: now })).collect();
            self.state.append(g, stream, accepted).map_err(|e| refused(group, stream, e))?;
        }
        Ok(())
    }
}

/// Splits lines into batches PutLogEvents accepts: sorted, at most 10,000 events, 1 MiB, 24 hours
/// each; an empty message becomes a single space, as AWS refuses empty ones.
fn batches(mut lines: Vec<LogLine>) -> Vec<Vec<LogLine>> {
    lines.sort_by_key(|l| l.timestamp_ms);
    let mut out: Vec<Vec<LogLine>> = Vec::new();
    let mut bytes = 0;
    for mut line in lines {
        if line.message.is_empty() {
            line.message.push(' ');
        }
        let size = line.message.len() + EVENT_OVERHEAD;
        let start_new = match out.last() {
            None => true,
            Some(b) => {
                b.len() >= MAX_BATCH_EVENTS
                    || bytes + size > MAX_BATCH_BYTES
                    || line.timestamp_ms - b[0].timestamp_ms > super::model::DAY_MS
            }
        };
        if start_new {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(b) = out.last_mut() {
            b.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_bytes_and_span() {
        let line = |t: i64, n: usize| LogLine { timestamp_ms: t, message: "x".repeat(n) };
        let many: Vec<_> = (0..25_000).map(|i| line(i, 1)).collect();
        assert_eq!(batches(many).iter().map(Vec::len).collect::<Vec<_>>(), [10_000, 10_000, 5_000]);
        let big: Vec<_> = (0..5).map(|i| line(i, 300_000)).collect();
        assert_eq!(batches(big).iter().map(Vec::len).collect::<Vec<_>>(), [3, 2]);
        let span = vec![line(super::super::model::DAY_MS + 1, 1), line(0, 1), line(0, 0)];
        let b = batches(span);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(b[0][1].message, " ");
    }
}
