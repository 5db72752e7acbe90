//! Counters the operations keep for the AWS/Kinesis metrics, per stream and per shard, drained
//! once a second by the metrics publisher.

#[derive(Debug, Default, Clone)]
pub struct CallStats {
    pub calls: u64,
    pub success: u64,
    /// Bytes per successful call.
    pub bytes: Vec<f64>,
    pub latency_ms: Vec<f64>,
}

impl CallStats {
    pub fn record(&mut self, ok: bool, bytes: u64, latency_ms: f64) {
        self.calls += 1;
        self.success += u64::from(ok);
        if ok {
            self.bytes.push(bytes as f64);
        }
        self.latency_ms.push(latency_ms);
    }
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub incoming_bytes: u64,
    pub incoming_records: u64,
    pub outgoing_bytes: u64,
    pub outgoing_records: u64,
    pub put_record: CallStats,
    pub put_records: CallStats,
    pub put_records_total: u64,
    pub put_records_successful: u64,
    pub put_records_failed: u64,
    pub put_records_throttled: u64,
    pub get_records: CallStats,
    pub get_records_records: u64,
    pub iterator_age_ms: Vec<f64>,
    pub write_exceeded: u64,
    pub read_exceeded: u64,
}

impl Stats {
    pub fn take(&mut self) -> Stats {
        std::mem::take(self)
    }

    pub fn is_empty(&self) -> bool {
        self.put_record.calls == 0
            && self.put_records.calls == 0
            && self.get_records.calls == 0
            && self.write_exceeded == 0
            && self.read_exceeded == 0
    }
}

/// One enhanced fan-out consumer's subscriptions and events in the current second.
#[derive(Debug, Default, Clone)]
pub struct ConsumerStats {
    pub subscribed: u64,
    pub rate_exceeded: u64,
    pub events: u64,
    pub event_bytes: u64,
    pub event_records: u64,
    pub millis_behind: Vec<f64>,
}
