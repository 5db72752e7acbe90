//! A stream's life before it is ACTIVE and while it is deleted, as AWS answers it: a CREATING stream
//! lists no shards (DescribeStream `Shards: []`, DescribeStreamSummary `OpenShardCount: 0`),
//! ListShards refuses it with ResourceInUseException, GetShardIterator finds no shard and PutRecord(s)
//! no stream (AWS's wording, as kinesalite's suite recorded it against AWS). DeleteStream accepts a
//! CREATING stream: it is DELETING with no shards, then gone (kinesalite's "should allow stream to
//! be deleted while it is being created", run against AWS).

use aws_sdk_kinesis::types::StreamStatus;

use super::*;

async fn status_and_shards(k: &Client, stream: &str) -> (StreamStatus, usize, bool) {
    let d = k.describe_stream().stream_name(stream).send().await.expect("DescribeStream");
    let d = d.stream_description().expect("a description");
    (d.stream_status().clone(), d.shards().len(), d.has_more_shards())
}

async fn open_shard_count(k: &Client, stream: &str) -> i32 {
    let s = k.describe_stream_summary().stream_name(stream).send().await.expect("DescribeStreamSummary");
    s.stream_description_summary().expect("a summary").open_shard_count()
}

#[tokio::test]
async fn a_creating_stream_lists_no_shards_and_takes_no_reads_or_writes() {
    let cloud = slow_cloud().await;
    let k = client(&cloud).await;
    create(&k, "young", 2).await;

    assert_eq!(status_and_shards(&k, "young").await, (StreamStatus::Creating, 0, false));
    assert_eq!(open_shard_count(&k, "young").await, 0);
    let err = k.list_shards().stream_name("young").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");
    assert_eq!(
        err.message(),
        Some("Stream young under account 000000000000 not ACTIVE or UPDATING, instead in state CREATING")
    );
    let err = k
        .get_shard_iterator()
        .stream_name("young")
        .shard_id("shardId-000000000000")
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(
        err.message(),
        Some("Shard shardId-000000000000 in stream young under account 000000000000 does not exist")
    );
    let err = k.put_record().stream_name("young").partition_key("k").data(Blob::new("d")).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(err.message(), Some("Stream young under account 000000000000 not found."));
    let err = k.put_records().stream_name("young").records(entry("k", "d")).send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(err.message(), Some("Stream young under account 000000000000 not found."));

    cloud.advance(TRANSITION);
    catch_up(&k).await;
    assert_eq!(status_and_shards(&k, "young").await, (StreamStatus::Active, 2, false));
    assert_eq!(open_shard_count(&k, "young").await, 2);
    assert_eq!(shard_ids(&k, "young").await, ["shardId-000000000000", "shardId-000000000001"]);
    k.put_record()
        .stream_name("young")
        .partition_key("k")
        .data(Blob::new("d"))
        .send()
        .await
        .expect("ACTIVE takes writes");
    let it = iterator(&k, "young", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    let it1 = iterator(&k, "young", "shardId-000000000001", ShardIteratorType::TrimHorizon).await;
    assert_eq!(drain(&k, it).await.len() + drain(&k, it1).await.len(), 1);
}

#[tokio::test]
async fn a_stream_deleted_while_creating_is_deleting_without_shards_then_gone() {
    let cloud = slow_cloud().await;
    let k = client(&cloud).await;
    create(&k, "brief", 3).await;
    cloud.advance(TRANSITION / 2);
    k.delete_stream().stream_name("brief").send().await.expect("AWS deletes a CREATING stream");

    assert_eq!(status_and_shards(&k, "brief").await, (StreamStatus::Deleting, 0, false));
    assert_eq!(open_shard_count(&k, "brief").await, 0);
    // The moment creation would have ended passes: the stream stays DELETING and never lists a shard.
    cloud.advance(TRANSITION / 2 + std::time::Duration::from_millis(100));
    catch_up(&k).await;
    assert_eq!(status_and_shards(&k, "brief").await, (StreamStatus::Deleting, 0, false));
    let err = k.list_shards().stream_name("brief").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");
    assert_eq!(
        err.message(),
        Some("Stream brief under account 000000000000 not ACTIVE or UPDATING, instead in state DELETING")
    );

    cloud.advance(TRANSITION);
    catch_up(&k).await;
    let err = k.describe_stream().stream_name("brief").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(err.message(), Some("Stream brief under account 000000000000 not found."));
    let listed = k.list_streams().send().await.expect("ListStreams");
    assert!(listed.stream_names().is_empty(), "{listed:?}");
    let limits = k.describe_limits().send().await.expect("DescribeLimits");
    assert_eq!(limits.open_shard_count(), 0, "a deleted stream holds no shards of the quota");
    create(&k, "brief", 1).await;
}

/// The console's stream view shows a CREATING stream with no shards, instead of failing on the
/// ListShards that AWS refuses until the stream is ACTIVE.
#[tokio::test]
async fn the_console_shows_a_creating_stream_without_shards() {
    let cloud = slow_cloud().await;
    let k = client(&cloud).await;
    create(&k, "shown", 2).await;
    let detail = kinesis_console::control::streams::detail(&k, "shown").await.expect("a CREATING stream is shown");
    assert_eq!((detail.row.status.as_str(), detail.shards.len()), ("CREATING", 0));
    cloud.advance(TRANSITION);
    catch_up(&k).await;
    let detail = kinesis_console::control::streams::detail(&k, "shown").await.expect("shown");
    assert_eq!((detail.row.status.as_str(), detail.shards.len()), ("ACTIVE", 2));
}
