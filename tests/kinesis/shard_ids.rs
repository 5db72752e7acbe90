//! Shard ids read as AWS reads them, in every operation that takes one. The cases come from
//! kinesalite's test suite, which was run against AWS: the number after the first hyphen names the
//! shard whatever the prefix (`shardId-1`, `shard-0`, `<anything>-2147483647`, `a-00002147483647`,
//! `-00002147483647`) and a bare number does too; ids that name no number up to 2147483647 (`ABKLFD8`,
//! `2.14E4`, `2147483648`, `shardId-002147483648`) get "Could not find shard <id> in stream …"; a
//! number the stream lacks gets GetShardIterator's "Shard shardId-000000000005 in stream … does not
//! exist" (also for a stream that does not exist) and SplitShard's/MergeShards' "Could not find shard
//! shardId-000000000005 …". Answers always print the canonical `shardId-%012d`.

use aws_sdk_kinesis::types::{ShardFilter, ShardFilterType};

use super::*;

const ACCOUNT: &str = "000000000000";

async fn iterator_error(k: &Client, stream: &str, shard: &str) -> (String, String) {
    let err = k
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::TrimHorizon)
        .send()
        .await
        .expect_err("no such shard");
    (code(&err), err.message().unwrap_or_default().to_string())
}

fn not_found(message: String) -> (String, String) {
    ("ResourceNotFoundException".to_string(), message)
}

#[tokio::test]
async fn get_shard_iterator_reads_any_prefix_and_number() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "ids", 2).await;
    let put = k
        .put_record()
        .stream_name("ids")
        .partition_key("k")
        .explicit_hash_key(u128::MAX.to_string())
        .data(Blob::new("in shard one"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.shard_id(), "shardId-000000000001");
    for id in ["shardId-000000000001", "shardId-1", "shard-1", "foo-1", "1", "-01", "a-00000000000001"] {
        let it = iterator(&k, "ids", id, ShardIteratorType::TrimHorizon).await;
        let got = drain(&k, it).await;
        let seqs: Vec<&str> = got.iter().map(|r| r.sequence_number()).collect();
        assert_eq!(seqs, [put.sequence_number()], "{id} names shard 1");
    }
    for id in ["2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4", "shardId-"] {
        let want = format!("Could not find shard {id} in stream ids under account {ACCOUNT}.");
        assert_eq!(iterator_error(&k, "ids", id).await, not_found(want), "{id}");
    }
    let want = format!("Shard shardId-000000000005 in stream ids under account {ACCOUNT} does not exist");
    assert_eq!(iterator_error(&k, "ids", "shardId-5").await, not_found(want));
    let want = format!("Shard shardId-002147483647 in stream nowhere under account {ACCOUNT} does not exist");
    assert_eq!(iterator_error(&k, "nowhere", "x-2147483647").await, not_found(want), "an unknown stream");
    let want = format!("Could not find shard ABKLFD8 in stream nowhere under account {ACCOUNT}.");
    assert_eq!(iterator_error(&k, "nowhere", "ABKLFD8").await, not_found(want));
}

#[tokio::test]
async fn split_merge_and_list_shards_read_the_same_forms_and_answer_canonical_ids() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "ids", 2).await;
    let quarter = (1u128 << 126).to_string();
    for (id, want) in [
        ("ABKLFD8", format!("Could not find shard ABKLFD8 in stream ids under account {ACCOUNT}.")),
        ("shardId-9", format!("Could not find shard shardId-000000000009 in stream ids under account {ACCOUNT}.")),
    ] {
        let err = k.split_shard().stream_name("ids").shard_to_split(id).new_starting_hash_key(&quarter).send().await;
        let err = err.expect_err("no such shard");
        assert_eq!(
            (code(&err), err.message().unwrap_or_default()),
            ("ResourceNotFoundException".into(), want.as_str())
        );
    }
    let err = k.split_shard().stream_name("nowhere").shard_to_split("0").new_starting_hash_key(&quarter).send().await;
    let err = err.expect_err("no such stream");
    assert_eq!(err.message(), Some("Stream nowhere under account 000000000000 not found."));

    k.split_shard().stream_name("ids").shard_to_split("foo-0").new_starting_hash_key(&quarter).send().await.unwrap();
    let err = k.merge_shards().stream_name("ids").shard_to_merge("2.14E4").adjacent_shard_to_merge("1").send().await;
    let err = err.expect_err("no such shard");
    assert_eq!(err.message(), Some("Could not find shard 2.14E4 in stream ids under account 000000000000."));
    let err = k.merge_shards().stream_name("ids").shard_to_merge("0").adjacent_shard_to_merge("1").send().await;
    let err = err.expect_err("shard 0 was split");
    assert_eq!(code(&err), "ResourceInUseException");
    assert!(err.message().unwrap().starts_with("Shard shardId-000000000000 in stream ids"), "{err:?}");
    k.merge_shards().stream_name("ids").shard_to_merge("3").adjacent_shard_to_merge("shard-1").send().await.unwrap();

    let shards = k.list_shards().stream_name("ids").send().await.unwrap();
    let merged = shards.shards().iter().find(|s| s.shard_id() == "shardId-000000000004").expect("the merge's child");
    assert_eq!(merged.parent_shard_id(), Some("shardId-000000000003"));
    assert_eq!(merged.adjacent_parent_shard_id(), Some("shardId-000000000001"));
    let split = shards.shards().iter().find(|s| s.shard_id() == "shardId-000000000002").expect("a split's child");
    assert_eq!(split.parent_shard_id(), Some("shardId-000000000000"));

    let after = k.list_shards().stream_name("ids").exclusive_start_shard_id("x-2").send().await.unwrap();
    let ids: Vec<&str> = after.shards().iter().map(|s| s.shard_id()).collect();
    assert_eq!(ids, ["shardId-000000000003", "shardId-000000000004"]);
    let filter = ShardFilter::builder().r#type(ShardFilterType::AfterShardId).shard_id("3").build().unwrap();
    let after = k.list_shards().stream_name("ids").shard_filter(filter).send().await.unwrap();
    let ids: Vec<&str> = after.shards().iter().map(|s| s.shard_id()).collect();
    assert_eq!(ids, ["shardId-000000000004"]);
    let err = k.list_shards().stream_name("ids").exclusive_start_shard_id("bogus").send().await.unwrap_err();
    assert_eq!(code(&err), "ResourceNotFoundException");
    assert_eq!(err.message(), Some("Could not find shard bogus in stream ids under account 000000000000."));
    let described = k.describe_stream().stream_name("ids").exclusive_start_shard_id("shardId-3").send().await.unwrap();
    let ids: Vec<&str> = described.stream_description().unwrap().shards().iter().map(|s| s.shard_id()).collect();
    assert_eq!(ids, ["shardId-000000000004"]);
}
