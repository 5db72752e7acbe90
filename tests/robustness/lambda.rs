//! Lambda's REST JSON operations: arbitrary bodies and documents shaped like their inputs, signed,
//! get AWS-shaped client errors (never a 5xx) and the host keeps serving.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

use super::support::TestCloud;
use super::support::raw::Raw;

const MEMBERS: &[&str] = &[
    "FunctionName",
    "Runtime",
    "Role",
    "Handler",
    "Code",
    "ZipFile",
    "S3Bucket",
    "Timeout",
    "MemorySize",
    "Environment",
    "Variables",
    "Tags",
    "TracingConfig",
    "LoggingConfig",
    "RevisionId",
    "StatementId",
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "ReservedConcurrentExecutions",
    "EventSourceArn",
    "StartingPosition",
    "StartingPositionTimestamp",
    "BatchSize",
    "ParallelizationFactor",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "DestinationConfig",
    "OnFailure",
    "Destination",
    "FunctionResponseTypes",
    "MaximumBatchingWindowInSeconds",
    "Enabled",
    "Description",
];

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/2015-03-31/functions"),
    ("PUT", "/2015-03-31/functions/f/configuration"),
    ("PUT", "/2015-03-31/functions/f/code"),
    ("POST", "/2015-03-31/functions/f/invocations"),
    ("POST", "/2015-03-31/functions/f/policy"),
    ("PUT", "/2017-10-31/functions/f/concurrency"),
    ("POST", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af"),
    ("POST", "/2015-03-31/event-source-mappings"),
    ("PUT", "/2015-03-31/event-source-mappings/00000000-0000-0000-0000-000000000000"),
    ("GET", "/2015-03-31/functions/f%3A%24LATEST"),
];

fn value(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        "\\PC{0,24}".prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(json!("arn:aws:kinesis:us-east-1:000000000000:stream/s")),
        Just(json!("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==")),
    ];
    if depth == 0 {
        return leaf.boxed();
    }
    prop_oneof![
        3 => leaf,
        1 => object(depth - 1).prop_map(Value::Object),
        1 => prop::collection::vec(value(depth - 1), 0..3).prop_map(Value::Array),
    ]
    .boxed()
}

fn object(depth: u32) -> BoxedStrategy<Map<String, Value>> {
    prop::collection::btree_map(prop::sample::select(MEMBERS).prop_map(str::to_string), value(depth), 0..6)
        .prop_map(|m| m.into_iter().collect())
        .boxed()
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..128),
        4 => object(2).prop_map(|m| Value::Object(m).to_string().into_bytes()),
    ]
}

fn raw(cloud: &TestCloud, method: &'static str, path: &str, body: Vec<u8>) -> Raw {
    let raw =
        Raw { method, path: path.to_string(), headers: vec![("content-type".into(), "application/json".into())], body };
    cloud.sign(raw, "lambda")
}

#[test]
fn any_lambda_request_gets_a_client_error_and_the_host_keeps_serving() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let cloud = rt.block_on(TestCloud::start_with(|c| c.lambda.transition_ms = 0));
    let url = cloud.url().to_string();
    let create = json!({
        "FunctionName": "f", "Runtime": "python3.13", "Handler": "index.handler",
        "Role": "arn:aws:iam::000000000000:role/r", "Code": { "ZipFile": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==" },
    });
    let (status, _, answer) =
        rt.block_on(raw(&cloud, "POST", "/2015-03-31/functions", create.to_string().into_bytes()).send(&url));
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));

    let mut runner = TestRunner::new(Config { cases: 400, failure_persistence: None, ..Config::default() });
    runner
        .run(&(prop::sample::select(ROUTES), body()), |((method, path), body)| {
            let (status, _, answer) = rt.block_on(raw(&cloud, method, path, body).send(&url));
            prop_assert!(status < 500, "{method} {path} answered {status}: {}", String::from_utf8_lossy(&answer));
            Ok(())
        })
        .unwrap();
    let (status, _, _) = rt.block_on(raw(&cloud, "GET", "/2015-03-31/functions/", Vec::new()).send(&url));
    assert_eq!(status, 200, "the host still serves");
}
