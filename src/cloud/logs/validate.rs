//! Input rules CloudWatch Logs checks, with its `InvalidParameterException` wording.

use serde_json::Value;

use crate::cloud::error::ApiError;

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterException", message)
}

pub fn group_not_found() -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", "The specified log group does not exist.")
}

pub fn stream_not_found() -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", "The specified log stream does not exist.")
}

fn constraint(value: &str, member: &str, rule: &str) -> ApiError {
    invalid(format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"))
}

pub fn opt_str<'a>(input: &'a Value, member: &str) -> Result<Option<&'a str>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a string"))),
    }
}

pub fn req_str<'a>(input: &'a Value, member: &str) -> Result<&'a str, ApiError> {
    opt_str(input, member)?.ok_or_else(|| {
        invalid(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

pub fn opt_i64(input: &Value, member: &str) -> Result<Option<i64>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| ApiError::serialization(format!("{member} must be an integer"))),
    }
}

pub fn opt_bool(input: &Value, member: &str) -> Result<Option<bool>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a boolean"))),
    }
}

/// `limit`: between 1 and `max`, `max` when absent.
pub fn limit(input: &Value, max: i64) -> Result<usize, ApiError> {
    match opt_i64(input, "limit")? {
        None => Ok(max as usize),
        Some(n) if (1..=max).contains(&n) => Ok(n as usize),
        Some(n) => Err(constraint(
            &n.to_string(),
            "limit",
            &format!(
                "Member must have value {}",
                if n < 1 { "greater than or equal to 1" } else { "less than or equal to the maximum" }
            ),
        )),
    }
}

pub fn group_name(name: &str, member: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 512 {
        return Err(constraint(name, member, "Member must have length between 1 and 512"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-/#".contains(c)) {
        return Err(constraint(name, member, "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"));
    }
    Ok(())
}

pub fn stream_name(name: &str, member: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > 512 {
        return Err(constraint(name, member, "Member must have length between 1 and 512"));
    }
    if name.contains([':', '*']) {
        return Err(constraint(name, member, "Member must satisfy regular expression pattern: [^:*]*"));
    }
    Ok(())
}

pub fn retention_days(days: i64) -> Result<u32, ApiError> {
    match u32::try_from(days) {
        Ok(d) if super::model::RETENTION_DAYS.contains(&d) => Ok(d),
        _ => Err(constraint(
            &days.to_string(),
            "retentionInDays",
            &format!("Member must satisfy enum value set: {:?}", super::model::RETENTION_DAYS),
        )),
    }
}

/// Tags as AWS limits them: at most 50, keys 1–128 characters not starting with `aws:`, values ≤ 256.
pub fn tags(input: &Value, member: &str) -> Result<Vec<(String, String)>, ApiError> {
    let Some(map) = input.get(member).filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let Some(map) = map.as_object() else { return Err(ApiError::serialization(format!("{member} must be a map"))) };
    if map.len() > 50 {
        return Err(constraint("tags", member, "Member must have length less than or equal to 50"));
    }
    let mut out = Vec::new();
    for (k, v) in map {
        let Some(v) = v.as_str() else { return Err(ApiError::serialization("tag values must be strings")) };
        if k.is_empty() || k.chars().count() > 128 || k.starts_with("aws:") {
            return Err(invalid(format!("Invalid tag key: {k}")));
        }
        if v.chars().count() > 256 {
            return Err(invalid(format!("Invalid tag value for key {k}: longer than 256 characters")));
        }
        out.push((k.clone(), v.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_retention_follow_the_service_model() {
        assert!(group_name("/aws/lambda/fn_1.x#y", "logGroupName").is_ok());
        let e = group_name("bad name", "logGroupName").unwrap_err();
        assert_eq!(e.code, "InvalidParameterException");
        assert!(e.message.contains("'bad name' at 'logGroupName'"), "{}", e.message);
        assert!(stream_name("2026/11/28/[$LATEST]abc", "logStreamName").is_ok());
        assert!(stream_name("a:b", "logStreamName").is_err());
        assert_eq!(retention_days(14).unwrap(), 14);
        assert!(retention_days(2).unwrap_err().message.contains("enum value set"));
    }
}
