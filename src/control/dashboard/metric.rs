//! One metric with its statistic and period: the identity a dashboard query, an alarm and the
//! unit table all name. It sits below them so none of them imports another for it.

use serde::Serialize;

/// A metric as GetMetricData's `MetricStat` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct MetricSpec {
    pub namespace: String,
    pub metric_name: String,
    /// Sorted by name: a metric's identity does not depend on the order written.
    pub dimensions: Vec<(String, String)>,
    pub stat: String,
    pub period: i64,
}
