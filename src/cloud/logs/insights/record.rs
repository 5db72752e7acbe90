//! One log event as a query sees it: the system fields (`@timestamp`, `@message`, `@logStream`,
//! `@log`, `@ingestionTime`, `@ptr`) and, for a JSON message, every member discovered as a field,
//! nested members joined with dots (`a.b`, arrays by index `a.0`), as Logs Insights does.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::value::Value;
use crate::cloud::clock::Millis;

/// Logs Insights discovers at most this many fields in one JSON event.
pub const MAX_DISCOVERED: usize = 200;
/// Members nested deeper than this are not discovered (serde_json bounds parsing itself).
const MAX_NESTING: usize = 32;

pub type Row = BTreeMap<String, Value>;

/// An event copied out of the log state when the query starts, so the query runs without the lock.
#[derive(Debug, Clone)]
pub struct SourceEvent {
    pub group: String,
    pub stream: String,
    pub timestamp: Millis,
    pub seq: u64,
    pub message: String,
    pub ingestion_ms: Millis,
}

impl SourceEvent {
    /// The handle `@ptr` holds: where the event is, opaque to the caller.
    pub fn pointer(&self) -> String {
        let place = serde_json::json!([self.group, self.stream, self.timestamp, self.seq]).to_string();
        crate::cloud::logs::groups::encode_token(&place)
    }

    pub fn row(&self, account: &str) -> Row {
        let mut row = Row::new();
        if self.message.trim_start().starts_with('{')
            && let Ok(Json::Object(members)) = serde_json::from_str::<Json>(&self.message)
        {
            for (k, v) in &members {
                discover(&mut row, k, v, 0);
            }
        }
        row.insert("@timestamp".into(), Value::Time(self.timestamp));
        row.insert("@message".into(), Value::Str(self.message.clone()));
        row.insert("@logStream".into(), Value::Str(self.stream.clone()));
        row.insert("@log".into(), Value::Str(format!("{account}:{}", self.group)));
        row.insert("@ingestionTime".into(), Value::Time(self.ingestion_ms));
        row.insert("@ptr".into(), Value::Str(self.pointer()));
        row
    }
}

fn discover(row: &mut Row, name: &str, value: &Json, depth: usize) {
    if row.len() >= MAX_DISCOVERED || depth > MAX_NESTING {
        return;
    }
    match value {
        Json::Null => {}
        Json::Bool(b) => {
            row.insert(name.to_string(), Value::Bool(*b));
        }
        Json::Number(n) => {
            row.insert(name.to_string(), n.as_f64().map_or_else(|| Value::Str(n.to_string()), Value::Num));
        }
        Json::String(s) => {
            row.insert(name.to_string(), Value::Str(s.clone()));
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                discover(row, &format!("{name}.{i}"), item, depth + 1);
            }
        }
        Json::Object(members) => {
            for (k, v) in members {
                discover(row, &format!("{name}.{k}"), v, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(message: &str) -> SourceEvent {
        SourceEvent {
            group: "/app".into(),
            stream: "s".into(),
            timestamp: 1_000,
            seq: 7,
            message: message.into(),
            ingestion_ms: 1_500,
        }
    }

    #[test]
    fn json_members_become_fields_nested_with_dots() {
        let row =
            event(r#"{"level":"WARN","n":3,"ok":true,"ctx":{"host":"h1","tags":["a","b"]},"nil":null}"#).row("123");
        assert_eq!(row["level"], Value::Str("WARN".into()));
        assert_eq!(row["n"], Value::Num(3.0));
        assert_eq!(row["ok"], Value::Bool(true));
        assert_eq!(row["ctx.host"], Value::Str("h1".into()));
        assert_eq!(row["ctx.tags.1"], Value::Str("b".into()));
        assert!(!row.contains_key("nil"));
        assert_eq!(row["@log"], Value::Str("123:/app".into()));
        assert_eq!(row["@timestamp"], Value::Time(1_000));
        assert_eq!(row["@ingestionTime"], Value::Time(1_500));
    }

    #[test]
    fn plain_text_has_only_the_system_fields_and_discovery_is_bounded() {
        assert_eq!(event("{not json").row("1").len(), 6);
        let wide: String = format!("{{{}}}", (0..500).map(|i| format!("\"f{i}\":{i}")).collect::<Vec<_>>().join(","));
        assert_eq!(event(&wide).row("1").len(), MAX_DISCOVERED + 6);
        let deep = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
        assert_eq!(event(&deep).row("1").len(), 6, "nothing under the nesting bound is a leaf");
    }
}
