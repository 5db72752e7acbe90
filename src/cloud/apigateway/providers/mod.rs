//! CloudFormation providers of the `AWS::ApiGateway::*` types, one file per type. Each turns its
//! properties into the control plane's own requests (`ApiGateway::control`), so what a stack creates
//! is what the REST API then describes.

pub mod account;
pub mod api_key;
pub mod deployment;
pub mod method;
pub mod model;
pub mod request_validator;
pub mod resource;
pub mod rest_api;
pub mod stage;
pub mod usage_plan;
pub mod usage_plan_key;

use std::sync::Arc;

use serde_json::{Map, Value};

use super::ApiGateway;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::resource_provider::{Properties, ProviderError};

/// What every provider holds: the service and the context, and a way to call the control plane.
#[derive(Clone)]
pub struct Handle {
    gw: Arc<ApiGateway>,
    ctx: Arc<CloudContext>,
}

impl Handle {
    pub fn new(ctx: &Arc<CloudContext>, gw: &Arc<ApiGateway>) -> Self {
        Handle { gw: gw.clone(), ctx: ctx.clone() }
    }

    pub fn call(&self, region: &str, verb: http::Method, path: &str, body: Value) -> Result<Value, ApiError> {
        let reply = self.gw.control(&self.ctx, region, verb, path, body)?;
        Ok(reply.body.unwrap_or(Value::Null))
    }

    /// As [`call`](Self::call), a missing resource being success (deletes are idempotent).
    pub fn delete(&self, region: &str, path: &str) -> Result<(), ProviderError> {
        match self.call(region, http::Method::DELETE, path, Value::Null) {
            Ok(_) => Ok(()),
            Err(e) if e.code == "NotFoundException" => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

pub fn required<'p>(props: &'p Properties, key: &str) -> Result<&'p str, ProviderError> {
    props
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::invalid_property(key, format!("required key [{key}] not found")))
}

pub fn text(props: &Properties, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A boolean property, which templates may write as `true` or `'true'`.
pub fn flag(props: &Properties, key: &str) -> Option<bool> {
    match props.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A number property, which templates may write as `20` or `'20'`.
pub fn number(props: &Properties, key: &str) -> Option<f64> {
    match props.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub fn object<'p>(props: &'p Properties, key: &str) -> Option<&'p Map<String, Value>> {
    props.get(key).and_then(Value::as_object)
}

/// Properties whose change replaces the resource, compared old to new.
pub fn changed(old: &Properties, new: &Properties, keys: &[&str]) -> bool {
    keys.iter().any(|k| old.get(*k) != new.get(*k))
}

/// A map of booleans (`RequestParameters` of a method), from booleans or `'true'` strings.
pub fn flags(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let b = match v {
                        Value::Bool(b) => *b,
                        Value::String(s) => s == "true",
                        _ => false,
                    };
                    (k.clone(), Value::Bool(b))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `/` inside a path segment, as API Gateway's patch paths write it.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A path segment in a URL.
pub fn seg(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}
