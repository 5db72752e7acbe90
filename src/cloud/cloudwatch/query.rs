//! Stand-in for the metric queries until they land: every series is empty.

use super::model::{MetricDataQuery, QueryResult};
use super::store::MetricStore;
use crate::cloud::error::ApiError;

pub fn run_queries(
    _store: &MetricStore,
    queries: &[MetricDataQuery],
    _start_ms: i64,
    _end_ms: i64,
) -> Result<Vec<QueryResult>, ApiError> {
    Ok(queries
        .iter()
        .map(|q| QueryResult {
            id: q.id.clone(),
            label: q.id.clone(),
            timestamps_ms: Vec::new(),
            values: Vec::new(),
            status_code: "Complete".to_string(),
            messages: Vec::new(),
        })
        .collect())
}
