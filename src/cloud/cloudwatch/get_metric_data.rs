//! GetMetricData: runs the queries, orders points as ScanBy asks and pages the answer as CloudWatch
//! does: at most 100,800 data points (fewer if MaxDatapoints says so) and 500 metrics per call.
//!
//! | page rule | how |
//! |---|---|
//! | points per call | `min(MaxDatapoints, 100,800)`; a result cut short says `PartialData` and goes on next page |
//! | metrics per call | 500 results (one per series an expression returns); the rest on the next page |
//! | where to resume | the token names the result and the last timestamp sent, so points that arrive between pages neither repeat nor shift what is left |
//! | which request | the token carries a digest of the queries and the time range; another request's token is refused |

use std::hash::{Hash, Hasher};

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{MetricDataQuery, QueryResult};
use super::query::run_queries;
use super::storage::MetricStore;
use crate::cloud::error::ApiError;

/// The most data points one call answers, whatever MaxDatapoints asks (also its default).
pub const DEFAULT_MAX_DATAPOINTS: usize = 100_800;
/// The most metrics (results) one call answers.
pub const MAX_RESULTS_PER_CALL: usize = 500;

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

/// Where the next page starts: a result, and within it the last timestamp already sent (none: from
/// its first point).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Resume {
    result: usize,
    after_ms: Option<i64>,
}

/// What a token is bound to: the queries and the time range (not MaxDatapoints, which may change
/// from page to page).
fn request_digest(input: &Input, descending: bool) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}", input.metric_data_queries).hash(&mut h);
    input.start_time.map(f64::to_bits).hash(&mut h);
    input.end_time.map(f64::to_bits).hash(&mut h);
    descending.hash(&mut h);
    h.finish()
}

fn token(digest: u64, at: Resume) -> String {
    let after = at.after_ms.map_or_else(|| "-".to_string(), |t| t.to_string());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("gmd1:{digest:016x}:{}:{after}", at.result))
}

fn parse_token(t: &str, digest: u64) -> Option<Resume> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let mut parts = text.split(':');
    if parts.next()? != "gmd1" || u64::from_str_radix(parts.next()?, 16).ok()? != digest {
        return None;
    }
    let result = parts.next()?.parse().ok()?;
    let after_ms = match parts.next()? {
        "-" => None,
        t => Some(t.parse().ok()?),
    };
    parts.next().is_none().then_some(Resume { result, after_ms })
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
        Some(n) if n > 0 => (n as usize).min(DEFAULT_MAX_DATAPOINTS),
        Some(n) => {
            return Err(ApiError::bad_request(
                "InvalidParameterValue",
                format!("The value {n} for parameter MaxDatapoints is invalid."),
            ));
        }
    };
    let digest = request_digest(&input, descending);
    let resume = match &input.next_token {
        None => Resume { result: 0, after_ms: None },
        Some(t) => parse_token(t, digest)
            .ok_or_else(|| ApiError::bad_request("InvalidNextToken", "The service couldn't process the NextToken."))?,
    };
    let results = run_queries(store, &input.metric_data_queries, start, end)?;
    let hidden: Vec<&str> =
        input.metric_data_queries.iter().filter(|q| q.return_data == Some(false)).map(|q| q.id.as_str()).collect();
    let returned: Vec<QueryResult> = results.into_iter().filter(|r| !hidden.contains(&r.id.as_str())).collect();
    let (body, next) = page(returned, descending, resume, max);
    Ok(match next {
        Some(at) => {
            let mut body = body;
            body["NextToken"] = json!(token(digest, at));
            body
        }
        None => body,
    })
}

/// One page from `resume` on: the answer, and where the next page starts if anything is left.
fn page(results: Vec<QueryResult>, descending: bool, resume: Resume, max: usize) -> (Value, Option<Resume>) {
    let mut budget = max;
    let mut out = Vec::new();
    let mut next = None;
    for (i, mut r) in results.into_iter().enumerate().skip(resume.result) {
        if budget == 0 || out.len() == MAX_RESULTS_PER_CALL {
            next = Some(Resume { result: i, after_ms: None });
            break;
        }
        if descending {
            r.timestamps_ms.reverse();
            r.values.reverse();
        }
        let offset = match resume.after_ms {
            Some(t) if i == resume.result => {
                r.timestamps_ms.partition_point(|ts| if descending { *ts >= t } else { *ts <= t })
            }
            _ => 0,
        };
        let take = (r.values.len() - offset).min(budget);
        budget -= take;
        let complete = offset + take == r.values.len();
        let sent = &r.timestamps_ms[offset..offset + take];
        if !complete {
            // Nothing sent yet from this result: the next page starts it from its first point.
            next = Some(Resume {
                result: i,
                after_ms: sent.last().copied().or(resume.after_ms.filter(|_| i == resume.result)),
            });
        }
        out.push(json!({
            "Id": r.id,
            "Label": r.label,
            "Timestamps": sent.iter().map(|t| epoch_seconds(*t)).collect::<Vec<_>>(),
            "Values": r.values[offset..offset + take],
            "StatusCode": if complete { r.status_code.as_str() } else { "PartialData" },
            "Messages": r.messages.iter().map(|m| json!({"Code": "Info", "Value": m})).collect::<Vec<_>>(),
        }));
        if !complete {
            break;
        }
    }
    (json!({ "MetricDataResults": out, "Messages": [] }), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, n: i64) -> QueryResult {
        QueryResult {
            id: id.into(),
            label: id.into(),
            timestamps_ms: (0..n).map(|i| i * 60_000).collect(),
            values: (0..n).map(|i| i as f64).collect(),
            status_code: "Complete".into(),
            messages: Vec::new(),
        }
    }

    fn ids(body: &Value) -> Vec<String> {
        body["MetricDataResults"].as_array().unwrap().iter().map(|r| r["Id"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn a_page_holds_at_most_500_metrics() {
        let results: Vec<QueryResult> = (0..501).map(|i| result(&format!("m{i}"), 1)).collect();
        let start = Resume { result: 0, after_ms: None };
        let (body, next) = page(results.clone(), true, start, DEFAULT_MAX_DATAPOINTS);
        assert_eq!(ids(&body).len(), 500);
        assert_eq!(next, Some(Resume { result: 500, after_ms: None }));
        let (body, next) = page(results, true, next.unwrap(), DEFAULT_MAX_DATAPOINTS);
        assert_eq!(ids(&body), ["m500"]);
        assert_eq!(next, None);
    }

    #[test]
    fn a_result_cut_short_resumes_after_its_last_timestamp_in_scan_order() {
        let start = Resume { result: 0, after_ms: None };
        let (body, next) = page(vec![result("a", 5)], true, start, 3);
        assert_eq!(body["MetricDataResults"][0]["StatusCode"], "PartialData");
        assert_eq!(body["MetricDataResults"][0]["Values"], json!([4.0, 3.0, 2.0]));
        assert_eq!(next, Some(Resume { result: 0, after_ms: Some(120_000) }));
        // A newer point arrived between the pages: it is not sent again, nor does it shift the rest.
        let (body, next) = page(vec![result("a", 6)], true, next.unwrap(), 3);
        assert_eq!(body["MetricDataResults"][0]["Values"], json!([1.0, 0.0]));
        assert_eq!(body["MetricDataResults"][0]["StatusCode"], "Complete");
        assert_eq!(next, None);
    }

    #[test]
    fn tokens_are_bound_to_their_request() {
        let at = Resume { result: 3, after_ms: Some(-60_000) };
        assert_eq!(parse_token(&token(7, at), 7), Some(at));
        assert_eq!(parse_token(&token(7, at), 8), None);
        assert_eq!(parse_token("MTox", 7), None, "the old query:offset form");
    }
}
