//! The row-format file sink of pattern 2's job, exactly once as Flink's `FileSink` is: lines go to
//! in-progress part files, one per hourly bucket (`DateTimeBucketAssigner`'s default
//! `yyyy-MM-dd--HH`, UTC as on Managed Flink, by the processing time a line reaches the sink); a
//! checkpoint rolls them into pending files it records; once that checkpoint is durable
//! ([`PartFiles::committed`]) they are written to S3 under `<bucket>/part-<uid>-<n>`, the names
//! `FileSink` gives (`uid` is drawn per run, as Flink draws it per subtask start).
//!
//! | part file | where it lives | visible in S3 |
//! |---|---|---|
//! | in progress | the job's memory | no; lost with a crash, re-made from the replayed input |
//! | pending | the checkpoint's state | once the checkpoint is durable; rewritten from a restored state, same key and bytes |
//! | committed | S3 | yes |
//!
//! Every pending file keeps its full key and body in the state, so rewriting one after a crash
//! between a checkpoint and its commit writes the same object again: nothing is lost or doubled.
//! The files are rolled on every checkpoint (`OnCheckpointRollingPolicy`), so what a checkpoint
//! commits is exactly what came before it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cloud::clock::Millis;
use crate::cloud::object_sink::ObjectWriter;

const CONTENT_TYPE: &str = "application/octet-stream";
const HOUR_MS: Millis = 3_600_000;

/// A part file closed by a checkpoint, to be written once that checkpoint is durable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartFile {
    pub key: String,
    pub body: String,
}

/// The sink's part of a job's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SinkState {
    /// The next part file's number.
    pub counter: u64,
    /// Files the state's checkpoint commits, not known to be written yet.
    pub pending: Vec<PartFile>,
}

pub struct PartFiles {
    bucket: String,
    uid: String,
    counter: u64,
    /// In-progress files by bucket folder.
    open: BTreeMap<String, String>,
    /// Rolled by the last state handed out; written once that state is durable.
    sealed: Vec<PartFile>,
    /// Durable, not yet written (a write failed): retried on every flush.
    ready: Vec<PartFile>,
    /// The folder of the hour last written to, so a line does not format a date.
    hour: (Millis, String),
    /// Lines committed to S3 since the sink started.
    pub lines_committed: u64,
    /// The last write that failed, until a flush writes everything.
    pub failure: Option<String>,
}

/// The bucket folder of `ms`: `yyyy-MM-dd--HH` in UTC.
pub fn folder(ms: Millis) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]--[hour]");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| "out-of-range".to_string())
}

impl PartFiles {
    /// A sink into `bucket` whose files are named `part-<uid>-<n>`, numbered on from `state`'s
    /// counter; `state`'s pending files are ready to be written again.
    pub fn new(bucket: &str, uid: &str, state: SinkState) -> PartFiles {
        PartFiles {
            bucket: bucket.to_string(),
            uid: uid.to_string(),
            counter: state.counter,
            open: BTreeMap::new(),
            sealed: Vec::new(),
            ready: state.pending,
            hour: (Millis::MIN, String::new()),
            lines_committed: 0,
            failure: None,
        }
    }

    /// Appends `line` to the in-progress file of the hour of `now`.
    pub fn write(&mut self, now: Millis, line: &str) {
        let hour = now.div_euclid(HOUR_MS);
        if self.hour.0 != hour {
            self.hour = (hour, folder(now));
        }
        let body = match self.open.get_mut(&self.hour.1) {
            Some(b) => b,
            None => self.open.entry(self.hour.1.clone()).or_default(),
        };
        body.push_str(line);
        body.push('\n');
    }

    /// Rolls the in-progress files into pending ones; the sink's state for a checkpoint (every
    /// file not yet written, the ones of earlier states whose checkpoint failed too).
    pub fn seal(&mut self) -> SinkState {
        for (folder, body) in std::mem::take(&mut self.open) {
            let key = format!("{folder}/part-{}-{}", self.uid, self.counter);
            self.counter += 1;
            self.sealed.push(PartFile { key, body });
        }
        SinkState { counter: self.counter, pending: self.ready.iter().chain(&self.sealed).cloned().collect() }
    }

    /// The state last sealed is durable: its files are written.
    pub fn committed(&mut self, writer: &ObjectWriter) {
        self.ready.append(&mut self.sealed);
        self.flush(writer);
    }

    /// Writes the durable files not yet written, in order; one that fails stops the flush and stays,
    /// with the reason in [`failure`](Self::failure).
    pub fn flush(&mut self, writer: &ObjectWriter) {
        let mut written = 0;
        self.failure = None;
        for file in &self.ready {
            if let Err(e) = writer.put_object(&self.bucket, &file.key, file.body.as_bytes(), CONTENT_TYPE) {
                self.failure =
                    Some(format!("{}: {} (committing part file s3://{}/{})", e.code, e.message, self.bucket, file.key));
                break;
            }
            self.lines_committed += file.body.bytes().filter(|&b| b == b'\n').count() as u64;
            written += 1;
        }
        self.ready.drain(..written);
    }

    /// Durable files still to write.
    pub fn unwritten(&self) -> usize {
        self.ready.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::cloud::error::ApiError;
    use crate::cloud::object_sink::ObjectSink;

    #[derive(Default)]
    struct Memory {
        objects: Mutex<BTreeMap<String, Vec<u8>>>,
        puts: Mutex<u32>,
        failing: Mutex<bool>,
    }

    impl ObjectSink for Memory {
        fn put_object(&self, bucket: &str, key: &str, bytes: &[u8], _: &str) -> Result<String, ApiError> {
            if *self.failing.lock().unwrap() {
                return Err(ApiError::internal("disk full"));
            }
            *self.puts.lock().unwrap() += 1;
            self.objects.lock().unwrap().insert(format!("{bucket}/{key}"), bytes.to_vec());
            Ok("etag".into())
        }

        fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, ApiError> {
            Ok(self.objects.lock().unwrap().contains_key(&format!("{bucket}/{key}")))
        }
    }

    fn writer() -> (ObjectWriter, Arc<Memory>) {
        let memory = Arc::new(Memory::default());
        let writer = ObjectWriter::default();
        writer.install(memory.clone());
        (writer, memory)
    }

    // 2026-11-30T10:59:59Z and a second later.
    const BEFORE_HOUR: Millis = 1_796_036_399_000;
    const AFTER_HOUR: Millis = BEFORE_HOUR + 1_000;

    #[test]
    fn lines_land_in_hourly_folders_only_once_their_checkpoint_is_committed() {
        let (writer, memory) = writer();
        let mut sink = PartFiles::new("out", "u1", SinkState::default());
        sink.write(BEFORE_HOUR, "AAPL:  max - 1.0");
        sink.write(AFTER_HOUR, "AAPL:  max - 2.0");
        sink.write(AFTER_HOUR, "TBV:  max - 3.5");
        let state = sink.seal();
        assert_eq!(
            state.pending.iter().map(|f| f.key.as_str()).collect::<Vec<_>>(),
            ["2026-11-30--10/part-u1-0", "2026-11-30--11/part-u1-1"]
        );
        assert!(memory.objects.lock().unwrap().is_empty(), "nothing visible before the commit");
        sink.committed(&writer);
        let objects = memory.objects.lock().unwrap().clone();
        assert_eq!(objects["out/2026-11-30--11/part-u1-1"], b"AAPL:  max - 2.0\nTBV:  max - 3.5\n");
        assert_eq!(sink.lines_committed, 3);
        assert_eq!(sink.seal(), SinkState { counter: 2, pending: vec![] }, "nothing left to commit");
    }

    #[test]
    fn a_failed_write_is_retried_and_a_restored_state_rewrites_the_same_objects() {
        let (writer, memory) = writer();
        let mut sink = PartFiles::new("out", "u1", SinkState::default());
        sink.write(BEFORE_HOUR, "A:  max - 1.0");
        let state = sink.seal();
        *memory.failing.lock().unwrap() = true;
        sink.committed(&writer);
        assert!(sink.failure.as_deref().unwrap().contains("s3://out/2026-11-30--10/part-u1-0"));
        assert_eq!(sink.seal().pending, state.pending, "an unwritten file stays in the next state");
        *memory.failing.lock().unwrap() = false;
        sink.flush(&writer);
        assert_eq!((sink.failure.clone(), sink.unwritten()), (None, 0));

        // A crash after the checkpoint, before anything knew it was written: the restored sink
        // writes the same key with the same bytes, and numbers on from the state's counter.
        let mut restored = PartFiles::new("out", "u2", state.clone());
        restored.flush(&writer);
        let objects = memory.objects.lock().unwrap().clone();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects["out/2026-11-30--10/part-u1-0"], b"A:  max - 1.0\n");
        restored.write(AFTER_HOUR, "B:  max - 2.0");
        assert_eq!(restored.seal().pending[0].key, "2026-11-30--11/part-u2-1");
    }
}
