//! The sparse index and its files: a version 1 data dir read and upgraded, index files rebuilt when
//! missing or wrong, retention removing them with their segments, open files bounded by the cache, and
//! positioned reads that read about one index interval.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use kinesis_console::cloud::storage::{
    Disk, LogOptions, NewRecord, OpenMode, SegmentFiles, ShardLog, SimDisk, StoredRecord,
};

fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

/// What the fixture's writer appended: 12 calls of 5 records, a second apart.
fn fixture_record(seq: u64) -> (String, String, i64) {
    (format!("pk{seq}"), format!("record-{seq}"), 1_700_000_000_000 + (seq / 5) as i64 * 1000)
}

fn assert_fixture(records: &[StoredRecord], from: u64) {
    for (k, r) in records.iter().enumerate() {
        let (key, data, arrival) = fixture_record(from + k as u64);
        assert_eq!(r.seq, from + k as u64);
        assert_eq!((r.partition_key.as_str(), r.data.as_ref(), r.arrival_ms), (key.as_str(), data.as_bytes(), arrival));
    }
}

#[tokio::test]
async fn a_data_dir_of_format_version_1_is_read_and_upgraded_on_first_open() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shard_log/fixtures/v1-shard");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shard");
    copy_dir(&fixture, &dir);
    let segments = files_with(&dir, "seg");
    assert_eq!(segments.len(), 5);
    assert!(files_with(&dir, "idx").is_empty(), "version 1 had no index files");
    for segment in &segments {
        assert_eq!(std::fs::read(segment).unwrap()[4], 1, "the fixture is format version 1");
    }

    let small = || LogOptions { segment_bytes: 1024, ..LogOptions::default() };
    let log = ShardLog::open_with(&dir, small(), OpenMode::Existing).unwrap();
    assert_eq!(log.reindexed(), &segments[..4], "every sealed segment gains its index");
    assert_eq!(files_with(&dir, "idx").len(), 4);
    assert_eq!((log.first_seq(), log.next_seq(), log.len()), (0, 60, 60));
    assert_fixture(&log.read(0, usize::MAX, usize::MAX).unwrap(), 0);
    assert_fixture(&log.read(17, 3, usize::MAX).unwrap(), 17);
    assert_eq!(log.seq_at_time(1_700_000_004_000), 20);
    assert_eq!(log.seq_at_time(1_700_000_004_001), 25);
    assert_eq!(log.last_arrival_ms(), Some(1_700_000_011_000));

    let more = (60..100).map(|i| NewRecord { partition_key: format!("pk{i}"), data: Bytes::from(vec![7u8; 200]) });
    assert_eq!(log.append(more.collect(), 1_700_000_020_000).await.unwrap(), (60..100).collect::<Vec<_>>());
    drop(log);
    let newest = files_with(&dir, "seg").pop().unwrap();
    assert_eq!(std::fs::read(&newest).unwrap()[4], 2, "new segments are written as version 2");

    let log = ShardLog::open_with(&dir, small(), OpenMode::Existing).unwrap();
    assert!(log.reindexed().is_empty(), "upgraded once: {:?}", log.reindexed());
    assert_fixture(&log.read(0, 60, usize::MAX).unwrap(), 0);
    assert_eq!(log.read(60, usize::MAX, usize::MAX).unwrap().len(), 40);
}

fn record(i: u64) -> NewRecord {
    NewRecord {
        partition_key: format!("pk{}", i % 13),
        data: Bytes::from(format!("{i}-{}", "d".repeat((i % 150) as usize))),
    }
}

fn opts() -> LogOptions {
    LogOptions { segment_bytes: 32 << 10, sync: true, ..LogOptions::default() }
}

/// A log of 3,000 records in calls of 100, one call a second from t=1000, closed again.
async fn indexed_log(dir: &Path) -> Vec<PathBuf> {
    let log = ShardLog::open(dir, opts()).unwrap();
    for call in 0..30u64 {
        log.append((call * 100..call * 100 + 100).map(record).collect(), 1_000 + call as i64 * 1_000).await.unwrap();
    }
    files_with(dir, "seg")
}

fn check_every_position(log: &ShardLog) {
    for seq in (0..3_000).step_by(37).chain([0, 99, 100, 2_999]) {
        let got = log.read(seq, 5, usize::MAX).unwrap();
        let want: Vec<u64> = (seq..(seq + 5).min(3_000)).collect();
        assert_eq!(got.iter().map(|r| r.seq).collect::<Vec<_>>(), want, "read at {seq}");
        for r in &got {
            assert_eq!(r.data, record(r.seq).data, "data of {}", r.seq);
        }
    }
    for call in 0..30i64 {
        let at = 1_000 + call * 1_000;
        assert_eq!(log.seq_at_time(at), call as u64 * 100, "at {at}");
        assert_eq!(log.seq_at_time(at + 1), (call as u64 + 1) * 100, "at {}", at + 1);
    }
}

#[tokio::test]
async fn a_deleted_damaged_or_stale_index_file_is_rebuilt_on_open_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let segments = indexed_log(dir.path()).await;
    assert!(segments.len() >= 5, "{segments:?}");
    let indexes = files_with(dir.path(), "idx");
    assert_eq!(indexes.len(), segments.len() - 1, "every sealed segment has its index, the open one not");
    let idx = |i: usize| segments[i].with_extension("idx");

    std::fs::remove_file(idx(0)).unwrap();
    let mut damaged = std::fs::read(idx(1)).unwrap();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x01;
    std::fs::write(idx(1), damaged).unwrap();
    std::fs::copy(idx(3), idx(2)).unwrap();
    let torn = std::fs::read(idx(3)).unwrap();
    std::fs::write(idx(3), &torn[..torn.len() / 3]).unwrap();

    let log = ShardLog::open_with(dir.path(), opts(), OpenMode::Existing).expect("not damage: the records are intact");
    assert_eq!(log.reindexed(), &segments[..4]);
    check_every_position(&log);
    drop(log);

    let log = ShardLog::open_with(dir.path(), opts(), OpenMode::Existing).unwrap();
    assert!(log.reindexed().is_empty(), "rewritten for good: {:?}", log.reindexed());
    check_every_position(&log);
}

#[tokio::test]
async fn retention_frees_whole_segments_with_their_index_files() {
    let dir = tempfile::tempdir().unwrap();
    let segments = indexed_log(dir.path()).await;
    let own = LogOptions { files: SegmentFiles::new(8), ..opts() };
    let log = ShardLog::open(dir.path(), own).unwrap();
    let first_kept = log.read(0, usize::MAX, usize::MAX).unwrap();
    assert_eq!(first_kept.len(), 3_000);

    log.trim_before(15_500).unwrap();
    let first = log.first_seq();
    assert!(first > 0 && first <= 1_500, "first_seq {first}");
    let left = files_with(dir.path(), "seg");
    assert!(left.len() < segments.len());
    let expected: Vec<PathBuf> = left[..left.len() - 1].iter().map(|s| s.with_extension("idx")).collect();
    assert_eq!(files_with(dir.path(), "idx"), expected, "an index file goes with its segment");
    assert_eq!(log.read(0, 1, usize::MAX).unwrap()[0].seq, first);

    log.trim_before(i64::MAX).unwrap();
    assert_eq!(files_with(dir.path(), "seg").len(), 1);
    assert!(files_with(dir.path(), "idx").is_empty());
    assert_eq!(log.segment_files().open_segments(), 0, "no handle of a deleted segment is kept");

    // An index whose segment is gone (a crash between the two deletions) is removed at open.
    std::fs::write(dir.path().join("00000000000000000000.idx"), b"orphan").unwrap();
    drop(log);
    let log = ShardLog::open(dir.path(), opts()).unwrap();
    assert!(files_with(dir.path(), "idx").is_empty());
    assert_eq!((log.len(), log.next_seq()), (0, 3_000));
}

#[tokio::test]
async fn sealed_segments_of_every_shard_share_a_bounded_set_of_open_files() {
    let tmp = tempfile::tempdir().unwrap();
    let files = SegmentFiles::new(3);
    let mut logs = Vec::new();
    for shard in 0..6 {
        let dir = tmp.path().join(format!("shard-{shard}"));
        let opts = LogOptions { segment_bytes: 4 << 10, sync: false, files: files.clone() };
        let log = ShardLog::open(&dir, opts).unwrap();
        log.append((0..300).map(record).collect(), 5).await.unwrap();
        assert!(files_with(&dir, "seg").len() > 5);
        logs.push(log);
    }
    for round in 0..2 {
        for log in &logs {
            let all = log.read(0, usize::MAX, usize::MAX).unwrap();
            assert_eq!(all.len(), 300, "round {round}");
            assert!(all.iter().enumerate().all(|(i, r)| r.seq == i as u64 && r.data == record(i as u64).data));
            assert_eq!(log.read(151, 1, usize::MAX).unwrap()[0].seq, 151);
            assert!(files.open_segments() <= 3, "{} sealed segments open", files.open_segments());
        }
    }
    assert_eq!(files.capacity(), 3);
    drop(logs);
    assert_eq!(files.open_segments(), 0, "a closed log's files are closed");
}

#[tokio::test]
async fn a_positioned_read_of_a_few_records_reads_about_one_index_interval() {
    let sim = SimDisk::new();
    let dir = Path::new("/data/shard-0");
    let opts = LogOptions { segment_bytes: 2 << 20, sync: false, files: SegmentFiles::new(4) };
    let log = ShardLog::open_on(&Disk::Sim(sim.clone()), dir, opts, OpenMode::New).unwrap();
    for call in 0..100u64 {
        log.append((call * 1_000..call * 1_000 + 1_000).map(record).collect(), 1_000 + call as i64).await.unwrap();
    }
    assert!(sim.list_files(dir).len() > 4, "sealed segments and their index files: {:?}", sim.list_files(dir));
    // Sealed segments (their index files searched) and the open one (entries in memory), as
    // GetRecords asks: ten records, a 10 MB budget.
    for seq in [5_123, 41_000, 77_777, 99_950] {
        let before = sim.bytes_read();
        let got = log.read(seq, 10, 10 << 20).unwrap();
        let read = sim.bytes_read() - before;
        assert_eq!(got.iter().map(|r| r.seq).collect::<Vec<_>>(), (seq..seq + 10).collect::<Vec<_>>());
        assert!(got.iter().all(|r| r.data == record(r.seq).data), "data at {seq}");
        assert!(read <= 16 << 10, "a read of 10 records at {seq} read {read} bytes");
    }
    let before = sim.bytes_read();
    let all = log.read(0, usize::MAX, usize::MAX).unwrap();
    assert_eq!(all.len(), 100_000);
    let data: u64 = all.iter().map(|r| r.data.len() as u64 + 30).sum();
    assert!(sim.bytes_read() - before < data * 2, "a whole read reads each byte about once");
}
