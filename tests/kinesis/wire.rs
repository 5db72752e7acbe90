//! What a client sees on the wire, as the Kinesis API reference describes it.

use crate::support::TestCloud;
use crate::support::raw::Raw;

const JSON: &str = "application/x-amz-json-1.1";

async fn call(cloud: &TestCloud, op: &str, body: &str) -> (u16, Vec<u8>) {
    let target = format!("Kinesis_20131202.{op}");
    let raw = Raw::post("/", &[("x-amz-target", target.as_str()), ("content-type", JSON)], body.to_string());
    let raw = cloud.sign(raw, "kinesis");
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

#[tokio::test]
async fn list_tags_without_a_limit_returns_every_tag_in_key_order() {
    let cloud = TestCloud::start_with(|c| c.kinesis.transition_ms = 0).await;
    let (status, _) = call(&cloud, "CreateStream", r#"{"StreamName":"t","ShardCount":1}"#).await;
    assert_eq!(status, 200);
    // 50 tags, the most a stream holds; AddTagsToStream takes 10 a call, so five calls, keys added
    // from the last to the first.
    for batch in 0..5 {
        let tags: Vec<String> = (0..10).map(|i| format!(r#""k{:02}":"v""#, 49 - (batch * 10 + i))).collect();
        let body = format!(r#"{{"StreamName":"t","Tags":{{{}}}}}"#, tags.join(","));
        let (status, answer) = call(&cloud, "AddTagsToStream", &body).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    }
    let (status, answer) = call(&cloud, "ListTagsForStream", r#"{"StreamName":"t"}"#).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&answer).expect("a JSON answer");
    let keys: Vec<&str> = v["Tags"].as_array().expect("Tags").iter().filter_map(|t| t["Key"].as_str()).collect();
    let want: Vec<String> = (0..50).map(|i| format!("k{i:02}")).collect();
    assert_eq!(keys, want, "every tag, in key order");
    assert_eq!(v["HasMoreTags"], false);
}
