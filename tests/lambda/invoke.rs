//! Invoke and the built-in handlers: the consumer, the fare function, a function without a built-in,
//! the START/END/REPORT lines in the function's log group, and the AWS/Lambda metrics.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{CONSUMER, FARE, env};

fn kinesis_event(datas: &[&str]) -> Vec<u8> {
    let records: Vec<Value> = datas
        .iter()
        .enumerate()
        .map(|(i, d)| json!({ "kinesis": { "data": STANDARD.encode(d), "sequenceNumber": format!("{i}"), "partitionKey": "k" } }))
        .collect();
    json!({ "Records": records }).to_string().into_bytes()
}

#[tokio::test]
async fn the_consumer_decodes_records_and_fails_on_one_that_is_not_json_with_its_log_tail() {
    let env = env().await;
    env.function("consumer", Some(CONSUMER)).await;
    let ok = env
        .lambda
        .invoke()
        .function_name("consumer")
        .payload(Blob::new(kinesis_event(&["{\"a\":1}"])))
        .log_type(LogType::Tail)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status_code(), 200);
    assert_eq!(ok.function_error(), None);
    assert_eq!(ok.executed_version(), Some("$LATEST"));
    assert_eq!(ok.payload().unwrap().as_ref(), b"\"Successfully processed 1 records.\"");
    let tail = String::from_utf8(STANDARD.decode(ok.log_result().unwrap()).unwrap()).unwrap();
    assert!(tail.starts_with("START RequestId: "), "{tail}");
    assert!(tail.contains("Version: $LATEST"), "{tail}");
    assert!(tail.contains("Decoded payload: {\"a\":1}"), "{tail}");
    assert!(tail.contains("\nEND RequestId: "), "{tail}");
    assert!(
        tail.contains("REPORT RequestId: ")
            && tail.contains("Billed Duration: ")
            && tail.contains("Memory Size: 128 MB"),
        "{tail}"
    );

    let bad = env
        .lambda
        .invoke()
        .function_name("consumer")
        .payload(Blob::new(kinesis_event(&["{}", "oops"])))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.function_error(), Some("Unhandled"));
    let error: Value = serde_json::from_slice(bad.payload().unwrap().as_ref()).unwrap();
    assert_eq!(error["errorType"], "ValueError");
    assert_eq!(error["errorMessage"], "record 1 (partition key k) is not JSON");

    let log = env.log_messages("/aws/lambda/consumer").await;
    assert_eq!(log.iter().filter(|l| l.starts_with("START RequestId:")).count(), 2, "{log:?}");
    assert_eq!(log.iter().filter(|l| l.starts_with("REPORT RequestId:")).count(), 2);
    let streams = env.logs.describe_log_streams().log_group_name("/aws/lambda/consumer").send().await.unwrap();
    let stream = streams.log_streams()[0].log_stream_name().unwrap();
    assert!(regex_like(stream), "{stream}");

    env.seconds(1).await;
    for metric in ["Invocations", "Errors", "Duration", "ConcurrentExecutions"] {
        let m = env.cw.list_metrics().namespace("AWS/Lambda").metric_name(metric).send().await.unwrap();
        assert!(!m.metrics().is_empty(), "{metric} is published");
    }
}

/// `YYYY/MM/DD/[$LATEST]<32 hex>`.
fn regex_like(s: &str) -> bool {
    let (date, rest) = s.split_at(10.min(s.len()));
    let digits = date.chars().filter(char::is_ascii_digit).count() == 8 && date.matches('/').count() == 2;
    let hex =
        rest.strip_prefix("/[$LATEST]").is_some_and(|h| h.len() == 32 && h.chars().all(|c| c.is_ascii_hexdigit()));
    digits && hex
}

#[tokio::test]
async fn the_fare_function_answers_a_proxy_response_and_400_without_an_id() {
    let env = env().await;
    env.function("fare", Some(FARE)).await;
    let event = json!({ "queryStringParameters": { "ride_request_id": "7" } }).to_string();
    let r = env.lambda.invoke().function_name("fare").payload(Blob::new(event)).send().await.unwrap();
    let response: Value = serde_json::from_slice(r.payload().unwrap().as_ref()).unwrap();
    assert_eq!(response["statusCode"], 200);
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["ride_request_id"], 7);
    // The template's Python prints 9.734269436223919 for ride 7.
    assert!((body["expected_fare"].as_f64().unwrap() - 9.734269436223919).abs() < 1e-9, "{body}");
    let none = env.lambda.invoke().function_name("fare").payload(Blob::new("{}")).send().await.unwrap();
    let response: Value = serde_json::from_slice(none.payload().unwrap().as_ref()).unwrap();
    assert_eq!(response, json!({ "statusCode": 400, "body": "Missing ride_request_id" }));
    assert_eq!(none.function_error(), None);
}

#[tokio::test]
async fn a_function_without_a_builtin_fails_every_invocation_with_a_log_line() {
    let env = env().await;
    env.function("plain", None).await;
    let r = env.lambda.invoke().function_name("plain").payload(Blob::new("{}")).send().await.unwrap();
    assert_eq!(r.function_error(), Some("Unhandled"));
    let error: Value = serde_json::from_slice(r.payload().unwrap().as_ref()).unwrap();
    assert_eq!(error["errorType"], "Runtime.HandlerNotFound");
    let log = env.log_messages("/aws/lambda/plain").await;
    assert!(
        log.iter().any(|l| l.contains("[ERROR] Runtime.HandlerNotFound") && l.contains("kinesis-console:builtin")),
        "{log:?}"
    );
}

#[tokio::test]
async fn event_invocations_are_queued_and_dry_runs_only_check() {
    let env = env().await;
    env.function("fare", Some(FARE)).await;
    let dry = env.lambda.invoke().function_name("fare").invocation_type(InvocationType::DryRun).send().await.unwrap();
    assert_eq!(dry.status_code(), 204);
    assert!(env.log_messages("/aws/lambda/fare").await.is_empty());
    let queued = env
        .lambda
        .invoke()
        .function_name("fare")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new("{}"))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status_code(), 202);
    support_eventually(&env, "the queued invocation ran").await;
    let bad = env.lambda.invoke().function_name("fare").payload(Blob::new("not json")).send().await.unwrap_err();
    assert_eq!(aws_sdk_lambda::error::ProvideErrorMetadata::code(&bad), Some("InvalidRequestContentException"));
}

async fn support_eventually(env: &super::Env, what: &str) {
    super::support::eventually(std::time::Duration::from_secs(10), what, || async {
        env.log_messages("/aws/lambda/fare").await.iter().any(|l| l.starts_with("END RequestId:")).then_some(())
    })
    .await;
}
