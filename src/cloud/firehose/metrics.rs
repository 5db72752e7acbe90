//! The AWS/Firehose metrics, counted by delivery and the DirectPut operations and published once per
//! second of the cloud clock under the `DeliveryStreamName` dimension, with AWS's units.

use crate::cloud::clock::Millis;
use crate::cloud::metric_sink::{Datum, Sample};

pub const NAMESPACE: &str = "AWS/Firehose";

/// What happened in one second of one delivery stream.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    pub read_records: u64,
    pub read_bytes: u64,
    pub millis_behind: Option<Millis>,
    pub throttled_get_records: u64,
    pub delivered_records: u64,
    pub delivered_bytes: u64,
    /// One sample per S3 write attempt: 1 written, 0 failed.
    pub attempts: Vec<f64>,
    pub backup_records: u64,
    pub backup_bytes: u64,
    pub backup_attempts: Vec<f64>,
    pub incoming_records: u64,
    pub incoming_bytes: u64,
    pub incoming_puts: u64,
    /// Age of the oldest record not yet delivered, when known.
    pub freshness_s: Option<f64>,
}

/// Which families a delivery stream publishes.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub kinesis_source: bool,
    pub backup: bool,
}

fn attempts(values: &[f64]) -> Option<Sample> {
    if values.is_empty() {
        return None;
    }
    let ones = values.iter().filter(|v| **v > 0.0).count() as f64;
    let zeros = values.len() as f64 - ones;
    let pairs: Vec<(f64, f64)> = [(1.0, ones), (0.0, zeros)].into_iter().filter(|(_, n)| *n > 0.0).collect();
    Some(Sample::Values(pairs))
}

/// The datums of one second; counts are published as they are (zeros included, so charts show
/// an idle stream as idle rather than missing).
pub fn datums(name: &str, shape: Shape, s: &Stats, ts: Millis) -> Vec<Datum> {
    let dims = vec![("DeliveryStreamName".to_string(), name.to_string())];
    let mut out = Vec::with_capacity(16);
    let mut add = |metric: &str, unit: &str, sample: Option<Sample>| {
        if let Some(sample) = sample {
            out.push(Datum {
                namespace: NAMESPACE.into(),
                name: metric.into(),
                dimensions: dims.clone(),
                unit: unit.into(),
                timestamp_ms: ts,
                sample,
            });
        }
    };
    let n = |v: u64| Some(Sample::Value(v as f64));
    if shape.kinesis_source {
        add("DataReadFromKinesisStream.Records", "Count", n(s.read_records));
        add("DataReadFromKinesisStream.Bytes", "Bytes", n(s.read_bytes));
        add("KinesisMillisBehindLatest", "Milliseconds", s.millis_behind.map(|m| Sample::Value(m as f64)));
        add("ThrottledGetRecords", "Count", n(s.throttled_get_records));
        // Delivery reads shard lists and positions in process: these never throttle locally.
        add("ThrottledGetShardIterator", "Count", n(0));
        add("ThrottledDescribeStream", "Count", n(0));
    } else {
        add("IncomingRecords", "Count", n(s.incoming_records));
        add("IncomingBytes", "Bytes", n(s.incoming_bytes));
        add("IncomingPutRequests", "Count", n(s.incoming_puts));
    }
    add("DeliveryToS3.Records", "Count", n(s.delivered_records));
    add("DeliveryToS3.Bytes", "Bytes", n(s.delivered_bytes));
    add("DeliveryToS3.Success", "None", attempts(&s.attempts));
    add("DeliveryToS3.DataFreshness", "Seconds", s.freshness_s.map(Sample::Value));
    if shape.backup {
        add("BackupToS3.Records", "Count", n(s.backup_records));
        add("BackupToS3.Bytes", "Bytes", n(s.backup_bytes));
        add("BackupToS3.Success", "None", attempts(&s.backup_attempts));
        add("BackupToS3.DataFreshness", "Seconds", s.freshness_s.map(Sample::Value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kinesis_source_stream_publishes_read_and_delivery_metrics_with_aws_units() {
        let stats =
            Stats { read_records: 3, attempts: vec![1.0, 0.0, 0.0], freshness_s: Some(7.0), ..Default::default() };
        let d = datums("orders", Shape { kinesis_source: true, backup: false }, &stats, 5_000);
        let find = |n: &str| d.iter().find(|x| x.name == n).unwrap_or_else(|| panic!("{n} published"));
        assert_eq!(find("DataReadFromKinesisStream.Records").sample, Sample::Value(3.0));
        assert_eq!(find("DeliveryToS3.Success").sample, Sample::Values(vec![(1.0, 1.0), (0.0, 2.0)]));
        assert_eq!(find("DeliveryToS3.DataFreshness").unit, "Seconds");
        assert_eq!(find("KinesisMillisBehindLatest").unit, "Milliseconds");
        assert!(d.iter().all(|x| x.dimensions == [("DeliveryStreamName".to_string(), "orders".to_string())]));
        assert!(d.iter().all(|x| !x.name.starts_with("Incoming") && !x.name.starts_with("BackupToS3")));
    }
}
