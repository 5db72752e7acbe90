//! What the evaluator and `$util` share: how a value is written, and how evaluation fails.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The body is not the JSON a `$input` function needs: API Gateway answers 400.
    #[error("Could not parse request body into json: {0}")]
    Body(String),
    #[error("Mapping template failed: {0}")]
    Template(String),
}

/// A value as Velocity writes it.
pub fn written(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(written).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => {
            format!("{{{}}}", o.iter().map(|(k, v)| format!("{k}={}", written(v))).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}
