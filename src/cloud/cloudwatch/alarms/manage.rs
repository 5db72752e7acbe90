//! SetAlarmState, DeleteAlarms, Enable/DisableAlarmActions and alarm tags.

use serde::Deserialize;
use serde_json::{Value, json};

use super::evaluate::Verdict;
use super::model::{StateValue, Tag};
use super::storage::Book;
use crate::cloud::error::ApiError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetAlarmStateInput {
    pub alarm_name: Option<String>,
    pub state_value: Option<String>,
    pub state_reason: Option<String>,
    pub state_reason_data: Option<String>,
}

fn null(member: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

impl SetAlarmStateInput {
    pub fn validate(&self) -> Result<Verdict, ApiError> {
        self.alarm_name.as_ref().ok_or_else(|| null("alarmName"))?;
        let value = self.state_value.as_deref().ok_or_else(|| null("stateValue"))?;
        let state = StateValue::parse(value).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{value}' at 'stateValue' failed to satisfy constraint: Member \
                 must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
            ))
        })?;
        let reason = self.state_reason.clone().ok_or_else(|| null("stateReason"))?;
        if reason.chars().count() > 1023 {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have \
                 length less than or equal to 1023",
            ));
        }
        let data = self.state_reason_data.clone().unwrap_or_default();
        if data.chars().count() > 4000 {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'stateReasonData' failed to satisfy constraint: Member must \
                 have length less than or equal to 4000",
            ));
        }
        if !data.is_empty() && !serde_json::from_str::<Value>(&data).is_ok_and(|v| v.is_object()) {
            return Err(ApiError::bad_request("InvalidFormat", "StateReasonData must be a valid JSON object."));
        }
        Ok(Verdict { state, reason, reason_data: data })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmNamesInput {
    #[serde(default)]
    pub alarm_names: Vec<String>,
}

pub fn delete_alarms(book: &mut Book, input: AlarmNamesInput, now_ms: i64) -> Result<Value, ApiError> {
    if input.alarm_names.len() > 100 {
        return Err(ApiError::validation("The collection AlarmNames must not have more than 100 members."));
    }
    let missing: Vec<&str> =
        input.alarm_names.iter().filter(|n| !book.alarms.contains_key(*n)).map(String::as_str).collect();
    if !missing.is_empty() {
        return Err(ApiError::new(
            http::StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("Alarms not found: [{}]", missing.join(", ")),
        ));
    }
    for name in &input.alarm_names {
        if let Some(alarm) = book.alarms.remove(name) {
            super::history::record_delete(book, &alarm, now_ms);
        }
    }
    Ok(json!({}))
}

pub fn set_actions_enabled(book: &mut Book, input: AlarmNamesInput, enabled: bool) -> Result<Value, ApiError> {
    if input.alarm_names.len() > 100 {
        return Err(ApiError::validation("The collection AlarmNames must not have more than 100 members."));
    }
    for name in &input.alarm_names {
        if let Some(alarm) = book.alarms.get_mut(name) {
            alarm.actions_enabled = enabled;
        }
    }
    Ok(json!({}))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagsInput {
    #[serde(rename = "ResourceARN")]
    pub resource_arn: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub tag_keys: Vec<String>,
}

/// The alarm an ARN names, if it names an existing one.
fn alarm_name<'a>(book: &Book, arn: Option<&'a str>) -> Result<&'a str, ApiError> {
    let arn = arn.ok_or_else(|| null("resourceARN"))?;
    let name = arn.split_once(":alarm:").map(|(_, n)| n).filter(|n| book.alarms.contains_key(*n));
    name.ok_or_else(|| {
        ApiError::new(
            http::StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("The resource {arn} could not be found."),
        )
    })
}

pub fn tag_resource(book: &mut Book, input: TagsInput) -> Result<Value, ApiError> {
    let name = alarm_name(book, input.resource_arn.as_deref())?.to_string();
    super::put::check_tags(&input.tags)?;
    if let Some(alarm) = book.alarms.get_mut(&name) {
        let mut tags = alarm.tags.clone();
        for tag in input.tags {
            match tags.iter_mut().find(|t| t.key == tag.key) {
                Some(existing) => existing.value = tag.value,
                None => tags.push(tag),
            }
        }
        if tags.len() > 50 {
            return Err(ApiError::bad_request("LimitExceeded", "A resource can have at most 50 tags."));
        }
        alarm.tags = tags;
    }
    Ok(json!({}))
}

pub fn untag_resource(book: &mut Book, input: TagsInput) -> Result<Value, ApiError> {
    let name = alarm_name(book, input.resource_arn.as_deref())?.to_string();
    if let Some(alarm) = book.alarms.get_mut(&name) {
        alarm.tags.retain(|t| !input.tag_keys.contains(&t.key));
    }
    Ok(json!({}))
}

pub fn list_tags(book: &Book, input: TagsInput) -> Result<Value, ApiError> {
    let name = alarm_name(book, input.resource_arn.as_deref())?;
    let tags = book.alarms.get(name).map(|a| a.tags.clone()).unwrap_or_default();
    Ok(json!({ "Tags": tags }))
}
