//! Crash durability of the shard log: a child process appends under load and is killed with
//! SIGKILL; every append it acknowledged must be on disk afterwards, and nothing it never sent.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kinesis_console::cloud::storage::{LogOptions, NewRecord, ShardLog};

const CHILD_ENV: &str = "KC_SHARD_LOG_CRASH_DIR";
const WRITERS: u32 = 4;
const BATCH: u32 = 50;

fn options() -> LogOptions {
    LogOptions { segment_bytes: 256 << 10, sync: true, ..LogOptions::default() }
}

fn record_data(writer: u32, call: u32, k: u32) -> String {
    format!("w{writer}-c{call}-r{k}-{}", "p".repeat((k % 23) as usize))
}

/// Whether `data` is something the child could have sent, under the key it would have used.
fn was_sent(key: &str, data: &str) -> bool {
    let mut parts = data.splitn(4, '-');
    let mut field = |prefix: char| parts.next().and_then(|p| p.strip_prefix(prefix)?.parse::<u32>().ok());
    match (field('w'), field('c'), field('r')) {
        (Some(w), Some(c), Some(r)) => r < BATCH && key == format!("w{w}") && data == record_data(w, c, r),
        _ => false,
    }
}

/// The writer the parent test runs as a child process; a no-op in an ordinary test run.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else { return };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        let log = Arc::new(ShardLog::open(Path::new(&dir), options()).unwrap());
        let mut tasks = Vec::new();
        for writer in 0..WRITERS {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for call in 0.. {
                    let data: Vec<String> = (0..BATCH).map(|k| record_data(writer, call, k)).collect();
                    let records = data
                        .iter()
                        .map(|d| NewRecord { partition_key: format!("w{writer}"), data: Bytes::from(d.clone()) })
                        .collect();
                    let seqs = log.append(records, i64::from(call)).await.unwrap();
                    let mut out = std::io::stdout().lock();
                    for (seq, d) in seqs.iter().zip(&data) {
                        if writeln!(out, "ack {seq} {d}").is_err() {
                            return;
                        }
                    }
                    if out.flush().is_err() {
                        return;
                    }
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    });
}

/// The child test's name as the harness knows it: its module path without the crate's name, so the
/// filter still matches wherever the file sits in the test binary.
fn child_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    if module.is_empty() { "crash_writer_child".to_string() } else { format!("{module}::crash_writer_child") }
}

#[test]
fn acknowledged_records_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &child_test_name(), "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        // Only whole lines count: the kill can cut the last one short.
        while stdout.read_line(&mut line).is_ok_and(|n| n > 0) && line.ends_with('\n') {
            if lines_tx.send(line.trim_end().to_string()).is_err() {
                break;
            }
            line.clear();
        }
    });

    let mut acked: HashMap<u64, String> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.len() < 5_000 {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines.recv_timeout(left).expect("the child acknowledged 5,000 records before the deadline");
        record_ack(&mut acked, &line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    // Lines already printed were acknowledged before the kill.
    for line in lines.try_iter() {
        record_ack(&mut acked, &line);
    }

    let log = ShardLog::open(dir.path(), options()).unwrap();
    let stored = log.read(0, usize::MAX, usize::MAX).unwrap();
    assert!(stored.iter().enumerate().all(|(i, r)| r.seq == i as u64), "seqs contiguous from 0");
    assert_eq!(log.next_seq(), stored.len() as u64);
    let by_seq: HashMap<u64, &[u8]> = stored.iter().map(|r| (r.seq, r.data.as_ref())).collect();
    for (seq, data) in &acked {
        assert_eq!(by_seq.get(seq).copied(), Some(data.as_bytes()), "acknowledged seq {seq} is intact");
    }
    let mut seen = HashSet::new();
    for r in &stored {
        let data = std::str::from_utf8(&r.data).unwrap();
        assert!(was_sent(&r.partition_key, data), "seq {} holds {data:?}, which was never sent", r.seq);
        assert!(seen.insert(data), "{data:?} stored twice");
    }
    assert!(stored.len() >= acked.len());
}

fn record_ack(acked: &mut HashMap<u64, String>, line: &str) {
    let mut parts = line.splitn(3, ' ');
    if let (Some("ack"), Some(seq), Some(data)) = (parts.next(), parts.next(), parts.next())
        && let Ok(seq) = seq.parse()
    {
        acked.insert(seq, data.to_string());
    }
}

// On a simulated disk that drops, at a crash, everything not made durable by a file or directory
// sync: unlike SIGKILL, these tests fail when a sync the log needs is missing.

mod simulated {
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::Arc;

    use bytes::Bytes;
    use kinesis_console::cloud::storage::{Disk, LogOptions, NewRecord, OpenMode, ShardLog, SimDisk, StoredRecord};
    use proptest::prelude::*;
    use proptest::test_runner::Config;

    const SHARD: &str = "/data/streams/orders-1/shardId-000000000000";

    fn options() -> LogOptions {
        LogOptions { segment_bytes: 1024, sync: true, ..LogOptions::default() }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    fn data(round: usize, call: usize, k: usize, size: usize) -> String {
        format!("r{round}-c{call}-k{k}-{}", "x".repeat(size))
    }

    fn records(round: usize, call: usize, sizes: &[usize]) -> Vec<NewRecord> {
        let make = |(k, size): (usize, &usize)| NewRecord {
            partition_key: format!("c{call}"),
            data: Bytes::from(data(round, call, k, *size)),
        };
        sizes.iter().enumerate().map(make).collect()
    }

    fn read_all(log: &ShardLog) -> Vec<StoredRecord> {
        log.read(0, usize::MAX, usize::MAX).unwrap()
    }

    /// Every acknowledged record retention has not reached is there with its seq; everything there
    /// was sent, once, in seq order.
    fn check_recovered(
        stored: &[StoredRecord],
        acked: &HashMap<u64, String>,
        trimmed_below: u64,
        sent: &[String],
    ) -> Result<(), TestCaseError> {
        let by_seq: HashMap<u64, &[u8]> = stored.iter().map(|r| (r.seq, r.data.as_ref())).collect();
        for (seq, data) in acked.iter().filter(|(seq, _)| **seq >= trimmed_below) {
            prop_assert_eq!(by_seq.get(seq).copied(), Some(data.as_bytes()), "acknowledged seq {} is intact", seq);
        }
        prop_assert!(stored.windows(2).all(|w| w[0].seq < w[1].seq), "seqs strictly increase");
        let mut seen = std::collections::HashSet::new();
        for r in stored {
            let text = String::from_utf8_lossy(&r.data).into_owned();
            prop_assert!(sent.contains(&text), "seq {} holds {:?}, which was never sent", r.seq, text);
            prop_assert!(seen.insert(text), "a record is stored twice");
        }
        Ok(())
    }

    /// A transient fault during one round of appends, cleared before the next round.
    #[derive(Clone, Copy, Debug)]
    enum Fault {
        None,
        /// Room for this many more bytes: the write that passes it is cut short with ENOSPC.
        Full(u64),
        FailingSyncs,
        /// Retention up to the round's arrival time runs beside the appends.
        Trim,
    }

    type Round = (Vec<Vec<usize>>, Fault);

    fn set_fault(disk: &SimDisk, fault: Fault) {
        disk.set_capacity(match fault {
            Fault::Full(room) => Some(disk.bytes_used() + room),
            _ => None,
        });
        disk.set_failing_syncs(matches!(fault, Fault::FailingSyncs));
    }

    /// Rounds of concurrent appends, some under a transient fault, on a disk whose power goes after
    /// `cut` changes; then a crash keeping, by `seed`, part of what was not synced; then recovery.
    /// Until the power goes, readers see exactly the acknowledged records after every round.
    fn crash_case(cut: u64, seed: u64, rounds: &[Round]) -> Result<(), TestCaseError> {
        let disk = SimDisk::new();
        disk.cut_power_after(cut);
        let dir = Path::new(SHARD);
        let mut acked = HashMap::new();
        let mut trimmed_below = 0;
        let mut sent = Vec::new();
        let opened = runtime().block_on(async {
            let Ok(log) = ShardLog::open_on(&Disk::Sim(disk.clone()), dir, options(), OpenMode::New) else {
                return Ok(false);
            };
            let log = Arc::new(log);
            for (round, (calls, fault)) in rounds.iter().enumerate() {
                set_fault(&disk, *fault);
                let mut tasks = Vec::new();
                for (call, sizes) in calls.iter().enumerate() {
                    sent.extend(sizes.iter().enumerate().map(|(k, size)| data(round, call, k, *size)));
                    let (log, batch) = (log.clone(), records(round, call, sizes));
                    let texts: Vec<String> = sizes.iter().enumerate().map(|(k, s)| data(round, call, k, *s)).collect();
                    tasks.push(tokio::spawn(async move { (log.append(batch, round as i64).await, texts) }));
                }
                if matches!(fault, Fault::Trim) {
                    let _ = log.trim_before(round as i64);
                    trimmed_below = log.first_seq();
                }
                for task in tasks {
                    if let (Ok(seqs), texts) = task.await.unwrap() {
                        for (seq, text) in seqs.into_iter().zip(texts) {
                            prop_assert!(acked.insert(seq, text).is_none(), "seq {} acknowledged twice", seq);
                        }
                    }
                }
                set_fault(&disk, Fault::None);
                if let Ok(visible) = log.read(0, usize::MAX, usize::MAX) {
                    let visible: HashMap<u64, String> =
                        visible.iter().map(|r| (r.seq, String::from_utf8_lossy(&r.data).into_owned())).collect();
                    let retained: HashMap<u64, String> =
                        acked.iter().filter(|(s, _)| **s >= log.first_seq()).map(|(s, d)| (*s, d.clone())).collect();
                    prop_assert_eq!(
                        &visible,
                        &retained,
                        "round {}: readers see exactly the acknowledged records",
                        round
                    );
                }
            }
            Ok(true)
        })?;
        disk.crash(seed);
        // Once an open returned, the shard's directory and first segment are durable.
        let mode = if opened { OpenMode::Existing } else { OpenMode::New };
        let log = ShardLog::open_on(&Disk::Sim(disk.clone()), dir, options(), mode)
            .map_err(|e| TestCaseError::fail(format!("reopening after the crash: {e}")))?;
        let stored = read_all(&log);
        check_recovered(&stored, &acked, trimmed_below, &sent)?;
        let before = stored.last().map_or(0, |r| r.seq + 1);
        prop_assert!(log.next_seq() >= before);
        let again = runtime().block_on(log.append(records(99, 0, &[3]), 1_000)).unwrap();
        prop_assert!(again[0] >= before && acked.keys().all(|s| *s < again[0]), "seqs never repeat");
        Ok(())
    }

    fn rounds() -> impl Strategy<Value = Vec<Round>> {
        let call = prop::collection::vec(0usize..300, 1..6);
        let fault = prop_oneof![
            6 => Just(Fault::None),
            1 => (0u64..600).prop_map(Fault::Full),
            1 => Just(Fault::FailingSyncs),
            1 => Just(Fault::Trim),
        ];
        prop::collection::vec((prop::collection::vec(call, 1..4), fault), 1..10)
    }

    proptest! {
        #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

        #[test]
        fn acknowledged_appends_survive_a_crash_at_any_step(cut in 0u64..160, seed in any::<u64>(), rounds in rounds()) {
            crash_case(cut, seed, &rounds)?;
        }
    }

    #[test]
    fn a_crash_after_every_step_loses_no_acknowledged_append() {
        let rounds: Vec<Round> = (0..6).map(|r| (vec![vec![200 + r; 3], vec![50; 2]], Fault::None)).collect();
        let full = SimDisk::new();
        runtime().block_on(async {
            let log = ShardLog::open_on(&Disk::Sim(full.clone()), Path::new(SHARD), options(), OpenMode::New).unwrap();
            for (calls, _) in &rounds {
                for sizes in calls {
                    log.append(records(0, 0, sizes), 0).await.unwrap();
                }
            }
        });
        for cut in 0..=full.changes() {
            for seed in 0..3 {
                if let Err(e) = crash_case(cut, seed, &rounds) {
                    panic!("power cut after {cut} changes, crash seed {seed}: {e}");
                }
            }
        }
    }
}

/// A full or failing disk refuses appends, shows readers nothing of them, and the log takes appends
/// again once the disk recovers, without reopening; seqs never repeat and a crash afterwards keeps
/// exactly the acknowledged records.
mod full_disk {
    use std::path::Path;

    use bytes::Bytes;
    use kinesis_console::cloud::storage::{Disk, LogOptions, NewRecord, OpenMode, ShardLog, SimDisk};

    const SHARD: &str = "/data/streams/orders-1/shardId-000000000000";

    fn batch(tag: &str, n: usize, size: usize) -> Vec<NewRecord> {
        let record =
            |k| NewRecord { partition_key: "pk".into(), data: Bytes::from(format!("{tag}-{k}-{}", "d".repeat(size))) };
        (0..n).map(record).collect()
    }

    fn contents(log: &ShardLog) -> Vec<(u64, String)> {
        let records = log.read(0, usize::MAX, usize::MAX).unwrap();
        records.into_iter().map(|r| (r.seq, String::from_utf8(r.data.to_vec()).unwrap())).collect()
    }

    fn expected(acked: &[(Vec<u64>, &str, usize, usize)]) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        for (seqs, tag, _, size) in acked {
            out.extend(seqs.iter().enumerate().map(|(k, s)| (*s, format!("{tag}-{k}-{}", "d".repeat(*size)))));
        }
        out
    }

    /// Runs the scenario with `fail` switching the fault on or off.
    async fn refuse_then_recover(disk: &SimDisk, fail: impl Fn(bool)) {
        let log = ShardLog::open_on(
            &Disk::Sim(disk.clone()),
            Path::new(SHARD),
            LogOptions { segment_bytes: 4096, sync: true, ..LogOptions::default() },
            OpenMode::New,
        )
        .unwrap();
        let mut acked = Vec::new();
        for tag in ["a", "b", "c"] {
            acked.push((log.append(batch(tag, 4, 100), 10).await.unwrap(), tag, 4, 100));
        }
        let before = contents(&log);
        let next_before = log.next_seq();

        fail(true);
        for attempt in 0..3 {
            let err = log.append(batch("lost", 6, 150), 11).await.unwrap_err();
            assert!(err.to_string().contains(SHARD), "attempt {attempt}: the error names the shard: {err}");
            assert_eq!(contents(&log), before, "attempt {attempt}: readers see nothing of a refused append");
            assert!(log.next_seq() >= next_before);
        }
        let segments = disk.list_files(Path::new(SHARD)).len();
        assert!(segments <= 3, "refused appends do not pile up empty segments: {segments}");

        fail(false);
        let seqs = log.append(batch("d", 5, 120), 12).await.expect("the log accepts appends once the disk recovers");
        assert!(seqs[0] >= next_before, "seqs never repeat: {seqs:?} after {next_before}");
        acked.push((seqs, "d", 5, 120));
        acked.push((log.append(batch("e", 40, 90), 13).await.unwrap(), "e", 40, 90));
        assert_eq!(contents(&log), expected(&acked));
        drop(log);

        // Nothing of the refused appends comes back after a crash either, whatever the crash keeps.
        for seed in 0..8 {
            disk.crash(seed);
            let log = ShardLog::open_on(
                &Disk::Sim(disk.clone()),
                Path::new(SHARD),
                LogOptions::default(),
                OpenMode::Existing,
            )
            .unwrap();
            assert_eq!(contents(&log), expected(&acked), "crash seed {seed}");
        }
    }

    #[tokio::test]
    async fn a_full_disk_refuses_appends_and_the_log_recovers_when_space_returns() {
        let disk = SimDisk::new();
        let sized = disk.clone();
        // Room for part of the next batch: the write is cut short, as ENOSPC does.
        refuse_then_recover(&disk, move |full| sized.set_capacity(full.then(|| sized.bytes_used() + 300))).await;
    }

    #[tokio::test]
    async fn failing_syncs_refuse_appends_and_the_log_recovers_when_they_succeed() {
        let disk = SimDisk::new();
        let faulty = disk.clone();
        refuse_then_recover(&disk, move |failing| faulty.set_failing_syncs(failing)).await;
    }
}
