//! What an operation is given (state, context, region, the time) and answers (a status and a JSON
//! document), with the input readers every operation file shares, worded as Lambda's validation errors.

use http::StatusCode;
use serde_json::{Map, Value};

use super::code_url::CodeKey;
use super::state::LambdaState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

pub struct Op<'a> {
    pub state: &'a LambdaState,
    pub ctx: &'a CloudContext,
    pub code_key: &'a CodeKey,
    pub region: &'a str,
    pub now: Millis,
}

impl Op<'_> {
    pub fn account(&self) -> &str {
        self.ctx.account_id()
    }

    pub fn transition_end(&self) -> Millis {
        self.now + self.ctx.config.lambda.transition_ms
    }
}

/// A successful answer: REST status and body.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    pub fn ok(body: Value) -> Self {
        Reply { status: StatusCode::OK, body }
    }

    pub fn with(status: StatusCode, body: Value) -> Self {
        Reply { status, body }
    }
}

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterValueException", message)
}

pub type Input = Map<String, Value>;

pub fn object(v: Value) -> Result<Input, ApiError> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::serialization("Start of structure or map found where not expected")),
    }
}

pub fn opt_str(input: &Input, name: &str) -> Result<Option<String>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(ApiError::serialization(format!("{name}: expected a string, found {v}"))),
    }
}

pub fn req_str(input: &Input, name: &str) -> Result<String, ApiError> {
    opt_str(input, name)?.ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_first(name)
        ))
    })
}

/// An integer member, from JSON or (for query-string members) a numeric string, within `lo..=hi`.
pub fn opt_int(input: &Input, name: &str, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
    let v = match input.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    };
    let Some(v) = v else {
        return Err(ApiError::serialization(format!("{name}: expected an integer")));
    };
    if v < lo || v > hi {
        let bound = if v < lo {
            format!("Member must have value greater than or equal to {lo}")
        } else {
            format!("Member must have value less than or equal to {hi}")
        };
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{v}' at '{}' failed to satisfy constraint: {bound}",
            lower_first(name)
        )));
    }
    Ok(Some(v))
}

pub fn opt_bool(input: &Input, name: &str) -> Result<Option<bool>, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(ApiError::serialization(format!("{name}: expected a boolean, found {v}"))),
    }
}

/// A `{ "k": "v" }` map of strings (Tags, Environment.Variables).
pub fn str_map(v: Option<&Value>, name: &str) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let mut out = std::collections::BTreeMap::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let Some(s) = v.as_str() else {
                    return Err(ApiError::serialization(format!("{name}.{k}: expected a string")));
                };
                out.insert(k.clone(), s.to_string());
            }
        }
        Some(v) => return Err(ApiError::serialization(format!("{name}: expected a map, found {v}"))),
    }
    Ok(out)
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}
