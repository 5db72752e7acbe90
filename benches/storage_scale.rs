//! Shard log scale: memory, open files and read latency as records accumulate.
//!
//! Writes small records (16-byte data) across 4 shard logs directly through the storage layer (no
//! HTTP, no limits; appends of 1,000 records, no fdatasync so the disk's sync latency does not hide
//! the writer's own cost), first 1 M records, then `KC_SCALE_RECORDS` (100 M by default). For each it
//! reports write throughput, the process's RSS (VmRSS) and open files (/proc/self/fd), the p50/p99
//! of positioned reads (an iterator at a random AT_SEQUENCE_NUMBER or AT_TIMESTAMP, then one read of
//! up to 1,000 records, as GetShardIterator + GetRecords do), TRIM_HORIZON read throughput, and the
//! time to reopen the logs.
//!
//! Run: `cargo bench --bench storage_scale` (`KC_SCALE_RECORDS=10000000` for a quicker run). Data goes
//! to /tmp/storage-scale-<pid>, which is checked for free space first and removed at the end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use kinesis_console::cloud::storage::{LogOptions, NewRecord, OpenMode, ShardLog};

const SHARDS: u64 = 4;
const BATCH: u64 = 1_000;
const SMALL: u64 = 1_000_000;
const DEFAULT_BIG: u64 = 100_000_000;
/// Bytes a record takes on disk: frame prefix 8, arrival 8, key length 2, key ~6, data 16.
const FRAME_BYTES: u64 = 40;
const POSITIONED_READS: usize = 2_000;
const READ_LIMIT: usize = 1_000;
const T0: i64 = 1_700_000_000_000;

/// Removes the bench's data however the run ends.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        match std::fs::remove_dir_all(&self.0) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                eprintln!("could not remove {}: {e}", self.0.display());
            }
            _ => {}
        }
    }
}

fn main() -> anyhow::Result<()> {
    let big = match std::env::var("KC_SCALE_RECORDS") {
        Ok(v) => v.parse::<u64>().with_context(|| format!("KC_SCALE_RECORDS={v} is not a count"))?,
        Err(_) => DEFAULT_BIG,
    };
    let scratch = Scratch(PathBuf::from(format!("/tmp/storage-scale-{}", std::process::id())));
    let needed = (SMALL + big) * FRAME_BYTES * 11 / 10 + (1 << 30);
    let free = free_bytes(Path::new("/tmp"))?;
    if free < needed {
        bail!("/tmp has {} MB free; this run needs about {} MB", free >> 20, needed >> 20);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    println!(
        "{:>12} {:>10} {:>8} {:>7} {:>10} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8}",
        "records",
        "write/s",
        "RSS MB",
        "fds",
        "index KB",
        "seq p50",
        "seq p99",
        "time p50",
        "time p99",
        "horizon/s",
        "reopen s",
        "RSS MB"
    );
    for (n, name) in [(SMALL, "small"), (big, "big")] {
        let dir = scratch.0.join(name);
        let figures = runtime.block_on(run(&dir, n))?;
        figures.print(n);
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    println!(
        "(times in ms; RSS and fds after writing and reading; the last RSS after reopening and one read per shard)"
    );
    drop(scratch);
    Ok(())
}

struct Figures {
    write_per_sec: f64,
    rss_mb: f64,
    fds: usize,
    index_bytes: usize,
    seq: (f64, f64),
    time: (f64, f64),
    horizon_per_sec: f64,
    reopen_secs: f64,
    reopened_rss_mb: f64,
}

impl Figures {
    fn print(&self, n: u64) {
        println!(
            "{:>12} {:>10.0} {:>8.1} {:>7} {:>10.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>10.0} {:>8.1} {:>8.1}",
            n,
            self.write_per_sec,
            self.rss_mb,
            self.fds,
            self.index_bytes as f64 / 1024.0,
            self.seq.0,
            self.seq.1,
            self.time.0,
            self.time.1,
            self.horizon_per_sec,
            self.reopen_secs,
            self.reopened_rss_mb
        );
    }
}

fn options() -> LogOptions {
    LogOptions { segment_bytes: 64 << 20, sync: false, ..LogOptions::default() }
}

async fn run(dir: &Path, records: u64) -> anyhow::Result<Figures> {
    let per_shard = records / SHARDS;
    let mut logs = Vec::new();
    for shard in 0..SHARDS {
        let path = dir.join(format!("shard-{shard}"));
        logs.push(Arc::new(ShardLog::open(&path, options()).with_context(|| format!("opening {}", path.display()))?));
    }
    let started = Instant::now();
    let mut writers = Vec::new();
    for (shard, log) in logs.iter().enumerate() {
        let log = log.clone();
        writers.push(tokio::spawn(async move { write_shard(&log, shard as u64, per_shard).await }));
    }
    for w in writers {
        w.await??;
    }
    let write_per_sec = (per_shard * SHARDS) as f64 / started.elapsed().as_secs_f64();

    let batches = per_shard.div_ceil(BATCH) as i64;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let seq = positioned(&logs, &mut rng, |log, r| r % log.next_seq().max(1))?;
    let time = positioned(&logs, &mut rng, |log, r| log.seq_at_time(T0 + (r % batches.max(1) as u64) as i64))?;
    let horizon_per_sec = read_everything(&logs)?;
    let rss_mb = rss_kb()? as f64 / 1024.0;
    let fds = open_files()?;
    let index_bytes = logs.iter().map(|l| l.index_bytes()).sum();
    drop(logs);

    let started = Instant::now();
    let mut reopened = Vec::new();
    for shard in 0..SHARDS {
        let log = ShardLog::open_with(&dir.join(format!("shard-{shard}")), options(), OpenMode::Existing)?;
        log.read(log.first_seq(), 1, usize::MAX)?;
        reopened.push(log);
    }
    let reopen_secs = started.elapsed().as_secs_f64();
    let reopened_rss_mb = rss_kb()? as f64 / 1024.0;
    Ok(Figures { write_per_sec, rss_mb, fds, index_bytes, seq, time, horizon_per_sec, reopen_secs, reopened_rss_mb })
}

async fn write_shard(log: &ShardLog, shard: u64, count: u64) -> anyhow::Result<()> {
    let keys: Vec<String> = (0..16).map(|k| format!("pk{shard}-{k:x}")).collect();
    let mut written = 0;
    let mut batch_no = 0i64;
    while written < count {
        let n = BATCH.min(count - written);
        let records = (written..written + n)
            .map(|i| NewRecord {
                partition_key: keys[(i % 16) as usize].clone(),
                data: Bytes::copy_from_slice(&i.to_le_bytes().repeat(2)),
            })
            .collect();
        log.append(records, T0 + batch_no).await?;
        written += n;
        batch_no += 1;
    }
    Ok(())
}

/// p50 and p99 in ms of placing an iterator (`place`: the seq to read from) and reading once.
fn positioned(
    logs: &[Arc<ShardLog>],
    rng: &mut u64,
    place: impl Fn(&ShardLog, u64) -> u64,
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(POSITIONED_READS);
    for _ in 0..POSITIONED_READS {
        let r = next(rng);
        let log = &logs[(r % SHARDS) as usize];
        let started = Instant::now();
        let seq = place(log, next(rng));
        // GetRecords first moves a position older than the retention window forward.
        let from = seq.max(log.first_seq()).max(log.seq_at_time(T0 - 86_400_000));
        let got = log.read(from, READ_LIMIT, 10 << 20)?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if got.first().is_some_and(|r| r.seq != from) {
            bail!("a read from {from} started at {}", got[0].seq);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], times[times.len() * 99 / 100]))
}

/// Reads every shard from TRIM_HORIZON to the end in GetRecords-sized reads; records per second.
fn read_everything(logs: &[Arc<ShardLog>]) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut total = 0u64;
    for log in logs {
        let mut seq = log.first_seq();
        loop {
            let got = log.read(seq, 10_000, 10 << 20)?;
            let Some(last) = got.last() else { break };
            seq = last.seq + 1;
            total += got.len() as u64;
        }
        if seq != log.next_seq() {
            bail!("reading from TRIM_HORIZON stopped at {seq} of {}", log.next_seq());
        }
    }
    Ok(total as f64 / started.elapsed().as_secs_f64())
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn rss_kb() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS in /proc/self/status")?;
    line.split_whitespace().nth(1).context("VmRSS has no value")?.parse().context("VmRSS is not a number")
}

fn open_files() -> anyhow::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

/// Free bytes on the file system holding `dir`, from `df`.
fn free_bytes(dir: &Path) -> anyhow::Result<u64> {
    let out = std::process::Command::new("df").arg("-Pk").arg(dir).output().context("running df")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1).context("df printed no file system")?;
    let kb: u64 = line.split_whitespace().nth(3).context("df line has no free column")?.parse()?;
    Ok(kb * 1024)
}
