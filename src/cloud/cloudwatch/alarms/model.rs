//! What an alarm is: its definition as PutMetricAlarm gave it, its state, and its history items.
//! Stored as it is described (PascalCase), so DescribeAlarms serializes the stored value.

use serde::{Deserialize, Serialize};

use crate::cloud::cloudwatch::model::{Dimension, MetricDataQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateValue {
    #[serde(rename = "OK")]
    Ok,
    #[serde(rename = "ALARM")]
    Alarm,
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl StateValue {
    pub fn parse(s: &str) -> Option<StateValue> {
        Some(match s {
            "OK" => StateValue::Ok,
            "ALARM" => StateValue::Alarm,
            "INSUFFICIENT_DATA" => StateValue::InsufficientData,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StateValue::Ok => "OK",
            StateValue::Alarm => "ALARM",
            StateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    GreaterThanOrEqual,
    GreaterThan,
    LessThan,
    LessThanOrEqual,
}

impl Comparison {
    pub fn parse(s: &str) -> Option<Comparison> {
        Some(match s {
            "GreaterThanOrEqualToThreshold" => Comparison::GreaterThanOrEqual,
            "GreaterThanThreshold" => Comparison::GreaterThan,
            "LessThanThreshold" => Comparison::LessThan,
            "LessThanOrEqualToThreshold" => Comparison::LessThanOrEqual,
            _ => return None,
        })
    }

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqual => value >= threshold,
            Comparison::GreaterThan => value > threshold,
            Comparison::LessThan => value < threshold,
            Comparison::LessThanOrEqual => value <= threshold,
        }
    }

    /// How state reasons phrase the comparison.
    pub fn words(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqual => "greater than or equal to",
            Comparison::GreaterThan => "greater than",
            Comparison::LessThan => "less than",
            Comparison::LessThanOrEqual => "less than or equal to",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingData {
    Missing,
    Ignore,
    Breaching,
    NotBreaching,
}

impl MissingData {
    pub fn parse(s: &str) -> Option<MissingData> {
        Some(match s {
            "missing" => MissingData::Missing,
            "ignore" => MissingData::Ignore,
            "breaching" => MissingData::Breaching,
            "notBreaching" => MissingData::NotBreaching,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// A metric alarm as DescribeAlarms returns it. Timestamps are epoch seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricAlarm {
    pub alarm_name: String,
    pub alarm_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<String>,
    pub alarm_configuration_updated_timestamp: f64,
    pub actions_enabled: bool,
    #[serde(rename = "OKActions")]
    pub ok_actions: Vec<String>,
    pub alarm_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    pub state_value: StateValue,
    pub state_reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason_data: Option<String>,
    pub state_updated_timestamp: f64,
    pub state_transitioned_timestamp: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_statistic: Option<String>,
    pub dimensions: Vec<Dimension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    pub evaluation_periods: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: f64,
    pub comparison_operator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluate_low_sample_count_percentile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricDataQuery>>,
    /// Stored with the alarm for ListTagsForResource; not part of the described alarm.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl MetricAlarm {
    /// M of M-of-N: DatapointsToAlarm, or every evaluated period when unset.
    pub fn datapoints_to_alarm(&self) -> i64 {
        self.datapoints_to_alarm.unwrap_or(self.evaluation_periods)
    }

    pub fn comparison(&self) -> Comparison {
        Comparison::parse(&self.comparison_operator).unwrap_or(Comparison::GreaterThan)
    }

    pub fn missing_data(&self) -> MissingData {
        self.treat_missing_data.as_deref().and_then(MissingData::parse).unwrap_or(MissingData::Missing)
    }

    /// The alarm's period: its own, or that of the query whose data it watches.
    pub fn evaluation_period(&self) -> i64 {
        if let Some(p) = self.period {
            return p;
        }
        let queries = self.metrics.as_deref().unwrap_or_default();
        let returned = queries.iter().find(|q| q.return_data.unwrap_or(true));
        returned
            .and_then(|q| q.period.or_else(|| q.metric_stat.as_ref().map(|m| m.period)))
            .or_else(|| queries.iter().filter_map(|q| q.metric_stat.as_ref().map(|m| m.period)).min())
            .unwrap_or(60)
    }

    /// Fewest samples a period needs before a percentile alarm set to ignore low sample counts lets it
    /// decide: 10/(1-p) for percentiles from p50 up, 10/p below (AWS, "Percentile-based alarms and low
    /// data samples"). `None` when every period counts.
    pub fn low_sample_minimum(&self) -> Option<f64> {
        if self.evaluate_low_sample_count_percentile.as_deref() != Some("ignore") {
            return None;
        }
        let percent = crate::cloud::cloudwatch::stat::parse_percentile(self.extended_statistic.as_deref()?)?;
        let minimum = match percent {
            p if (50.0..100.0).contains(&p) => 1000.0 / (100.0 - p),
            p if p > 0.0 && p < 50.0 => 1000.0 / p,
            _ => return None,
        };
        // p90 must need exactly 100 samples, not 100.00000000000001.
        Some((minimum * 1e6).round() / 1e6)
    }

    /// The statistic as reasons and StateReasonData name it.
    pub fn stat_name(&self) -> Option<&str> {
        self.statistic.as_deref().or(self.extended_statistic.as_deref())
    }

    /// The alarm as AWS writes it in history data (camelCase members).
    pub fn history_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "alarmName": self.alarm_name,
            "alarmArn": self.alarm_arn,
            "actionsEnabled": self.actions_enabled,
            "okactions": self.ok_actions,
            "alarmActions": self.alarm_actions,
            "insufficientDataActions": self.insufficient_data_actions,
            "dimensions": self.dimensions.iter().map(|d| serde_json::json!({"name": d.name, "value": d.value})).collect::<Vec<_>>(),
            "evaluationPeriods": self.evaluation_periods,
            "threshold": self.threshold,
            "comparisonOperator": self.comparison_operator,
            "treatMissingData": self.treat_missing_data.as_deref().unwrap_or("missing"),
        });
        let extra = [
            ("alarmDescription", self.alarm_description.clone().map(Into::into)),
            ("metricName", self.metric_name.clone().map(Into::into)),
            ("namespace", self.namespace.clone().map(Into::into)),
            ("statistic", self.statistic.clone().map(Into::into)),
            ("extendedStatistic", self.extended_statistic.clone().map(Into::into)),
            ("period", self.period.map(Into::into)),
            ("unit", self.unit.clone().map(Into::into)),
            ("datapointsToAlarm", self.datapoints_to_alarm.map(Into::into)),
            ("metrics", self.metrics.as_ref().map(|m| serde_json::to_value(m).unwrap_or_default())),
        ];
        if let Some(map) = v.as_object_mut() {
            for (k, val) in extra {
                if let Some(val) = val {
                    map.insert(k.to_string(), val);
                }
            }
        }
        v
    }
}

/// One DescribeAlarmHistory item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryItem {
    pub alarm_name: String,
    pub alarm_type: String,
    pub timestamp: f64,
    pub history_item_type: String,
    pub history_summary: String,
    pub history_data: String,
}

pub fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}
