//! Client input never breaks the local cloud: arbitrary bytes and arbitrary JSON (or CBOR) shaped
//! like the operations' inputs (awsJson, RPC v2 CBOR, awsQuery forms) get AWS-shaped answers, never a
//! 5xx, and the host keeps serving.
//! The decoders and parsers that read client text are also driven directly; `large_inputs` sends
//! long and deeply nested inputs up to the body limits through signed requests; `apigateway` sends
//! oversized, nested and malformed bodies and bad paths to both API Gateway planes.

mod apigateway;
mod lambda;
mod large_cases;
mod large_inputs;
#[path = "../support/mod.rs"]
mod support;

use kinesis_console::cloud::cloudwatch::math::parse::parse as parse_math;
use kinesis_console::cloud::cloudwatch::math::search::Search;
use kinesis_console::cloud::kinesis::keys::{Iter, SeqNo};
use kinesis_console::cloud::protocol::{cbor, json};
use kinesis_console::control::dashboard::model::Dashboard;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use support::TestCloud;
use support::raw::Raw;

/// Member names the operations read, so random documents reach past "unknown member" into validation.
const MEMBERS: &[&str] = &[
    // SQS
    "QueueName",
    "QueueUrl",
    "Attributes",
    "MessageBody",
    "Entries",
    "ReceiptHandle",
    "MaxNumberOfMessages",
    "VisibilityTimeout",
    "DelaySeconds",
    "MessageAttributes",
    "AttributeNames",
    "TagKeys",
    "QueueNamePrefix",
    "MaxResults",
    "StreamName",
    "StreamARN",
    "ShardCount",
    "ShardId",
    "Records",
    "Data",
    "PartitionKey",
    "ExplicitHashKey",
    "ShardIterator",
    "ShardIteratorType",
    "StartingSequenceNumber",
    "Timestamp",
    "Limit",
    "TargetShardCount",
    "ScalingType",
    "ShardToSplit",
    "NewStartingHashKey",
    "ShardToMerge",
    "AdjacentShardToMerge",
    "Tags",
    "ConsumerName",
    "StreamModeDetails",
    "StreamMode",
    "RetentionPeriodHours",
    "ShardFilter",
    "Type",
    "Namespace",
    "MetricData",
    "MetricName",
    "Dimensions",
    "Name",
    "Value",
    "Values",
    "Counts",
    "Unit",
    "StorageResolution",
    "StatisticValues",
    "MetricDataQueries",
    "Id",
    "Expression",
    "MetricStat",
    "Metric",
    "Period",
    "Stat",
    "StartTime",
    "EndTime",
    "MaxDatapoints",
    "NextToken",
    "ReturnData",
    "Label",
    "AlarmName",
    "AlarmNames",
    "Threshold",
    "ComparisonOperator",
    "EvaluationPeriods",
    "Statistic",
    "ExtendedStatistic",
    "Metrics",
    "TreatMissingData",
    "DashboardName",
    "DashboardBody",
    "StateValue",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-10i64..2000).prop_map(Value::from),
        prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(-1i64), Just(0)].prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        prop_oneof![
            Just("s".to_string()),
            Just("shardId-000000000000".to_string()),
            Just("AWS/Kinesis".to_string()),
            Just("m1 * 2".to_string()),
            Just("TRIM_HORIZON".to_string()),
            Just("x".repeat(300)),
            "\\PC{0,24}",
        ]
        .prop_map(Value::from),
    ]
}

fn document() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::vec((prop::sample::select(MEMBERS), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// A string as the operations might see one: names, ids, keys, expressions, or anything.
fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "s",
            "missing",
            "shardId-000000000000",
            "shardId-000000000001",
            "AWS/Kinesis",
            "IncomingRecords",
            "StreamName",
            "m1",
            "e1",
            "m1 * 2",
            "SUM(METRICS())",
            "FILL(m1, 0)",
            "TRIM_HORIZON",
            "LATEST",
            "AT_SEQUENCE_NUMBER",
            "AT_TIMESTAMP",
            "UNIFORM_SCALING",
            "ON_DEMAND",
            "PROVISIONED",
            "AT_LATEST",
            "Sum",
            "p99",
            "p100.5",
            "Count",
            "GreaterThanThreshold",
            "breaching",
            "ALARM",
            "OK",
            "aGVsbG8=",
            "170141183460469231731687303715884105728",
            "49000000000000000000000000000000000000000000000000000000",
            "{\"widgets\":[]}",
            "",
        ])
        .prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
        Just(Value::from("x".repeat(300))),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-10i64..2000).prop_map(Value::from),
        prop_oneof![Just(i64::MAX), Just(i64::MIN), Just(0i64), Just(100_001i64)].prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
    ]
}

/// Members whose values are lists, and those whose values are structures.
const LISTS: &[&str] =
    &["Records", "MetricData", "Dimensions", "Values", "Counts", "MetricDataQueries", "Metrics", "AlarmNames"];
const STRUCTURES: &[&str] = &["StreamModeDetails", "ShardFilter", "MetricStat", "Metric", "StatisticValues", "Tags"];
const NUMBERS: &[&str] = &[
    "MaxNumberOfMessages",
    "VisibilityTimeout",
    "DelaySeconds",
    "MaxResults",
    "ShardCount",
    "Limit",
    "TargetShardCount",
    "RetentionPeriodHours",
    "StorageResolution",
    "Period",
    "MaxDatapoints",
    "EvaluationPeriods",
    "Timestamp",
    "StartTime",
    "EndTime",
    "Threshold",
];

/// A structure whose members mostly have the type the operations expect, so requests get past
/// deserialization into each operation's own checks.
fn typed(depth: u32) -> BoxedStrategy<Value> {
    let value = move |member: &'static str| -> BoxedStrategy<Value> {
        if depth > 0 && LISTS.contains(&member) {
            prop::collection::vec(prop_oneof![typed(depth - 1), text(), number()], 0..4).prop_map(Value::from).boxed()
        } else if depth > 0 && STRUCTURES.contains(&member) {
            typed(depth - 1)
        } else if NUMBERS.contains(&member) {
            number().boxed()
        } else if member == "ReturnData" {
            any::<bool>().prop_map(Value::from).boxed()
        } else {
            prop_oneof![8 => text(), 1 => number(), 1 => Just(Value::Null)].boxed()
        }
    };
    prop::collection::vec(prop::sample::select(MEMBERS), 0..7)
        .prop_flat_map(move |members| {
            members.into_iter().map(|m| value(m).prop_map(move |v| (m, v))).collect::<Vec<_>>()
        })
        .prop_map(|members| Value::Object(members.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
        .boxed()
}

/// What a random request sends: raw bytes, any document, or a mostly well-typed one, the last two in
/// the protocol's encoding.
#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Document(Value),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Body::Bytes),
        2 => document().prop_map(Body::Document),
        7 => typed(3).prop_map(Body::Document),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Wire {
    AwsJson(&'static str, &'static str),
    Cbor(&'static str),
    /// An awsQuery form (STS); a document's members become its fields.
    Query,
    /// An SQS awsQuery form for the operation, to `/` or to a queue's URL path.
    SqsQuery(&'static str, bool),
}

/// SQS operations (ReceiveMessage waits only on a queue a random URL never names).
const SQS: &[&str] = &[
    "CreateQueue",
    "GetQueueUrl",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "PurgeQueue",
    "DeleteQueue",
    "ListQueues",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
];

const KINESIS: &[&str] = &[
    "PutRecord",
    "PutRecords",
    "GetShardIterator",
    "GetRecords",
    "ListShards",
    "DescribeStream",
    "DescribeStreamSummary",
    "SplitShard",
    "MergeShards",
    "UpdateShardCount",
    "AddTagsToStream",
    "RegisterStreamConsumer",
    "IncreaseStreamRetentionPeriod",
    "EnableEnhancedMonitoring",
    "UpdateStreamMode",
];
const CLOUDWATCH: &[&str] = &[
    "PutMetricData",
    "GetMetricData",
    "GetMetricStatistics",
    "ListMetrics",
    "PutMetricAlarm",
    "DescribeAlarms",
    "SetAlarmState",
    "PutDashboard",
    "GetDashboard",
    "DescribeAlarmHistory",
];

fn wire() -> impl Strategy<Value = Wire> {
    prop_oneof![
        prop::sample::select(KINESIS).prop_map(|op| Wire::AwsJson("Kinesis_20131202", op)),
        prop::sample::select(CLOUDWATCH).prop_map(|op| Wire::AwsJson("GraniteServiceVersion20100801", op)),
        prop::sample::select(CLOUDWATCH).prop_map(Wire::Cbor),
        Just(Wire::Query),
        prop::sample::select(SQS).prop_map(|op| Wire::AwsJson("AmazonSQS", op)),
        (prop::sample::select(SQS), any::<bool>()).prop_map(|(op, to_queue)| Wire::SqsQuery(op, to_queue)),
    ]
}

/// An SQS form: the operation, then a document's members as fields, lists and maps flattened the way
/// SQS's query shapes are (`Attribute.1.Name`), so values reach the operations' checks.
fn sqs_form(op: &str, v: &Value) -> Vec<u8> {
    let mut out = format!("Action={op}&Version=2012-11-05");
    let esc = |t: &str| t.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    if let Value::Object(members) = v {
        for (k, v) in members {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let t = item.as_str().map_or_else(|| item.to_string(), str::to_string);
                        out.push_str(&format!("&{k}.{}={}", i + 1, esc(&t)));
                    }
                }
                Value::Object(m) => {
                    for (i, (name, value)) in m.iter().enumerate() {
                        let t = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                        out.push_str(&format!("&{k}.{n}.Name={}&{k}.{n}.Value={}", esc(name), esc(&t), n = i + 1));
                    }
                }
                other => {
                    let t = other.as_str().map_or_else(|| other.to_string(), str::to_string);
                    out.push_str(&format!("&{k}={}", esc(&t)));
                }
            }
        }
    }
    out.into_bytes()
}

/// A form whose fields are a document's members (nested values flattened as JSON text).
fn form(v: &Value) -> Vec<u8> {
    let mut out = String::from("Action=GetCallerIdentity&Version=2011-06-15");
    if let Value::Object(members) = v {
        for (k, v) in members {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            let escaped: String = text.bytes().map(|b| format!("%{b:02X}")).collect();
            out.push_str(&format!("&{k}={escaped}"));
        }
    }
    out.into_bytes()
}

fn request(wire: Wire, body: &Body) -> Raw {
    let bytes = |encode: fn(&Value) -> Vec<u8>| match body {
        Body::Bytes(b) => b.clone(),
        Body::Document(v) => encode(v),
    };
    match wire {
        Wire::AwsJson(prefix, op) => {
            let content_type =
                if prefix.starts_with("Kinesis") { "application/x-amz-json-1.1" } else { "application/x-amz-json-1.0" };
            let target = format!("{prefix}.{op}");
            let b = bytes(|v| v.to_string().into_bytes());
            Raw::post("/", &[("x-amz-target", target.as_str()), ("content-type", content_type)], b)
        }
        Wire::Query => {
            let b = bytes(form);
            Raw::post("/", &[("content-type", "application/x-www-form-urlencoded")], b)
        }
        Wire::SqsQuery(op, to_queue) => {
            let b = match body {
                Body::Bytes(b) => b.clone(),
                Body::Document(v) => sqs_form(op, v),
            };
            let path = if to_queue { "/000000000000/q" } else { "/" };
            Raw::post(path, &[("content-type", "application/x-www-form-urlencoded")], b)
        }
        Wire::Cbor(op) => {
            let b = bytes(|v| {
                let mut out = Vec::new();
                ciborium::into_writer(v, &mut out).expect("JSON values encode as CBOR");
                out
            });
            let path = format!("/service/GraniteServiceVersion20100801/operation/{op}");
            Raw::post(&path, &[("smithy-protocol", "rpc-v2-cbor"), ("content-type", "application/cbor")], b)
        }
    }
}

#[test]
fn any_request_body_gets_a_client_error_and_the_host_keeps_serving() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let cloud = rt.block_on(TestCloud::start_with(|c| {
        c.auth = false;
        c.kinesis.transition_ms = 0;
    }));
    let url = cloud.url().to_string();
    let create = Raw::post(
        "/",
        &[("x-amz-target", "Kinesis_20131202.CreateStream"), ("content-type", "application/x-amz-json-1.1")],
        r#"{"StreamName":"s","ShardCount":1}"#,
    );
    assert_eq!(rt.block_on(create.send(&url)).0, 200);

    let mut runner = TestRunner::new(Config { cases: 1000, failure_persistence: None, ..Config::default() });
    runner
        .run(&(wire(), body()), |(wire, body)| {
            let (status, _, answer) = rt.block_on(request(wire, &body).send(&url));
            prop_assert!(status < 500, "{wire:?} answered {status}: {}", String::from_utf8_lossy(&answer));
            Ok(())
        })
        .unwrap();

    let describe = Raw::post(
        "/",
        &[("x-amz-target", "Kinesis_20131202.DescribeStreamSummary"), ("content-type", "application/x-amz-json-1.1")],
        r#"{"StreamName":"s"}"#,
    );
    assert_eq!(rt.block_on(describe.send(&url)).0, 200, "the host still serves");
}

proptest! {
    #![proptest_config(Config { cases: 2000, failure_persistence: None, ..Config::default() })]

    #[test]
    fn decoders_answer_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = json::decode(&bytes);
        let _ = cbor::decode(&bytes);
    }

    #[test]
    fn math_expressions_parse_or_say_why(text in "[a-zA-Z0-9_ ()\\[\\],.'\"{}+*/^<>=!&|-]{0,48}") {
        let _ = parse_math(&text);
    }

    #[test]
    fn searches_parse_or_say_why(text in "[a-zA-Z0-9_ {}(),=\"/.-]{0,48}") {
        let _ = Search::parse(&text);
    }

    #[test]
    fn sequence_numbers_and_iterators_parse_or_are_refused(text in "\\PC{0,80}", digits in "[0-9]{50,60}") {
        let _ = SeqNo::parse(&text);
        let _ = SeqNo::parse(&digits);
        let _ = Iter::decode(&text);
    }

    #[test]
    fn dashboard_bodies_parse_or_say_why(doc in document()) {
        let _ = Dashboard::parse(&doc.to_string());
        let _ = Dashboard::parse(&serde_json::json!({"widgets": [{"type": "metric", "properties": doc}]}).to_string());
    }
}
