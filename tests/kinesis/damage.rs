//! A full disk, a damaged stream and other users of the machine: what the Kinesis data survives.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use aws_sdk_kinesis::types::{ScalingType, ShardIteratorType};
use kinesis_console::cloud::kinesis::settings::DiskFault;

use super::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// The directory of the stream named `name` (`<name>-<created ms>`).
fn stream_dir(cloud: &TestCloud, name: &str) -> PathBuf {
    let streams = cloud.data_dir().join("kinesis/streams");
    std::fs::read_dir(&streams)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().rsplit_once('-').is_some_and(|(n, _)| n == name))
        .unwrap_or_else(|| panic!("no directory for stream {name}"))
}

/// Puts `n` records of about 80 bytes, ten per call.
async fn put_n(k: &Client, stream: &str, tag: &str, n: usize) {
    for from in (0..n).step_by(10) {
        let entries: Vec<_> = (from..n.min(from + 10))
            .map(|i| entry(&format!("k{i}"), &format!("{tag}-{i:04}-{}", "x".repeat(64))))
            .collect();
        let out = k.put_records().stream_name(stream).set_records(Some(entries)).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
}

async fn described(k: &Client, stream: &str) -> String {
    format!("{:?}", k.describe_stream().stream_name(stream).send().await.unwrap().stream_description())
}

async fn listed(k: &Client, stream: &str) -> String {
    format!("{:?}", k.list_shards().stream_name(stream).send().await.unwrap().shards())
}

async fn read_all(k: &Client, stream: &str) -> usize {
    let mut n = 0;
    for shard in shard_ids(k, stream).await {
        n += drain(k, iterator(k, stream, &shard, ShardIteratorType::TrimHorizon).await).await.len();
    }
    n
}

#[tokio::test]
async fn kinesis_directories_and_files_are_private() {
    let cloud = cloud(false).await;
    let k = client(&cloud).await;
    create(&k, "private", 2).await;
    let kinesis = cloud.data_dir().join("kinesis");
    let stream = stream_dir(&cloud, "private");
    for dir in [kinesis.clone(), kinesis.join("streams"), stream.clone(), stream.join("shardId-000000000001")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    for file in [kinesis.join("meta.redb"), kinesis.join("iterator.key")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn a_reshard_during_a_full_disk_changes_nothing_and_succeeds_once_space_returns() {
    let fault = DiskFault::default();
    let injected = fault.clone();
    let cloud = support::TestCloud::start_with(move |c| {
        c.kinesis.transition_ms = 0;
        c.limits = false;
        c.kinesis.disk_fault = Some(injected);
    })
    .await;
    let k = client(&cloud).await;
    create(&k, "full", 2).await;
    put_n(&k, "full", "before", 100).await;
    let shards_before = listed(&k, "full").await;
    let description_before = described(&k, "full").await;

    fault.set(true);
    let err = k
        .split_shard()
        .stream_name("full")
        .shard_to_split("shardId-000000000000")
        .new_starting_hash_key((u128::MAX / 4).to_string())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InternalFailure", "{err:?}");
    assert!(err.message().unwrap().contains("stream full"), "the error names the stream: {err:?}");
    let update =
        || k.update_shard_count().stream_name("full").target_shard_count(4).scaling_type(ScalingType::UniformScaling);
    assert_eq!(code(&update().send().await.unwrap_err()), "InternalFailure");
    let err = k.create_stream().stream_name("other").shard_count(1).send().await.unwrap_err();
    assert_eq!(code(&err), "InternalFailure");
    assert_eq!(listed(&k, "full").await, shards_before);
    assert_eq!(described(&k, "full").await, description_before);
    assert_eq!(read_all(&k, "full").await, 100, "every record put before the fault reads back");
    let dirs: Vec<_> = std::fs::read_dir(stream_dir(&cloud, "full")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(dirs.len(), 2, "no child shard directory is left behind: {dirs:?}");
    assert_eq!(k.list_streams().send().await.unwrap().stream_names(), ["full"]);

    fault.set(false);
    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    assert_eq!(listed(&k, "full").await, shards_before);
    assert_eq!(
        described(&k, "full").await,
        description_before,
        "the restarted cloud has the state from before the fault"
    );
    k.update_shard_count()
        .stream_name("full")
        .target_shard_count(4)
        .scaling_type(ScalingType::UniformScaling)
        .send()
        .await
        .expect("the same reshard succeeds once the disk has room");
    assert_eq!(shard_ids(&k, "full").await.len(), 6);
    put_n(&k, "full", "after", 100).await;
    assert_eq!(read_all(&k, "full").await, 200);
}

#[tokio::test]
async fn one_damaged_stream_never_stops_the_cloud() {
    let cloud = support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.limits = false;
        // Small segments, so a few records make sealed ones.
        c.kinesis.segment_bytes = 2048;
    })
    .await;
    let k = client(&cloud).await;
    for name in ["corrupt", "missing", "healthy"] {
        create(&k, name, 1).await;
        put_n(&k, name, name, 100).await;
    }
    let shard = stream_dir(&cloud, "corrupt").join("shardId-000000000000");
    let mut segments: Vec<PathBuf> = std::fs::read_dir(&shard).unwrap().map(|e| e.unwrap().path()).collect();
    segments.retain(|p| p.extension().is_some_and(|e| e == "seg"));
    segments.sort();
    assert!(segments.len() > 2, "the records fill several segments: {segments:?}");
    let mut bytes = std::fs::read(&segments[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&segments[0], bytes).unwrap();
    let missing = stream_dir(&cloud, "missing").join("shardId-000000000000");
    std::fs::remove_dir_all(&missing).unwrap();

    let cloud = cloud.restart().await;
    let k = client(&cloud).await;
    assert_eq!(read_all(&k, "healthy").await, 100, "the undamaged stream serves");
    put_n(&k, "healthy", "again", 10).await;
    for (name, damage) in [("corrupt", "corrupt"), ("missing", "is missing")] {
        let err = k.describe_stream_summary().stream_name(name).send().await.unwrap_err();
        assert_eq!(code(&err), "ResourceNotFoundException");
        let message = err.message().unwrap();
        assert!(message.contains(name) && message.contains("damaged") && message.contains(damage), "{message}");
        let err = k.create_stream().stream_name(name).shard_count(1).send().await.unwrap_err();
        assert_eq!(code(&err), "ResourceInUseException", "a damaged stream keeps its name");
    }
    assert!(!missing.exists(), "a missing shard directory is never recreated empty");
    let health = cloud.admin().get("health").await.unwrap();
    let mut damaged: Vec<(String, String)> = health["damaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["service"].as_str().unwrap().to_string(), d["resource"].as_str().unwrap().to_string()))
        .collect();
    damaged.sort();
    assert_eq!(
        damaged,
        [("kinesis".to_string(), "corrupt".to_string()), ("kinesis".to_string(), "missing".to_string())]
    );
}
