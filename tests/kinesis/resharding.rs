use aws_sdk_kinesis::types::{ScalingType, ShardIteratorType};

use super::*;

async fn put_batch(k: &Client, stream: &str, tag: &str, n: usize) {
    let entries: Vec<_> = (0..n).map(|i| entry(&format!("k{i}"), &format!("{tag}-{i}"))).collect();
    let out = k.put_records().stream_name(stream).set_records(Some(entries)).send().await.unwrap();
    assert_eq!(out.failed_record_count(), Some(0));
}

/// Reads each shard to its end, then its children, as a KCL-style reader would; every record once.
async fn read_through_lineage(k: &Client, stream: &str, roots: &[&str]) -> Vec<String> {
    let mut got = Vec::new();
    let mut queue: Vec<String> = roots.iter().map(|s| s.to_string()).collect();
    let mut visited = std::collections::HashSet::new();
    while let Some(shard) = queue.pop() {
        if !visited.insert(shard.clone()) {
            continue;
        }
        let mut it = iterator(k, stream, &shard, ShardIteratorType::TrimHorizon).await;
        loop {
            let r = k.get_records().shard_iterator(&it).send().await.unwrap();
            got.extend(r.records().iter().map(text));
            match r.next_shard_iterator() {
                Some(next) if !r.records().is_empty() => it = next.to_string(),
                Some(_) => break,
                None => {
                    let children = r.child_shards();
                    assert!(!children.is_empty(), "a closed shard ends with its children");
                    for child in children {
                        assert!(matches!(child.parent_shards().len(), 1 | 2), "{child:?}: a split or a merge");
                    }
                    queue.extend(children.iter().map(|c| c.shard_id().to_string()));
                    break;
                }
            }
        }
    }
    got
}

/// The starting hash keys of the open shards.
async fn starting_keys(k: &Client, stream: &str) -> Vec<String> {
    let shards = k.list_shards().stream_name(stream).send().await.unwrap();
    let open = shards.shards().iter().filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_none());
    open.map(|s| s.hash_key_range().unwrap().starting_hash_key().to_string()).collect()
}

async fn update_count(k: &Client, stream: &str, count: i32) {
    let out = k
        .update_shard_count()
        .stream_name(stream)
        .target_shard_count(count)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!(out.target_shard_count(), Some(count));
}

#[tokio::test]
async fn uneven_rescaling_goes_through_splits_and_merges_and_loses_nothing() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "uneven", 3).await;
    let first_bounds = starting_keys(&k, "uneven").await;
    put_batch(&k, "uneven", "three", 100).await;
    update_count(&k, "uneven", 5).await;
    put_batch(&k, "uneven", "five", 100).await;
    update_count(&k, "uneven", 3).await;
    put_batch(&k, "uneven", "again", 100).await;

    let shards = k.list_shards().stream_name("uneven").send().await.unwrap();
    let open: Vec<_> = shards
        .shards()
        .iter()
        .filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_none())
        .collect();
    assert_eq!(open.len(), 3);
    assert_eq!(starting_keys(&k, "uneven").await, first_bounds, "the ranges of three equal shards again");
    assert!(shards.shards().len() > 3 + 5 + 3, "short-lived shards appear in the listing, as on AWS");

    let mut got =
        read_through_lineage(&k, "uneven", &["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"])
            .await;
    got.sort();
    let mut want: Vec<String> =
        ["three", "five", "again"].iter().flat_map(|t| (0..100).map(move |i| format!("{t}-{i}"))).collect();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn update_shard_count_closes_parents_and_readers_follow_the_lineage() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "grow", 2).await;
    put_batch(&k, "grow", "before", 100).await;
    let out = k
        .update_shard_count()
        .stream_name("grow")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    assert_eq!((out.current_shard_count(), out.target_shard_count()), (Some(2), Some(4)));
    put_batch(&k, "grow", "after", 100).await;

    let shards = k.list_shards().stream_name("grow").send().await.unwrap();
    let shards = shards.shards();
    assert_eq!(shards.len(), 6);
    let closed: Vec<_> =
        shards.iter().filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_some()).collect();
    assert_eq!(closed.len(), 2);
    for child in &shards[2..] {
        assert!(child.parent_shard_id().is_some(), "{} has a parent", child.shard_id());
    }
    let open = k.describe_stream_summary().stream_name("grow").send().await.unwrap();
    assert_eq!(open.stream_description_summary().unwrap().open_shard_count(), 4);

    let mut got = read_through_lineage(&k, "grow", &["shardId-000000000000", "shardId-000000000001"]).await;
    got.sort();
    let mut want: Vec<String> = (0..100).flat_map(|i| [format!("before-{i}"), format!("after-{i}")]).collect();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test]
async fn split_and_merge_keep_the_hash_space_covered() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "shape", 2).await;
    let mid_of_first = (u128::MAX / 4).to_string();
    k.split_shard()
        .stream_name("shape")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key(&mid_of_first)
        .send()
        .await
        .unwrap();
    let err = k
        .merge_shards()
        .stream_name("shape")
        .shard_to_merge("shardId-000000000002")
        .adjacent_shard_to_merge("shardId-000000000001")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgumentException", "shard 2 covers the lowest quarter, not next to shard 1");
    k.merge_shards()
        .stream_name("shape")
        .shard_to_merge("shardId-000000000003")
        .adjacent_shard_to_merge("shardId-000000000001")
        .send()
        .await
        .unwrap();
    let err = k
        .split_shard()
        .stream_name("shape")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("5")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");

    let shards = k.list_shards().stream_name("shape").send().await.unwrap();
    let merged = shards.shards().iter().find(|s| s.shard_id() == "shardId-000000000004").unwrap();
    assert_eq!(merged.parent_shard_id(), Some("shardId-000000000003"));
    assert_eq!(merged.adjacent_parent_shard_id(), Some("shardId-000000000001"));
    let mut open: Vec<(u128, u128)> = shards
        .shards()
        .iter()
        .filter(|s| s.sequence_number_range().unwrap().ending_sequence_number().is_none())
        .map(|s| {
            let r = s.hash_key_range().unwrap();
            (r.starting_hash_key().parse().unwrap(), r.ending_hash_key().parse().unwrap())
        })
        .collect();
    open.sort();
    assert_eq!(open.first().unwrap().0, 0);
    assert_eq!(open.last().unwrap().1, u128::MAX);
    for w in open.windows(2) {
        assert_eq!(w[0].1 + 1, w[1].0);
    }
    let latest = k.list_shards().stream_name("shape").shard_filter(
        aws_sdk_kinesis::types::ShardFilter::builder()
            .r#type(aws_sdk_kinesis::types::ShardFilterType::AtLatest)
            .build()
            .unwrap(),
    );
    assert_eq!(latest.send().await.unwrap().shards().len(), 2);
}

#[tokio::test]
async fn update_shard_count_refuses_more_than_doubling() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "cap", 2).await;
    let err = k
        .update_shard_count()
        .stream_name("cap")
        .target_shard_count(5)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "LimitExceededException");
}

#[tokio::test]
async fn parents_stay_readable_until_retention_ends_then_leave_the_disk() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "aging", 1).await;
    put_batch(&k, "aging", "old", 10).await;
    k.update_shard_count()
        .stream_name("aging")
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .unwrap();
    cloud.advance(std::time::Duration::from_secs(23 * 3600));
    let parent = iterator(&k, "aging", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    assert_eq!(drain(&k, parent).await.len(), 10);
    let stream_dir =
        std::fs::read_dir(cloud.data_dir().join("kinesis/streams")).unwrap().next().unwrap().unwrap().path();
    assert!(stream_dir.join("shardId-000000000000").exists());

    cloud.advance(std::time::Duration::from_secs(3600 + 1));
    let ids = shard_ids(&k, "aging").await;
    assert_eq!(ids, ["shardId-000000000001", "shardId-000000000002"]);
    assert!(!stream_dir.join("shardId-000000000000").exists());
}
