//! What an operation is given (state, context, settings, region, the time), the errors the API model
//! lists, worded as Managed Flink words them, and the input readers every operation file shares.

use serde_json::{Map, Value};

use super::model::Application;
use super::settings::FlinkSettings;
use super::state::FlinkState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

pub struct Op<'a> {
    pub state: &'a FlinkState,
    pub ctx: &'a CloudContext,
    pub settings: &'a FlinkSettings,
    pub region: &'a str,
    pub now: Millis,
}

impl Op<'_> {
    pub fn app_arn(&self, name: &str) -> String {
        format!("arn:aws:kinesisanalytics:{}:{}:application/{name}", self.region, self.ctx.account_id())
    }
}

pub type Input = Map<String, Value>;

pub fn object(v: Value) -> Result<Input, ApiError> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(ApiError::serialization("Start of structure or map found where not expected")),
    }
}

pub fn invalid_argument(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidArgumentException", message)
}

pub fn invalid_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidRequestException", message)
}

pub fn in_use(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ResourceInUseException", message)
}

pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ResourceNotFoundException", message)
}

pub fn invalid_configuration(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidApplicationConfigurationException", message)
}

pub fn concurrent(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ConcurrentModificationException", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("LimitExceededException", message)
}

pub fn app_not_found(name: &str) -> ApiError {
    not_found(format!("Application {name} is not found."))
}

/// A required string member, within `min..=max` characters.
pub fn string(input: &Input, member: &str, min: usize, max: usize) -> Result<String, ApiError> {
    optional_string(input, member, min, max)?.ok_or_else(|| {
        invalid_argument(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(member)
        ))
    })
}

pub fn optional_string(input: &Input, member: &str, min: usize, max: usize) -> Result<Option<String>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n < min || n > max {
                return Err(invalid_argument(format!(
                    "1 validation error detected: Value '{s}' at '{}' failed to satisfy constraint: Member must have length between {min} and {max}",
                    lower_first(member)
                )));
            }
            Ok(Some(s.clone()))
        }
        Some(_) => Err(ApiError::serialization(format!("{member} must be a string"))),
    }
}

/// An optional integer member within `min..=max`.
pub fn optional_int(input: &Input, member: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let n = v.as_i64().ok_or_else(|| ApiError::serialization(format!("{member} must be an integer")))?;
            if n < min || n > max {
                return Err(invalid_argument(format!(
                    "1 validation error detected: Value '{n}' at '{}' failed to satisfy constraint: Member must have value between {min} and {max}",
                    lower_first(member)
                )));
            }
            Ok(Some(n))
        }
    }
}

pub fn optional_bool(input: &Input, member: &str) -> Result<Option<bool>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a boolean"))),
    }
}

/// A name the model restricts to `[a-zA-Z0-9_.-]+` (applications, snapshots).
pub fn name(input: &Input, member: &str, max: usize) -> Result<String, ApiError> {
    let value = string(input, member, 1, max)?;
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return Err(invalid_argument(format!(
            "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            lower_first(member)
        )));
    }
    Ok(value)
}

pub fn application_name(input: &Input) -> Result<String, ApiError> {
    name(input, "ApplicationName", 128)
}

/// The `Limit`/`NextToken` pair of the List operations (1 to 50 per page): the page's bounds in `len` items.
pub fn page(input: &Input, len: usize) -> Result<(usize, usize, Option<String>), ApiError> {
    let limit = optional_int(input, "Limit", 1, 50)?.unwrap_or(50) as usize;
    let start = match optional_string(input, "NextToken", 1, 512)? {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= len)
            .ok_or_else(|| invalid_argument(format!("Invalid NextToken: {t}")))?,
    };
    let end = (start + limit).min(len);
    let next = (end < len).then(|| end.to_string());
    Ok((start, end, next))
}

/// Timestamps in awsJson are epoch seconds with a fraction.
pub fn seconds(ms: Millis) -> Value {
    Value::from(ms as f64 / 1000.0)
}

/// The application `name` refers to, or ResourceNotFoundException.
pub fn find<'m>(
    apps: &'m std::collections::BTreeMap<String, Application>,
    name: &str,
) -> Result<&'m Application, ApiError> {
    apps.get(name).ok_or_else(|| app_not_found(name))
}

/// Checks `CurrentApplicationVersionId` or `ConditionalToken` against the application, as every
/// configuration change does: a stale one is a ConcurrentModificationException.
pub fn check_version(input: &Input, app: &Application, required: bool) -> Result<(), ApiError> {
    let version = optional_int(input, "CurrentApplicationVersionId", 1, 999_999_999)?;
    let token = optional_string(input, "ConditionalToken", 1, 512)?;
    match (version, token) {
        (Some(v), _) if v != app.version_id => Err(concurrent(format!(
            "Current application version is {} but {v} was provided for application {}; describe the application and retry with its current version.",
            app.version_id, app.name
        ))),
        (None, Some(t)) if t != conditional_token(app) => Err(concurrent(format!(
            "The conditional token does not match the current version ({}) of application {}.",
            app.version_id, app.name
        ))),
        (None, None) if required => {
            Err(invalid_argument("Either CurrentApplicationVersionId or ConditionalToken must be provided."))
        }
        _ => Ok(()),
    }
}

/// The token DescribeApplication hands out for the current version.
pub fn conditional_token(app: &Application) -> String {
    use md5::Digest as _;
    let digest = md5::Md5::digest(format!("{}:{}:{}", app.arn, app.created_ms, app.version_id).as_bytes());
    hex::encode(digest)
}

/// A new operation id: 16 random alphanumerics, as AWS's ids look.
pub fn operation_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..16).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}
