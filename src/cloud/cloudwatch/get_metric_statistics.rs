//! GetMetricStatistics: one metric, fixed statistics per period, one datapoint per period and unit.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::get_metric_data::{epoch_seconds, time_ms};
use super::model::{Dimension, Metric, STATISTICS};
use super::query::{period_buckets, series_ids, valid_period};
use super::stat::{Stat, parse_percentile};
use super::storage::MetricStore;
use crate::cloud::error::ApiError;

const MAX_DATAPOINTS: i64 = 1440;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Input {
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
    pub start_time: Option<f64>,
    pub end_time: Option<f64>,
    pub period: Option<i64>,
    #[serde(default)]
    pub statistics: Vec<String>,
    #[serde(default)]
    pub extended_statistics: Vec<String>,
    pub unit: Option<String>,
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("InvalidParameterValue", message)
}

pub fn get_metric_statistics(store: &MetricStore, input: Input) -> Result<Value, ApiError> {
    let missing = |p: &str| ApiError::bad_request("MissingParameter", format!("The parameter {p} is required."));
    let namespace = input.namespace.ok_or_else(|| missing("Namespace"))?;
    let name = input.metric_name.ok_or_else(|| missing("MetricName"))?;
    let period = input.period.ok_or_else(|| missing("Period"))?;
    let (start, end) = (time_ms(input.start_time, "StartTime")?, time_ms(input.end_time, "EndTime")?);
    if !valid_period(period) {
        return Err(invalid("The parameter Period must be 1, 5, 10, 30 or a multiple of 60.".into()));
    }
    if start >= end {
        return Err(invalid("The parameter StartTime must be less than the parameter EndTime.".into()));
    }
    let requested = (end - start + period * 1000 - 1) / (period * 1000);
    if requested > MAX_DATAPOINTS {
        return Err(ApiError::bad_request(
            "InvalidParameterCombination",
            format!(
                "You have requested up to {requested} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            ),
        ));
    }
    match (input.statistics.is_empty(), input.extended_statistics.is_empty()) {
        (true, true) => return Err(missing("Statistics or ExtendedStatistics")),
        (false, false) => {
            return Err(ApiError::bad_request(
                "InvalidParameterCombination",
                "The parameters Statistics and ExtendedStatistics are mutually exclusive.",
            ));
        }
        _ => {}
    }
    if let Some(bad) = input.statistics.iter().find(|s| !STATISTICS.contains(&s.as_str())) {
        return Err(invalid(format!("The value {bad} for parameter Statistics is invalid.")));
    }
    if let Some(bad) = input.extended_statistics.iter().find(|s| parse_percentile(s).is_none()) {
        return Err(invalid(format!("The value {bad} for parameter ExtendedStatistics is invalid.")));
    }
    if input.statistics.len() > 5 || input.extended_statistics.len() > 10 {
        return Err(invalid("Too many statistics requested.".into()));
    }
    let metric = Metric { namespace: Some(namespace), metric_name: Some(name.clone()), dimensions: input.dimensions };
    let with_values = !input.extended_statistics.is_empty();
    let mut datapoints = Vec::new();
    for (id, unit) in series_ids(store, &metric, input.unit.as_deref()) {
        for (t, agg) in period_buckets(store, &[id], start, end, period, with_values) {
            let mut dp = Map::new();
            dp.insert("Timestamp".into(), epoch_seconds(t));
            for s in &input.statistics {
                if let Some(v) = Stat::parse(s).and_then(|st| st.of(&agg)) {
                    dp.insert(s.clone(), json!(v));
                }
            }
            if with_values {
                let ext: Map<String, Value> = input
                    .extended_statistics
                    .iter()
                    .filter_map(|s| Some((s.clone(), json!(agg.percentile(parse_percentile(s)?)?))))
                    .collect();
                dp.insert("ExtendedStatistics".into(), Value::Object(ext));
            }
            dp.insert("Unit".into(), json!(unit));
            datapoints.push((t, Value::Object(dp)));
        }
    }
    datapoints.sort_by_key(|(t, _)| *t);
    Ok(json!({ "Label": name, "Datapoints": datapoints.into_iter().map(|(_, d)| d).collect::<Vec<_>>() }))
}
