//! Inputs no SDK sends, signed for `kinesisanalytics` and posted raw: each gets a 4xx in awsJson 1.1
//! with the model's error type, and the service still answers afterwards.

use serde_json::{Value, json};

use crate::support::raw::Raw;
use crate::{IDLE, env};

async fn call(cloud: &crate::support::TestCloud, operation: &str, body: &str) -> (u16, Value) {
    let target = format!("KinesisAnalytics_20180523.{operation}");
    let raw =
        Raw::post("/", &[("x-amz-target", target.as_str()), ("content-type", "application/x-amz-json-1.1")], body);
    let (status, _, body) = cloud.sign(raw, "kinesisanalytics").send(cloud.url()).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_inputs_get_aws_shaped_client_errors() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    let long = "a".repeat(129);
    let cases: Vec<(&str, String, &str)> = vec![
        ("DescribeApplication", "[1, 2]".into(), "SerializationException"),
        ("DescribeApplication", json!({ "ApplicationName": 7 }).to_string(), "SerializationException"),
        ("DescribeApplication", json!({}).to_string(), "InvalidArgumentException"),
        ("DescribeApplication", json!({ "ApplicationName": long }).to_string(), "InvalidArgumentException"),
        ("CreateApplication", json!({ "ApplicationName": "x", "RuntimeEnvironment": "FLINK-0_1", "ServiceExecutionRole": "arn:aws:iam::0:role/r" }).to_string(), "InvalidArgumentException"),
        ("CreateApplication", json!({ "ApplicationName": "x", "RuntimeEnvironment": "SQL-1_0", "ServiceExecutionRole": "arn:aws:iam::0:role/r" }).to_string(), "UnsupportedOperationException"),
        ("CreateApplication", json!({ "ApplicationName": "app", "RuntimeEnvironment": "FLINK-1_20", "ServiceExecutionRole": "arn:aws:iam::0:role/r" }).to_string(), "ResourceInUseException"),
        ("CreateApplication", json!({ "ApplicationName": "y", "RuntimeEnvironment": "FLINK-1_20", "ServiceExecutionRole": "arn:aws:iam::0:role/r",
            "ApplicationConfiguration": { "FlinkApplicationConfiguration": { "ParallelismConfiguration": { "ConfigurationType": "CUSTOM", "Parallelism": 0 } } } }).to_string(), "InvalidArgumentException"),
        ("UpdateApplication", json!({ "ApplicationName": "app" }).to_string(), "InvalidArgumentException"),
        ("ListApplications", json!({ "Limit": 0 }).to_string(), "InvalidRequestException"),
        ("ListApplicationSnapshots", json!({ "ApplicationName": "app", "NextToken": "zzz" }).to_string(), "InvalidArgumentException"),
        ("StartApplication", json!({ "ApplicationName": "app", "RunConfiguration": { "ApplicationRestoreConfiguration": { "ApplicationRestoreType": "BOGUS" } } }).to_string(), "InvalidArgumentException"),
        ("TagResource", json!({ "ResourceARN": "not-an-arn", "Tags": [{ "Key": "k", "Value": "v" }] }).to_string(), "InvalidArgumentException"),
        ("DescribeApplicationOperation", json!({ "ApplicationName": "app", "OperationId": "missing" }).to_string(), "ResourceNotFoundException"),
        ("NoSuchOperation", json!({}).to_string(), "UnknownOperationException"),
    ];
    for (operation, body, want) in cases {
        let (status, answer) = call(&e.cloud, operation, &body).await;
        assert_eq!(status, 400, "{operation} {body}: {answer}");
        assert_eq!(answer["__type"], want, "{operation} {body}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{operation}: a message: {answer}");
    }
    assert_eq!(e.version("app").await, 1, "nothing refused changed the application");
}
