//! The AWS/Kinesis metrics: stream-level ones always, per-consumer ones for enhanced fan-out, shard-level
//! ones for the metrics enhanced monitoring enabled, published each second into the local CloudWatch.

use std::sync::Arc;

use crate::cloud::context::CloudContext;
use crate::cloud::metric_sink::{Datum, Sample};

use super::keys::shard_id;
use super::state::{State, Stream};
use super::stats::{CallStats, ConsumerStats, Stats};

pub const NAMESPACE: &str = "AWS/Kinesis";

fn stats_of(values: &[f64]) -> Option<Sample> {
    if values.is_empty() {
        return None;
    }
    let sum = values.iter().sum();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Sample::Stats { count: values.len() as f64, sum, min, max })
}

/// A success metric: one sample per call, 1 for success and 0 for failure.
fn success(c: &CallStats) -> Option<Sample> {
    let min = if c.success < c.calls { 0.0 } else { 1.0 };
    let max = if c.success > 0 { 1.0 } else { 0.0 };
    (c.calls > 0).then_some(Sample::Stats { count: c.calls as f64, sum: c.success as f64, min, max })
}

struct Out<'a> {
    datums: Vec<Datum>,
    dims: &'a [(String, String)],
    ts: i64,
}

impl Out<'_> {
    fn add(&mut self, name: &str, unit: &str, sample: Option<Sample>) {
        if let Some(sample) = sample {
            self.datums.push(Datum {
                namespace: NAMESPACE.into(),
                name: name.into(),
                dimensions: self.dims.to_vec(),
                unit: unit.into(),
                timestamp_ms: self.ts,
                sample,
            });
        }
    }

    fn count(&mut self, name: &str, unit: &str, v: u64) {
        self.add(name, unit, Some(Sample::Value(v as f64)));
    }
}

fn stream_datums(out: &mut Out, s: &Stats, incoming: &Stats) {
    out.count("IncomingBytes", "Bytes", incoming.incoming_bytes);
    out.count("IncomingRecords", "Count", incoming.incoming_records);
    if s.put_record.calls > 0 {
        out.add("PutRecord.Bytes", "Bytes", stats_of(&s.put_record.bytes));
        out.add("PutRecord.Latency", "Milliseconds", stats_of(&s.put_record.latency_ms));
        out.add("PutRecord.Success", "Count", success(&s.put_record));
    }
    if s.put_records.calls > 0 {
        out.add("PutRecords.Bytes", "Bytes", stats_of(&s.put_records.bytes));
        out.add("PutRecords.Latency", "Milliseconds", stats_of(&s.put_records.latency_ms));
        out.add("PutRecords.Success", "Count", success(&s.put_records));
        out.count("PutRecords.TotalRecords", "Count", s.put_records_total);
        out.count("PutRecords.SuccessfulRecords", "Count", s.put_records_successful);
        out.count("PutRecords.FailedRecords", "Count", s.put_records_failed);
        out.count("PutRecords.ThrottledRecords", "Count", s.put_records_throttled);
    }
    if s.get_records.calls > 0 {
        out.add("GetRecords.Bytes", "Bytes", stats_of(&s.get_records.bytes));
        out.add("GetRecords.IteratorAgeMilliseconds", "Milliseconds", stats_of(&s.iterator_age_ms));
        out.add("GetRecords.Latency", "Milliseconds", stats_of(&s.get_records.latency_ms));
        out.count("GetRecords.Records", "Count", s.get_records_records);
        out.add("GetRecords.Success", "Count", success(&s.get_records));
    }
    out.count("ReadProvisionedThroughputExceeded", "Count", s.read_exceeded);
    out.count("WriteProvisionedThroughputExceeded", "Count", s.write_exceeded);
}

fn consumer_datums(out: &mut Out, c: &ConsumerStats) {
    if c.subscribed + c.rate_exceeded > 0 {
        out.count("SubscribeToShard.Success", "Count", c.subscribed);
        out.count("SubscribeToShard.RateExceeded", "Count", c.rate_exceeded);
    }
    if c.events > 0 {
        out.count("SubscribeToShardEvent.Bytes", "Bytes", c.event_bytes);
        out.count("SubscribeToShardEvent.Records", "Count", c.event_records);
        out.add("SubscribeToShardEvent.MillisBehindLatest", "Milliseconds", stats_of(&c.millis_behind));
        out.count("SubscribeToShardEvent.Success", "Count", c.events);
    }
}

fn shard_datums(out: &mut Out, s: &Stats, enabled: &[String]) {
    let on = |m: &str| enabled.iter().any(|e| e == m);
    let counts = [
        ("IncomingBytes", "Bytes", s.incoming_bytes),
        ("IncomingRecords", "Count", s.incoming_records),
        ("OutgoingBytes", "Bytes", s.outgoing_bytes),
        ("OutgoingRecords", "Count", s.outgoing_records),
        ("WriteProvisionedThroughputExceeded", "Count", s.write_exceeded),
        ("ReadProvisionedThroughputExceeded", "Count", s.read_exceeded),
    ];
    for (name, unit, value) in counts {
        if on(name) {
            out.count(name, unit, value);
        }
    }
    if on("IteratorAgeMilliseconds") {
        out.add("IteratorAgeMilliseconds", "Milliseconds", stats_of(&s.iterator_age_ms));
    }
}

/// Records and bytes a stream accepted in the second that just ended.
pub struct Written {
    pub stream: Arc<Stream>,
    pub records: u64,
    pub bytes: u64,
}

/// Drains every stream's and shard's counters into datums stamped with the second that just ended;
/// returns what each stream that took writes accepted.
pub fn publish(state: &State, ctx: &CloudContext, now: i64) -> Vec<Written> {
    let ts = (now / 1000) * 1000 - 1000;
    let mut datums = Vec::new();
    let mut written = Vec::new();
    for stream in state.all() {
        let s = stream.stats.lock().unwrap_or_else(|p| p.into_inner()).take();
        let inner = stream.read();
        let name = inner.meta.name.clone();
        let consumers = std::mem::take(&mut *stream.consumer_stats.lock().unwrap_or_else(|p| p.into_inner()));
        for (consumer, c) in consumers {
            let dims = vec![("StreamName".to_string(), name.clone()), ("ConsumerName".to_string(), consumer)];
            let mut out = Out { datums: std::mem::take(&mut datums), dims: &dims, ts };
            consumer_datums(&mut out, &c);
            datums = out.datums;
        }
        let mut incoming = Stats::default();
        let mut shard_stats = Vec::new();
        for rt in inner.shards.iter().flatten() {
            let st = rt.stats.lock().unwrap_or_else(|p| p.into_inner()).take();
            incoming.incoming_bytes += st.incoming_bytes;
            incoming.incoming_records += st.incoming_records;
            shard_stats.push((rt.index, st));
        }
        if s.is_empty() && incoming.incoming_records == 0 {
            continue;
        }
        if incoming.incoming_records > 0 {
            let (records, bytes) = (incoming.incoming_records, incoming.incoming_bytes);
            written.push(Written { stream: stream.clone(), records, bytes });
        }
        let dims = vec![("StreamName".to_string(), name.clone())];
        let mut out = Out { datums: std::mem::take(&mut datums), dims: &dims, ts };
        stream_datums(&mut out, &s, &incoming);
        datums = out.datums;
        if inner.meta.enhanced_metrics.is_empty() {
            continue;
        }
        for (index, st) in shard_stats {
            let dims = vec![("StreamName".to_string(), name.clone()), ("ShardId".to_string(), shard_id(index))];
            let mut out = Out { datums: std::mem::take(&mut datums), dims: &dims, ts };
            shard_datums(&mut out, &st, &inner.meta.enhanced_metrics);
            datums = out.datums;
        }
    }
    ctx.metric_publisher.publish(datums);
    written
}
