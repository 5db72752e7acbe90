//! `AWS::KinesisFirehose::DeliveryStream` through the provider, checked with aws-sdk-firehose: a
//! delivery stream a stack makes delivers, updates in place, and goes.

use std::time::Duration;

use aws_sdk_firehose::Client;
use aws_sdk_kinesis::primitives::Blob;
use serde_json::json;

use super::support::TestCloud;
use super::{cloud, drive, props, provider, request};

const TYPE: &str = "AWS::KinesisFirehose::DeliveryStream";
const ROLE: &str = "arn:aws:iam::000000000000:role/firehose";

async fn source_and_bucket(cloud: &TestCloud) -> String {
    let conf = cloud.sdk_config().await;
    let k = aws_sdk_kinesis::Client::new(&conf);
    k.create_stream().stream_name("ticks").shard_count(1).send().await.expect("CreateStream");
    cloud.advance_settled(Duration::from_secs(1)).await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    s3.create_bucket().bucket("out").send().await.expect("CreateBucket");
    "arn:aws:kinesis:us-east-1:000000000000:stream/ticks".to_string()
}

fn properties(stream_arn: &str, interval: &str) -> serde_json::Value {
    json!({
        "DeliveryStreamType": "KinesisStreamAsSource",
        "KinesisStreamSourceConfiguration": { "KinesisStreamARN": stream_arn, "RoleARN": ROLE },
        "ExtendedS3DestinationConfiguration": {
            "BucketARN": "arn:aws:s3:::out",
            "RoleARN": ROLE,
            "BufferingHints": { "SizeInMBs": "1", "IntervalInSeconds": interval },
            "CompressionFormat": "GZIP",
            "Prefix": "data/year=!{timestamp:yyyy}/",
            "ErrorOutputPrefix": "errors/!{firehose:error-output-type}/",
        },
        "Tags": [{ "Key": "team", "Value": "data" }],
    })
}

#[tokio::test]
async fn a_delivery_stream_made_by_a_stack_delivers_updates_in_place_and_is_deleted() {
    let cloud = cloud().await;
    let stream_arn = source_and_bucket(&cloud).await;
    let p = provider(&cloud, TYPE);
    let req = request("DeliveryStream", properties(&stream_arn, "60"));
    let made = {
        let (p, req) = (p.clone(), req.clone());
        drive(&cloud, async move { p.create(req).await }).await.expect("created")
    };
    let name = made.physical_id.clone();
    assert!(name.starts_with("orders-DeliveryStream-") && name.len() <= 64, "{name}");
    assert_eq!(made.attributes["Arn"], format!("arn:aws:firehose:us-east-1:000000000000:deliverystream/{name}"));

    let conf = cloud.sdk_config().await;
    let fh = Client::new(&conf);
    let d = fh.describe_delivery_stream().delivery_stream_name(&name).send().await.unwrap();
    assert_eq!(d.delivery_stream_description().unwrap().delivery_stream_status().as_str(), "ACTIVE");
    let tags = fh.list_tags_for_delivery_stream().delivery_stream_name(&name).send().await.unwrap();
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert!(keys.contains(&"team") && keys.contains(&"kinesis-console:pattern"), "{keys:?}");

    let k = aws_sdk_kinesis::Client::new(&conf);
    k.put_record().stream_name("ticks").partition_key("k").data(Blob::new("hello\n")).send().await.unwrap();
    for _ in 0..62 {
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    let listed = s3.list_objects_v2().bucket("out").prefix("data/").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1, "the record was delivered");

    let old = props(properties(&stream_arn, "60"));
    let new = props(properties(&stream_arn, "120"));
    assert!(!p.needs_replacement(&old, &new), "a destination change updates in place");
    let mut other_source = properties(&stream_arn, "60");
    other_source["KinesisStreamSourceConfiguration"]["KinesisStreamARN"] =
        json!("arn:aws:kinesis:us-east-1:000000000000:stream/other");
    assert!(p.needs_replacement(&old, &props(other_source)), "a new source replaces");
    let update = request("DeliveryStream", properties(&stream_arn, "120"));
    {
        let (p, name) = (p.clone(), name.clone());
        drive(&cloud, async move { p.update(name, old, update).await }).await.expect("updated");
    }
    let d = fh.describe_delivery_stream().delivery_stream_name(&name).send().await.unwrap();
    let d = d.delivery_stream_description().unwrap();
    assert_eq!(d.version_id(), "2");
    let hints = d.destinations()[0].extended_s3_destination_description().unwrap().buffering_hints().unwrap();
    assert_eq!(hints.interval_in_seconds(), Some(120));

    {
        let (p, name, req) = (p.clone(), name.clone(), req.clone());
        drive(&cloud, async move { p.delete(name, req).await }).await.expect("deleted");
    }
    let e = fh.describe_delivery_stream().delivery_stream_name(&name).send().await.unwrap_err();
    assert_eq!(e.as_service_error().map(|e| e.is_resource_not_found_exception()), Some(true));
    drive(&cloud, async move { p.delete(name, req).await }).await.expect("deleting again is not an error");
}

#[tokio::test]
async fn a_creation_that_fails_reports_the_reason() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let conf = cloud.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build());
    s3.create_bucket().bucket("out").send().await.unwrap();
    let req = request("DeliveryStream", properties("arn:aws:kinesis:us-east-1:000000000000:stream/none", "60"));
    let err = drive(&cloud, async move { p.create(req).await }).await.expect_err("the source does not exist");
    assert!(err.reason.contains("stream/none"), "{err}");
}
