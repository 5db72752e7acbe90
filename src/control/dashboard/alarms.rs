//! The alarms a dashboard shows — alarm status widgets, and metric widgets that graph one alarm
//! (`annotations.alarms`) — as DescribeAlarms reports them: state, threshold, and what they watch.

use std::collections::HashMap;

use serde::Serialize;

use super::metric::MetricSpec;

/// DescribeAlarms takes at most 100 names per call.
pub const DESCRIBE_BATCH: usize = 100;

/// One query of a metric math alarm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmQuery {
    pub id: String,
    pub metric: Option<MetricSpec>,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub return_data: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AlarmWatches {
    Metric(MetricSpec),
    Math {
        queries: Vec<AlarmQuery>,
    },
    /// A composite alarm watches other alarms, no metric.
    Alarms,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmInfo {
    pub name: String,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub reason: Option<String>,
    pub threshold: Option<f64>,
    pub comparison: Option<String>,
    pub watches: AlarmWatches,
}

impl AlarmInfo {
    pub fn in_alarm(&self) -> bool {
        self.state == "ALARM"
    }
}

/// The alarms found, by name.
pub type AlarmBook = HashMap<String, AlarmInfo>;

/// The alarm name an ARN ends with (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`); a bare name
/// is taken as it is.
pub fn alarm_name(arn: &str) -> &str {
    arn.split_once(":alarm:").map_or(arn, |(_, name)| name)
}

/// The names to ask DescribeAlarms for, without repeats, in batches it accepts.
pub fn describe_batches(arns: &[String]) -> Vec<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for arn in arns {
        let name = alarm_name(arn);
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names.chunks(DESCRIBE_BATCH).map(|c| c.to_vec()).collect()
}

/// The alarm an ARN names, if DescribeAlarms found it.
pub fn lookup<'a>(book: &'a AlarmBook, arn: &str) -> Option<&'a AlarmInfo> {
    book.get(alarm_name(arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_arns_and_batch_by_100() {
        assert_eq!(alarm_name("arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-Iterator:age"), "app-Iterator:age");
        assert_eq!(alarm_name("plain"), "plain");
        let arns: Vec<String> =
            (0..250).map(|i| format!("arn:aws:cloudwatch:us-east-1:1:alarm:a{}", i % 230)).collect();
        let batches = describe_batches(&arns);
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![100, 100, 30]);
    }
}
