//! Pattern 1's request mapping templates, read from the bundled template and evaluated for a table of
//! request bodies. The expected PutRecord/PutRecords requests follow AWS's mapping-template reference,
//! not this crate's output: `$input.path(x)` is the value at the JSONPath (a list `#foreach` walks),
//! `$input.json(x)` its JSON text (a string keeps its quotes), `$util.base64Encode` is standard base64 of
//! the string's UTF-8 bytes, `$foreach.hasNext` is false on the last item.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kinesis_console::cloud::apigateway::velocity::{EvalError, Request, Template};
use serde_json::{Value, json};

/// The `application/json` request template of `method` in the pattern 1 file, its `${DataStream}`
/// substituted as `!Sub` would.
fn template(method: &str, stream: &str) -> Template {
    let doc: serde_yaml::Value = serde_yaml::from_str(&super::pattern1_template()).expect("the template is YAML");
    let node = &doc["Resources"][method]["Properties"]["Integration"]["RequestTemplates"]["application/json"];
    let serde_yaml::Value::Tagged(sub) = node else { panic!("{method}'s template is a !Sub: {node:?}") };
    let text = sub.value.as_str().expect("a string template").replace("${DataStream}", stream);
    Template::parse(&text).expect("the template parses")
}

fn render(t: &Template, body: &str) -> Result<Value, EvalError> {
    let out = t.render(&Request { body: body.into(), ..Request::default() })?;
    Ok(serde_json::from_str(&out).unwrap_or_else(|e| panic!("the template makes JSON ({e}): {out}")))
}

fn b64(s: &str) -> String {
    STANDARD.encode(s.as_bytes())
}

#[test]
fn put_records_requests_from_the_records_template() {
    let t = template("PutRecordsMethod", "orders-stream");
    let cases: Vec<(&str, Value)> = vec![
        (
            r#"{"records": [{"data": "a", "partitionKey": "k1"}, {"data": "b", "partitionKey": "k2"}]}"#,
            json!({"StreamName": "orders-stream", "Records": [
                {"Data": b64("a"), "PartitionKey": "k1"},
                {"Data": b64("b"), "PartitionKey": "k2"},
            ]}),
        ),
        (
            r#"{"records": [{"data": "{\"ride\": 7, \"note\": \"x\"}", "partitionKey": "7"}]}"#,
            json!({"StreamName": "orders-stream", "Records": [{"Data": b64(r#"{"ride": 7, "note": "x"}"#), "PartitionKey": "7"}]}),
        ),
        (
            r#"{"records": [{"data": "héllo ✓", "partitionKey": "ü"}]}"#,
            json!({"StreamName": "orders-stream", "Records": [{"Data": b64("héllo ✓"), "PartitionKey": "ü"}]}),
        ),
        (r#"{"records": []}"#, json!({"StreamName": "orders-stream", "Records": []})),
        // A number is written as Java writes it before encoding.
        (
            r#"{"records": [{"data": 42, "partitionKey": "n"}]}"#,
            json!({"StreamName": "orders-stream", "Records": [{"Data": b64("42"), "PartitionKey": "n"}]}),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(render(&t, body).unwrap(), expected, "{body}");
    }
    let many: Vec<Value> =
        (0..500).map(|i| json!({"data": format!("r{i}"), "partitionKey": format!("p{}", i % 7)})).collect();
    let out = render(&t, &json!({ "records": many }).to_string()).unwrap();
    let records = out["Records"].as_array().unwrap();
    assert_eq!(records.len(), 500);
    assert_eq!(records[499], json!({"Data": b64("r499"), "PartitionKey": "p2"}));
}

#[test]
fn put_record_requests_from_the_record_template() {
    let t = template("PutRecordMethod", "orders-stream");
    let cases: Vec<(&str, Value)> = vec![
        // `$input.json('$.data')` is JSON text: a string keeps its quotes inside the record.
        (
            r#"{"data": "hello", "partitionKey": "k"}"#,
            json!({"StreamName": "orders-stream", "Data": b64("\"hello\""), "PartitionKey": "k"}),
        ),
        (
            r#"{"data": {"a": [1, 2]}, "partitionKey": "k"}"#,
            json!({"StreamName": "orders-stream", "Data": b64(r#"{"a":[1,2]}"#), "PartitionKey": "k"}),
        ),
        (
            r#"{"data": 3.5, "partitionKey": "x y"}"#,
            json!({"StreamName": "orders-stream", "Data": b64("3.5"), "PartitionKey": "x y"}),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(render(&t, body).unwrap(), expected, "{body}");
    }
}

#[test]
fn a_body_that_is_not_json_is_api_gateways_400_not_a_request() {
    let t = template("PutRecordsMethod", "s");
    let refused = render(&t, "records=1").unwrap_err();
    assert!(matches!(refused, EvalError::Body(_)), "{refused:?}");
    assert!(refused.to_string().starts_with("Could not parse request body into json"), "{refused}");
}
