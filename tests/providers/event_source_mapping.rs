//! `AWS::Lambda::EventSourceMapping` through the provider, with every property pattern 1 sets,
//! checked with aws-sdk-lambda.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use serde_json::json;

use super::{cloud, drive, props, provider, request};

#[tokio::test]
async fn the_pattern_1_mapping_is_created_enabled_updated_in_place_and_deleted() {
    let cloud = cloud().await;
    let s = provider(&cloud, "AWS::Kinesis::Stream");
    let req = request("DataStream", json!({ "Name": "data", "ShardCount": 1 }));
    let stream = drive(&cloud, async move { s.create(req).await }).await.expect("stream");
    let f = provider(&cloud, "AWS::Lambda::Function");
    let req = request(
        "ConsumerFunction",
        json!({
            "FunctionName": "consumer", "Runtime": "python3.13", "Handler": "index.handler",
            "Role": "arn:aws:iam::000000000000:role/r", "Code": { "ZipFile": "x = 1\n" },
        }),
    );
    drive(&cloud, async move { f.create(req).await }).await.expect("function");
    let p = provider(&cloud, "AWS::Lambda::EventSourceMapping");
    let stream_arn = stream.attributes["Arn"].clone();
    let properties = move |batch: u32| {
        json!({
            "EventSourceArn": stream_arn.clone(),
            "FunctionName": "consumer",
            "StartingPosition": "LATEST",
            "BatchSize": batch,
            "BisectBatchOnFunctionError": true,
            "MaximumRecordAgeInSeconds": 86400,
            "MaximumRetryAttempts": 3,
            "ParallelizationFactor": 2,
            "DestinationConfig": { "OnFailure": { "Destination": "arn:aws:sqs:us-east-1:000000000000:dlq" } },
            "Tags": [{ "Key": "kinesis-console:pattern", "Value": "apigw-kds-lambda" }],
        })
    };
    let (p2, req) = (p.clone(), request("ConsumerEventSourceMapping", properties(100)));
    let made = drive(&cloud, async move { p2.create(req).await }).await.expect("mapping");
    let lambda = Client::new(&cloud.sdk_config().await);
    let m = lambda.get_event_source_mapping().uuid(made.reference()).send().await.expect("Ref is the UUID");
    assert_eq!(m.state(), Some("Enabled"));
    assert_eq!(m.batch_size(), Some(100));
    assert_eq!(m.bisect_batch_on_function_error(), Some(true));
    assert_eq!(m.maximum_record_age_in_seconds(), Some(86400));
    assert_eq!(m.maximum_retry_attempts(), Some(3));
    assert_eq!(m.parallelization_factor(), Some(2));
    assert_eq!(
        m.destination_config().unwrap().on_failure().unwrap().destination(),
        Some("arn:aws:sqs:us-east-1:000000000000:dlq")
    );
    assert_eq!(made.attributes["Id"], made.reference());

    assert!(!p.needs_replacement(&props(properties(100)), &props(properties(50))));
    let mut other = properties(100);
    other["StartingPosition"] = json!("TRIM_HORIZON");
    assert!(p.needs_replacement(&props(properties(100)), &props(other)));

    let (p3, req, id) = (p.clone(), request("ConsumerEventSourceMapping", properties(50)), made.physical_id.clone());
    let old = props(properties(100));
    drive(&cloud, async move { p3.update(id, old, req).await }).await.expect("updated");
    let m = lambda.get_event_source_mapping().uuid(made.reference()).send().await.unwrap();
    assert_eq!(m.batch_size(), Some(50));

    let (id, req) = (made.physical_id.clone(), request("ConsumerEventSourceMapping", properties(50)));
    drive(&cloud, async move { p.delete(id, req).await }).await.expect("deleted");
    let gone = lambda.get_event_source_mapping().uuid(made.reference()).send().await.unwrap_err();
    assert_eq!(gone.code(), Some("ResourceNotFoundException"));
}
