//! IAM's input rules and errors, in its awsQuery wording.

use http::StatusCode;

use super::model::{Policy, Role};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;

pub fn no_such_entity(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NoSuchEntity", message)
}

pub fn no_such_role(name: &str) -> ApiError {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

pub fn no_such_policy(arn: &str) -> ApiError {
    no_such_entity(format!("Policy {arn} does not exist or is not attachable."))
}

pub fn already_exists(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "EntityAlreadyExists", message)
}

pub fn delete_conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "DeleteConflict", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "LimitExceeded", message)
}

pub fn validation(value: &str, member: &str, rule: &str) -> ApiError {
    ApiError::bad_request(
        "ValidationError",
        format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"),
    )
}

/// Role, policy and inline policy names: 1–`max` of `[\w+=,.@-]`.
pub fn name<'a>(q: &'a QueryParams, key: &str, member: &str, max: usize) -> Result<&'a str, ApiError> {
    let value = q.required(key).map_err(|_| missing(member))?;
    if value.is_empty() || value.chars().count() > max {
        return Err(validation(value, member, &format!("Member must have length less than or equal to {max}")));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)) {
        return Err(validation(value, member, "Member must satisfy regular expression pattern: [\\w+=,.@-]+"));
    }
    Ok(value)
}

pub fn missing(member: &str) -> ApiError {
    ApiError::bad_request(
        "ValidationError",
        format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

/// `/` or `/…/` with printable ASCII between, at most 512 characters.
pub fn path(q: &QueryParams) -> Result<String, ApiError> {
    let Some(path) = q.get("Path") else { return Ok("/".to_string()) };
    let printable = path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if path.len() > 512 || !path.starts_with('/') || !path.ends_with('/') || !printable {
        return Err(validation(
            path,
            "path",
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(path.to_string())
}

/// A policy document must be a JSON object of at most `max` characters (whitespace not counted).
pub fn policy_document(q: &QueryParams, key: &str, member: &str, max: usize, quota: &str) -> Result<String, ApiError> {
    let doc = q.required(key).map_err(|_| missing(member))?;
    let value: serde_json::Value = serde_json::from_str(doc)
        .map_err(|_| ApiError::bad_request("MalformedPolicyDocument", "This policy contains invalid Json"))?;
    let Some(obj) = value.as_object() else {
        return Err(ApiError::bad_request("MalformedPolicyDocument", "Syntax errors in policy."));
    };
    if !obj.contains_key("Statement") {
        return Err(ApiError::bad_request("MalformedPolicyDocument", "Syntax errors in policy."));
    }
    let size = doc.chars().filter(|c| !c.is_whitespace()).count();
    if size > max {
        return Err(limit_exceeded(format!("Cannot exceed quota for {quota}: {max}")));
    }
    Ok(doc.to_string())
}

/// `Tags.member.N.Key/Value`: at most 50, keys 1–128 characters, values at most 256.
pub fn tags(q: &QueryParams, key: &str) -> Result<Vec<(String, String)>, ApiError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for member in q.list(key) {
        let k = member.get("Key").unwrap_or_default().to_string();
        let v = member.get("Value").unwrap_or_default().to_string();
        if k.is_empty() || k.chars().count() > 128 {
            return Err(validation(&k, "tags.member.key", "Member must have length between 1 and 128"));
        }
        if v.chars().count() > 256 {
            return Err(validation(&v, "tags.member.value", "Member must have length less than or equal to 256"));
        }
        out.retain(|(old, _)| old != &k);
        out.push((k, v));
    }
    if out.len() > 50 {
        return Err(limit_exceeded("The number of tags has reached the maximum limit."));
    }
    Ok(out)
}

/// `MaxItems` (1–1000, default 100) and `Marker`.
pub fn paging(q: &QueryParams) -> Result<(usize, Option<String>), ApiError> {
    let max = match q.get("MaxItems") {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(validation(v, "maxItems", "Member must have value between 1 and 1000")),
        },
    };
    let marker = match q.get("Marker") {
        None => None,
        Some(m) => {
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| validation(m, "marker", "Member must be a marker this service returned"))?;
            Some(decoded)
        }
    };
    Ok((max, marker))
}

pub fn marker(last: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last)
}

/// A role lookup that names the role in its error.
pub fn role<'a>(roles: &'a std::collections::BTreeMap<String, Role>, name: &str) -> Result<&'a Role, ApiError> {
    roles.get(&name.to_lowercase()).ok_or_else(|| no_such_role(name))
}

pub fn policy<'a>(policies: &'a std::collections::BTreeMap<String, Policy>, arn: &str) -> Result<&'a Policy, ApiError> {
    policies.get(arn).ok_or_else(|| no_such_entity(format!("Policy {arn} was not found.")))
}
