//! PutMetricData: validated as CloudWatch does, then stored. Customers may not publish into `AWS/`
//! namespaces; the local services publish there through the metric sink instead.

use serde::Deserialize;

use super::model::Dimension;
use super::storage::agg::Agg;
use super::storage::{MetricStore, Observation, SeriesKey, units};
use crate::cloud::error::ApiError;

/// Namespaces only AWS (here, the local services through the metric sink) may publish into.
pub const NAMESPACE_PREFIX_RESERVED: &str = "AWS/";
pub const MAX_DATUMS: usize = 1000;
pub const MAX_DIMENSIONS: usize = 30;
pub const MAX_VALUES: usize = 150;
const TWO_WEEKS_MS: i64 = 14 * 86_400_000;
const TWO_HOURS_MS: i64 = 2 * 3_600_000;
/// CloudWatch rejects values whose magnitude is outside 2^-260 … 2^360.
const MAX_MAGNITUDE: f64 = 2.348_542_582_773_833e108;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Input {
    pub namespace: Option<String>,
    #[serde(default)]
    pub metric_data: Vec<Datum>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Datum {
    pub metric_name: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    pub timestamp: Option<f64>,
    pub value: Option<f64>,
    pub statistic_values: Option<StatisticSet>,
    pub values: Option<Vec<f64>>,
    pub counts: Option<Vec<f64>>,
    pub unit: Option<String>,
    pub storage_resolution: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatisticSet {
    pub sample_count: f64,
    pub sum: f64,
    pub minimum: f64,
    pub maximum: f64,
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("InvalidParameterValue", message)
}

fn missing(message: String) -> ApiError {
    ApiError::bad_request("MissingParameter", message)
}

fn combination(message: String) -> ApiError {
    ApiError::bad_request("InvalidParameterCombination", message)
}

pub fn validate_namespace(namespace: Option<&str>) -> Result<&str, ApiError> {
    let ns = namespace.ok_or_else(|| missing("The parameter Namespace is required.".into()))?;
    let chars_ok = ns.chars().all(|c| c.is_ascii_graphic() || c == ' ') && !ns.contains(':');
    if ns.is_empty() || ns.len() > 255 || !chars_ok || ns.starts_with(NAMESPACE_PREFIX_RESERVED) {
        return Err(invalid(format!("The value {ns} for parameter Namespace is invalid.")));
    }
    Ok(ns)
}

/// Stores the datums, refusing the whole request if it would take the store past `max_series`
/// distinct series (a local limit: AWS documents none).
pub fn put_metric_data(store: &MetricStore, input: Input, max_series: usize) -> Result<serde_json::Value, ApiError> {
    let ns = validate_namespace(input.namespace.as_deref())?.to_string();
    if input.metric_data.is_empty() {
        return Err(missing("The parameter MetricData is required.".into()));
    }
    if input.metric_data.len() > MAX_DATUMS {
        return Err(invalid(format!("The collection MetricData must not have a size greater than {MAX_DATUMS}.")));
    }
    let now = store.now_ms();
    let observations = input
        .metric_data
        .into_iter()
        .enumerate()
        .map(|(i, d)| observation(&ns, d, &format!("MetricData.member.{}", i + 1), now))
        .collect::<Result<Vec<_>, _>>()?;
    store.ingest_within(observations, max_series).map_err(|held| {
        ApiError::bad_request(
            "LimitExceeded",
            format!(
                "The metric data was not stored: this local cloud keeps at most {max_series} metric series and holds \
                 {held}; the request would add new ones."
            ),
        )
    })?;
    Ok(serde_json::json!({}))
}

fn check_value(v: f64, at: &str) -> Result<f64, ApiError> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        return Err(invalid(format!("The value {v} for parameter {at} is invalid.")));
    }
    Ok(v)
}

fn observation(ns: &str, d: Datum, at: &str, now: i64) -> Result<Observation, ApiError> {
    let name = d.metric_name.ok_or_else(|| missing(format!("The parameter {at}.MetricName is required.")))?;
    if name.is_empty() || name.len() > 255 {
        return Err(invalid(format!("The value {name} for parameter {at}.MetricName is invalid.")));
    }
    let dimensions = dimensions(d.dimensions, at)?;
    let unit = d.unit.unwrap_or_else(|| "None".into());
    if !units::is_unit(&unit) {
        return Err(invalid(format!("The value {unit} for parameter {at}.Unit is invalid.")));
    }
    let high_resolution = match d.storage_resolution {
        None | Some(60) => false,
        Some(1) => true,
        Some(r) => {
            return Err(invalid(format!("The value {r} for parameter {at}.StorageResolution is invalid.")));
        }
    };
    let timestamp_ms = d.timestamp.map(|s| (s * 1000.0).round() as i64).unwrap_or(now);
    if timestamp_ms < now - TWO_WEEKS_MS || timestamp_ms > now + TWO_HOURS_MS {
        return Err(invalid(format!(
            "The parameter {at}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future."
        )));
    }
    let agg = sample(d.value, d.statistic_values, d.values, d.counts, at)?;
    Ok(Observation {
        key: SeriesKey { namespace: ns.to_string(), name, dimensions, unit },
        timestamp_ms,
        agg,
        high_resolution,
    })
}

fn dimensions(dims: Vec<Dimension>, at: &str) -> Result<Vec<(String, String)>, ApiError> {
    if dims.len() > MAX_DIMENSIONS {
        return Err(invalid(format!(
            "The collection {at}.Dimensions must not have a size greater than {MAX_DIMENSIONS}."
        )));
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(dims.len());
    for (j, dim) in dims.into_iter().enumerate() {
        let here = format!("{at}.Dimensions.member.{}", j + 1);
        if dim.name.is_empty() || dim.name.len() > 255 {
            return Err(invalid(format!("The value {} for parameter {here}.Name is invalid.", dim.name)));
        }
        if dim.value.is_empty() || dim.value.len() > 1024 {
            return Err(invalid(format!("The value {} for parameter {here}.Value is invalid.", dim.value)));
        }
        if out.iter().any(|(n, _)| *n == dim.name) {
            return Err(invalid(format!(
                "The collection {at}.Dimensions must not contain duplicate names: {}.",
                dim.name
            )));
        }
        out.push((dim.name, dim.value));
    }
    out.sort();
    Ok(out)
}

fn sample(
    value: Option<f64>,
    stats: Option<StatisticSet>,
    values: Option<Vec<f64>>,
    counts: Option<Vec<f64>>,
    at: &str,
) -> Result<Agg, ApiError> {
    let given = [value.is_some(), stats.is_some(), values.is_some()].iter().filter(|b| **b).count();
    if given > 1 {
        return Err(combination(format!(
            "The parameters {at}.Value, {at}.StatisticValues and {at}.Values are mutually exclusive and you have specified more than one."
        )));
    }
    if let Some(v) = value {
        return Ok(Agg::value(check_value(v, &format!("{at}.Value"))?));
    }
    if let Some(s) = stats {
        let here = format!("{at}.StatisticValues");
        for v in [s.sample_count, s.sum, s.minimum, s.maximum] {
            check_value(v, &here)?;
        }
        if s.sample_count <= 0.0 || s.minimum > s.maximum {
            return Err(invalid(format!("The parameter {here} must have SampleCount > 0 and Minimum <= Maximum.")));
        }
        return Ok(Agg::stats(s.sample_count, s.sum, s.minimum, s.maximum));
    }
    let Some(values) = values else {
        return Err(missing(format!(
            "One of the parameters {at}.Value, {at}.StatisticValues or {at}.Values is required."
        )));
    };
    if values.is_empty() || values.len() > MAX_VALUES {
        return Err(invalid(format!("The collection {at}.Values must have between 1 and {MAX_VALUES} members.")));
    }
    let counts = counts.unwrap_or_else(|| vec![1.0; values.len()]);
    if counts.len() != values.len() {
        return Err(invalid(format!("The parameters {at}.Values and {at}.Counts must be of the same size.")));
    }
    let mut pairs = Vec::with_capacity(values.len());
    for (v, c) in values.into_iter().zip(counts) {
        let v = check_value(v, &format!("{at}.Values"))?;
        if !(c.is_finite() && c >= 0.0) {
            return Err(invalid(format!("The value {c} for parameter {at}.Counts is invalid.")));
        }
        pairs.push((v, c));
    }
    Ok(Agg::values(&pairs))
}
