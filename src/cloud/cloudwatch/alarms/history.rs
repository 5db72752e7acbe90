//! Alarm history: the items state changes and configuration changes write (HistoryData shaped like
//! AWS's), and DescribeAlarmHistory over them.

use serde::Deserialize;
use serde_json::{Value, json};

use super::evaluate::Verdict;
use super::model::{HistoryItem, MetricAlarm, seconds};
use super::storage::Book;
use crate::cloud::error::ApiError;

const ITEM_TYPES: [&str; 5] =
    ["ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate", "AlarmContributorAction"];

fn item(alarm: &str, now_ms: i64, kind: &str, summary: String, data: Value) -> HistoryItem {
    HistoryItem {
        alarm_name: alarm.to_string(),
        alarm_type: "MetricAlarm".to_string(),
        timestamp: seconds(now_ms),
        history_item_type: kind.to_string(),
        history_summary: summary,
        history_data: data.to_string(),
    }
}

/// Stores a new or updated definition. An update keeps the state and the tags (AWS ignores Tags on
/// update) and records which fields changed.
pub fn record_put(book: &mut Book, mut alarm: MetricAlarm, now_ms: i64) {
    let name = alarm.alarm_name.clone();
    let (summary, data) = match book.alarms.get(&name) {
        None => ("created", json!({"version": "1.0", "type": "Create", "createdAlarm": alarm.history_json()})),
        Some(old) => {
            alarm.state_value = old.state_value;
            alarm.state_reason = old.state_reason.clone();
            alarm.state_reason_data = old.state_reason_data.clone();
            alarm.state_updated_timestamp = old.state_updated_timestamp;
            alarm.state_transitioned_timestamp = old.state_transitioned_timestamp;
            alarm.tags = old.tags.clone();
            let (before, after) = (old.history_json(), alarm.history_json());
            let changed: serde_json::Map<String, Value> = before
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(k, v)| after.get(k.as_str()) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let data =
                json!({"version": "1.0", "type": "Update", "updatedAlarm": after, "originalUpdatedFields": changed});
            ("updated", data)
        }
    };
    book.record(item(&name, now_ms, "ConfigurationUpdate", format!("Alarm \"{name}\" {summary}"), data), now_ms);
    book.alarms.insert(name, alarm);
}

pub fn record_delete(book: &mut Book, alarm: &MetricAlarm, now_ms: i64) {
    let name = &alarm.alarm_name;
    let data = json!({"version": "1.0", "type": "Delete", "deletedAlarm": alarm.history_json()});
    book.record(item(name, now_ms, "ConfigurationUpdate", format!("Alarm \"{name}\" deleted"), data), now_ms);
}

fn state_json(value: &str, reason: &str, reason_data: Option<&str>) -> Value {
    let mut state = json!({"stateValue": value, "stateReason": reason});
    let parsed = reason_data.and_then(|d| serde_json::from_str::<Value>(d).ok());
    if let (Some(data), Some(map)) = (parsed, state.as_object_mut()) {
        map.insert("stateReasonData".into(), data);
    }
    state
}

/// Sets the alarm's state and records the StateUpdate item.
pub fn transition(book: &mut Book, name: &str, verdict: Verdict, now_ms: i64) {
    let Some(alarm) = book.alarms.get_mut(name) else {
        return;
    };
    let old = state_json(alarm.state_value.as_str(), &alarm.state_reason, alarm.state_reason_data.as_deref());
    let reason_data = Some(verdict.reason_data).filter(|d| !d.is_empty());
    let new = state_json(verdict.state.as_str(), &verdict.reason, reason_data.as_deref());
    let summary = format!("Alarm updated from {} to {}", alarm.state_value.as_str(), verdict.state.as_str());
    if alarm.state_value != verdict.state {
        alarm.state_transitioned_timestamp = seconds(now_ms);
    }
    alarm.state_value = verdict.state;
    alarm.state_reason = verdict.reason;
    alarm.state_reason_data = reason_data;
    alarm.state_updated_timestamp = seconds(now_ms);
    let data = json!({"version": "1.0", "oldState": old, "newState": new});
    book.record(item(name, now_ms, "StateUpdate", summary, data), now_ms);
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAlarmHistoryInput {
    pub alarm_name: Option<String>,
    #[serde(default)]
    pub alarm_types: Vec<String>,
    pub history_item_type: Option<String>,
    pub start_date: Option<f64>,
    pub end_date: Option<f64>,
    pub max_records: Option<i64>,
    pub next_token: Option<String>,
    pub scan_by: Option<String>,
}

pub fn describe_alarm_history(book: &Book, input: DescribeAlarmHistoryInput) -> Result<Value, ApiError> {
    if let Some(t) = input.history_item_type.as_deref().filter(|t| !ITEM_TYPES.contains(t)) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{t}' at 'historyItemType' failed to satisfy constraint: Member must \
             satisfy enum value set: [{}]",
            ITEM_TYPES.join(", ")
        )));
    }
    let ascending = match input.scan_by.as_deref() {
        None | Some("TimestampDescending") => false,
        Some("TimestampAscending") => true,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{other}' at 'scanBy' failed to satisfy constraint: Member must \
                 satisfy enum value set: [TimestampDescending, TimestampAscending]"
            )));
        }
    };
    let max = super::describe::max_records(input.max_records, 100)?;
    let after = input.next_token.as_deref().map(super::describe::decode_token).transpose()?;
    let wants_metric = input.alarm_types.is_empty() || input.alarm_types.iter().any(|t| t == "MetricAlarm");
    let matches = |h: &HistoryItem| {
        wants_metric
            && input.alarm_name.as_deref().is_none_or(|n| h.alarm_name == n)
            && input.history_item_type.as_deref().is_none_or(|t| h.history_item_type == t)
            && input.start_date.is_none_or(|s| h.timestamp >= s)
            && input.end_date.is_none_or(|e| h.timestamp <= e)
    };
    let ordered: Box<dyn Iterator<Item = &(u64, HistoryItem)>> =
        if ascending { Box::new(book.history.iter()) } else { Box::new(book.history.iter().rev()) };
    let after_seq = after.map(|t| t.parse::<u64>()).transpose().map_err(|_| invalid_token())?;
    let mut page = ordered
        .filter(|(seq, _)| after_seq.is_none_or(|a| if ascending { *seq > a } else { *seq < a }))
        .filter(|(_, h)| matches(h))
        .take(max + 1)
        .collect::<Vec<_>>();
    let next = (page.len() > max).then(|| page[max - 1].0);
    page.truncate(max);
    let mut out = json!({"AlarmHistoryItems": page.iter().map(|(_, h)| h).collect::<Vec<_>>()});
    if let (Some(seq), Some(map)) = (next, out.as_object_mut()) {
        map.insert("NextToken".into(), super::describe::encode_token(&seq.to_string()).into());
    }
    Ok(out)
}

fn invalid_token() -> ApiError {
    ApiError::bad_request("InvalidNextToken", "The service cannot find the next token.")
}
