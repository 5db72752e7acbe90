//! Request validation as a method's validator asks: required request parameters
//! (`method.request.{querystring|header|path}.{name}: true`) and the body against the model of its
//! content type (JSON Schema draft 4), answered with API Gateway's 400 bodies.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Method, Model, RequestValidator};

/// Why a request was refused: the `message` of API Gateway's 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

pub struct Incoming<'a> {
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// `querystring`, `header` (lower-case names) and `path` parameters.
    pub query: &'a BTreeMap<String, String>,
    pub headers: &'a BTreeMap<String, String>,
    pub path: &'a BTreeMap<String, String>,
}

pub fn check(
    method: &Method,
    validator: Option<&RequestValidator>,
    models: &BTreeMap<String, Model>,
    req: &Incoming<'_>,
) -> Result<(), Invalid> {
    let Some(v) = validator else { return Ok(()) };
    if v.validate_request_parameters {
        let missing: Vec<&str> = method
            .request_parameters
            .iter()
            .filter(|(_, required)| **required)
            .filter_map(|(name, _)| {
                let (place, key) = name.strip_prefix("method.request.")?.split_once('.')?;
                let present = match place {
                    "querystring" => req.query.contains_key(key),
                    "header" => req.headers.contains_key(&key.to_ascii_lowercase()),
                    "path" => req.path.contains_key(key),
                    _ => true,
                };
                (!present).then_some(key)
            })
            .collect();
        if !missing.is_empty() {
            return Err(Invalid(format!("Missing required request parameters: [{}]", missing.join(", "))));
        }
    }
    if v.validate_request_body {
        let media = req.content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let model_name = method
            .request_models
            .get(media.as_str())
            .or_else(|| method.request_models.get("$default"))
            .or_else(|| if media.is_empty() { method.request_models.get("application/json") } else { None });
        let Some(model) = model_name.and_then(|n| models.values().find(|m| &m.name == n)) else { return Ok(()) };
        let Some(schema) = &model.schema else { return Ok(()) };
        let validator = super::models::compile(schema).map_err(|_| Invalid("Invalid request body".into()))?;
        let body: Value = if req.body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(req.body).map_err(|_| Invalid("Invalid request body".into()))?
        };
        if !validator.is_valid(&body) {
            return Err(Invalid("Invalid request body".into()));
        }
    }
    Ok(())
}
