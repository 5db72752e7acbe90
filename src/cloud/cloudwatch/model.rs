//! The request shapes CloudWatch operations share (PascalCase, as on the wire).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The plain statistics CloudWatch computes (percentiles aside).
pub const STATISTICS: [&str; 5] = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
}

impl Metric {
    /// Dimensions as a sorted map: the identity of a metric does not depend on their order.
    pub fn dimension_map(&self) -> BTreeMap<String, String> {
        self.dimensions.iter().map(|d| (d.name.clone(), d.value.clone())).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    pub metric: Metric,
    pub period: i64,
    pub stat: String,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataQuery {
    pub id: String,
    pub metric_stat: Option<MetricStat>,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub return_data: Option<bool>,
    pub period: Option<i64>,
    pub account_id: Option<String>,
}

impl MetricDataQuery {
    /// A query for one statistic of one metric.
    pub fn of_metric(id: impl Into<String>, metric: Metric, period: i64, stat: impl Into<String>) -> Self {
        let metric_stat = MetricStat { metric, period, stat: stat.into(), unit: None };
        MetricDataQuery { metric_stat: Some(metric_stat), ..Self::empty(id.into()) }
    }

    /// A metric math query.
    pub fn of_expression(id: impl Into<String>, expression: impl Into<String>) -> Self {
        MetricDataQuery { expression: Some(expression.into()), ..Self::empty(id.into()) }
    }

    fn empty(id: String) -> Self {
        MetricDataQuery {
            id,
            metric_stat: None,
            expression: None,
            label: None,
            return_data: None,
            period: None,
            account_id: None,
        }
    }
}

/// One query's answer: values at period starts, ascending in time.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    pub id: String,
    pub label: String,
    pub timestamps_ms: Vec<i64>,
    pub values: Vec<f64>,
    /// `Complete` or `PartialData`, as GetMetricData reports it.
    pub status_code: String,
    pub messages: Vec<String>,
}
