//! Append throughput of the shard log: 4 logs (shards), each fed by concurrent writers sending
//! batches of 500 ~100-byte records with fdatasync on, until 1,000,000 records are stored.
//!
//! `cargo run --release --example shard_log_throughput [-- WRITERS_PER_SHARD]`

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use kinesis_console::cloud::storage::{LogOptions, NewRecord, ShardLog};

const SHARDS: usize = 4;
const BATCH: usize = 500;
const TOTAL: usize = 1_000_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let writers: usize = std::env::args().nth(1).map(|a| a.parse()).transpose()?.unwrap_or(4);
    let dir = tempfile::tempdir()?;
    let logs: Vec<Arc<ShardLog>> = (0..SHARDS)
        .map(|s| ShardLog::open(&dir.path().join(format!("shard-{s}")), LogOptions::default()).map(Arc::new))
        .collect::<Result<_, _>>()?;
    let batches_per_writer = TOTAL / BATCH / SHARDS / writers;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (s, log) in logs.iter().enumerate() {
        for w in 0..writers {
            let log = log.clone();
            tasks.push(tokio::spawn(async move {
                for b in 0..batches_per_writer {
                    let records = (0..BATCH)
                        .map(|i| NewRecord {
                            partition_key: format!("key-{s}-{w}-{i}"),
                            data: Bytes::from(format!(
                                "{{\"ticker\":\"AMZN\",\"price\":{b}.{i:03},\"writer\":{w},\"seq\":{i},\"pad\":\"xxxxxxxxxxxxxxx\"}}"
                            )),
                        })
                        .collect();
                    log.append(records, 0).await?;
                }
                anyhow::Ok(())
            }));
        }
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let records: u64 = logs.iter().map(|l| l.len()).sum();
    let index: usize = logs.iter().map(|l| l.index_bytes()).sum();
    let disk: u64 = logs.iter().map(|l| l.disk_bytes()).sum();
    println!("{SHARDS} shards x {writers} writers, batches of {BATCH}, sync on");
    println!("{records} records in {elapsed:.2} s = {:.0} records/s", records as f64 / elapsed);
    println!("index {index} bytes = {:.2} bytes/record; disk {disk} bytes", index as f64 / records as f64);
    Ok(())
}
