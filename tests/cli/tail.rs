//! `kinesis-console tail`: every record once, each shard in order, parents before children, through a
//! split and a merge; and its refusals.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

use crate::support::TestCloud;

async fn put(k: &Client, stream: &str, tag: &str, n: usize) {
    let entries: Vec<PutRecordsRequestEntry> = (0..n)
        .map(|i| {
            let data = format!(r#"{{"id":"{tag}-{i}"}}"#);
            PutRecordsRequestEntry::builder().partition_key(format!("key-{i}")).data(Blob::new(data)).build().unwrap()
        })
        .collect();
    let out = k.put_records().stream_name(stream).set_records(Some(entries)).send().await.expect("PutRecords");
    assert_eq!(out.failed_record_count(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_reads_every_record_once_through_a_split_and_a_merge() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("tailed").shard_count(1).send().await.expect("CreateStream");
    cloud.until_stream_active("tailed").await;
    put(&k, "tailed", "first", 30).await;
    let half = (u128::MAX / 2).to_string();
    let split =
        k.split_shard().stream_name("tailed").shard_to_split("shardId-000000000000").new_starting_hash_key(half);
    split.send().await.expect("SplitShard");
    cloud.until_stream_active("tailed").await;
    put(&k, "tailed", "split", 30).await;
    let merge = k
        .merge_shards()
        .stream_name("tailed")
        .shard_to_merge("shardId-000000000001")
        .adjacent_shard_to_merge("shardId-000000000002");
    merge.send().await.expect("MergeShards");
    cloud.until_stream_active("tailed").await;
    put(&k, "tailed", "merged", 30).await;

    let tail = cloud.console_command(&["--output", "json", "tail", "tailed", "--from", "trim-horizon", "--no-follow"]);
    let out = cloud.run_advancing(tail, Duration::from_secs(60)).await;
    assert!(out.status.success(), "tail failed: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();

    let ids: Vec<&str> = lines.iter().map(|l| l["data"]["id"].as_str().unwrap_or_default()).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((ids.len(), unique.len()), (90, 90), "every record once: {ids:?}");

    // Each shard in sequence order; the parent before its children, both children before the merge.
    let mut per_shard: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for l in &lines {
        let shard = l["shard_id"].as_str().unwrap_or_default();
        per_shard.entry(shard).or_default().push(l["sequence_number"].as_str().unwrap_or_default().to_string());
        if order.last() != Some(&shard) {
            order.push(shard);
        }
    }
    for (shard, seqs) in &per_shard {
        let mut sorted = seqs.clone();
        sorted.sort_by_key(|s| (s.len(), s.clone()));
        assert_eq!(seqs, &sorted, "{shard} in sequence order");
    }
    let first_of = |s: &str| order.iter().position(|o| *o == s).unwrap_or(usize::MAX);
    let last_of = |s: &str| order.iter().rposition(|o| *o == s).unwrap_or(usize::MAX);
    assert_eq!(first_of("shardId-000000000000"), 0, "{order:?}");
    for child in ["shardId-000000000001", "shardId-000000000002"] {
        assert!(last_of("shardId-000000000000") < first_of(child), "parent before {child}: {order:?}");
        assert!(last_of(child) < first_of("shardId-000000000003"), "{child} before the merged shard: {order:?}");
    }
    assert!(ids[..30].iter().all(|id| id.starts_with("first-")), "{ids:?}");
    assert!(ids[60..].iter().all(|id| id.starts_with("merged-")), "{ids:?}");
    assert!(lines.iter().all(|l| l["arrival"].as_str().is_some_and(|a| a.ends_with('Z'))));
}

#[tokio::test]
async fn tail_refuses_what_it_cannot_read_with_a_reason() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("quiet").shard_count(1).send().await.expect("CreateStream");
    cloud.until_stream_active("quiet").await;
    for (args, says) in [
        (&["tail", "quiet", "--from", "yesterday"][..], "neither latest, trim-horizon"),
        (&["tail", "nothing-here"][..], "no stream and no stack named nothing-here"),
        (&["tail", "quiet", "--shard", "shardId-000000000009"][..], "has no shard shardId-000000000009"),
    ] {
        let out = cloud.console(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_stops_a_following_tail_and_follow_contradicts_no_follow() {
    let cloud = TestCloud::start_virtual().await;
    let k = Client::new(&cloud.sdk_config().await);
    k.create_stream().stream_name("capped").shard_count(1).send().await.expect("CreateStream");
    cloud.until_stream_active("capped").await;
    put(&k, "capped", "r", 10).await;
    // Following (the default, said explicitly), --max ends it after that many records.
    let tail = cloud.console_command(&[
        "tail",
        "capped",
        "--from",
        "trim-horizon",
        "--follow",
        "--max",
        "4",
        "--data",
        "compact",
    ]);
    let out = cloud.run_advancing(tail, Duration::from_secs(60)).await;
    assert!(out.status.success(), "tail failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("r-0") && text.contains("r-3") && !text.contains("r-4"), "{text}");

    let both = cloud.console(&["tail", "capped", "--follow", "--no-follow"]);
    assert_eq!(both.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&both.stderr);
    assert!(err.contains("--no-follow") && err.contains("--follow"), "{err}");
}
