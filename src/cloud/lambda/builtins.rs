//! The built-in handlers the local Lambda runs in place of a function's code, chosen by the function's
//! `kinesis-console:builtin` tag. Each implements exactly the rule of its template's inline code:
//!
//! | tag | template | rule |
//! |---|---|---|
//! | `apigw-kds-lambda/consumer` | pattern 1 | decode each record's base64 data, log it; a record that is not JSON fails the whole batch (`ValueError`) |
//! | `kds-kda-apigw/predict-fare` | pattern 4 | `ride_request_id` from the query string; 400 when missing, not a number or 0; else the fare below |
//!
//! The fare, as the inline Python computes it: `r = frac(e × id)`, `noise = 1 + 0.4 r − 0.2`,
//! `base = floor(91 r + 10)`, `expected_fare = base × noise` — deterministic in the id, 8 to 121.
//! A function with no tag, or one naming no built-in, fails every invocation (`Runtime.HandlerNotFound`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

pub const CONSUMER: &str = "apigw-kds-lambda/consumer";
pub const PREDICT_FARE: &str = "kds-kda-apigw/predict-fare";

/// An error the handler raised: its type and message, as Lambda's error payload carries them.
#[derive(Debug, Clone, PartialEq)]
pub struct Raised {
    pub error_type: String,
    pub message: String,
}

/// What a handler did: its answer or error, and the lines it logged (without the runtime's prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    pub result: Result<Value, Raised>,
    pub lines: Vec<String>,
}

/// Runs the built-in named by `builtin` on `event`.
pub fn run(builtin: Option<&str>, event: &Value) -> Ran {
    match builtin {
        Some(CONSUMER) => consumer(event),
        Some(PREDICT_FARE) => predict_fare(event),
        other => {
            let message = match other {
                Some(tag) => format!(
                    "Handler not found: the tag kinesis-console:builtin names '{tag}', which is not a built-in of the local cloud ({CONSUMER}, {PREDICT_FARE}); the local cloud does not run function code"
                ),
                None => format!(
                    "Handler not found: the function has no kinesis-console:builtin tag naming a built-in ({CONSUMER}, {PREDICT_FARE}); the local cloud does not run function code"
                ),
            };
            Ran {
                lines: vec![format!("[ERROR] Runtime.HandlerNotFound: {message}")],
                result: Err(Raised { error_type: "Runtime.HandlerNotFound".into(), message }),
            }
        }
    }
}

fn info(line: impl std::fmt::Display) -> String {
    format!("[INFO]\t{line}")
}

/// Pattern 1's consumer: `Successfully processed N records.`, or a `ValueError` naming the first
/// record that is not JSON.
fn consumer(event: &Value) -> Ran {
    let mut lines = vec![info(event)];
    let Some(records) = event.get("Records").and_then(Value::as_array) else {
        let message = "'Records'".to_string();
        lines.push(format!("[ERROR] KeyError: {message}"));
        return Ran { lines, result: Err(Raised { error_type: "KeyError".into(), message }) };
    };
    for record in records {
        let kinesis = &record["kinesis"];
        let seq = kinesis["sequenceNumber"].as_str().unwrap_or_default();
        let key = kinesis["partitionKey"].as_str().unwrap_or_default();
        let decoded = kinesis["data"]
            .as_str()
            .and_then(|d| STANDARD.decode(d).ok())
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
        match decoded {
            Some(v) => lines.push(info(format_args!("Decoded payload: {v}"))),
            None => {
                let message = format!("record {seq} (partition key {key}) is not JSON");
                lines.push(format!("[ERROR] ValueError: {message}"));
                return Ran { lines, result: Err(Raised { error_type: "ValueError".into(), message }) };
            }
        }
    }
    Ran { lines, result: Ok(json!(format!("Successfully processed {} records.", records.len()))) }
}

/// The fare for a ride request id, as the template's inline code computes it.
pub fn fare(ride_id: f64) -> f64 {
    let e = std::f64::consts::E * ride_id;
    let rand = e - e.floor();
    let noise = 1.0 + 0.4 * rand - 0.2;
    let base = (rand * 91.0 + 10.0).floor();
    base * noise
}

/// Pattern 4's fare function, a Lambda proxy handler.
fn predict_fare(event: &Value) -> Ran {
    let mut lines = vec![info(event)];
    let raw = event.get("queryStringParameters").and_then(|p| p.get("ride_request_id"));
    let ride_id = match raw {
        Some(Value::String(s)) => s.trim().parse::<f64>().unwrap_or(f64::NAN),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    let response = if !ride_id.is_finite() || ride_id == 0.0 {
        json!({ "statusCode": 400, "body": "Missing ride_request_id" })
    } else {
        let id = if ride_id.fract() == 0.0 && ride_id.abs() < 9.0e15 { json!(ride_id as i64) } else { json!(ride_id) };
        let body = json!({ "ride_request_id": id, "expected_fare": fare(ride_id) });
        json!({ "statusCode": 200, "body": body.to_string() })
    };
    lines.push(info(&response));
    Ran { lines, result: Ok(response) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinesis_event(datas: &[&[u8]]) -> Value {
        let records: Vec<Value> = datas
            .iter()
            .enumerate()
            .map(|(i, d)| json!({ "kinesis": { "data": STANDARD.encode(d), "sequenceNumber": format!("{i}"), "partitionKey": "k" } }))
            .collect();
        json!({ "Records": records })
    }

    #[test]
    fn the_consumer_logs_each_decoded_record_and_fails_the_batch_on_one_that_is_not_json() {
        let ok = run(Some(CONSUMER), &kinesis_event(&[b"{\"a\":1}", b"2"]));
        assert_eq!(ok.result, Ok(json!("Successfully processed 2 records.")));
        assert!(ok.lines.iter().any(|l| l.ends_with("Decoded payload: {\"a\":1}")), "{:?}", ok.lines);
        let bad = run(Some(CONSUMER), &kinesis_event(&[b"{}", b"not json", b"{}"]));
        let raised = bad.result.unwrap_err();
        assert_eq!(raised.error_type, "ValueError");
        assert_eq!(raised.message, "record 1 (partition key k) is not JSON");
    }

    #[test]
    fn the_fare_is_the_inline_codes_formula_and_a_missing_id_is_a_400() {
        // The template's Python for ride 7 prints 9.734269436223919.
        let f = fare(7.0);
        assert!((f - 9.734269436223919).abs() < 1e-12, "{f}");
        let ran = run(Some(PREDICT_FARE), &json!({ "queryStringParameters": { "ride_request_id": "7" } }));
        let response = ran.result.unwrap();
        assert_eq!(response["statusCode"], 200);
        let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["ride_request_id"], 7);
        assert!((body["expected_fare"].as_f64().unwrap() - f).abs() < 1e-12);
        for event in [
            json!({}),
            json!({ "queryStringParameters": { "ride_request_id": "0" } }),
            json!({ "queryStringParameters": { "ride_request_id": "x" } }),
        ] {
            let r = run(Some(PREDICT_FARE), &event).result.unwrap();
            assert_eq!(r, json!({ "statusCode": 400, "body": "Missing ride_request_id" }));
        }
    }

    #[test]
    fn a_function_without_a_builtin_fails_with_handler_not_found() {
        for tag in [None, Some("nope/none")] {
            let ran = run(tag, &json!({}));
            assert_eq!(ran.result.unwrap_err().error_type, "Runtime.HandlerNotFound");
            assert!(ran.lines[0].contains("Runtime.HandlerNotFound"));
        }
    }
}
