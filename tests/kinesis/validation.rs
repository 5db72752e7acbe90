use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{ShardIteratorType, StreamMode, StreamModeDetails, StreamStatus};

use super::*;

#[tokio::test]
async fn stream_names_shard_counts_and_duplicates_are_checked() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    let err = k.create_stream().stream_name("bad name!").shard_count(1).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(err.message().unwrap().contains("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
    let err = k.create_stream().stream_name("s").shard_count(0).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(err.message().unwrap().contains("Member must have value greater than or equal to 1"));
    let err = k.create_stream().stream_name("x".repeat(129)).shard_count(1).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    create(&k, "s", 1).await;
    let err = k.create_stream().stream_name("s").shard_count(1).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");
    let err = k.create_stream().stream_name("huge").shard_count(501).send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
    let err = k.describe_stream().stream_name("missing").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(err.message(), Some("Stream missing under account 000000000000 not found."));
}

#[tokio::test]
async fn records_are_checked_for_size_count_and_key_length() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "v", 1).await;
    let err =
        k.put_record().stream_name("v").partition_key("k".repeat(257)).data(Blob::new("d")).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(
        err.message().unwrap().contains(
            "at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256"
        )
    );
    let err = k.put_record().stream_name("v").partition_key("").data(Blob::new("d")).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let err = k
        .put_record()
        .stream_name("v")
        .partition_key("k")
        .data(Blob::new(vec![0u8; 1024 * 1024 + 1]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    assert!(err.message().unwrap().contains("Member must have length less than or equal to 1048576"));
    let too_many: Vec<_> = (0..501).map(|i| entry(&i.to_string(), "d")).collect();
    let err = k.put_records().stream_name("v").set_records(Some(too_many)).send().await.unwrap_err();
    assert_eq!(code(&err), "ValidationException");
    let big = "x".repeat(1024 * 1024 - 10);
    // PutRecords takes up to 10 MiB per request since 2025 (it was 5 MiB); eleven such records exceed it.
    let over_10mib: Vec<_> = (0..11).map(|i| entry(&i.to_string(), &big)).collect();
    let err = k.put_records().stream_name("v").set_records(Some(over_10mib)).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let err = k
        .put_record()
        .stream_name("v")
        .partition_key("k")
        .explicit_hash_key("340282366920938463463374607431768211456")
        .data(Blob::new("d"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let err = k.put_record().stream_name("nope").partition_key("k").data(Blob::new("d")).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn retention_and_iterators_are_checked() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "r", 1).await;
    let err =
        k.increase_stream_retention_period().stream_name("r").retention_period_hours(8761).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let err =
        k.decrease_stream_retention_period().stream_name("r").retention_period_hours(23).send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let err = k.get_records().shard_iterator("not-an-iterator").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
    let err = k
        .get_shard_iterator()
        .stream_name("r")
        .shard_id("shardId-000000000009")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    let err = k
        .get_shard_iterator()
        .stream_name("r")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException");
}

#[tokio::test]
async fn stream_arns_work_where_names_do() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    let mode = StreamModeDetails::builder().stream_mode(StreamMode::OnDemand).build().unwrap();
    k.create_stream().stream_name("od").stream_mode_details(mode).send().await.unwrap();
    let arn = "arn:aws:kinesis:us-east-1:000000000000:stream/od";
    let d = k.describe_stream_summary().stream_arn(arn).send().await.unwrap();
    let d = d.stream_description_summary().unwrap();
    assert_eq!(d.stream_arn(), arn);
    assert_eq!(d.open_shard_count(), 4);
    assert_eq!(d.stream_mode_details().unwrap().stream_mode(), &StreamMode::OnDemand);
    let put = k.put_record().stream_arn(arn).partition_key("k").data(Blob::new("d")).send().await.unwrap();
    assert!(put.sequence_number().len() == 56);
    k.add_tags_to_stream().stream_arn(arn).tags("team", "data").send().await.unwrap();
    let tags = k.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    assert_eq!(tags.tags().len(), 1);
    let consumer = k.register_stream_consumer().stream_arn(arn).consumer_name("app").send().await.unwrap();
    let err = k.delete_stream().stream_arn(arn).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");
    let consumers = k.list_stream_consumers().stream_arn(arn).send().await.unwrap();
    assert_eq!(consumers.consumers()[0].consumer_arn(), consumer.consumer().unwrap().consumer_arn());
    k.delete_stream().stream_arn(arn).enforce_consumer_deletion(true).send().await.unwrap();
    let listed = k.list_streams().send().await.unwrap();
    assert!(listed.stream_names().is_empty());
}

#[tokio::test]
async fn streams_pass_through_creating_on_the_cloud_clock() {
    let cloud = TestCloud::start_with(|c| c.clock = kinesis_console::cloud::clock::ClockMode::Virtual).await;
    let k = client(&cloud).await;
    create(&k, "slow", 1).await;
    let d = k.describe_stream().stream_name("slow").send().await.unwrap();
    assert_eq!(d.stream_description().unwrap().stream_status(), &StreamStatus::Creating);
    let err = k.put_record().stream_name("slow").partition_key("k").data(Blob::new("d")).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    cloud.advance(std::time::Duration::from_millis(500));
    let d = k.describe_stream().stream_name("slow").send().await.unwrap();
    assert_eq!(d.stream_description().unwrap().stream_status(), &StreamStatus::Active);
    k.delete_stream().stream_name("slow").send().await.unwrap();
    let d = k.describe_stream_summary().stream_name("slow").send().await.unwrap();
    assert_eq!(d.stream_description_summary().unwrap().stream_status(), &StreamStatus::Deleting);
    cloud.advance(std::time::Duration::from_millis(500));
    let err = k.describe_stream_summary().stream_name("slow").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
}

#[tokio::test]
async fn list_streams_pages_through_every_stream() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    for i in 0..5 {
        create(&k, &format!("s{i}"), 1).await;
    }
    let page = k.list_streams().limit(2).send().await.unwrap();
    assert_eq!(page.stream_names(), ["s0", "s1"]);
    assert!(page.has_more_streams());
    let mut names: Vec<String> = page.stream_names().to_vec();
    let mut token = page.next_token().map(str::to_string);
    while let Some(t) = token {
        let p = k.list_streams().next_token(t).limit(2).send().await.unwrap();
        names.extend(p.stream_names().iter().cloned());
        assert_eq!(p.stream_summaries().len(), p.stream_names().len());
        token = p.next_token().map(str::to_string);
    }
    assert_eq!(names, ["s0", "s1", "s2", "s3", "s4"]);
}
