//! The per-shard record log: round trips, recovery, retention, time lookup and group commit.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use kinesis_console::cloud::storage::{LogOptions, NewRecord, OpenMode, ShardLog, StorageError, StoredRecord};

fn small_segments() -> LogOptions {
    LogOptions { segment_bytes: 2048, sync: true, ..LogOptions::default() }
}

fn record(key: &str, data: impl Into<Vec<u8>>) -> NewRecord {
    NewRecord { partition_key: key.to_string(), data: Bytes::from(data.into()) }
}

fn payload(i: u64) -> Vec<u8> {
    format!("record-{i}-{}", "x".repeat((i % 37) as usize)).into_bytes()
}

async fn append_numbered(log: &ShardLog, from: u64, count: u64, arrival_ms: i64) -> Vec<u64> {
    let records = (from..from + count).map(|i| record(&format!("pk{}", i % 7), payload(i))).collect();
    log.append(records, arrival_ms).await.unwrap()
}

fn read_all(log: &ShardLog) -> Vec<StoredRecord> {
    log.read(0, usize::MAX, usize::MAX).unwrap()
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    files.sort();
    files
}

fn assert_numbered(records: &[StoredRecord], from: u64) {
    for (k, r) in records.iter().enumerate() {
        let i = from + k as u64;
        assert_eq!(r.seq, i);
        assert_eq!(r.data, Bytes::from(payload(i)), "data of seq {i}");
        assert_eq!(r.partition_key, format!("pk{}", i % 7));
    }
}

#[tokio::test]
async fn round_trip_across_segment_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!((log.next_seq(), log.first_seq(), log.len()), (0, 0, 0));
    let mut seqs = Vec::new();
    for call in 0..20u64 {
        let got = append_numbered(&log, call * 25, 25, 1_000 + call as i64).await;
        assert_eq!(got, (call * 25..call * 25 + 25).collect::<Vec<_>>(), "contiguous within call {call}");
        seqs.extend(got);
    }
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    assert!(segment_files(dir.path()).len() > 5, "small segments roll");
    assert_eq!((log.next_seq(), log.len()), (500, 500));
    let all = read_all(&log);
    assert_eq!(all.len(), 500);
    assert_numbered(&all, 0);
    assert_eq!(all[30].arrival_ms, 1_001);

    let page = log.read(123, 10, usize::MAX).unwrap();
    assert_eq!(page.len(), 10);
    assert_numbered(&page, 123);
    assert!(log.read(500, 10, usize::MAX).unwrap().is_empty());
    assert!(log.read(0, 0, usize::MAX).unwrap().is_empty());
}

#[tokio::test]
async fn read_honours_the_byte_budget_but_returns_at_least_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    log.append((0..10).map(|i| record("k", vec![i as u8; 100])).collect(), 5).await.unwrap();
    let page = log.read(0, 100, 350).unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![0, 1, 2]);
    let one = log.read(4, 100, 10).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].seq, 4);
    assert_eq!(one[0].data, Bytes::from(vec![4u8; 100]));
}

#[tokio::test]
async fn reopen_restores_every_record_and_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    {
        let log = ShardLog::open(dir.path(), small_segments()).unwrap();
        for call in 0..8 {
            append_numbered(&log, call * 40, 40, 7_000 + call as i64).await;
        }
    }
    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!((log.next_seq(), log.first_seq(), log.len()), (320, 0, 320));
    assert_eq!(log.last_arrival_ms(), Some(7_007));
    assert_numbered(&read_all(&log), 0);
    assert_eq!(append_numbered(&log, 320, 5, 1).await, vec![320, 321, 322, 323, 324]);
    assert_eq!(read_all(&log)[321].arrival_ms, 7_007, "arrival clamped to the log's latest after reopening");
    drop(log);
    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    assert_numbered(&read_all(&log), 0);
    assert_eq!(log.next_seq(), 325);
}

async fn log_with_records(dir: &Path, count: u64) -> u64 {
    let log = ShardLog::open(dir, LogOptions::default()).unwrap();
    append_numbered(&log, 0, count, 10).await;
    log.disk_bytes()
}

fn last_segment(dir: &Path) -> PathBuf {
    segment_files(dir).pop().unwrap()
}

#[tokio::test]
async fn garbage_after_the_last_record_is_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = log_with_records(dir.path(), 50).await;
    let path = last_segment(dir.path());
    let mut contents = std::fs::read(&path).unwrap();
    contents.extend_from_slice(&[0xAB; 37]);
    std::fs::write(&path, contents).unwrap();

    let log = ShardLog::open(dir.path(), LogOptions::default()).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), bytes, "garbage cut off");
    assert_eq!(log.next_seq(), 50);
    assert_numbered(&read_all(&log), 0);
    assert_eq!(append_numbered(&log, 50, 2, 11).await, vec![50, 51]);
    drop(log);
    let log = ShardLog::open(dir.path(), LogOptions::default()).unwrap();
    assert_numbered(&read_all(&log), 0);
    assert_eq!(log.len(), 52);
}

#[tokio::test]
async fn half_a_record_or_a_bad_checksum_at_the_end_is_truncated() {
    for damage in ["cut", "flip"] {
        let dir = tempfile::tempdir().unwrap();
        log_with_records(dir.path(), 30).await;
        let path = last_segment(dir.path());
        let mut contents = std::fs::read(&path).unwrap();
        let len = contents.len();
        match damage {
            "cut" => contents.truncate(len - 9),
            _ => contents[len - 3] ^= 0x01,
        }
        std::fs::write(&path, contents).unwrap();

        let log = ShardLog::open(dir.path(), LogOptions::default()).unwrap();
        assert_eq!(log.next_seq(), 29, "{damage}: the torn last record is dropped");
        let all = read_all(&log);
        assert_eq!(all.len(), 29);
        assert_numbered(&all, 0);
    }
}

#[tokio::test]
async fn unknown_format_version_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    log_with_records(dir.path(), 3).await;
    let path = last_segment(dir.path());
    let mut contents = std::fs::read(&path).unwrap();
    contents[4] = 9;
    std::fs::write(&path, &contents).unwrap();
    let err = ShardLog::open(dir.path(), LogOptions::default()).err().unwrap();
    assert!(matches!(err, StorageError::UnsupportedVersion { found: 9, supported: 2, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("00000000000000000000.seg") && message.contains("version 9"), "{message}");

    contents[0..4].copy_from_slice(b"JUNK");
    std::fs::write(&path, &contents).unwrap();
    let err = ShardLog::open(dir.path(), LogOptions::default()).err().unwrap();
    assert!(matches!(err, StorageError::BadMagic { .. }), "{err:?}");
}

#[tokio::test]
async fn trim_before_frees_whole_segments_and_keeps_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    for call in 0..10u64 {
        append_numbered(&log, call * 30, 30, 1_000 * (call as i64 + 1)).await;
    }
    let before = log.disk_bytes();
    let files_before = segment_files(dir.path()).len();
    assert_eq!(log.trim_before(0).unwrap(), 0);

    let freed = log.trim_before(5_500).unwrap();
    assert!(freed > 0);
    assert_eq!(log.disk_bytes(), before - freed);
    assert!(segment_files(dir.path()).len() < files_before);
    let first = log.first_seq();
    assert!(first > 0 && first <= 150, "records arriving at 5000 and later stay: first_seq {first}");
    let kept = read_all(&log);
    assert_eq!(kept.first().map(|r| r.seq), Some(first));
    assert_eq!(kept.len() as u64, log.len());
    assert_numbered(&kept, first);
    assert_eq!(log.next_seq(), 300);

    let freed = log.trim_before(i64::MAX).unwrap();
    assert!(freed > 0);
    assert_eq!((log.len(), log.first_seq(), log.next_seq()), (0, 300, 300));
    assert!(read_all(&log).is_empty());
    assert_eq!(segment_files(dir.path()).len(), 1, "only the fresh active segment is left");
    drop(log);

    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!((log.len(), log.first_seq(), log.next_seq()), (0, 300, 300));
    assert_eq!(log.last_arrival_ms(), Some(10_000));
    assert_eq!(append_numbered(&log, 300, 1, 20_000).await, vec![300]);
    assert_numbered(&read_all(&log), 300);
}

#[tokio::test]
async fn seq_at_time_finds_the_first_record_at_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(dir.path(), small_segments()).unwrap();
    assert_eq!(log.seq_at_time(0), 0);
    assert_eq!(log.last_arrival_ms(), None);
    for (call, arrival) in [100, 200, 200, 300].into_iter().enumerate() {
        append_numbered(&log, call as u64 * 20, 20, arrival).await;
    }
    append_numbered(&log, 80, 20, 50).await;
    assert_eq!(log.read(80, 1, usize::MAX).unwrap()[0].arrival_ms, 300, "arrival clamped, never decreasing");
    assert_eq!(log.seq_at_time(i64::MIN), 0);
    assert_eq!(log.seq_at_time(100), 0);
    assert_eq!(log.seq_at_time(101), 20);
    assert_eq!(log.seq_at_time(200), 20);
    assert_eq!(log.seq_at_time(250), 60);
    assert_eq!(log.seq_at_time(300), 60);
    assert_eq!(log.seq_at_time(301), 100);
    assert_eq!(log.last_arrival_ms(), Some(300));
}

#[tokio::test]
async fn arrival_gaps_beyond_the_compact_range_roll_segments() {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(dir.path(), LogOptions::default()).unwrap();
    let day = 86_400_000i64;
    for (k, arrival) in [0, 30 * day, 60 * day, 90 * day].into_iter().enumerate() {
        append_numbered(&log, k as u64 * 3, 3, arrival).await;
    }
    assert!(segment_files(dir.path()).len() >= 2);
    assert_eq!(log.seq_at_time(60 * day), 6);
    assert_eq!(log.read(9, 1, usize::MAX).unwrap()[0].arrival_ms, 90 * day);
    drop(log);
    let log = ShardLog::open(dir.path(), LogOptions::default()).unwrap();
    assert_eq!(log.seq_at_time(60 * day + 1), 9);
    assert_numbered(&read_all(&log), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appenders_lose_nothing_and_never_share_a_seq() {
    let dir = tempfile::tempdir().unwrap();
    let log = Arc::new(
        ShardLog::open(dir.path(), LogOptions { segment_bytes: 64 << 10, sync: true, ..LogOptions::default() })
            .unwrap(),
    );
    let mut tasks = Vec::new();
    for task in 0..16u32 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for call in 0..25u32 {
                let data: Vec<String> = (0..20).map(|k| format!("t{task}-c{call}-r{k}")).collect();
                let records = data.iter().map(|d| record(&format!("t{task}"), d.as_bytes().to_vec())).collect();
                let seqs = log.append(records, i64::from(call)).await.unwrap();
                assert_eq!(seqs.len(), 20);
                assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "contiguous within a call");
                acked.extend(seqs.into_iter().zip(data));
            }
            acked
        }));
    }
    let mut acked = Vec::new();
    for task in tasks {
        let mine = task.await.unwrap();
        assert!(mine.windows(2).all(|w| w[1].0 > w[0].0), "a task's later appends get later seqs");
        acked.extend(mine);
    }
    acked.sort();
    assert_eq!(acked.len(), 16 * 25 * 20);
    assert!(acked.iter().enumerate().all(|(i, (seq, _))| *seq == i as u64), "no gap, no duplicate");
    let stored = read_all(&log);
    assert_eq!(stored.len(), acked.len());
    for (r, (seq, data)) in stored.iter().zip(&acked) {
        assert_eq!((r.seq, r.data.as_ref()), (*seq, data.as_bytes()));
    }
    let arrivals: Vec<i64> = stored.iter().map(|r| r.arrival_ms).collect();
    assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "arrival times never decrease along the log");
    let distinct: HashSet<&[u8]> = stored.iter().map(|r| r.data.as_ref()).collect();
    assert_eq!(distinct.len(), stored.len());
}

#[tokio::test]
async fn destroy_removes_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("shard-0");
    let log = ShardLog::open(&shard, LogOptions::default()).unwrap();
    append_numbered(&log, 0, 10, 1).await;
    log.destroy().unwrap();
    assert!(!shard.exists());
}

#[tokio::test]
async fn oversized_records_are_rejected_without_harming_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = ShardLog::open(dir.path(), LogOptions::default()).unwrap();
    let err = log.append(vec![record(&"k".repeat(70_000), "x")], 1).await.err().unwrap();
    assert!(matches!(err, StorageError::RecordTooLarge { .. }), "{err:?}");
    assert_eq!(append_numbered(&log, 0, 1, 1).await, vec![0]);
}

/// A log of small segments with `count` records; returns its segment files, oldest first.
async fn log_of_segments(dir: &Path, count: u64) -> Vec<PathBuf> {
    let log = ShardLog::open(dir, small_segments()).unwrap();
    append_numbered(&log, 0, count, 10).await;
    segment_files(dir)
}

#[tokio::test]
async fn a_bad_checksum_inside_a_sealed_segment_is_a_typed_error_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let segments = log_of_segments(dir.path(), 120).await;
    assert!(segments.len() >= 3, "{segments:?}");
    let sealed = &segments[1];
    let mut contents = std::fs::read(sealed).unwrap();
    // A byte a few records in: intact records before it and after it, so not a torn tail.
    contents[24 + 150] ^= 0x10;
    std::fs::write(sealed, contents).unwrap();

    for mode in [OpenMode::Existing, OpenMode::New] {
        let err = ShardLog::open_with(dir.path(), small_segments(), mode).err().unwrap();
        assert!(err.is_damage(), "{mode:?}: {err:?}");
        match &err {
            StorageError::Corrupt { path, offset, .. } => {
                assert_eq!(path, sealed);
                assert!(*offset > 24 && *offset < std::fs::metadata(sealed).unwrap().len(), "offset {offset}");
            }
            other => panic!("{mode:?}: expected Corrupt, got {other:?}"),
        }
    }
    assert_eq!(segment_files(dir.path()), segments, "a damaged log is left as it was");
}

#[tokio::test]
async fn a_zeroed_header_of_a_sealed_segment_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let segments = log_of_segments(dir.path(), 120).await;
    let mut contents = std::fs::read(&segments[0]).unwrap();
    contents[..24].fill(0);
    std::fs::write(&segments[0], contents).unwrap();
    let err = ShardLog::open_with(dir.path(), small_segments(), OpenMode::Existing).err().unwrap();
    assert!(matches!(&err, StorageError::Corrupt { path, offset: 0, .. } if path == &segments[0]), "{err:?}");
    assert!(err.is_damage());
    assert!(err.to_string().contains("00000000000000000000.seg"), "{err}");
}

#[tokio::test]
async fn an_existing_shard_whose_directory_is_missing_or_empty_is_an_error_not_a_new_log() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("stream-1").join("shardId-000000000000");
    let err = ShardLog::open_with(&shard, LogOptions::default(), OpenMode::Existing).err().unwrap();
    assert!(matches!(&err, StorageError::Missing { dir } if dir == &shard), "{err:?}");
    assert!(err.is_damage());
    assert!(!shard.exists() && !shard.parent().unwrap().exists(), "nothing is created");

    std::fs::create_dir_all(&shard).unwrap();
    let err = ShardLog::open_with(&shard, LogOptions::default(), OpenMode::Existing).err().unwrap();
    assert!(matches!(&err, StorageError::Corrupt { path, .. } if path == &shard), "{err:?}");
    assert!(segment_files(&shard).is_empty(), "no segment is made up");

    let log = ShardLog::open_with(&shard, LogOptions::default(), OpenMode::New).unwrap();
    append_numbered(&log, 0, 3, 1).await;
    drop(log);
    let log = ShardLog::open_with(&shard, LogOptions::default(), OpenMode::Existing).unwrap();
    assert_numbered(&read_all(&log), 0);
    assert!(!StorageError::Closed { dir: shard }.is_damage());
}

#[tokio::test]
async fn shard_directories_and_segment_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("stream-1");
    let shard = stream.join("shardId-000000000000");
    let segments = log_of_segments(&shard, 120).await;
    assert_eq!(mode(&stream), 0o700, "a parent the log creates");
    assert_eq!(mode(&shard), 0o700);
    assert!(segments.len() >= 2);
    for segment in &segments {
        assert_eq!(mode(segment), 0o600, "{}", segment.display());
    }
}
