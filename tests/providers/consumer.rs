//! `AWS::Kinesis::StreamConsumer` through the provider, checked with aws-sdk-kinesis.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ConsumerStatus;
use serde_json::json;

use super::support::TestCloud;
use super::{cloud, drive, props, provider, request};

const TYPE: &str = "AWS::Kinesis::StreamConsumer";

/// A stream made through its own provider, as a stack would; its ARN.
async fn stream(cloud: &TestCloud, name: &str) -> String {
    let p = provider(cloud, "AWS::Kinesis::Stream");
    let req = request("Stream", json!({ "Name": name, "ShardCount": 1 }));
    let made = drive(cloud, async move { p.create(req).await }).await.expect("stream created");
    made.attributes["Arn"].as_str().expect("Arn").to_string()
}

#[tokio::test]
async fn create_registers_an_active_consumer_whose_attributes_are_what_the_api_describes() {
    let cloud = cloud().await;
    let stream_arn = stream(&cloud, "fanout").await;
    let p = provider(&cloud, TYPE);
    let req = request("Consumer", json!({ "ConsumerName": "reader", "StreamARN": stream_arn }));
    let made = drive(&cloud, async move { p.create(req).await }).await.expect("registered");

    let k = Client::new(&cloud.sdk_config().await);
    let d = k.describe_stream_consumer().consumer_arn(&made.physical_id).send().await.expect("DescribeStreamConsumer");
    let c = d.consumer_description().expect("description");
    assert_eq!(c.consumer_status(), &ConsumerStatus::Active);
    assert_eq!(made.reference(), c.consumer_arn(), "Ref is the consumer's ARN");
    assert_eq!(made.attributes["ConsumerARN"], c.consumer_arn());
    assert_eq!(made.attributes["ConsumerName"], "reader");
    assert_eq!(made.attributes["ConsumerStatus"], "ACTIVE");
    assert_eq!(made.attributes["StreamARN"], stream_arn.as_str());
    let created = c.consumer_creation_timestamp().secs();
    let iso = made.attributes["ConsumerCreationTimestamp"].as_str().expect("a timestamp string");
    let parsed = time::OffsetDateTime::parse(iso, &time::format_description::well_known::Rfc3339).expect("ISO 8601");
    assert_eq!(parsed.unix_timestamp(), created);
}

#[tokio::test]
async fn either_property_changed_replaces_the_consumer() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let c = |name: &str, arn: &str| props(json!({ "ConsumerName": name, "StreamARN": arn }));
    assert!(p.needs_replacement(&c("a", "arn:s1"), &c("b", "arn:s1")));
    assert!(p.needs_replacement(&c("a", "arn:s1"), &c("a", "arn:s2")));
    assert!(!p.needs_replacement(&c("a", "arn:s1"), &c("a", "arn:s1")));
}

#[tokio::test]
async fn delete_deregisters_and_a_consumer_already_gone_is_no_error() {
    let cloud = cloud().await;
    let stream_arn = stream(&cloud, "fanout").await;
    let p = provider(&cloud, TYPE);
    let (p2, req) = (p.clone(), request("Consumer", json!({ "ConsumerName": "reader", "StreamARN": stream_arn })));
    let made = drive(&cloud, async move { p2.create(req).await }).await.expect("registered");
    let arn = made.physical_id.clone();
    let (p2, req, id) = (p.clone(), request("Consumer", json!({})), arn.clone());
    drive(&cloud, async move { p2.delete(id, req).await }).await.expect("deregistered");
    let k = Client::new(&cloud.sdk_config().await);
    let listed = k.list_stream_consumers().stream_arn(&stream_arn).send().await.expect("ListStreamConsumers");
    assert!(listed.consumers().is_empty(), "{:?}", listed.consumers());
    let req = request("Consumer", json!({}));
    drive(&cloud, async move { p.delete(arn, req).await }).await.expect("deregistering it again succeeds");
}

#[tokio::test]
async fn a_consumer_of_a_missing_stream_fails_with_the_services_reason() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/missing";
    let req = request("Consumer", json!({ "ConsumerName": "reader", "StreamARN": arn }));
    let e = drive(&cloud, async move { p.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("Error Code: ResourceNotFoundException"), "{e}");
}
