//! Sequence numbers as AWS issues them: the KCL's `SequenceNumberValidator` accepts every number the
//! SDK gets back, SequenceNumberForOrdering gives a greater number for the same key (also after a
//! reshard), and numbers of the earlier layout still held by clients keep resolving to their record.

use std::time::Duration;

use aws_sdk_kinesis::types::{StartingPosition, SubscribeToShardEventStream};
use num_bigint::BigUint;

use super::*;

/// The KCL's reading of a sequence number: a big integer of exactly 186 bits, version 2 in the 4
/// bits at offset 184; the shard index is the 32 bits at offset 4. None when it refuses the number.
fn kcl_shard(seq: &str) -> Option<u64> {
    let n = BigUint::parse_bytes(seq.as_bytes(), 10)?;
    if n.bits() != 186 {
        return None;
    }
    let field = |offset: usize, mask: u64| (&n >> offset).iter_u64_digits().next().unwrap_or(0) & mask;
    (field(184, (1 << 4) - 1) == 2).then(|| field(4, (1 << 32) - 1))
}

/// The KCL's `validateSequenceNumberForShard`: the number encodes this shard id.
fn assert_kcl_accepts(seq: &str, shard_id: &str, what: &str) {
    let shard = kcl_shard(seq).unwrap_or_else(|| panic!("{what}: the KCL refuses {seq}"));
    assert_eq!(format!("shardId-{shard:012}"), shard_id, "{what}: {seq}");
}

fn big(seq: &str) -> BigUint {
    BigUint::parse_bytes(seq.as_bytes(), 10).expect("a decimal sequence number")
}

/// A number as the earlier layout printed it: `49`, the stream's creation ms, the shard index, the
/// position in the shard's log.
fn legacy(stream_ms: i64, shard: u32, position: u64) -> String {
    format!("49{stream_ms:020}{shard:06}{position:028}")
}

async fn put_one(k: &Client, stream: &str, key: &str, data: &str, ordering: Option<&str>) -> (String, String) {
    let out = k
        .put_record()
        .stream_name(stream)
        .partition_key(key)
        .data(Blob::new(data.as_bytes()))
        .set_sequence_number_for_ordering(ordering.map(str::to_string))
        .send()
        .await
        .expect("PutRecord");
    (out.shard_id().to_string(), out.sequence_number().to_string())
}

#[tokio::test]
async fn the_kcl_accepts_every_number_the_sdk_gets_back() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "kcl", 3).await;
    for i in 0..6 {
        let (shard, seq) = put_one(&k, "kcl", &format!("one-{i}"), "x", None).await;
        assert_kcl_accepts(&seq, &shard, "PutRecord");
    }
    let batch: Vec<_> = (0..60).map(|i| entry(&format!("many-{i}"), "y")).collect();
    let out = k.put_records().stream_name("kcl").set_records(Some(batch)).send().await.expect("PutRecords");
    let mut shards_used = std::collections::BTreeSet::new();
    for r in out.records() {
        let (shard, seq) = (r.shard_id().expect("stored"), r.sequence_number().expect("stored"));
        assert_kcl_accepts(seq, shard, "PutRecords");
        shards_used.insert(shard.to_string());
    }
    assert_eq!(shards_used.len(), 3, "the batch reached every shard");
    k.split_shard()
        .stream_name("kcl")
        .shard_to_split("shardId-000000000001")
        .new_starting_hash_key("170141183460469231731687303715884105728")
        .send()
        .await
        .expect("SplitShard");
    catch_up(&k).await;
    let listed = k.list_shards().stream_name("kcl").send().await.expect("ListShards");
    assert_eq!(listed.shards().len(), 5);
    for s in listed.shards() {
        let range = s.sequence_number_range().expect("a range");
        assert_kcl_accepts(range.starting_sequence_number(), s.shard_id(), "StartingSequenceNumber");
        if let Some(end) = range.ending_sequence_number() {
            assert_kcl_accepts(end, s.shard_id(), "EndingSequenceNumber");
        }
        let read = drain(&k, iterator(&k, "kcl", s.shard_id(), ShardIteratorType::TrimHorizon).await).await;
        for r in &read {
            assert_kcl_accepts(r.sequence_number(), s.shard_id(), "GetRecords");
        }
    }

    let arn = k.describe_stream_summary().stream_name("kcl").send().await.unwrap();
    let arn = arn.stream_description_summary().unwrap().stream_arn().to_string();
    let consumer = k.register_stream_consumer().stream_arn(arn).consumer_name("kcl").send().await.unwrap();
    let consumer = consumer.consumer().unwrap().consumer_arn().to_string();
    let start = StartingPosition::builder().r#type(ShardIteratorType::TrimHorizon).build().unwrap();
    let sub = k.subscribe_to_shard().consumer_arn(consumer).shard_id("shardId-000000000000").starting_position(start);
    let mut rx = sub.send().await.expect("SubscribeToShard").event_stream;
    let event = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("an event within 10 s");
    let Ok(Some(SubscribeToShardEventStream::SubscribeToShardEvent(e))) = event else { panic!("{event:?}") };
    assert_kcl_accepts(e.continuation_sequence_number(), "shardId-000000000000", "ContinuationSequenceNumber");
}

#[tokio::test]
async fn sequence_number_for_ordering_gives_a_greater_number_also_across_reshards() {
    // The clock stands still: the children below are created in the same millisecond as their parents.
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    create(&k, "ordered", 1).await;
    let key = "the-key";
    let (shard, mut last) = put_one(&k, "ordered", key, "0", None).await;
    assert_eq!(shard, "shardId-000000000000");
    let put_after = |k: Client, last: String| async move {
        let (shard, seq) = put_one(&k, "ordered", key, "next", Some(&last)).await;
        assert!(big(&seq) > big(&last), "{seq} in {shard} is not above SequenceNumberForOrdering {last}");
        (shard, seq)
    };
    for _ in 0..3 {
        (_, last) = put_after(k.clone(), last).await;
    }
    k.split_shard()
        .stream_name("ordered")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key("170141183460469231731687303715884105728")
        .send()
        .await
        .expect("SplitShard");
    catch_up(&k).await;
    let (child, seq) = put_after(k.clone(), last).await;
    assert_ne!(child, "shardId-000000000000", "the key moved to a child shard");
    last = seq;
    k.merge_shards()
        .stream_name("ordered")
        .shard_to_merge("shardId-000000000001")
        .adjacent_shard_to_merge("shardId-000000000002")
        .send()
        .await
        .expect("MergeShards");
    catch_up(&k).await;
    let (merged, seq) = put_after(k.clone(), last).await;
    assert_eq!(merged, "shardId-000000000003");
    last = seq;
    k.update_shard_count()
        .stream_name("ordered")
        .target_shard_count(2)
        .scaling_type(aws_sdk_kinesis::types::ScalingType::UniformScaling)
        .send()
        .await
        .expect("UpdateShardCount");
    catch_up(&k).await;
    for _ in 0..3 {
        let (shard, seq) = put_after(k.clone(), last).await;
        assert_ne!(shard, "shardId-000000000003", "the key is in one of the rescaled shards");
        last = seq;
    }
}

#[tokio::test]
async fn a_data_dir_written_with_the_earlier_numbers_reads_on_from_them() {
    let cloud = cloud(true).await;
    let k = client(&cloud).await;
    // The clock stands still, so this is the stream's creation time, which the earlier numbers carry.
    let created_ms = cloud.cloud.ctx.clock.now_ms();
    create(&k, "kept", 2).await;
    let batch: Vec<_> = (0..8).map(|i| entry("same-key", &format!("r{i}"))).collect();
    let out = k.put_records().stream_name("kept").set_records(Some(batch)).send().await.expect("PutRecords");
    let shard_id = out.records()[0].shard_id().unwrap().to_string();
    let shard: u32 = shard_id.trim_start_matches("shardId-").parse().unwrap();
    let current: Vec<String> = out.records().iter().map(|r| r.sequence_number().unwrap().to_string()).collect();

    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    let read_from = |kind: ShardIteratorType, seq: String| {
        let k = k.clone();
        let shard_id = shard_id.clone();
        async move {
            let it = k
                .get_shard_iterator()
                .stream_name("kept")
                .shard_id(&shard_id)
                .shard_iterator_type(kind)
                .starting_sequence_number(seq)
                .send()
                .await;
            let it = it.map_err(|e| code(&e.into_service_error()))?;
            Ok::<_, String>(drain(&k, it.shard_iterator().unwrap().to_string()).await)
        }
    };
    // The records went in as positions 0..8 of the shard's log.
    let at = read_from(ShardIteratorType::AtSequenceNumber, legacy(created_ms, shard, 3)).await.unwrap();
    assert_eq!(at.iter().map(text).collect::<Vec<_>>(), ["r3", "r4", "r5", "r6", "r7"]);
    assert_eq!(at[0].sequence_number(), current[3], "the earlier number names the same record");
    let after = read_from(ShardIteratorType::AfterSequenceNumber, legacy(created_ms, shard, 6)).await.unwrap();
    assert_eq!(after.iter().map(text).collect::<Vec<_>>(), ["r7"]);
    let (_, next) = put_one(&k, "kept", "same-key", "r8", Some(&legacy(created_ms, shard, 7))).await;
    assert!(big(&next) > big(&legacy(created_ms, shard, 7)) && big(&next) > big(&current[7]));
    let other = 1 - shard;
    let wrong_shard = read_from(ShardIteratorType::AtSequenceNumber, legacy(created_ms, other, 3)).await;
    assert_eq!(wrong_shard.unwrap_err(), "InvalidArgumentException", "a number of the other shard");

    // Deleted and created again under the same name: the old incarnation's numbers, in either
    // layout, no longer name anything.
    k.delete_stream().stream_name("kept").send().await.expect("DeleteStream");
    cloud.advance(Duration::from_secs(1));
    catch_up(&k).await;
    create(&k, "kept", 2).await;
    catch_up(&k).await;
    for old in [legacy(created_ms, shard, 3), current[3].clone()] {
        let refused = read_from(ShardIteratorType::AtSequenceNumber, old.clone()).await;
        assert_eq!(refused.unwrap_err(), "InvalidArgumentException", "{old} is from the deleted stream");
    }
}
