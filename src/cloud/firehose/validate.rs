//! Input rules the operations share, worded as Firehose words its errors: constraint violations of
//! the service model as `ValidationException` ("1 validation error detected: …"), the service's own
//! rules as `InvalidArgumentException`.

use serde_json::Value;

use crate::cloud::error::ApiError;

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidArgumentException", message)
}

pub fn constraint(value: impl std::fmt::Display, member: &str, rule: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    ))
}

pub fn not_null(member: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

pub fn not_found(name: &str, account: &str) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", format!("Firehose {name} under account {account} not found."))
}

pub fn in_use(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ResourceInUseException", message)
}

/// An optional string member; a value of another type is a serialization error, as the SDKs' own
/// deserializers would say.
pub fn opt_str<'a>(input: &'a Value, member: &str) -> Result<Option<&'a str>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a string"))),
    }
}

/// `wire` is the member's name in messages (lowerCamel, as AWS's validation names it).
pub fn req_str<'a>(input: &'a Value, member: &str, wire: &str) -> Result<&'a str, ApiError> {
    opt_str(input, member)?.ok_or_else(|| not_null(wire))
}

/// An optional integer within `range`; numbers given as strings (CloudFormation parameters) are read too.
pub fn opt_int(
    input: &Value,
    member: &str,
    wire: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, ApiError> {
    let n = match input.get(member) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    let n = n.ok_or_else(|| ApiError::serialization(format!("{member} must be an integer")))?;
    if n < *range.start() {
        return Err(constraint(n, wire, &format!("Member must have value greater than or equal to {}", range.start())));
    }
    if n > *range.end() {
        return Err(constraint(n, wire, &format!("Member must have value less than or equal to {}", range.end())));
    }
    Ok(Some(n))
}

pub fn length(value: &str, wire: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min {
        return Err(constraint(value, wire, &format!("Member must have length greater than or equal to {min}")));
    }
    if n > max {
        return Err(constraint(value, wire, &format!("Member must have length less than or equal to {max}")));
    }
    Ok(())
}

/// DeliveryStreamName: 1–64 characters of `[a-zA-Z0-9_.-]`.
pub fn stream_name(name: &str) -> Result<(), ApiError> {
    length(name, "deliveryStreamName", 1, 64)?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return Err(constraint(
            name,
            "deliveryStreamName",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        ));
    }
    Ok(())
}

/// An ARN member (`arn:.*`, within its length bounds).
pub fn arn(value: &str, wire: &str, max: usize) -> Result<(), ApiError> {
    length(value, wire, 1, max)?;
    if !value.starts_with("arn:") {
        return Err(constraint(value, wire, "Member must satisfy regular expression pattern: arn:.*"));
    }
    Ok(())
}

/// A `[{Key, Value}]` list of at most 50 tags with AWS's key and value lengths.
pub fn tags(input: &Value, member: &str, wire: &str) -> Result<Vec<(String, String)>, ApiError> {
    let list = match input.get(member) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(ApiError::serialization(format!("{member} must be a list"))),
    };
    if list.is_empty() || list.len() > 50 {
        let rule = if list.is_empty() { "greater than or equal to 1" } else { "less than or equal to 50" };
        return Err(constraint(format!("[{} tags]", list.len()), wire, &format!("Member must have length {rule}")));
    }
    list.iter()
        .map(|t| {
            let key = req_str(t, "Key", &format!("{wire}.member.key"))?;
            length(key, &format!("{wire}.member.key"), 1, 128)?;
            let value = opt_str(t, "Value")?.unwrap_or_default();
            length(value, &format!("{wire}.member.value"), 0, 256)?;
            if key.starts_with("aws:") {
                return Err(invalid(format!("Tag key {key} uses the reserved prefix aws:")));
            }
            Ok((key.to_string(), value.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_and_ranges_are_checked_with_the_members_named() {
        assert!(stream_name("orders-1_a.b").is_ok());
        let e = stream_name("no spaces").unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("'deliveryStreamName'") && e.message.contains("[a-zA-Z0-9_.-]+"), "{}", e.message);
        assert!(stream_name(&"a".repeat(65)).unwrap_err().message.contains("less than or equal to 64"));
        let hints = json!({ "SizeInMBs": 129, "IntervalInSeconds": "60" });
        let e = opt_int(&hints, "SizeInMBs", "bufferingHints.sizeInMBs", 1..=128).unwrap_err();
        assert!(e.message.contains("Value '129' at 'bufferingHints.sizeInMBs'"), "{}", e.message);
        assert_eq!(opt_int(&hints, "IntervalInSeconds", "i", 0..=900).unwrap(), Some(60));
        let many: Vec<Value> = (0..51).map(|i| json!({ "Key": format!("k{i}"), "Value": "v" })).collect();
        assert!(tags(&json!({ "Tags": many }), "Tags", "tags").is_err());
    }
}
