//! DescribeAlarms and DescribeAlarmsForMetric: filters, pagination, and the MetricAlarm shape.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{MetricAlarm, StateValue};
use super::storage::Book;
use crate::cloud::cloudwatch::model::{Dimension, Metric};
use crate::cloud::error::ApiError;

pub fn max_records(requested: Option<i64>, max: i64) -> Result<usize, ApiError> {
    match requested {
        None => Ok(max as usize),
        Some(n) if (1..=max).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxRecords' failed to satisfy constraint: Member must have \
             value between 1 and {max}"
        ))),
    }
}

pub fn encode_token(position: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("kc1:{position}"))
}

pub fn decode_token(token: &str) -> Result<String, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok();
    let text = bytes.and_then(|b| String::from_utf8(b).ok());
    text.and_then(|t| t.strip_prefix("kc1:").map(str::to_string))
        .ok_or_else(|| ApiError::bad_request("InvalidNextToken", "The service cannot find the next token."))
}

/// An alarm as the wire carries it: absent members left out rather than null.
pub fn alarm_json(alarm: &MetricAlarm) -> Value {
    let mut v = strip_nulls(serde_json::to_value(alarm).unwrap_or_default());
    if let Some(map) = v.as_object_mut() {
        map.remove("Tags");
    }
    v
}

fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, strip_nulls(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAlarmsInput {
    #[serde(default)]
    pub alarm_names: Vec<String>,
    pub alarm_name_prefix: Option<String>,
    #[serde(default)]
    pub alarm_types: Vec<String>,
    pub children_of_alarm_name: Option<String>,
    pub parents_of_alarm_name: Option<String>,
    pub state_value: Option<String>,
    pub action_prefix: Option<String>,
    pub max_records: Option<i64>,
    pub next_token: Option<String>,
}

pub fn describe_alarms(book: &Book, input: DescribeAlarmsInput) -> Result<Value, ApiError> {
    if !input.alarm_names.is_empty() && input.alarm_name_prefix.is_some() {
        return Err(ApiError::bad_request(
            "InvalidParameterCombination",
            "AlarmNames and AlarmNamePrefix cannot be used together.",
        ));
    }
    if input.alarm_names.len() > 100 {
        return Err(ApiError::validation("The collection AlarmNames must not have more than 100 members."));
    }
    let state = match input.state_value.as_deref() {
        None => None,
        Some(s) => Some(StateValue::parse(s).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{s}' at 'stateValue' failed to satisfy constraint: Member must \
                 satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
            ))
        })?),
    };
    if let Some(t) = input.alarm_types.iter().find(|t| *t != "MetricAlarm" && *t != "CompositeAlarm") {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '[{t}]' at 'alarmTypes' failed to satisfy constraint: Member must \
             satisfy constraint: [Member must satisfy enum value set: [CompositeAlarm, MetricAlarm]]"
        )));
    }
    let max = max_records(input.max_records, 100)?;
    let after = input.next_token.as_deref().map(decode_token).transpose()?;
    // Composite alarms do not exist locally; ChildrenOf/ParentsOf name composite relations only.
    let wants_metric = (input.alarm_types.is_empty() || input.alarm_types.iter().any(|t| t == "MetricAlarm"))
        && input.children_of_alarm_name.is_none()
        && input.parents_of_alarm_name.is_none();
    let selected = book.alarms.values().filter(|a| {
        wants_metric
            && after.as_deref().is_none_or(|after| a.alarm_name.as_str() > after)
            && (input.alarm_names.is_empty() || input.alarm_names.contains(&a.alarm_name))
            && input.alarm_name_prefix.as_deref().is_none_or(|p| a.alarm_name.starts_with(p))
            && state.is_none_or(|s| a.state_value == s)
            && input.action_prefix.as_deref().is_none_or(|p| has_action_prefix(a, p))
    });
    let mut page: Vec<&MetricAlarm> = selected.take(max + 1).collect();
    let next = (page.len() > max).then(|| page[max - 1].alarm_name.clone());
    page.truncate(max);
    let mut out = json!({
        "MetricAlarms": page.iter().map(|a| alarm_json(a)).collect::<Vec<_>>(),
        "CompositeAlarms": [],
    });
    if let (Some(name), Some(map)) = (next, out.as_object_mut()) {
        map.insert("NextToken".into(), encode_token(&name).into());
    }
    Ok(out)
}

fn has_action_prefix(alarm: &MetricAlarm, prefix: &str) -> bool {
    let mut actions = alarm.ok_actions.iter().chain(&alarm.alarm_actions).chain(&alarm.insufficient_data_actions);
    actions.any(|a| a.starts_with(prefix))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAlarmsForMetricInput {
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub dimensions: Option<Vec<Dimension>>,
    pub period: Option<i64>,
    pub unit: Option<String>,
}

pub fn describe_alarms_for_metric(book: &Book, input: DescribeAlarmsForMetricInput) -> Result<Value, ApiError> {
    let (Some(name), Some(namespace)) = (&input.metric_name, &input.namespace) else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'metricName' or 'namespace' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let wanted = Metric {
        namespace: Some(namespace.clone()),
        metric_name: Some(name.clone()),
        dimensions: input.dimensions.clone().unwrap_or_default(),
    };
    let alarms: Vec<Value> = book.alarms.values().filter(|a| watches(a, &wanted, &input)).map(alarm_json).collect();
    Ok(json!({ "MetricAlarms": alarms }))
}

/// Whether the alarm watches the metric: its own metric, or one in its math, with the filters given.
fn watches(alarm: &MetricAlarm, wanted: &Metric, input: &DescribeAlarmsForMetricInput) -> bool {
    let same = |m: &Metric| {
        m.namespace == wanted.namespace
            && m.metric_name == wanted.metric_name
            && (input.dimensions.is_none() || m.dimension_map() == wanted.dimension_map())
    };
    if let Some(metrics) = &alarm.metrics {
        return metrics.iter().filter_map(|q| q.metric_stat.as_ref()).any(|ms| {
            same(&ms.metric)
                && input.period.is_none_or(|p| p == ms.period)
                && input.statistic.as_deref().or(input.extended_statistic.as_deref()).is_none_or(|s| s == ms.stat)
                && input.unit.as_deref().is_none_or(|u| ms.unit.as_deref() == Some(u))
        });
    }
    let own = Metric {
        namespace: alarm.namespace.clone(),
        metric_name: alarm.metric_name.clone(),
        dimensions: alarm.dimensions.clone(),
    };
    same(&own)
        && input.period.is_none_or(|p| alarm.period == Some(p))
        && input.statistic.as_ref().is_none_or(|s| alarm.statistic.as_ref() == Some(s))
        && input.extended_statistic.as_ref().is_none_or(|s| alarm.extended_statistic.as_ref() == Some(s))
        && input.unit.as_ref().is_none_or(|u| alarm.unit.as_ref() == Some(u))
}
