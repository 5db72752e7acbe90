//! The AWS/SQS metrics, by `QueueName`, with AWS's units. AWS publishes them per minute; the local
//! cloud publishes each second of the cloud clock, so charts move at once. Gauges (the approximate
//! counts and the oldest message's age) are sampled; counters cover what happened since the last second.

use super::state::{Counters, Counts};
use crate::cloud::clock::Millis;
use crate::cloud::metric_sink::{Datum, Sample};

pub const NAMESPACE: &str = "AWS/SQS";

pub fn datums(queue: &str, counts: Counts, c: &Counters, ts: Millis) -> Vec<Datum> {
    let dims = vec![("QueueName".to_string(), queue.to_string())];
    let mut out = Vec::with_capacity(10);
    let mut add = |name: &str, unit: &str, sample: Sample| {
        out.push(Datum {
            namespace: NAMESPACE.into(),
            name: name.into(),
            dimensions: dims.clone(),
            unit: unit.into(),
            timestamp_ms: ts,
            sample,
        });
    };
    let n = |v: u64| Sample::Value(v as f64);
    add("ApproximateNumberOfMessagesVisible", "Count", n(counts.visible));
    add("ApproximateNumberOfMessagesNotVisible", "Count", n(counts.in_flight));
    add("ApproximateNumberOfMessagesDelayed", "Count", n(counts.delayed));
    add("ApproximateAgeOfOldestMessage", "Seconds", Sample::Value(counts.oldest_age_s.unwrap_or(0) as f64));
    add("NumberOfMessagesSent", "Count", n(c.sent));
    add("NumberOfMessagesReceived", "Count", n(c.received));
    add("NumberOfMessagesDeleted", "Count", n(c.deleted));
    add("NumberOfEmptyReceives", "Count", n(c.empty_receives));
    if !c.sent_sizes.is_empty() {
        let sum: f64 = c.sent_sizes.iter().sum();
        let min = c.sent_sizes.iter().copied().fold(f64::INFINITY, f64::min);
        let max = c.sent_sizes.iter().copied().fold(0.0, f64::max);
        add("SentMessageSize", "Bytes", Sample::Stats { count: c.sent_sizes.len() as f64, sum, min, max });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_of_a_queue_publishes_gauges_and_counters_by_queue_name() {
        let counts = Counts { visible: 3, in_flight: 1, delayed: 2, oldest_age_s: Some(7) };
        let c = Counters { sent: 2, received: 1, sent_sizes: vec![10.0, 30.0], ..Default::default() };
        let d = datums("dlq", counts, &c, 5_000);
        let find = |n: &str| d.iter().find(|x| x.name == n).unwrap_or_else(|| panic!("{n} published"));
        assert_eq!(find("ApproximateNumberOfMessagesVisible").sample, Sample::Value(3.0));
        assert_eq!(find("ApproximateAgeOfOldestMessage").unit, "Seconds");
        assert_eq!(find("ApproximateAgeOfOldestMessage").sample, Sample::Value(7.0));
        assert_eq!(find("NumberOfMessagesSent").sample, Sample::Value(2.0));
        assert_eq!(find("SentMessageSize").sample, Sample::Stats { count: 2.0, sum: 40.0, min: 10.0, max: 30.0 });
        assert!(
            d.iter()
                .all(|x| x.namespace == NAMESPACE && x.dimensions == [("QueueName".to_string(), "dlq".to_string())])
        );
        let idle = datums("dlq", Counts::default(), &Counters::default(), 6_000);
        assert!(idle.iter().all(|x| x.name != "SentMessageSize"), "no sizes without sends");
    }
}
