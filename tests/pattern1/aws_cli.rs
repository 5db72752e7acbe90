//! What the `aws` CLI (its own botocore, from the tools venv) sees of a pattern 1 stack: the REST API,
//! the consumer's event source mapping with the stack's settings, and a failure record in the queue.

use serde_json::Value;

use crate::stack::Pattern1;
use crate::support::TestCloud;

/// `apigateway get-rest-apis`, `lambda list-event-source-mappings` and `sqs receive-message` (the
/// message left visible, for the SDK read after it). Skipped where the CLI is not installed (not in CI).
pub fn sees_the_stack(cloud: &TestCloud, p: &Pattern1, bad_seq: &str) {
    let Some(apis) = cloud.aws_json(&["apigateway", "get-rest-apis"]) else { return };
    let items = apis["items"].as_array().expect("items");
    let api = items.iter().find(|i| i["id"] == p.api_id.as_str()).unwrap_or_else(|| panic!("{apis:#}"));
    assert_eq!(api["name"], format!("{}-kinesis-proxy", p.stack), "{api:#}");
    assert_eq!(api["endpointConfiguration"]["types"], serde_json::json!(["EDGE"]), "{api:#}");

    let listed = cloud
        .aws_json(&["lambda", "list-event-source-mappings", "--function-name", &p.function])
        .expect("the CLI was found above");
    let mappings = listed["EventSourceMappings"].as_array().expect("EventSourceMappings");
    assert_eq!(mappings.len(), 1, "{listed:#}");
    let m = &mappings[0];
    assert_eq!(m["EventSourceArn"], p.stream_arn.as_str(), "{m:#}");
    assert_eq!(m["State"], "Enabled", "{m:#}");
    assert_eq!(m["StartingPosition"], "LATEST");
    assert_eq!(m["BatchSize"], 25);
    assert_eq!(m["ParallelizationFactor"], 2);
    assert_eq!(m["MaximumRetryAttempts"], 2);
    assert_eq!(m["BisectBatchOnFunctionError"], true);
    assert_eq!(m["DestinationConfig"]["OnFailure"]["Destination"], p.queue_arn.as_str(), "{m:#}");
    assert!(m["FunctionArn"].as_str().is_some_and(|a| a.ends_with(&format!(":function:{}", p.function))), "{m:#}");

    let received = cloud
        .aws_json(&[
            "sqs",
            "receive-message",
            "--queue-url",
            &p.queue_url,
            "--visibility-timeout",
            "0",
            "--attribute-names",
            "All",
        ])
        .expect("the CLI was found above");
    let messages = received["Messages"].as_array().expect("Messages");
    assert_eq!(messages.len(), 1, "{received:#}");
    let body: Value = serde_json::from_str(messages[0]["Body"].as_str().expect("a Body")).expect("a JSON body");
    assert_eq!(body["KinesisBatchInfo"]["startSequenceNumber"], bad_seq, "{body:#}");
    assert_eq!(body["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(messages[0]["Attributes"]["ApproximateReceiveCount"], "1");
}
