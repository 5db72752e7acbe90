//! Reading CloudFormation's awsQuery inputs, with AWS's validation messages.

use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;

use super::template::{ParamInput, TemplateError};

/// The largest template body accepted inline. AWS documents 51,200 bytes for TemplateBody (and 1 MB
/// for a TemplateURL); the local cloud takes bodies up to the engine's 1 MB bound, so the templates a
/// user keeps in S3 deploy here inline too.
pub const MAX_TEMPLATE_BODY: usize = 1024 * 1024;

pub fn validation(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ValidationError", message)
}

pub fn template_error(e: TemplateError) -> ApiError {
    validation(e.message)
}

/// A stack or change set name: a letter, then letters, digits and hyphens, at most 128 characters.
pub fn check_name(value: &str, member: &str) -> Result<(), ApiError> {
    let mut chars = value.chars();
    let pattern_ok =
        chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    if value.len() > 128 {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 128"
        )));
    }
    if !pattern_ok {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )));
    }
    Ok(())
}

/// The template of a request: its TemplateBody (a TemplateURL is refused: the local cloud fetches nothing).
pub fn template_body(q: &QueryParams, required: bool) -> Result<Option<String>, ApiError> {
    if let Some(body) = q.get("TemplateBody") {
        if body.len() > MAX_TEMPLATE_BODY {
            return Err(validation(format!(
                "1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to {MAX_TEMPLATE_BODY}"
            )));
        }
        return Ok(Some(body.to_string()));
    }
    if q.get("TemplateURL").is_some() {
        return Err(validation("TemplateURL must be a supported URL."));
    }
    if required {
        return Err(validation("Either Template URL or Template Body must be specified."));
    }
    Ok(None)
}

pub fn parameters(q: &QueryParams) -> Result<Vec<(String, ParamInput)>, ApiError> {
    let mut out = Vec::new();
    for m in q.list("Parameters") {
        let Some(key) = m.get("ParameterKey") else {
            return Err(validation("ParameterKey is required for every parameter"));
        };
        let use_previous = m.get("UsePreviousValue").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        match (m.get("ParameterValue"), use_previous) {
            (Some(_), true) => {
                return Err(validation(format!(
                    "Invalid input for parameter key {key}. Cannot specify usePreviousValue as true and non empty value for a parameter"
                )));
            }
            (Some(v), false) => out.push((key.to_string(), ParamInput::Value(v.to_string()))),
            (None, true) => out.push((key.to_string(), ParamInput::UsePrevious)),
            (None, false) => out.push((key.to_string(), ParamInput::Value(String::new()))),
        }
    }
    Ok(out)
}

pub fn tags(q: &QueryParams) -> Result<Vec<(String, String)>, ApiError> {
    let list = q.list("Tags");
    if list.len() > 50 {
        return Err(validation(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    list.iter()
        .map(|m| match (m.get("Key"), m.get("Value")) {
            (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
            _ => Err(validation("Every tag needs a Key and a Value")),
        })
        .collect()
}

pub fn flag(q: &QueryParams, name: &str) -> Result<Option<bool>, ApiError> {
    match q.get(name) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(validation(format!("Invalid value for {name}: {v} (expected true or false)"))),
    }
}

/// Where a page starts: the `NextToken` a previous page gave.
pub fn start(q: &QueryParams) -> Result<usize, ApiError> {
    match q.get("NextToken") {
        None => Ok(0),
        Some(t) => t.parse().map_err(|_| validation("Invalid NextToken")),
    }
}

/// Capabilities a template needs but the request did not acknowledge, as AWS refuses them.
pub fn check_capabilities(required: &[String], given: &[String]) -> Result<(), ApiError> {
    let has = |c: &str| given.iter().any(|g| g == c);
    let missing = if required.iter().any(|c| c == "CAPABILITY_NAMED_IAM") && !has("CAPABILITY_NAMED_IAM") {
        Some("CAPABILITY_NAMED_IAM")
    } else if required.iter().any(|c| c == "CAPABILITY_IAM") && !has("CAPABILITY_IAM") && !has("CAPABILITY_NAMED_IAM") {
        Some("CAPABILITY_IAM")
    } else {
        None
    };
    match missing {
        Some(c) => {
            Err(ApiError::bad_request("InsufficientCapabilitiesException", format!("Requires capabilities : [{c}]")))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_cloudformations_pattern() {
        assert!(check_name("orders-1", "stackName").is_ok());
        let e = check_name("1orders", "stackName").unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert!(e.message.contains("[a-zA-Z][-a-zA-Z0-9]*"), "{}", e.message);
        assert!(check_name(&"a".repeat(129), "stackName").unwrap_err().message.contains("128"));
    }

    #[test]
    fn named_iam_needs_its_own_capability() {
        let named = vec!["CAPABILITY_NAMED_IAM".to_string()];
        let iam = vec!["CAPABILITY_IAM".to_string()];
        assert_eq!(
            check_capabilities(&named, &iam).unwrap_err().message,
            "Requires capabilities : [CAPABILITY_NAMED_IAM]"
        );
        assert!(check_capabilities(&iam, &named).is_ok());
        assert_eq!(check_capabilities(&iam, &[]).unwrap_err().code, "InsufficientCapabilitiesException");
    }
}
