//! API Gateway's `patchOperations` (`replace`, `add`, `remove` on a `/`-separated path, `~1` for a `/`
//! inside a segment), applied to a resource's JSON document. Values always arrive as strings; each is
//! read as the type the member already has (a boolean, a number), as API Gateway reads it.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cloud::error::ApiError;

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequestException", message)
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct PatchOp {
    pub op: String,
    pub path: String,
    #[serde(default)]
    pub value: Option<String>,
}

impl PatchOp {
    /// The path's segments, unescaped.
    pub fn segments(&self) -> Vec<String> {
        self.path.trim_start_matches('/').split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect()
    }
}

/// Applies `ops` to `doc`, allowing only top-level members in `allowed` (a `*` entry allows a member's
/// nested keys: `variables/*`).
pub fn apply(doc: &mut Value, ops: &[PatchOp], allowed: &[&str]) -> Result<(), ApiError> {
    for op in ops {
        let segs = op.segments();
        let top = segs.first().map(String::as_str).unwrap_or_default();
        let nested = segs.len() > 1;
        let ok = allowed.iter().any(|a| match a.strip_suffix("/*") {
            Some(prefix) => prefix == top,
            None => *a == top && !nested,
        });
        if !ok {
            return Err(bad_request(format!("Invalid patch path {}", op.path)));
        }
        let Value::Object(root) = doc else { return Err(ApiError::internal("patching a non-object")) };
        set(root, &segs, op)?;
    }
    Ok(())
}

fn set(obj: &mut Map<String, Value>, segs: &[String], op: &PatchOp) -> Result<(), ApiError> {
    let (key, rest) = segs.split_first().ok_or_else(|| bad_request("Invalid patch path"))?;
    if !rest.is_empty() {
        let child = obj.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        if child.is_null() {
            *child = Value::Object(Map::new());
        }
        let Value::Object(child) = child else { return Err(bad_request(format!("Invalid patch path {}", op.path))) };
        return set(child, rest, op);
    }
    match op.op.as_str() {
        "remove" => {
            obj.remove(key);
        }
        "replace" | "add" => {
            let raw = op.value.clone().ok_or_else(|| bad_request(format!("Missing value for {}", op.path)))?;
            let typed = match obj.get(key) {
                Some(Value::Bool(_)) => Value::Bool(
                    raw.parse().map_err(|_| bad_request(format!("Invalid boolean value for {}: {raw}", op.path)))?,
                ),
                Some(Value::Number(_)) => {
                    let n: f64 =
                        raw.parse().map_err(|_| bad_request(format!("Invalid number value for {}: {raw}", op.path)))?;
                    if n.fract() == 0.0 && n.abs() < 9e15 { Value::from(n as i64) } else { Value::from(n) }
                }
                _ => Value::String(raw),
            };
            obj.insert(key.clone(), typed);
        }
        other => {
            return Err(bad_request(format!(
                "Invalid patch operation specified. Must be 'add'|'remove'|'replace', not {other}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn op(op: &str, path: &str, value: Option<&str>) -> PatchOp {
        PatchOp { op: op.into(), path: path.into(), value: value.map(str::to_string) }
    }

    #[test]
    fn values_take_the_members_type_and_paths_are_checked() {
        let mut doc = json!({"name": "a", "enabled": true, "throttle": {"rateLimit": 1.5}});
        let ops = [
            op("replace", "/name", Some("b")),
            op("replace", "/enabled", Some("false")),
            op("replace", "/throttle/rateLimit", Some("20")),
            op("add", "/variables/a~1b", Some("x")),
        ];
        apply(&mut doc, &ops, &["name", "enabled", "throttle/*", "variables/*"]).unwrap();
        assert_eq!(
            doc,
            json!({"name": "b", "enabled": false, "throttle": {"rateLimit": 20}, "variables": {"a/b": "x"}})
        );
        assert!(apply(&mut doc, &[op("replace", "/id", Some("x"))], &["name"]).is_err());
        assert!(apply(&mut doc, &[op("replace", "/enabled", Some("maybe"))], &["enabled"]).is_err());
        assert!(apply(&mut doc, &[op("move", "/name", Some("x"))], &["name"]).is_err());
    }
}
