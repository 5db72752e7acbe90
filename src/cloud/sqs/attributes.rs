//! Queue attributes as the API model documents them: which a client may set, their ranges, their
//! defaults, and which GetQueueAttributes computes. FIFO queues are refused: the patterns use
//! standard queues only, and a FIFO queue's ordering and deduplication are not modelled locally.
//!
//! | attribute | values | default |
//! |---|---|---|
//! | DelaySeconds | 0–900 | 0 |
//! | MaximumMessageSize | 1,024–1,048,576 | 1,048,576 |
//! | MessageRetentionPeriod | 60–1,209,600 | 345,600 |
//! | ReceiveMessageWaitTimeSeconds | 0–20 | 0 |
//! | VisibilityTimeout | 0–43,200 | 30 |
//! | KmsDataKeyReusePeriodSeconds | 60–86,400 | — |
//! | SqsManagedSseEnabled | true, false | true |
//! | Policy, RedriveAllowPolicy | a JSON object | — |
//! | RedrivePolicy | `{"deadLetterTargetArn", "maxReceiveCount" 1–1,000}` | — |
//! | KmsMasterKeyId | text | — |

use std::collections::BTreeMap;

use serde_json::Value;

use super::errors;
use super::model::MAX_MESSAGE_BYTES;
use crate::cloud::error::ApiError;

/// Integer attributes and their inclusive ranges.
const RANGES: &[(&str, i64, i64)] = &[
    ("DelaySeconds", 0, 900),
    ("MaximumMessageSize", 1_024, MAX_MESSAGE_BYTES as i64),
    ("MessageRetentionPeriod", 60, 1_209_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("VisibilityTimeout", 0, 43_200),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
];

const FIFO_ONLY: &[&str] = &["FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"];

/// What GetQueueAttributes computes; a client cannot set them.
pub const COMPUTED: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

pub fn defaults() -> BTreeMap<String, String> {
    [
        ("DelaySeconds", "0".to_string()),
        ("MaximumMessageSize", MAX_MESSAGE_BYTES.to_string()),
        ("MessageRetentionPeriod", "345600".to_string()),
        ("ReceiveMessageWaitTimeSeconds", "0".to_string()),
        ("VisibilityTimeout", "30".to_string()),
        ("SqsManagedSseEnabled", "true".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A name GetQueueAttributes answers (settable or computed).
pub fn is_known(name: &str) -> bool {
    COMPUTED.contains(&name) || is_settable(name) || FIFO_ONLY.contains(&name)
}

fn is_settable(name: &str) -> bool {
    RANGES.iter().any(|(n, _, _)| *n == name)
        || matches!(name, "Policy" | "RedrivePolicy" | "RedriveAllowPolicy" | "KmsMasterKeyId" | "SqsManagedSseEnabled")
}

/// The `Attributes` map of CreateQueue or SetQueueAttributes, each checked; values as text.
pub fn parse(input: &Value) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(map) = input.get("Attributes").filter(|v| !v.is_null()) else { return Ok(out) };
    let Some(map) = map.as_object() else {
        return Err(ApiError::serialization("Attributes must be a map of attribute names to strings"));
    };
    for (name, value) in map {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(errors::invalid_attribute_value(name, "expected a string")),
        };
        out.insert(name.clone(), check(name, &text)?);
    }
    Ok(out)
}

fn check(name: &str, text: &str) -> Result<String, ApiError> {
    if FIFO_ONLY.contains(&name) {
        return match (name, text) {
            ("FifoQueue", "false") => Ok(text.to_string()),
            _ => Err(fifo_refused()),
        };
    }
    if let Some((_, lo, hi)) = RANGES.iter().find(|(n, _, _)| *n == name) {
        return match text.trim().parse::<i64>() {
            Ok(v) if (*lo..=*hi).contains(&v) => Ok(v.to_string()),
            _ => Err(errors::invalid_attribute_value(name, format!("must be an integer from {lo} to {hi}."))),
        };
    }
    match name {
        "Policy" | "RedriveAllowPolicy" if text.is_empty() => Ok(String::new()),
        "Policy" | "RedriveAllowPolicy" => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) => Ok(text.to_string()),
            _ => Err(errors::invalid_attribute_value(name, "the value is not a JSON object.")),
        },
        "RedrivePolicy" if text.is_empty() => Ok(String::new()),
        "RedrivePolicy" => redrive(text),
        "SqsManagedSseEnabled" => match text {
            "true" | "false" => Ok(text.to_string()),
            _ => Err(errors::invalid_attribute_value(name, "must be true or false.")),
        },
        "KmsMasterKeyId" => Ok(text.to_string()),
        _ => Err(errors::invalid_attribute_name(name)),
    }
}

/// A RedrivePolicy: a dead-letter target ARN and a maxReceiveCount from 1 to 1,000.
fn redrive(text: &str) -> Result<String, ApiError> {
    let bad = |why: &str| errors::invalid_attribute_value("RedrivePolicy", why);
    let Ok(Value::Object(policy)) = serde_json::from_str::<Value>(text) else {
        return Err(bad("the value is not a JSON object."));
    };
    let arn = policy.get("deadLetterTargetArn").and_then(Value::as_str).unwrap_or_default();
    if !arn.starts_with("arn:aws:sqs:") {
        return Err(bad("deadLetterTargetArn must be the ARN of an SQS queue."));
    }
    let count = policy.get("maxReceiveCount").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    match count {
        Some(n) if (1..=1000).contains(&n) => Ok(text.to_string()),
        _ => Err(bad("maxReceiveCount must be an integer from 1 to 1000.")),
    }
}

fn fifo_refused() -> ApiError {
    errors::invalid_parameter("FIFO queues are not supported by the local cloud; use a standard queue.")
}

/// A queue name AWS accepts: 1–80 alphanumerics, hyphens and underscores. A `.fifo` name is a FIFO
/// queue, refused here.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    if name.ends_with(".fifo") {
        return Err(fifo_refused());
    }
    let ok =
        !name.is_empty() && name.len() <= 80 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(errors::invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn attributes_are_held_to_the_models_ranges() {
        let ok = parse(&json!({"Attributes": {"VisibilityTimeout": "0", "DelaySeconds": 900}})).unwrap();
        assert_eq!(ok["VisibilityTimeout"], "0");
        assert_eq!(ok["DelaySeconds"], "900");
        for (name, value) in [
            ("VisibilityTimeout", "43201"),
            ("MessageRetentionPeriod", "59"),
            ("MaximumMessageSize", "1048577"),
            ("ReceiveMessageWaitTimeSeconds", "x"),
        ] {
            let err = parse(&json!({"Attributes": {name: value}})).unwrap_err();
            assert_eq!(err.code, "InvalidAttributeValue", "{name}={value}");
            assert!(err.message.contains(name), "{}", err.message);
        }
        assert_eq!(parse(&json!({"Attributes": {"Colour": "red"}})).unwrap_err().code, "InvalidAttributeName");
        assert_eq!(parse(&json!({"Attributes": {"FifoQueue": "true"}})).unwrap_err().code, "InvalidParameterValue");
    }

    #[test]
    fn a_redrive_policy_needs_a_queue_arn_and_a_receive_count() {
        let good = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"5"}"#;
        assert!(parse(&json!({"Attributes": {"RedrivePolicy": good}})).is_ok());
        for bad in [r#"{"maxReceiveCount":5}"#, r#"{"deadLetterTargetArn":"arn:aws:sqs:x","maxReceiveCount":0}"#, "[]"]
        {
            let err = parse(&json!({"Attributes": {"RedrivePolicy": bad}})).unwrap_err();
            assert_eq!(err.code, "InvalidAttributeValue", "{bad}");
        }
    }

    #[test]
    fn names_follow_aws_rules_and_fifo_names_are_refused() {
        assert!(check_name("orders-dlq_1").is_ok());
        assert!(check_name(&"a".repeat(81)).is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("q.fifo").unwrap_err().message.contains("FIFO"));
    }
}
