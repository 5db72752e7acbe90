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
    LogOptions { segment_bytes: 256 << 10, sync: true }
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

#[test]
fn acknowledged_records_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_writer_child", "--nocapture", "--test-threads=1"])
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
