//! What a control-plane operation receives (the request's path segments, query and JSON body) and
//! answers (a status and a JSON document), with the input readers, id makers and errors the operation
//! files share.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::state::State;
use crate::cloud::error::ApiError;

pub struct Req {
    pub method: http::Method,
    /// Percent-decoded path segments (`["restapis", "abc", "resources"]`).
    pub segments: Vec<String>,
    pub query: HashMap<String, String>,
    pub body: Map<String, Value>,
}

pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
}

impl Reply {
    pub fn ok(body: impl serde::Serialize) -> Result<Reply, ApiError> {
        Ok(Reply { status: 200, body: Some(to_json(body)?) })
    }

    pub fn created(body: impl serde::Serialize) -> Result<Reply, ApiError> {
        Ok(Reply { status: 201, body: Some(to_json(body)?) })
    }

    pub fn accepted() -> Result<Reply, ApiError> {
        Ok(Reply { status: 202, body: None })
    }

    pub fn no_content() -> Result<Reply, ApiError> {
        Ok(Reply { status: 204, body: None })
    }
}

pub fn to_json(v: impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(e.to_string()))
}

/// What an operation works with.
pub struct Op<'a> {
    pub state: &'a State,
    pub now_ms: u64,
    pub region: &'a str,
    pub account: &'a str,
}

impl Op<'_> {
    pub fn now_s(&self) -> f64 {
        (self.now_ms / 1000) as f64
    }
}

pub fn not_found(message: impl Into<String>) -> ApiError {
    ApiError::new(http::StatusCode::NOT_FOUND, "NotFoundException", message)
}

pub fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequestException", message)
}

pub fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(http::StatusCode::CONFLICT, "ConflictException", message)
}

/// A random id of API Gateway's alphabet: lower-case letters and digits.
pub fn new_id(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

impl Req {
    pub fn str(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad_request(format!("Invalid value for {key}: expected a string"))),
        }
    }

    pub fn required(&self, key: &str) -> Result<String, ApiError> {
        self.str(key)?.ok_or_else(|| bad_request(format!("{key} must not be null or empty")))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(bad_request(format!("Invalid value for {key}: expected a boolean"))),
        }
    }

    /// A member of the body read as `T` (maps and structures), or a 400 naming it.
    pub fn member<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => serde_json::from_value(v.clone())
                .map(Some)
                .map_err(|e| bad_request(format!("Invalid value for {key}: {e}"))),
        }
    }

    pub fn query_flag(&self, key: &str) -> bool {
        self.query.get(key).is_some_and(|v| v == "true")
    }

    pub fn seg(&self, i: usize) -> &str {
        self.segments.get(i).map(String::as_str).unwrap_or_default()
    }

    /// The `patchOperations` of an Update* request.
    pub fn patch(&self) -> Result<Vec<super::patch::PatchOp>, ApiError> {
        Ok(self.member("patchOperations")?.unwrap_or_default())
    }
}

/// A page of `item`s as the Get* list operations answer (`limit` up to 500, `position` the next id).
pub fn page<T: serde::Serialize>(req: &Req, items: Vec<(String, T)>) -> Result<Reply, ApiError> {
    let limit = match req.query.get("limit") {
        Some(l) => l.parse::<usize>().ok().filter(|l| (1..=500).contains(l)).ok_or_else(|| {
            bad_request(format!("1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 500"))
        })?,
        None => 25,
    };
    let start = req.query.get("position");
    let mut rest = items.into_iter().filter(|(id, _)| start.is_none_or(|p| id >= p));
    let item: Vec<Value> = rest.by_ref().take(limit).map(|(_, v)| to_json(v)).collect::<Result<_, _>>()?;
    let mut out = Map::new();
    out.insert("item".into(), Value::Array(item));
    if let Some((next, _)) = rest.next() {
        out.insert("position".into(), Value::String(next));
    }
    Reply::ok(Value::Object(out))
}

/// A path segment with its `%XX` escapes decoded (a `+` stays a `+` in a path).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 3 <= b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
