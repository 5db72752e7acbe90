//! awsQuery ↔ the JSON documents operations read and return, for services whose operations are
//! written once for awsJson and CBOR (CloudWatch).
//!
//! In: the flat form (`MetricDataQueries.member.1.MetricStat.Period=60`) becomes the nested document
//! awsJson would carry. Dots nest structures, `.member.N` makes lists, `.entry.N.key`/`.value` maps;
//! the text of each scalar is read as the type the service's [`QueryShapes`] names for its member
//! (an ISO 8601 timestamp becomes epoch seconds, as the JSON protocols send it), so a member the
//! table does not name stays a string. Out: the output document becomes the inner XML of
//! `<OpResult>`: lists as `<member>`s, maps as `<entry><key>…</key><value>…</value></entry>`,
//! timestamps in ISO 8601.
//!
//! The form is bounded before anything is built: at most [`MAX_PARAMS`] parameters, names at most
//! [`MAX_DEPTH`] segments deep (the deepest CloudWatch input is 8), so the tree and the recursion
//! over it are bounded too.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::query_params::QueryParams;
use super::xml::XmlWriter;
use crate::cloud::error::ApiError;

pub const MAX_PARAMS: usize = 100_000;
pub const MAX_DEPTH: usize = 16;

/// The wire types a query parameter's text is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Integer,
    Double,
    Boolean,
    Timestamp,
}

/// What a service says about its shapes, by member names: `path` is the names from the input's
/// root down to the member, list and map markers left out (`["MetricData", "Values"]` for
/// `MetricData.member.1.Values.member.2`).
pub struct QueryShapes {
    /// The type of the scalar at `path`; for a list of scalars, its members' type.
    pub input_scalar: fn(&[&str]) -> Scalar,
    /// The member at `path` is a list, so `Name=` with no members is an empty list.
    pub input_list: fn(&[&str]) -> bool,
    /// Output members that are maps, by name.
    pub output_map: fn(&str) -> bool,
    /// Output members holding timestamps (epoch seconds in the JSON document), by name.
    pub output_timestamp: fn(&str) -> bool,
}

/// A form that does not follow awsQuery's conventions; AWS's common errors name this
/// InvalidQueryParameter ("The AWS query string is malformed or does not adhere to AWS standards").
fn malformed(message: String) -> ApiError {
    ApiError::bad_request("InvalidQueryParameter", message)
}

fn invalid(key: &str, text: &str, expected: &str) -> ApiError {
    ApiError::bad_request(
        "InvalidParameterValue",
        format!("The value {text} for parameter {key} is invalid: expected {expected}."),
    )
}

enum Node<'a> {
    /// A value, with its full parameter name for error messages.
    Leaf {
        key: &'a str,
        text: &'a str,
    },
    Branch(BTreeMap<&'a str, Node<'a>>),
}

/// The form as the document the operation reads (`Action` and `Version` left out).
pub fn to_json(params: &QueryParams, shapes: &QueryShapes) -> Result<Value, ApiError> {
    let mut root = BTreeMap::new();
    let mut count = 0usize;
    for (key, text) in params.iter().filter(|(k, _)| !matches!(*k, "Action" | "Version")) {
        count += 1;
        if count > MAX_PARAMS {
            return Err(malformed(format!("The request has more than {MAX_PARAMS} parameters.")));
        }
        insert(&mut root, key, text)?;
    }
    branch(root, &mut Vec::new(), shapes)
}

fn insert<'a>(root: &mut BTreeMap<&'a str, Node<'a>>, key: &'a str, text: &'a str) -> Result<(), ApiError> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.len() > MAX_DEPTH {
        return Err(malformed(format!("The parameter {key} is nested deeper than {MAX_DEPTH} levels.")));
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Err(malformed(format!("The parameter name {key} has an empty segment.")));
    }
    let (last, parents) = segments.split_last().ok_or_else(|| malformed("A parameter has no name.".into()))?;
    let mut level = root;
    for segment in parents {
        let node = level.entry(segment).or_insert_with(|| Node::Branch(BTreeMap::new()));
        // `Name=` announces an empty list; members given beside it win.
        if matches!(node, Node::Leaf { text: "", .. }) {
            *node = Node::Branch(BTreeMap::new());
        }
        level = match node {
            Node::Branch(children) => children,
            Node::Leaf { key: other, .. } => {
                return Err(malformed(format!("The parameters {other} and {key} conflict.")));
            }
        };
    }
    match level.get(last) {
        Some(Node::Branch(_)) if text.is_empty() => {}
        Some(Node::Branch(_)) => return Err(malformed(format!("The parameter {key} conflicts with its members."))),
        _ => {
            level.insert(last, Node::Leaf { key, text });
        }
    }
    Ok(())
}

fn convert(node: Node<'_>, path: &mut Vec<String>, shapes: &QueryShapes) -> Result<Value, ApiError> {
    match node {
        Node::Leaf { key, text } => {
            let names: Vec<&str> = path.iter().map(String::as_str).collect();
            if text.is_empty() && (shapes.input_list)(&names) {
                return Ok(Value::Array(Vec::new()));
            }
            scalar(key, text, (shapes.input_scalar)(&names))
        }
        Node::Branch(children) => branch(children, path, shapes),
    }
}

/// A structure, or a list (`member.N`) or map (`entry.N`) when that is its only child.
fn branch<'a>(
    mut children: BTreeMap<&'a str, Node<'a>>,
    path: &mut Vec<String>,
    shapes: &QueryShapes,
) -> Result<Value, ApiError> {
    if let Some(members) = only_branch(&mut children, "member") {
        let items = indexed(members, path)?;
        return items.into_iter().map(|n| convert(n, path, shapes)).collect::<Result<_, _>>().map(Value::Array);
    }
    if let Some(entries) = only_branch(&mut children, "entry") {
        return map(indexed(entries, path)?, path, shapes);
    }
    let mut object = Map::new();
    for (name, child) in children {
        path.push(name.to_string());
        let value = convert(child, path, shapes);
        path.pop();
        object.insert(name.to_string(), value?);
    }
    Ok(Value::Object(object))
}

/// The children under `name` when it is the only child and has children.
fn only_branch<'a>(children: &mut BTreeMap<&'a str, Node<'a>>, name: &str) -> Option<BTreeMap<&'a str, Node<'a>>> {
    if children.len() != 1 || !matches!(children.get(name), Some(Node::Branch(_))) {
        return None;
    }
    match children.remove(name) {
        Some(Node::Branch(grandchildren)) => Some(grandchildren),
        _ => None,
    }
}

/// The children of `member` or `entry`, ordered by their 1-based index.
fn indexed<'a>(children: BTreeMap<&'a str, Node<'a>>, path: &[String]) -> Result<Vec<Node<'a>>, ApiError> {
    let mut numbered = Vec::with_capacity(children.len());
    for (index, node) in children {
        match index.parse::<u32>() {
            Ok(n) if n >= 1 => numbered.push((n, node)),
            _ => {
                return Err(malformed(format!(
                    "{} has a member numbered {index}; members count from 1.",
                    path.join(".")
                )));
            }
        }
    }
    numbered.sort_by_key(|(n, _)| *n);
    Ok(numbered.into_iter().map(|(_, node)| node).collect())
}

fn map(entries: Vec<Node<'_>>, path: &mut Vec<String>, shapes: &QueryShapes) -> Result<Value, ApiError> {
    let mut object = Map::new();
    for entry in entries {
        let Node::Branch(mut parts) = entry else {
            return Err(malformed(format!("An entry of {} has no key and value.", path.join("."))));
        };
        let (Some(Node::Leaf { text: key, .. }), Some(value)) = (parts.remove("key"), parts.remove("value")) else {
            return Err(malformed(format!("An entry of {} has no key and value.", path.join("."))));
        };
        object.insert(key.to_string(), convert(value, path, shapes)?);
    }
    Ok(Value::Object(object))
}

fn scalar(key: &str, text: &str, kind: Scalar) -> Result<Value, ApiError> {
    Ok(match kind {
        Scalar::String => Value::String(text.to_string()),
        Scalar::Integer => Value::from(text.parse::<i64>().map_err(|_| invalid(key, text, "an integer"))?),
        Scalar::Double => text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| invalid(key, text, "a number"))?,
        Scalar::Boolean => match text {
            t if t.eq_ignore_ascii_case("true") => Value::Bool(true),
            t if t.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(invalid(key, text, "true or false")),
        },
        Scalar::Timestamp => {
            let ms = parse_timestamp(text).ok_or_else(|| invalid(key, text, "an ISO 8601 timestamp"))?;
            epoch_seconds(ms)
        }
    })
}

fn epoch_seconds(ms: i64) -> Value {
    if ms % 1000 == 0 {
        Value::from(ms / 1000)
    } else {
        Number::from_f64(ms as f64 / 1000.0).map_or(Value::Null, Value::Number)
    }
}

/// ISO 8601 as the SDKs send it (`2026-11-29T06:00:00Z`, with fractions or an offset; without an
/// offset read as UTC), or epoch seconds. Milliseconds since the epoch.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    use time::{OffsetDateTime, PrimitiveDateTime};
    let at = OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let local = time::macros::format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(text, local).ok().map(PrimitiveDateTime::assume_utc)
    });
    match at {
        Some(at) => i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok(),
        None => {
            text.parse::<f64>().ok().filter(|s| s.is_finite() && s.abs() < 1e13).map(|s| (s * 1000.0).round() as i64)
        }
    }
}

/// A point in time as awsQuery writes it: `2026-11-29T06:00:00Z`, or `…:00.250Z` when the
/// milliseconds are not zero. Out of range: empty.
pub fn timestamp(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000);
    let formatted = if ms.rem_euclid(1000) == 0 {
        at.ok().and_then(|t| {
            t.format(time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z")).ok()
        })
    } else {
        at.ok().and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
    };
    formatted.unwrap_or_default()
}

/// The output document as the inner XML of `<OpResult>` (empty for an empty document).
pub fn to_xml(output: &Value, shapes: &QueryShapes) -> String {
    let mut w = XmlWriter::new();
    if let Value::Object(members) = output {
        for (name, value) in members {
            element(&mut w, name, name, value, shapes);
        }
    }
    w.finish()
}

/// `<tag>` holding `value`; `name` is the member whose type it has (a list's members are written
/// as `<member>` but typed by the list's name).
fn element(w: &mut XmlWriter, tag: &str, name: &str, value: &Value, shapes: &QueryShapes) {
    match value {
        Value::Null => {}
        Value::Array(items) if items.is_empty() => {
            w.raw(&format!("<{tag}/>"));
        }
        Value::Array(items) => {
            w.open(tag);
            for item in items {
                element(w, "member", name, item, shapes);
            }
            w.close(tag);
        }
        Value::Object(entries) if (shapes.output_map)(name) => {
            w.open(tag);
            for (key, value) in entries {
                w.open("entry").elem("key", key);
                element(w, "value", "value", value, shapes);
                w.close("entry");
            }
            w.close(tag);
        }
        Value::Object(members) => {
            w.open(tag);
            for (member, value) in members {
                element(w, member, member, value, shapes);
            }
            w.close(tag);
        }
        Value::String(s) => {
            w.elem(tag, s);
        }
        Value::Bool(b) => {
            w.elem(tag, b);
        }
        Value::Number(n) if (shapes.output_timestamp)(name) => {
            let ms = n.as_f64().map_or(0, |secs| (secs * 1000.0).round() as i64);
            w.elem(tag, timestamp(ms));
        }
        Value::Number(n) => {
            w.elem(tag, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn scalar_of(path: &[&str]) -> Scalar {
        match path {
            [.., "N"] | [.., "Ns"] => Scalar::Integer,
            [.., "D"] => Scalar::Double,
            [.., "B"] => Scalar::Boolean,
            [.., "T"] => Scalar::Timestamp,
            _ => Scalar::String,
        }
    }

    const SHAPES: QueryShapes = QueryShapes {
        input_scalar: scalar_of,
        input_list: |path| matches!(path.last(), Some(&"L") | Some(&"Ns")),
        output_map: |name| name == "M",
        output_timestamp: |name| name == "T" || name == "Ts",
    };

    fn json_of(form: &str) -> Result<Value, ApiError> {
        to_json(&QueryParams::parse(form.as_bytes()), &SHAPES)
    }

    #[test]
    fn nests_structures_lists_and_maps_and_types_scalars() {
        let doc = json_of(
            "Action=Op&Version=1&A.B.N=60&A.B.S=60&L.member.2.D=2.5&L.member.1.D=1&L.member.1.B=TRUE&\
             Ns.member.1=7&T=2026-11-29T06:00:00Z&M.entry.1.key=k&M.entry.1.value=v&Ns2=",
        )
        .unwrap();
        assert_eq!(
            doc,
            json!({
                "A": {"B": {"N": 60, "S": "60"}},
                "L": [{"D": 1.0, "B": true}, {"D": 2.5}],
                "Ns": [7],
                "T": 1_795_932_000,
                "M": {"k": "v"},
                "Ns2": "",
            })
        );
    }

    #[test]
    fn an_empty_list_parameter_is_an_empty_list() {
        assert_eq!(json_of("L=&Ns=").unwrap(), json!({"L": [], "Ns": []}));
        assert_eq!(json_of("L=&L.member.1.N=1").unwrap(), json!({"L": [{"N": 1}]}));
    }

    #[test]
    fn members_are_ordered_by_number_not_by_text() {
        let form: Vec<String> = (1..=12).map(|n| format!("Ns.member.{n}={n}")).collect();
        let doc = json_of(&form.join("&")).unwrap();
        assert_eq!(doc["Ns"], json!((1..=12).collect::<Vec<i64>>()));
    }

    #[test]
    fn malformed_values_and_shapes_are_refused_with_the_parameter_named() {
        for (form, code, names) in [
            ("A.N=abc", "InvalidParameterValue", "A.N"),
            ("D=NaN", "InvalidParameterValue", "D"),
            ("D=1e999", "InvalidParameterValue", "D"),
            ("B=yes", "InvalidParameterValue", "B"),
            ("T=yesterday", "InvalidParameterValue", "T"),
            ("L.member.0.N=1", "InvalidQueryParameter", "L"),
            ("L.member.x.N=1", "InvalidQueryParameter", "L"),
            ("A=1&A.B=2", "InvalidQueryParameter", "A"),
            ("A..B=1", "InvalidQueryParameter", "A..B"),
            ("M.entry.1.key=k", "InvalidQueryParameter", "M"),
        ] {
            let err = json_of(form).unwrap_err();
            assert_eq!(err.code, code, "{form}: {err}");
            assert!(err.message.contains(names), "{form}: {}", err.message);
        }
    }

    #[test]
    fn parameter_count_and_depth_are_bounded() {
        let deep = format!("{}=1", vec!["A"; MAX_DEPTH + 1].join("."));
        assert_eq!(json_of(&deep).unwrap_err().code, "InvalidQueryParameter");
        assert!(json_of(&format!("{}=1", vec!["A"; MAX_DEPTH].join("."))).is_ok());
        let many: Vec<String> = (0..=MAX_PARAMS).map(|n| format!("P{n}=1")).collect();
        let err = json_of(&many.join("&")).unwrap_err();
        assert_eq!(err.code, "InvalidQueryParameter");
        assert!(err.message.contains("100000"), "{}", err.message);
    }

    #[test]
    fn timestamps_are_read_in_the_forms_the_sdks_send() {
        let at = Some(1_795_932_000_000);
        assert_eq!(parse_timestamp("2026-11-29T06:00:00Z"), at);
        assert_eq!(parse_timestamp("2026-11-29T06:00:00.000Z"), at);
        assert_eq!(parse_timestamp("2026-11-29T07:00:00+01:00"), at);
        assert_eq!(parse_timestamp("2026-11-29T06:00:00"), at);
        assert_eq!(parse_timestamp("1795932000"), at);
        assert_eq!(parse_timestamp("2026-11-29T06:00:00.250Z"), Some(1_795_932_000_250));
        assert_eq!(parse_timestamp("2026-13-29T06:00:00Z"), None);
    }

    #[test]
    fn outputs_are_written_as_aws_query_xml() {
        let out = json!({
            "Label": "a<b",
            "Ts": [1_795_932_000, 1_795_932_000.25],
            "Values": [1.0, 2.5],
            "Empty": [],
            "Gone": null,
            "Rows": [{"T": 1_795_932_000, "M": {"p99": 1.5}, "Ok": true, "N": 60}],
        });
        assert_eq!(
            to_xml(&out, &SHAPES),
            "<Empty/><Label>a&lt;b</Label>\
             <Rows><member><M><entry><key>p99</key><value>1.5</value></entry></M><N>60</N><Ok>true</Ok>\
             <T>2026-11-29T06:00:00Z</T></member></Rows>\
             <Ts><member>2026-11-29T06:00:00Z</member><member>2026-11-29T06:00:00.250Z</member></Ts>\
             <Values><member>1.0</member><member>2.5</member></Values>"
        );
        assert_eq!(to_xml(&json!({}), &SHAPES), "");
    }
}
