//! ListMetrics: metrics with data in the last two weeks (or three hours with RecentlyActive=PT3H),
//! filtered by namespace, name and dimensions, 500 per page.

use std::collections::BTreeSet;

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::storage::MetricStore;
use crate::cloud::error::ApiError;

pub const PAGE: usize = 500;
const TWO_WEEKS_MS: i64 = 14 * 86_400_000;
const THREE_HOURS_MS: i64 = 3 * 3_600_000;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Input {
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<DimensionFilter>,
    pub next_token: Option<String>,
    pub recently_active: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DimensionFilter {
    pub name: String,
    pub value: Option<String>,
}

type Identity = (String, String, Vec<(String, String)>);

pub fn list_metrics(store: &MetricStore, input: Input) -> Result<Value, ApiError> {
    if input.dimensions.len() > 10 {
        return Err(ApiError::bad_request(
            "InvalidParameterValue",
            "The collection Dimensions must not have a size greater than 10.",
        ));
    }
    let window = match input.recently_active.as_deref() {
        None => TWO_WEEKS_MS,
        Some("PT3H") => THREE_HOURS_MS,
        Some(other) => {
            return Err(ApiError::bad_request(
                "InvalidParameterValue",
                format!("The value {other} for parameter RecentlyActive is invalid."),
            ));
        }
    };
    let since = store.now_ms() - window;
    let start = match &input.next_token {
        None => 0,
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| {
                ApiError::bad_request("InvalidParameterValue", "The value for parameter NextToken is invalid.")
            })?,
    };
    let matching: BTreeSet<Identity> = store
        .series(|k| {
            input.namespace.as_ref().is_none_or(|n| *n == k.namespace)
                && input.metric_name.as_ref().is_none_or(|n| *n == k.name)
                && input.dimensions.iter().all(|f| {
                    k.dimensions.iter().any(|(n, v)| *n == f.name && f.value.as_ref().is_none_or(|fv| fv == v))
                })
        })
        .into_iter()
        .filter(|s| s.last_ms >= since)
        .map(|s| (s.key.namespace, s.key.name, s.key.dimensions))
        .collect();
    let total = matching.len();
    let metrics: Vec<Value> = matching
        .into_iter()
        .skip(start)
        .take(PAGE)
        .map(|(ns, name, dims)| {
            let dims: Vec<Value> = dims.into_iter().map(|(n, v)| json!({"Name": n, "Value": v})).collect();
            json!({"Namespace": ns, "MetricName": name, "Dimensions": dims})
        })
        .collect();
    let mut body = json!({ "Metrics": metrics });
    if start + PAGE < total {
        body["NextToken"] = json!(base64::engine::general_purpose::STANDARD.encode((start + PAGE).to_string()));
    }
    Ok(body)
}
