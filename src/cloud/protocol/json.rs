//! awsJson 1.0 / 1.1: `POST /` with `X-Amz-Target: <Prefix>.<Operation>` and a JSON body.

use http::StatusCode;

use super::response::{HttpResponse, response};
use crate::cloud::error::ApiError;
use crate::cloud::service::Protocol;

pub fn content_type(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::AwsJson1_0 => "application/x-amz-json-1.0",
        Protocol::Rest => "application/json",
        _ => "application/x-amz-json-1.1",
    }
}

/// Decodes a request body; an empty body is an empty input structure.
pub fn decode(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::serialization(format!("Malformed JSON body: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::serialization("Start of structure or map found where not expected"));
    }
    Ok(value)
}

pub fn output(protocol: Protocol, value: &serde_json::Value) -> HttpResponse {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    response(StatusCode::OK, content_type(protocol), body)
}

pub fn error(protocol: Protocol, err: &ApiError) -> HttpResponse {
    let body = serde_json::json!({ "__type": err.code, "message": err.message });
    let mut r = response(err.status, content_type(protocol), body.to_string().into_bytes());
    if let Ok(v) = http::HeaderValue::from_str(&err.code) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}
