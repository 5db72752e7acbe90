//! Where alarms read their data: the metric store, through the same queries GetMetricData runs.

use crate::cloud::cloudwatch::model::{MetricDataQuery, QueryResult};
use crate::cloud::cloudwatch::query::run_queries;
use crate::cloud::cloudwatch::storage::MetricStore;
use crate::cloud::error::ApiError;

pub trait MetricSource: Send + Sync {
    /// Every query's series over `[start_ms, end_ms)`, values at period starts, ascending.
    fn query(&self, queries: &[MetricDataQuery], start_ms: i64, end_ms: i64) -> Result<Vec<QueryResult>, ApiError>;
}

impl MetricSource for MetricStore {
    fn query(&self, queries: &[MetricDataQuery], start_ms: i64, end_ms: i64) -> Result<Vec<QueryResult>, ApiError> {
        run_queries(self, queries, start_ms, end_ms)
    }
}
