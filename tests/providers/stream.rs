//! `AWS::Kinesis::Stream` through the provider, checked with aws-sdk-kinesis.

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::{EncryptionType, MetricsName, StreamStatus};
use serde_json::json;

use super::support::TestCloud;
use super::{cloud, drive, props, provider, request};

const TYPE: &str = "AWS::Kinesis::Stream";

async fn kinesis(cloud: &TestCloud) -> Client {
    Client::new(&cloud.sdk_config().await)
}

async fn open_shards(k: &Client, name: &str) -> usize {
    let listed = k.list_shards().stream_name(name).send().await.expect("ListShards");
    listed
        .shards()
        .iter()
        .filter(|s| s.sequence_number_range().and_then(|r| r.ending_sequence_number()).is_none())
        .count()
}

#[tokio::test]
async fn create_makes_exactly_the_stream_the_template_declares() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let req = request(
        "Stream",
        json!({
            "ShardCount": 2,
            "RetentionPeriodHours": "48",
            "StreamEncryption": { "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis" },
            "DesiredShardLevelMetrics": ["IncomingBytes", "OutgoingRecords"],
            "StreamModeDetails": { "StreamMode": "PROVISIONED" },
            "MaxRecordSizeInKiB": 1024,
            "Tags": [{ "Key": "team", "Value": "data" }],
        }),
    );
    let made = drive(&cloud, async move { p.create(req).await }).await.expect("the stream is created");
    let name = made.physical_id.clone();
    assert!(name.starts_with("orders-Stream-") && name.len() == "orders-Stream-".len() + 13, "{name}");

    let k = kinesis(&cloud).await;
    let d = k.describe_stream_summary().stream_name(&name).send().await.expect("DescribeStreamSummary");
    let s = d.stream_description_summary().expect("summary");
    assert_eq!(s.stream_status(), &StreamStatus::Active);
    assert_eq!(s.open_shard_count(), 2);
    assert_eq!(s.retention_period_hours(), 48);
    assert_eq!(s.encryption_type(), Some(&EncryptionType::Kms));
    assert_eq!(s.key_id(), Some("alias/aws/kinesis"));
    let metrics: Vec<&MetricsName> = s.enhanced_monitoring().iter().flat_map(|e| e.shard_level_metrics()).collect();
    assert_eq!(metrics, [&MetricsName::IncomingBytes, &MetricsName::OutgoingRecords]);
    assert_eq!(made.attributes["Arn"], s.stream_arn());
    let tags = k.list_tags_for_stream().stream_name(&name).send().await.expect("ListTagsForStream");
    let tags: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())).collect();
    assert!(tags.contains(&("team", "data")), "{tags:?}");
    assert!(tags.contains(&("kinesis-console:pattern", "kds-kdf-s3")), "the stack's tags propagate: {tags:?}");
    assert!(tags.contains(&("aws:cloudformation:logical-id", "Stream")), "{tags:?}");
}

#[tokio::test]
async fn max_record_size_is_set_at_creation_and_changed_in_place() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let old = json!({ "Name": "large", "ShardCount": 1, "MaxRecordSizeInKiB": 10240 });
    let req = request("Stream", old.clone());
    let p2 = p.clone();
    drive(&cloud, async move { p2.create(req).await }).await.expect("created");
    let k = kinesis(&cloud).await;
    let kib = |d: aws_sdk_kinesis::operation::describe_stream_summary::DescribeStreamSummaryOutput| {
        d.stream_description_summary().and_then(|s| s.max_record_size_in_kib())
    };
    let d = k.describe_stream_summary().stream_name("large").send().await.expect("DescribeStreamSummary");
    assert_eq!(kib(d), Some(10240));
    let req = request("Stream", json!({ "Name": "large", "ShardCount": 1 }));
    let old = props(old);
    drive(&cloud, async move { p.update("large".into(), old, req).await }).await.expect("updated");
    let d = k.describe_stream_summary().stream_name("large").send().await.expect("DescribeStreamSummary");
    assert_eq!(kib(d), Some(1024), "without the property the stream goes back to AWS's default");
}

#[tokio::test]
async fn an_on_demand_stream_is_created_without_a_shard_count() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let req = request("Stream", json!({ "Name": "ondemand", "StreamModeDetails": { "StreamMode": "ON_DEMAND" } }));
    let made = drive(&cloud, async move { p.create(req).await }).await.expect("created");
    assert_eq!(made.physical_id, "ondemand");
    let k = kinesis(&cloud).await;
    let d = k.describe_stream_summary().stream_name("ondemand").send().await.expect("DescribeStreamSummary");
    let s = d.stream_description_summary().expect("summary");
    assert_eq!(s.stream_mode_details().map(|m| m.stream_mode().as_str()), Some("ON_DEMAND"));
}

#[tokio::test]
async fn an_update_reshards_and_changes_every_setting_in_place() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let old = json!({
        "Name": "orders",
        "ShardCount": 2,
        "RetentionPeriodHours": 48,
        "StreamEncryption": { "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis" },
        "DesiredShardLevelMetrics": ["IncomingBytes"],
        "Tags": [{ "Key": "team", "Value": "data" }, { "Key": "old", "Value": "1" }],
    });
    let new = json!({
        "Name": "orders",
        "ShardCount": 4,
        "RetentionPeriodHours": 24,
        "DesiredShardLevelMetrics": ["IteratorAgeMilliseconds"],
        "Tags": [{ "Key": "team", "Value": "ops" }],
    });
    assert!(!p.needs_replacement(&props(old.clone()), &props(new.clone())), "none of these replace a stream");
    let (p2, req) = (p.clone(), request("Stream", old.clone()));
    drive(&cloud, async move { p2.create(req).await }).await.expect("created");
    let (p2, req) = (p.clone(), request("Stream", new));
    let updated =
        drive(&cloud, async move { p2.update("orders".into(), props(old), req).await }).await.expect("updated");
    assert_eq!(updated.physical_id, "orders");

    let k = kinesis(&cloud).await;
    assert_eq!(open_shards(&k, "orders").await, 4, "ShardCount 2 → 4 is a real reshard");
    let listed = k.list_shards().stream_name("orders").send().await.expect("ListShards");
    assert!(listed.shards().len() > 4, "the parent shards stay listed, closed: {:?}", listed.shards());
    let d = k.describe_stream_summary().stream_name("orders").send().await.expect("DescribeStreamSummary");
    let s = d.stream_description_summary().expect("summary");
    assert_eq!(s.stream_status(), &StreamStatus::Active);
    assert_eq!(s.retention_period_hours(), 24);
    assert_eq!(s.encryption_type(), Some(&EncryptionType::None));
    let metrics: Vec<&MetricsName> = s.enhanced_monitoring().iter().flat_map(|e| e.shard_level_metrics()).collect();
    assert_eq!(metrics, [&MetricsName::IteratorAgeMilliseconds]);
    let tags = k.list_tags_for_stream().stream_name("orders").send().await.expect("ListTagsForStream");
    let tags: Vec<(&str, &str)> = tags.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())).collect();
    assert!(tags.contains(&("team", "ops")) && !tags.iter().any(|(k, _)| *k == "old"), "{tags:?}");
}

#[tokio::test]
async fn a_mode_change_updates_in_place() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let old = json!({ "Name": "modes", "ShardCount": 1 });
    let new = json!({ "Name": "modes", "StreamModeDetails": { "StreamMode": "ON_DEMAND" } });
    let (p2, req) = (p.clone(), request("Stream", old.clone()));
    drive(&cloud, async move { p2.create(req).await }).await.expect("created");
    let req = request("Stream", new);
    drive(&cloud, async move { p.update("modes".into(), props(old), req).await }).await.expect("updated");
    let k = kinesis(&cloud).await;
    let d = k.describe_stream_summary().stream_name("modes").send().await.expect("DescribeStreamSummary");
    let mode = d.stream_description_summary().and_then(|s| s.stream_mode_details()).map(|m| m.stream_mode().as_str());
    assert_eq!(mode, Some("ON_DEMAND"));
}

#[tokio::test]
async fn only_a_new_name_replaces_the_stream() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let named = |n: &str, shards: i64| props(json!({ "Name": n, "ShardCount": shards }));
    assert!(p.needs_replacement(&named("a", 1), &named("b", 1)));
    assert!(!p.needs_replacement(&named("a", 1), &named("a", 3)));
    assert!(!p.needs_replacement(&props(json!({ "ShardCount": 1 })), &props(json!({ "ShardCount": 2 }))));
    assert!(p.needs_replacement(&props(json!({ "ShardCount": 1 })), &named("a", 1)), "naming a generated stream");
    assert_eq!(p.attribute_names(), ["Arn"]);
}

#[tokio::test]
async fn delete_removes_the_stream_and_a_stream_already_gone_is_no_error() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let (p2, req) = (p.clone(), request("Stream", json!({ "Name": "doomed", "ShardCount": 1 })));
    drive(&cloud, async move { p2.create(req).await }).await.expect("created");
    let (p2, req) = (p.clone(), request("Stream", json!({ "Name": "doomed" })));
    drive(&cloud, async move { p2.delete("doomed".into(), req).await }).await.expect("deleted");
    let k = kinesis(&cloud).await;
    let gone = k.describe_stream_summary().stream_name("doomed").send().await.expect_err("the stream is gone");
    assert!(gone.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()), "{gone:?}");
    let req = request("Stream", json!({ "Name": "doomed" }));
    drive(&cloud, async move { p.delete("doomed".into(), req).await }).await.expect("deleting it again succeeds");
}

#[tokio::test]
async fn what_the_local_service_lacks_fails_by_name_and_leaves_nothing_behind() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    // Kinesis takes records up to 10 MiB (10240 KiB); more is refused by CreateStream's validation.
    let req = request("Stream", json!({ "Name": "big", "ShardCount": 1, "MaxRecordSizeInKiB": 10241 }));
    let p2 = p.clone();
    let e = drive(&cloud, async move { p2.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("maxRecordSizeInKiB"), "{e}");
    let req = request(
        "Stream",
        json!({ "Name": "warm", "StreamModeDetails": { "StreamMode": "ON_DEMAND" }, "WarmThroughputMiBps": 100 }),
    );
    let e = drive(&cloud, async move { p.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("WarmThroughputMiBps"), "{e}");
    let k = kinesis(&cloud).await;
    let listed = k.list_streams().send().await.expect("ListStreams");
    assert!(listed.stream_names().is_empty(), "{:?}", listed.stream_names());
}

#[tokio::test]
async fn a_refusal_of_the_service_reads_as_its_handler_message_and_the_half_made_stream_is_removed() {
    let cloud = cloud().await;
    let p = provider(&cloud, TYPE);
    let p2 = p.clone();
    let req = request("Stream", json!({ "Name": "zero", "ShardCount": 0 }));
    let e = drive(&cloud, async move { p2.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("Error Code: ValidationException"), "{e}");
    assert!(e.reason.contains("shardCount"), "the service's own validation names the member: {e}");
    // Created, then refused a setting: the stream must not outlive the failed resource.
    let req = request("Stream", json!({ "Name": "half", "ShardCount": 1, "RetentionPeriodHours": 9000 }));
    let e = drive(&cloud, async move { p.create(req).await }).await.expect_err("refused");
    assert!(e.reason.contains("Maximum allowed retention period is 8760 hours"), "{e}");
    let k = kinesis(&cloud).await;
    let listed = k.list_streams().send().await.expect("ListStreams");
    assert!(listed.stream_names().is_empty(), "{:?}", listed.stream_names());
}
