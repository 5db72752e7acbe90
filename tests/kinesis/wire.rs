//! What a client sees on the wire, as the Kinesis API reference describes it.

use std::time::SystemTime;

use crate::support::TestCloud;
use crate::support::raw::Raw;

const JSON: &str = "application/x-amz-json-1.1";

async fn call(cloud: &TestCloud, op: &str, body: &str) -> (u16, Vec<u8>) {
    let target = format!("Kinesis_20131202.{op}");
    let raw = Raw::post("/", &[("x-amz-target", target.as_str()), ("content-type", JSON)], body.to_string());
    let c = cloud.cloud.credentials();
    let raw = raw.signed(cloud.url(), "kinesis", &c.access_key_id, &c.secret_access_key, SystemTime::now());
    let (status, _, body) = raw.send(cloud.url()).await;
    (status, body)
}

#[tokio::test]
async fn operations_without_output_answer_200_with_an_empty_body() {
    // Transitions end at once, so each step finds the stream ACTIVE.
    let cloud = TestCloud::start_with(|c| c.kinesis.transition_ms = 0).await;
    let steps = [
        ("CreateStream", r#"{"StreamName":"w","ShardCount":2}"#),
        ("AddTagsToStream", r#"{"StreamName":"w","Tags":{"team":"data"}}"#),
        ("RemoveTagsFromStream", r#"{"StreamName":"w","TagKeys":["team"]}"#),
        ("IncreaseStreamRetentionPeriod", r#"{"StreamName":"w","RetentionPeriodHours":48}"#),
        ("DecreaseStreamRetentionPeriod", r#"{"StreamName":"w","RetentionPeriodHours":24}"#),
        ("StartStreamEncryption", r#"{"StreamName":"w","EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}"#),
        ("StopStreamEncryption", r#"{"StreamName":"w","EncryptionType":"KMS","KeyId":"alias/aws/kinesis"}"#),
        (
            "MergeShards",
            r#"{"StreamName":"w","ShardToMerge":"shardId-000000000000","AdjacentShardToMerge":"shardId-000000000001"}"#,
        ),
        ("DeleteStream", r#"{"StreamName":"w"}"#),
    ];
    for (op, body) in steps {
        let (status, answer) = call(&cloud, op, body).await;
        assert_eq!(status, 200, "{op}: {}", String::from_utf8_lossy(&answer));
        assert!(answer.is_empty(), "{op} answers an empty body, not {:?}", String::from_utf8_lossy(&answer));
    }
    let (status, answer) = call(&cloud, "ListStreams", "{}").await;
    assert_eq!(status, 200);
    assert!(answer.starts_with(b"{"), "an operation with output still answers its JSON document");
}
