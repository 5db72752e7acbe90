//! How local services publish the metrics AWS publishes for them (`AWS/Kinesis`, `AWS/Firehose`, …)
//! into the local CloudWatch, without going through the wire.

use std::sync::{Arc, OnceLock};

use super::clock::Millis;

/// One observation, shaped like a PutMetricData datum.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub namespace: String,
    pub name: String,
    /// Dimension name and value pairs, e.g. `("StreamName", "ticker")`.
    pub dimensions: Vec<(String, String)>,
    /// A CloudWatch unit name: `Bytes`, `Count`, `Milliseconds`, `Percent`, `Seconds`, `None`, …
    pub unit: String,
    pub timestamp_ms: Millis,
    pub sample: Sample,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    Value(f64),
    /// Distinct values with how many times each was seen (keeps percentiles exact).
    Values(Vec<(f64, f64)>),
    /// A pre-aggregated statistic set.
    Stats {
        count: f64,
        sum: f64,
        min: f64,
        max: f64,
    },
}

/// Where published datums go. The local CloudWatch installs itself here when it starts.
pub trait MetricSink: Send + Sync {
    fn publish(&self, datums: Vec<Datum>);
}

/// Where services publish: the sink CloudWatch installs; datums published before it is installed are dropped.
#[derive(Default)]
pub struct MetricPublisher {
    sink: OnceLock<Arc<dyn MetricSink>>,
}

impl MetricPublisher {
    pub fn install(&self, sink: Arc<dyn MetricSink>) {
        let _ = self.sink.set(sink);
    }

    pub fn publish(&self, datums: Vec<Datum>) {
        if let Some(sink) = self.sink.get()
            && !datums.is_empty()
        {
            sink.publish(datums);
        }
    }

    pub fn is_installed(&self) -> bool {
        self.sink.get().is_some()
    }
}
