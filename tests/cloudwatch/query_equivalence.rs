//! The same CloudWatch requests sent over awsJson 1.0, RPC v2 CBOR and awsQuery get the same answers:
//! generated datums are put and read back (GetMetricData with metric stats and an expression,
//! GetMetricStatistics, ListMetrics) on three clouds, one per protocol, each case in a namespace of
//! its own; the answers are brought to one JSON form and compared. Refusals compare by error code.

use std::sync::atomic::{AtomicUsize, Ordering};

use ciborium::value::Value as Cbor;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};

use crate::query_protocol::{Elem, iso};
use crate::support::TestCloud;
use crate::support::raw::Raw;

const SERVICE: &str = "GraniteServiceVersion20100801";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Json,
    Cbor,
    Query,
}

const WIRES: [Wire; 3] = [Wire::Json, Wire::Cbor, Wire::Query];

fn is_timestamp(name: &str) -> bool {
    matches!(name, "Timestamp" | "StartTime" | "EndTime")
}

/// The request as the SDK for `wire` frames it: path, headers, body.
fn frame(wire: Wire, op: &str, doc: &Value) -> Raw {
    match wire {
        Wire::Json => {
            let target = format!("{SERVICE}.{op}");
            let headers = [("x-amz-target", target.as_str()), ("content-type", "application/x-amz-json-1.0")];
            Raw::post("/", &headers, serde_json::to_vec(doc).expect("JSON"))
        }
        Wire::Cbor => {
            let mut body = Vec::new();
            ciborium::into_writer(&cbor_of("", doc), &mut body).expect("CBOR");
            let headers = [
                ("smithy-protocol", "rpc-v2-cbor"),
                ("content-type", "application/cbor"),
                ("accept", "application/cbor"),
            ];
            Raw::post(&format!("/service/{SERVICE}/operation/{op}"), &headers, body)
        }
        Wire::Query => {
            let mut params = Vec::new();
            flatten("", doc, &mut params);
            let pairs: Vec<(&str, String)> = params.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let form = crate::query_protocol::form(op, &pairs);
            Raw::post("/", &[("content-type", "application/x-www-form-urlencoded; charset=utf-8")], form)
        }
    }
}

/// JSON as CBOR, timestamps tagged as the SDKs tag them.
fn cbor_of(name: &str, v: &Value) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Number(n) if is_timestamp(name) => Cbor::Tag(1, Box::new(Cbor::Float(n.as_f64().unwrap_or_default()))),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cbor::Integer(i.into()),
            None => Cbor::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Array(items) => Cbor::Array(items.iter().map(|i| cbor_of(name, i)).collect()),
        Value::Object(m) => Cbor::Map(m.iter().map(|(k, v)| (Cbor::Text(k.clone()), cbor_of(k, v))).collect()),
    }
}

/// JSON as awsQuery parameters, as botocore's query serializer writes them.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let name = prefix.rsplit('.').next().unwrap_or_default();
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) if items.is_empty() => out.push((prefix.to_string(), String::new())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}.member.{}", i + 1), item, out);
            }
        }
        Value::Number(n) if is_timestamp(name) => {
            out.push((prefix.to_string(), iso((n.as_f64().unwrap_or_default() * 1000.0) as i64)));
        }
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
    }
}

/// Sends `doc` as `op` over `wire` and brings the answer to the common form.
async fn call(cloud: &TestCloud, wire: Wire, op: &str, doc: &Value) -> Value {
    let raw = cloud.sign(frame(wire, op, doc), "monitoring");
    let (status, headers, body) = raw.send(cloud.url()).await;
    let answer = match (wire, status) {
        (Wire::Query, 200) => {
            let doc = Elem::parse(&body);
            let result = format!("{op}Result");
            doc.children.iter().find(|c| c.name == result).map_or(json!({}), xml_to_json)
        }
        (Wire::Query, _) => json!({ "Error": Elem::parse(&body).text_at(&["Error", "Code"]) }),
        (_, 200) if body.is_empty() => json!({}),
        (Wire::Json, 200) => serde_json::from_slice(&body).expect("a JSON answer"),
        (Wire::Cbor, 200) => kinesis_console::cloud::protocol::cbor::decode(&body).expect("a CBOR answer"),
        (_, _) => {
            let header = headers.get("x-amzn-query-error").and_then(|v| v.to_str().ok());
            let code = match header {
                Some(h) => h.split(';').next().unwrap_or_default().to_string(),
                None => {
                    let doc = if wire == Wire::Cbor {
                        kinesis_console::cloud::protocol::cbor::decode(&body).expect("a CBOR error")
                    } else {
                        serde_json::from_slice(&body).expect("a JSON error")
                    };
                    let t = doc["__type"].as_str().unwrap_or_default();
                    t.rsplit('#').next().unwrap_or_default().to_string()
                }
            };
            json!({ "Error": code })
        }
    };
    normalise(answer).unwrap_or(json!({}))
}

/// An awsQuery element as JSON, knowing no shapes: `<member>`s make a list, `<entry>`s a map.
fn xml_to_json(e: &Elem) -> Value {
    if e.children.is_empty() {
        return Value::String(e.text.clone());
    }
    if e.children.iter().all(|c| c.name == "member") {
        return Value::Array(e.children.iter().map(xml_to_json).collect());
    }
    if e.children.iter().all(|c| c.name == "entry") {
        let entries = e.children.iter().map(|c| (c.text_at(&["key"]).to_string(), xml_to_json(c.get("value"))));
        return Value::Object(entries.collect());
    }
    Value::Object(e.children.iter().map(|c| (c.name.clone(), xml_to_json(c))).collect())
}

/// One form for every protocol's answer: numbers, numeric text and timestamps as f64 seconds,
/// `true`/`false` as booleans; empty lists, strings and structures left out (XML cannot tell them apart).
fn normalise(v: Value) -> Option<Value> {
    let number = |f: f64| serde_json::Number::from_f64(f).map(Value::Number);
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(Value::Bool(b)),
        Value::Number(n) => number(n.as_f64()?),
        Value::String(s) if s.is_empty() => None,
        Value::String(s) if s == "true" || s == "false" => Some(Value::Bool(s == "true")),
        Value::String(s) => {
            if let Ok(f) = s.parse::<f64>() {
                return number(f);
            }
            match time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339) {
                Ok(t) => number((t.unix_timestamp_nanos() / 1_000_000) as f64 / 1000.0),
                Err(_) => Some(Value::String(s)),
            }
        }
        Value::Array(items) => {
            let items: Vec<Value> = items.into_iter().filter_map(normalise).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(m) => {
            let mut m: Map<String, Value> = m.into_iter().filter_map(|(k, v)| Some((k, normalise(v)?))).collect();
            // GetMetricStatistics answers its datapoints in no particular order (two units' points
            // may share a timestamp), so they compare as a set.
            if let Some(Value::Array(points)) = m.get_mut("Datapoints") {
                points.sort_by_key(|p| p.to_string());
            }
            (!m.is_empty()).then_some(Value::Object(m))
        }
    }
}

/// Equal, numbers within a relative 1e-12: the store's floating-point sums may differ in their last
/// bits between two clouds (a minute read before or after it is sealed), which no protocol causes; a
/// protocol that lost precision in writing a number would still differ far more.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Value(f64),
    Values(Vec<(f64, u8)>),
    Set { count: u8, min: f64, span: f64 },
}

#[derive(Debug, Clone)]
struct DatumSpec {
    metric: usize,
    host: Option<usize>,
    offset_s: i64,
    kind: Kind,
    unit: Option<&'static str>,
    high_resolution: bool,
}

#[derive(Debug, Clone)]
struct StatSpec {
    /// The datum whose metric the query reads.
    datum: prop::sample::Index,
    period: i64,
    stat: &'static str,
    returned: bool,
}

#[derive(Debug, Clone)]
struct Case {
    datums: Vec<DatumSpec>,
    stats: Vec<StatSpec>,
    expression: &'static str,
    ascending: bool,
    statistics_period: i64,
}

/// Values printed as the shortest text that reads back exactly, as every SDK sends them.
fn value() -> impl Strategy<Value = f64> {
    (-1_000_000i64..1_000_000, 0u32..4).prop_map(|(n, scale)| n as f64 / 10f64.powi(scale as i32))
}

fn datum() -> impl Strategy<Value = DatumSpec> {
    let kind = prop_oneof![
        value().prop_map(Kind::Value),
        prop::collection::vec((value(), 1u8..4), 1..4).prop_map(Kind::Values),
        (1u8..10, value(), 0u32..1000).prop_map(|(count, min, span)| Kind::Set { count, min, span: f64::from(span) }),
    ];
    (
        0usize..3,
        prop::option::of(0usize..2),
        0i64..600,
        kind,
        prop::sample::select(vec![None, Some("Count")]),
        any::<bool>(),
    )
        .prop_map(|(metric, host, offset_s, kind, unit, high_resolution)| DatumSpec {
            metric,
            host,
            offset_s,
            kind,
            unit,
            high_resolution,
        })
}

fn stat() -> impl Strategy<Value = StatSpec> {
    (
        any::<prop::sample::Index>(),
        // 7 is no valid period: the three protocols refuse it alike.
        prop_oneof![9 => prop::sample::select(vec![1i64, 60, 120]), 1 => Just(7i64)],
        prop::sample::select(vec!["Sum", "Average", "Maximum", "SampleCount", "p90"]),
        any::<bool>(),
    )
        .prop_map(|(datum, period, stat, returned)| StatSpec { datum, period, stat, returned })
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(datum(), 1..8),
        prop::collection::vec(stat(), 1..4),
        prop::sample::select(vec!["SUM(METRICS())", "q0 * 2 + 1", "RATE(q0)"]),
        any::<bool>(),
        prop::sample::select(vec![60i64, 300]),
    )
        .prop_map(|(datums, stats, expression, ascending, statistics_period)| Case {
            datums,
            stats,
            expression,
            ascending,
            statistics_period,
        })
}

fn dimensions(host: Option<usize>) -> Value {
    match host {
        Some(h) => json!([{"Name": "Host", "Value": format!("h{h}")}]),
        None => json!([]),
    }
}

fn datum_json(d: &DatumSpec, t0: i64) -> Value {
    let mut v = json!({
        "MetricName": format!("m{}", d.metric),
        "Dimensions": dimensions(d.host),
        "Timestamp": (t0 + d.offset_s * 1000) / 1000,
        "StorageResolution": if d.high_resolution { 1 } else { 60 },
    });
    match &d.kind {
        Kind::Value(x) => v["Value"] = json!(x),
        Kind::Values(pairs) => {
            v["Values"] = json!(pairs.iter().map(|(x, _)| *x).collect::<Vec<_>>());
            v["Counts"] = json!(pairs.iter().map(|(_, c)| f64::from(*c)).collect::<Vec<_>>());
        }
        Kind::Set { count, min, span } => {
            let (n, max) = (f64::from(*count), min + span);
            v["StatisticValues"] =
                json!({"SampleCount": n, "Minimum": min, "Maximum": max, "Sum": n * (min + max) / 2.0});
        }
    }
    if let Some(unit) = d.unit {
        v["Unit"] = json!(unit);
    }
    v
}

/// The requests of one case, in order: (operation, document).
fn requests(case: &Case, namespace: &str, t0: i64) -> Vec<(&'static str, Value)> {
    let data: Vec<Value> = case.datums.iter().map(|d| datum_json(d, t0)).collect();
    let mut queries: Vec<Value> = case
        .stats
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let d = &case.datums[s.datum.index(case.datums.len())];
            let metric = json!({"Namespace": namespace, "MetricName": format!("m{}", d.metric), "Dimensions": dimensions(d.host)});
            json!({"Id": format!("q{i}"), "MetricStat": {"Metric": metric, "Period": s.period, "Stat": s.stat}, "ReturnData": s.returned})
        })
        .collect();
    queries.push(json!({"Id": "e0", "Expression": case.expression, "Label": "expression", "Period": 60}));
    let (start, end) = (t0 / 1000, (t0 + 660_000) / 1000);
    let first = &case.datums[0];
    vec![
        ("PutMetricData", json!({"Namespace": namespace, "MetricData": data})),
        (
            "GetMetricData",
            json!({
                "MetricDataQueries": queries,
                "StartTime": start,
                "EndTime": end,
                "ScanBy": if case.ascending { "TimestampAscending" } else { "TimestampDescending" },
            }),
        ),
        (
            "GetMetricStatistics",
            json!({
                "Namespace": namespace,
                "MetricName": format!("m{}", first.metric),
                "Dimensions": dimensions(first.host),
                "StartTime": start,
                "EndTime": end,
                "Period": case.statistics_period,
                "Statistics": ["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
            }),
        ),
        (
            "GetMetricStatistics",
            json!({
                "Namespace": namespace,
                "MetricName": format!("m{}", first.metric),
                "StartTime": start,
                "EndTime": end,
                "Period": case.statistics_period,
                "ExtendedStatistics": ["p50", "p99.9"],
            }),
        ),
        ("ListMetrics", json!({"Namespace": namespace})),
        ("ListMetrics", json!({"Namespace": namespace, "Dimensions": [{"Name": "Host"}]})),
    ]
}

/// Runs one case; counts the GetMetricData answers that carried values, so the test can tell it
/// compared data and not only refusals.
async fn run_case(
    clouds: &[TestCloud],
    case: &Case,
    namespace: &str,
    t0: i64,
    with_values: &AtomicUsize,
) -> Result<(), TestCaseError> {
    for (op, doc) in requests(case, namespace, t0) {
        let mut answers = Vec::new();
        for (cloud, wire) in clouds.iter().zip(WIRES) {
            answers.push(call(cloud, wire, op, &doc).await);
        }
        for (other, wire) in [(&answers[1], "CBOR"), (&answers[2], "awsQuery")] {
            prop_assert!(
                same(&answers[0], other),
                "{op} over awsJson and {wire}, for {doc}:\n{}\n{}",
                answers[0],
                other
            );
        }
        if op == "GetMetricData" && answers[0].to_string().contains("\"Values\"") {
            with_values.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_cbor_and_query_give_the_same_answers() {
    let clouds = [TestCloud::start_virtual().await, TestCloud::start_virtual().await, TestCloud::start_virtual().await];
    let now = clouds.iter().map(|c| c.cloud.ctx.clock.now_ms()).min().expect("three clouds");
    let t0 = now - now.rem_euclid(60_000) - 15 * 60_000;
    let (cases, with_values) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    let handle = tokio::runtime::Handle::current();
    let outcome = runner.run(&case(), |case| {
        let namespace = format!("Equivalence/{}", cases.fetch_add(1, Ordering::Relaxed));
        tokio::task::block_in_place(|| handle.block_on(run_case(&clouds, &case, &namespace, t0, &with_values)))
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    assert!(cases.load(Ordering::Relaxed) >= 24, "every case ran");
    assert!(with_values.load(Ordering::Relaxed) >= 4, "most cases compare data, not only refusals");
}
