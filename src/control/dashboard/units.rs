//! The unit of a metric the patterns chart. GetMetricData answers values without units, so the
//! console knows the units AWS publishes for the services it deploys (their documentation's
//! metric tables); other metrics show no unit.

use super::metric::MetricSpec;

const KNOWN: &[(&str, &str, &str)] = &[
    ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "Milliseconds"),
    ("AWS/Kinesis", "GetRecords.Latency", "Milliseconds"),
    ("AWS/Kinesis", "PutRecord.Latency", "Milliseconds"),
    ("AWS/Kinesis", "PutRecords.Latency", "Milliseconds"),
    ("AWS/Kinesis", "IncomingBytes", "Bytes"),
    ("AWS/Kinesis", "OutgoingBytes", "Bytes"),
    ("AWS/Kinesis", "GetRecords.Bytes", "Bytes"),
    ("AWS/Kinesis", "PutRecord.Bytes", "Bytes"),
    ("AWS/Kinesis", "PutRecords.Bytes", "Bytes"),
    ("AWS/Kinesis", "*", "Count"),
    ("AWS/Lambda", "Duration", "Milliseconds"),
    ("AWS/Lambda", "IteratorAge", "Milliseconds"),
    ("AWS/Lambda", "*", "Count"),
    ("AWS/ApiGateway", "Latency", "Milliseconds"),
    ("AWS/ApiGateway", "IntegrationLatency", "Milliseconds"),
    ("AWS/ApiGateway", "*", "Count"),
    ("AWS/SQS", "SentMessageSize", "Bytes"),
    ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Seconds"),
    ("AWS/SQS", "*", "Count"),
    ("AWS/Firehose", "DeliveryToS3.DataFreshness", "Seconds"),
    ("AWS/Firehose", "DeliveryToS3.Success", "None"),
    ("AWS/Firehose", "IncomingBytes", "Bytes"),
    ("AWS/Firehose", "DeliveryToS3.Bytes", "Bytes"),
    ("AWS/Firehose", "*", "Count"),
    ("AWS/KinesisAnalytics", "uptime", "Milliseconds"),
    ("AWS/KinesisAnalytics", "downtime", "Milliseconds"),
    ("AWS/KinesisAnalytics", "lastCheckpointDuration", "Milliseconds"),
    ("AWS/KinesisAnalytics", "lastCheckpointSize", "Bytes"),
    ("AWS/KinesisAnalytics", "millisBehindLatest", "Milliseconds"),
    ("AWS/KinesisAnalytics", "cpuUtilization", "Percent"),
    ("AWS/KinesisAnalytics", "heapMemoryUtilization", "Percent"),
    ("AWS/KinesisAnalytics", "oldGenerationGCTime", "Milliseconds"),
    ("AWS/KinesisAnalytics", "currentInputWatermark", "Milliseconds"),
    ("AWS/KinesisAnalytics", "currentOutputWatermark", "Milliseconds"),
    ("AWS/KinesisAnalytics", "*", "Count"),
];

/// The metric's unit as AWS publishes it; a `SampleCount` is always a count.
pub fn unit_of(spec: &MetricSpec) -> Option<&'static str> {
    if spec.stat == "SampleCount" {
        return Some("Count");
    }
    let exact = KNOWN.iter().find(|(ns, name, _)| *ns == spec.namespace && *name == spec.metric_name);
    let any = || KNOWN.iter().find(|(ns, name, _)| *ns == spec.namespace && *name == "*");
    exact.or_else(any).map(|(_, _, unit)| *unit).filter(|u| *u != "None")
}
