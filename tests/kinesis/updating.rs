//! Resharding takes effect when the stream returns to ACTIVE, as on AWS: SplitShard, MergeShards and
//! UpdateShardCount answer with the stream UPDATING; until the update ends the parents stay open (no
//! EndingSequenceNumber), take the writes, and no child is listed; then the parents close at their
//! last record and the children take the new writes. (Observed on AWS by kinesalite's suite: right
//! after SplitShard, DescribeStream shows UPDATING with the one open parent, a PutRecord lands in it,
//! and a second SplitShard is refused "not ACTIVE, instead in state UPDATING".) A reader that follows
//! the KCL's rule, a child only after its parents ended, gets every record once, in order per key.

use aws_sdk_kinesis::types::{ScalingType, Shard, StreamStatus};

use super::*;

async fn describe(k: &Client, stream: &str) -> (StreamStatus, Vec<Shard>) {
    let d = k.describe_stream().stream_name(stream).send().await.expect("DescribeStream");
    let d = d.stream_description().expect("a description");
    (d.stream_status().clone(), d.shards().to_vec())
}

fn ending(s: &Shard) -> Option<&str> {
    s.sequence_number_range().and_then(|r| r.ending_sequence_number())
}

/// Puts `n` records with keys `key-0..n`; returns (shard id, sequence number) of each.
async fn put_each(k: &Client, stream: &str, tag: &str, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let r = k
            .put_record()
            .stream_name(stream)
            .partition_key(format!("key-{i}"))
            .data(Blob::new(format!("{tag}-{i}")))
            .send()
            .await
            .expect("PutRecord");
        out.push((r.shard_id().to_string(), r.sequence_number().to_string()));
    }
    out
}

/// Reads every shard from TRIM_HORIZON, a child only once all its parents were read to their end
/// (the KCL's order); returns the texts per shard in the order read.
async fn read_in_lineage_order(k: &Client, stream: &str) -> Vec<(String, Vec<String>)> {
    let shards = k.list_shards().stream_name(stream).send().await.expect("ListShards").shards().to_vec();
    let mut done: Vec<String> = Vec::new();
    let mut out = Vec::new();
    while done.len() < shards.len() {
        let ready = shards.iter().find(|s| {
            !done.iter().any(|d| d == s.shard_id())
                && [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                    .into_iter()
                    .flatten()
                    .all(|p| done.iter().any(|d| d == p))
        });
        let shard = ready.expect("some shard whose parents are read");
        let mut it = iterator(k, stream, shard.shard_id(), ShardIteratorType::TrimHorizon).await;
        let mut texts = Vec::new();
        loop {
            let r = k.get_records().shard_iterator(&it).send().await.expect("GetRecords");
            texts.extend(r.records().iter().map(text));
            match r.next_shard_iterator() {
                Some(next) if !r.records().is_empty() => it = next.to_string(),
                Some(_) => {
                    assert!(ending(shard).is_none(), "{} is closed: its read ends with no iterator", shard.shard_id());
                    break;
                }
                None => break,
            }
        }
        done.push(shard.shard_id().to_string());
        out.push((shard.shard_id().to_string(), texts));
    }
    out
}

#[tokio::test]
async fn a_split_takes_effect_when_the_stream_is_active_again() {
    let cloud = slow_cloud().await;
    let k = client(&cloud).await;
    create(&k, "split", 1).await;
    cloud.advance(TRANSITION);
    put_each(&k, "split", "before", 5).await;
    k.split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((1u128 << 127).to_string())
        .send()
        .await
        .expect("SplitShard");

    let (status, shards) = describe(&k, "split").await;
    assert_eq!(status, StreamStatus::Updating);
    assert_eq!(shards.len(), 1, "no child is listed while UPDATING: {shards:?}");
    assert_eq!(ending(&shards[0]), None, "the parent stays open while UPDATING");
    assert_eq!(shard_ids(&k, "split").await, ["shardId-000000000000"]);
    let during = put_each(&k, "split", "during", 10).await;
    assert!(during.iter().all(|(shard, _)| shard == "shardId-000000000000"), "the parent takes the writes: {during:?}");
    let err = k
        .split_shard()
        .stream_name("split")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("5")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ResourceInUseException");
    assert_eq!(err.message(), Some("Stream split under account 000000000000 not ACTIVE, instead in state UPDATING"));

    cloud.advance(TRANSITION);
    catch_up(&k).await;
    let (status, shards) = describe(&k, "split").await;
    assert_eq!(status, StreamStatus::Active);
    let ids: Vec<&str> = shards.iter().map(|s| s.shard_id()).collect();
    assert_eq!(ids, ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]);
    let last_during = &during.last().expect("records").1;
    assert_eq!(ending(&shards[0]), Some(last_during.as_str()), "the parent closes at its last record");
    for child in &shards[1..] {
        assert_eq!(child.parent_shard_id(), Some("shardId-000000000000"));
        assert_eq!(ending(child), None);
    }
    let after = put_each(&k, "split", "after", 10).await;
    assert!(after.iter().all(|(shard, _)| shard != "shardId-000000000000"), "the children take new writes: {after:?}");

    let read = read_in_lineage_order(&k, "split").await;
    assert_eq!(read[0].0, "shardId-000000000000");
    let want: Vec<String> =
        (0..5).map(|i| format!("before-{i}")).chain((0..10).map(|i| format!("during-{i}"))).collect();
    assert_eq!(read[0].1, want, "the parent holds what came before and during the update, in order");
    let mut children: Vec<String> = read[1..].iter().flat_map(|(_, t)| t.clone()).collect();
    children.sort();
    let mut want: Vec<String> = (0..10).map(|i| format!("after-{i}")).collect();
    want.sort();
    assert_eq!(children, want);
}

#[tokio::test]
async fn update_shard_count_keeps_the_parents_open_until_the_update_ends() {
    let cloud = slow_cloud().await;
    let k = client(&cloud).await;
    create(&k, "grow", 2).await;
    cloud.advance(TRANSITION);
    let out = k
        .update_shard_count()
        .stream_name("grow")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    assert_eq!((out.current_shard_count(), out.target_shard_count()), (Some(2), Some(4)));

    let (status, shards) = describe(&k, "grow").await;
    assert_eq!(status, StreamStatus::Updating);
    assert_eq!(shards.iter().filter(|s| ending(s).is_none()).count(), 2);
    assert_eq!(shards.len(), 2);
    let summary = k.describe_stream_summary().stream_name("grow").send().await.unwrap();
    assert_eq!(summary.stream_description_summary().unwrap().open_shard_count(), 2);
    let during = put_each(&k, "grow", "during", 20).await;
    assert!(during.iter().all(|(s, _)| s == "shardId-000000000000" || s == "shardId-000000000001"));

    cloud.advance(TRANSITION);
    catch_up(&k).await;
    let (status, shards) = describe(&k, "grow").await;
    assert_eq!(status, StreamStatus::Active);
    assert_eq!(shards.len(), 6);
    assert_eq!(shards.iter().filter(|s| ending(s).is_some()).count(), 2, "the two parents closed");
    let summary = k.describe_stream_summary().stream_name("grow").send().await.unwrap();
    assert_eq!(summary.stream_description_summary().unwrap().open_shard_count(), 4);
    let after = put_each(&k, "grow", "after", 20).await;
    assert!(after.iter().all(|(s, _)| s != "shardId-000000000000" && s != "shardId-000000000001"));

    let read = read_in_lineage_order(&k, "grow").await;
    let mut got: Vec<String> = read.iter().flat_map(|(_, t)| t.clone()).collect();
    got.sort();
    let mut want: Vec<String> = (0..20).flat_map(|i| [format!("during-{i}"), format!("after-{i}")]).collect();
    want.sort();
    assert_eq!(got, want, "every record once");
    for (id, texts) in &read[..2] {
        assert!(texts.iter().all(|t| t.starts_with("during-")), "{id} holds what came during the update");
    }
}

#[tokio::test]
async fn a_merge_lists_its_child_once_the_stream_is_active() {
    let cloud = slow_cloud().await;
    let k = client(&cloud).await;
    create(&k, "merge", 2).await;
    cloud.advance(TRANSITION);
    k.merge_shards()
        .stream_name("merge")
        .shard_to_merge("shardId-000000000000")
        .adjacent_shard_to_merge("shardId-000000000001")
        .send()
        .await
        .expect("MergeShards");
    let (status, shards) = describe(&k, "merge").await;
    assert_eq!((status, shards.len()), (StreamStatus::Updating, 2));
    assert!(shards.iter().all(|s| ending(s).is_none()));
    put_each(&k, "merge", "during", 4).await;

    cloud.advance(TRANSITION);
    catch_up(&k).await;
    let (status, shards) = describe(&k, "merge").await;
    assert_eq!((status, shards.len()), (StreamStatus::Active, 3));
    assert_eq!(shards[2].parent_shard_id(), Some("shardId-000000000000"));
    assert_eq!(shards[2].adjacent_parent_shard_id(), Some("shardId-000000000001"));
    assert!(shards[..2].iter().all(|s| ending(s).is_some()));
    let after = put_each(&k, "merge", "after", 4).await;
    assert!(after.iter().all(|(s, _)| s == "shardId-000000000002"));
}

/// A reshard set going before a restart takes effect after it: the children wait in the stored
/// metadata, not in memory. Transitions take an hour here: the restarted cloud's virtual clock starts
/// again at the wall clock, so the update must outlast the seconds the test takes.
#[tokio::test]
async fn a_pending_reshard_survives_a_restart() {
    const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);
    let cloud = support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = HOUR.as_millis() as i64;
        c.limits = false;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await;
    let k = client(&cloud).await;
    create(&k, "kept", 1).await;
    cloud.advance(HOUR);
    k.update_shard_count()
        .stream_name("kept")
        .target_shard_count(2)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    put_each(&k, "kept", "during", 3).await;
    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    let (status, shards) = describe(&k, "kept").await;
    assert_eq!((status, shards.len()), (StreamStatus::Updating, 1));

    // From the wall clock, two hours are past the update's end (one hour after the moved clock).
    cloud.advance(HOUR * 2);
    catch_up(&k).await;
    let (status, shards) = describe(&k, "kept").await;
    assert_eq!((status, shards.len()), (StreamStatus::Active, 3));
    let parent = iterator(&k, "kept", "shardId-000000000000", ShardIteratorType::TrimHorizon).await;
    assert_eq!(drain(&k, parent).await.len(), 3);
}

/// On-demand scaling reshards as UpdateShardCount does: the stream is UPDATING with its old shards
/// open until the update ends, then has twice as many.
#[tokio::test]
async fn on_demand_scaling_takes_effect_when_its_update_ends() {
    let cloud = support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = TRANSITION.as_millis() as i64;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await;
    let k = client(&cloud).await;
    let mode = aws_sdk_kinesis::types::StreamModeDetails::builder()
        .stream_mode(aws_sdk_kinesis::types::StreamMode::OnDemand)
        .build()
        .unwrap();
    k.create_stream().stream_name("auto").stream_mode_details(mode).send().await.unwrap();
    cloud.advance(TRANSITION);
    // 4,000 records in one second, 1,000 on each of the 4 shards: the peak asks for 8 shards.
    let quarter = u128::MAX / 4;
    for b in 0..8 {
        let batch: Vec<_> = (0..500)
            .map(|i| {
                let hash = quarter * ((b * 500 + i) % 4) as u128 + quarter / 2;
                PutRecordsRequestEntry::builder()
                    .partition_key(format!("k{i}"))
                    .explicit_hash_key(hash.to_string())
                    .data(Blob::new("r"))
                    .build()
                    .unwrap()
            })
            .collect();
        let out = k.put_records().stream_name("auto").set_records(Some(batch)).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
    let summary = |k: Client| async move {
        let s = k.describe_stream_summary().stream_name("auto").send().await.unwrap();
        let s = s.stream_description_summary().unwrap().clone();
        (s.stream_status().clone(), s.open_shard_count())
    };
    cloud.advance(std::time::Duration::from_secs(1));
    catch_up(&k).await;
    assert_eq!(summary(k.clone()).await, (StreamStatus::Updating, 4), "scaling has begun, the shards are the old ones");
    assert_eq!(shard_ids(&k, "auto").await.len(), 4);
    cloud.advance(TRANSITION);
    catch_up(&k).await;
    assert_eq!(summary(k.clone()).await, (StreamStatus::Active, 8));
}

/// While a stream grows, the shards it will have count against the account's shard quota, so another
/// stream cannot take them meanwhile and leave the account over its quota when the update ends.
#[tokio::test]
async fn an_updating_stream_holds_the_shards_it_grows_into() {
    let cloud = support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = TRANSITION.as_millis() as i64;
        c.kinesis.shard_limit = Some(6);
        c.limits = false;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await;
    let k = client(&cloud).await;
    create(&k, "growing", 2).await;
    cloud.advance(TRANSITION);
    k.update_shard_count()
        .stream_name("growing")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    let err = k.create_stream().stream_name("other").shard_count(3).send().await.unwrap_err();
    assert_eq!(code(&err), "LimitExceededException", "4 held + 3 > 6");
    assert!(err.message().unwrap().contains("Current shard count for the account: 4."), "{err:?}");
    create(&k, "other", 2).await;
    cloud.advance(TRANSITION);
    catch_up(&k).await;
    let limits = k.describe_limits().send().await.unwrap();
    assert_eq!((limits.open_shard_count(), limits.shard_limit()), (6, 6));
}
