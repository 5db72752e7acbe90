//! GetMetricData: runs the queries, orders points as ScanBy asks and pages them by MaxDatapoints.

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{MetricDataQuery, QueryResult};
use super::query::run_queries;
use super::storage::MetricStore;
use crate::cloud::error::ApiError;

pub const DEFAULT_MAX_DATAPOINTS: usize = 100_800;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Input {
    #[serde(default)]
    pub metric_data_queries: Vec<MetricDataQuery>,
    pub start_time: Option<f64>,
    pub end_time: Option<f64>,
    pub next_token: Option<String>,
    pub scan_by: Option<String>,
    pub max_datapoints: Option<i64>,
}

/// Epoch seconds as JSON: an integer when whole (CBOR tags either form as a timestamp).
pub fn epoch_seconds(ms: i64) -> Value {
    if ms % 1000 == 0 { json!(ms / 1000) } else { json!(ms as f64 / 1000.0) }
}

pub fn time_ms(value: Option<f64>, name: &str) -> Result<i64, ApiError> {
    let secs =
        value.ok_or_else(|| ApiError::bad_request("MissingParameter", format!("The parameter {name} is required.")))?;
    Ok((secs * 1000.0).round() as i64)
}

fn token(query: usize, offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{query}:{offset}"))
}

fn parse_token(t: &str) -> Option<(usize, usize)> {
    let raw = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (q, o) = text.split_once(':')?;
    Some((q.parse().ok()?, o.parse().ok()?))
}

pub fn get_metric_data(store: &MetricStore, input: Input) -> Result<Value, ApiError> {
    let start = time_ms(input.start_time, "StartTime")?;
    let end = time_ms(input.end_time, "EndTime")?;
    let descending = match input.scan_by.as_deref() {
        None | Some("TimestampDescending") => true,
        Some("TimestampAscending") => false,
        Some(other) => {
            return Err(ApiError::bad_request(
                "InvalidParameterValue",
                format!("The value {other} for parameter ScanBy is invalid."),
            ));
        }
    };
    let max = match input.max_datapoints {
        None => DEFAULT_MAX_DATAPOINTS,
        Some(n) if n > 0 => n as usize,
        Some(n) => {
            return Err(ApiError::bad_request(
                "InvalidParameterValue",
                format!("The value {n} for parameter MaxDatapoints is invalid."),
            ));
        }
    };
    let (first_query, first_offset) = match &input.next_token {
        None => (0, 0),
        Some(t) => parse_token(t)
            .ok_or_else(|| ApiError::bad_request("InvalidNextToken", "The service couldn't process the NextToken."))?,
    };
    let results = run_queries(store, &input.metric_data_queries, start, end)?;
    let hidden: Vec<&str> =
        input.metric_data_queries.iter().filter(|q| q.return_data == Some(false)).map(|q| q.id.as_str()).collect();
    let returned: Vec<(QueryResult, bool)> =
        results.into_iter().filter(|r| !hidden.contains(&r.id.as_str())).map(|r| (r, descending)).collect();
    Ok(page(returned, first_query, first_offset, max))
}

fn page(results: Vec<(QueryResult, bool)>, first_query: usize, first_offset: usize, max: usize) -> Value {
    let mut budget = max;
    let mut out = Vec::new();
    let mut next = None;
    for (i, (mut r, descending)) in results.into_iter().enumerate().skip(first_query) {
        if budget == 0 {
            next = Some(token(i, 0));
            break;
        }
        if descending {
            r.timestamps_ms.reverse();
            r.values.reverse();
        }
        let offset = if i == first_query { first_offset.min(r.values.len()) } else { 0 };
        let take = (r.values.len() - offset).min(budget);
        budget -= take;
        let complete = offset + take == r.values.len();
        if !complete {
            next = Some(token(i, offset + take));
        }
        out.push(json!({
            "Id": r.id,
            "Label": r.label,
            "Timestamps": r.timestamps_ms[offset..offset + take].iter().map(|t| epoch_seconds(*t)).collect::<Vec<_>>(),
            "Values": r.values[offset..offset + take],
            "StatusCode": if complete { r.status_code.as_str() } else { "PartialData" },
            "Messages": r.messages.iter().map(|m| json!({"Code": "Info", "Value": m})).collect::<Vec<_>>(),
        }));
        if !complete {
            break;
        }
    }
    let mut body = json!({ "MetricDataResults": out, "Messages": [] });
    if let Some(t) = next {
        body["NextToken"] = json!(t);
    }
    body
}
