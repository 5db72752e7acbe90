//! `kill -9` of a `local serve` process while a Kinesis-source delivery stream delivers, restarted on the
//! same data dir, several rounds: every record Kinesis acknowledged reaches S3 at least once, and every
//! record delivered twice is accounted for by the duplicate count the service logs under
//! `/aws/kinesisfirehose/<name>`.
//!
//! What this proves and what it cannot: SIGKILL ends the process at an arbitrary instruction but keeps
//! the kernel's page cache, so a write that was never synced still survives it. The rounds therefore
//! prove the *order* of the delivery's steps (positions advance only after the object is written, and a
//! restart resumes from the committed positions) and the restart's recovery, not that anything reached
//! the disk. For that the host runs under `strace` when it is installed: the trace shows whether each
//! delivered object's file was fsynced before it was renamed into place, and whether a sync of the
//! Firehose state file (`firehose/firehose.redb`, where positions are committed) followed it before the
//! kill. A power cut between the two is the case this test cannot produce; the trace shows it is covered.

use crate::{firehose_support, support};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_firehose::types::{
    BufferingHints, CompressionFormat, DeliveryStreamType, ExtendedS3DestinationConfiguration,
    KinesisStreamSourceConfiguration,
};
use firehose_support::Sent;
use kinesis_console::cloud::admin_client::AdminClient;
use kinesis_console::cloud::host::EndpointInfo;
use serde_json::json;

const STREAM: &str = "crash-src";
const BUCKET: &str = "crash-out";
const DELIVERY: &str = "crash-to-s3";
const ROLE: &str = "arn:aws:iam::000000000000:role/firehose";
const PER_ROUND: u64 = 1_500;

/// A `local serve --virtual-clock` process (under `strace` when `trace` is given).
struct Host {
    child: Child,
    endpoint: EndpointInfo,
    /// Set once the server was sent SIGKILL: its pid is never signalled twice (it could be reused).
    killed: std::cell::Cell<bool>,
}

impl Drop for Host {
    fn drop(&mut self) {
        self.sigkill();
        let _ = self.child.wait();
    }
}

impl Host {
    fn start(dir: &Path, trace: Option<&Path>) -> Host {
        let exe = env!("CARGO_BIN_EXE_kinesis-console");
        let mut cmd = match trace {
            Some(log) => {
                let mut c = Command::new("strace");
                c.args([
                    "-f",
                    "-y",
                    "-qq",
                    "-e",
                    "signal=none",
                    "-e",
                    "trace=fsync,fdatasync,rename,renameat,renameat2",
                ])
                .arg("-o")
                .arg(log)
                .arg(exe);
                c
            }
            None => Command::new(exe),
        };
        cmd.env("AWS_EC2_METADATA_DISABLED", "true")
            .arg("--data-dir")
            .arg(dir)
            .args(["--output", "json", "local", "serve", "--port", "0", "--virtual-clock"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("local serve starts");
        let stdout = child.stdout.take().expect("serve's stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                text.push_str(&line);
                if line.starts_with('}') {
                    let _ = tx.send(text.clone());
                }
            }
        });
        let text = rx.recv_timeout(Duration::from_secs(60)).expect("serve prints its endpoint within 60 s");
        let info: serde_json::Value = serde_json::from_str(&text).expect("serve prints JSON");
        let s = |k: &str| info[k].as_str().unwrap_or_default().to_string();
        let endpoint = EndpointInfo {
            url: s("url"),
            region: s("region"),
            access_key_id: s("access_key_id"),
            secret_access_key: s("secret_access_key"),
            pid: info["pid"].as_u64().expect("serve prints its pid") as u32,
            version: kinesis_console::VERSION.to_string(),
        };
        Host { child, endpoint, killed: std::cell::Cell::new(false) }
    }

    /// SIGKILL to the server itself (not to `strace` around it).
    fn sigkill(&self) {
        if self.killed.replace(true) {
            return;
        }
        // SAFETY: kill(2) with a pid this test started and SIGKILL; no memory is involved.
        unsafe { libc::kill(self.endpoint.pid as libc::pid_t, libc::SIGKILL) };
    }

    fn kill_and_wait(mut self) {
        self.sigkill();
        self.child.wait().expect("the killed host is reaped");
    }

    async fn clients(
        &self,
    ) -> (aws_sdk_kinesis::Client, aws_sdk_s3::Client, aws_sdk_firehose::Client, aws_sdk_cloudwatchlogs::Client) {
        let config = kinesis_console::target::local_sdk_config(&self.endpoint).await;
        (
            aws_sdk_kinesis::Client::new(&config),
            aws_sdk_s3::Client::new(&config),
            aws_sdk_firehose::Client::new(&config),
            aws_sdk_cloudwatchlogs::Client::new(&config),
        )
    }

    fn admin(&self) -> AdminClient {
        AdminClient::new(self.endpoint.clone())
    }

    async fn advance(&self, seconds: u64) {
        let state = self.admin().post("clock", json!({ "advance_ms": seconds * 1000 })).await.expect("clock moves");
        assert_eq!(state["settled"], true, "the host's background work caught up with the clock");
    }
}

async fn create_pipeline(host: &Host) {
    let (k, s3, fh, _) = host.clients().await;
    k.create_stream().stream_name(STREAM).shard_count(2).send().await.expect("CreateStream");
    s3.create_bucket().bucket(BUCKET).send().await.expect("CreateBucket");
    let mut active = false;
    for _ in 0..60 {
        let d = k.describe_stream_summary().stream_name(STREAM).send().await.expect("DescribeStreamSummary");
        if d.stream_description_summary().map(|s| s.stream_status().as_str()) == Some("ACTIVE") {
            active = true;
            break;
        }
        host.advance(1).await;
    }
    assert!(active, "{STREAM} becomes ACTIVE");
    let arn = format!("arn:aws:kinesis:us-east-1:000000000000:stream/{STREAM}");
    let arn = k
        .describe_stream_summary()
        .stream_name(STREAM)
        .send()
        .await
        .ok()
        .and_then(|d| d.stream_description_summary().map(|s| s.stream_arn().to_string()))
        .unwrap_or(arn);
    let destination = ExtendedS3DestinationConfiguration::builder()
        .role_arn(ROLE)
        .bucket_arn(format!("arn:aws:s3:::{BUCKET}"))
        .prefix("data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/")
        .error_output_prefix("errors/!{firehose:error-output-type}/")
        .buffering_hints(BufferingHints::builder().size_in_mbs(1).interval_in_seconds(60).build())
        .compression_format(CompressionFormat::Gzip)
        .build()
        .expect("a destination");
    fh.create_delivery_stream()
        .delivery_stream_name(DELIVERY)
        .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
        .kinesis_stream_source_configuration(
            KinesisStreamSourceConfiguration::builder()
                .kinesis_stream_arn(arn)
                .role_arn(ROLE)
                .build()
                .expect("a source"),
        )
        .extended_s3_destination_configuration(destination)
        .send()
        .await
        .expect("CreateDeliveryStream");
    for _ in 0..60 {
        let d =
            fh.describe_delivery_stream().delivery_stream_name(DELIVERY).send().await.expect("DescribeDeliveryStream");
        if d.delivery_stream_description().map(|d| d.delivery_stream_status().as_str()) == Some("ACTIVE") {
            return;
        }
        host.advance(1).await;
    }
    panic!("{DELIVERY} never became ACTIVE");
}

/// Object files of the bucket on disk (temporary files start with `.`).
fn object_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut pending = vec![dir.join("s3").join(BUCKET)];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                pending.push(path);
            } else if !e.file_name().to_string_lossy().starts_with('.') {
                n += 1;
            }
        }
    }
    n
}

/// Where a round kills the host.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// After an advance that delivered has settled: between deliveries.
    BetweenAdvances,
    /// As soon as a new object file appears while an advance is delivering: inside a delivery.
    DuringDelivery,
    /// Right after the records are acknowledged, before any delivery of them.
    BeforeDelivery,
}

async fn kill_at(host: Host, dir: &Path, point: KillPoint) {
    match point {
        KillPoint::BetweenAdvances => host.advance(61).await,
        KillPoint::BeforeDelivery => {}
        KillPoint::DuringDelivery => {
            let before = object_files(dir);
            let admin = host.admin();
            let mut advancing = tokio::spawn(async move { admin.post("clock", json!({ "advance_ms": 61_000 })).await });
            let deadline = Instant::now() + Duration::from_secs(30);
            // Waits on the advance itself, looking for a new object file each millisecond it has not ended.
            let mut advanced = false;
            while object_files(dir) == before && !advanced {
                assert!(Instant::now() < deadline, "no object written within 30 s of the advance");
                advanced = tokio::time::timeout(Duration::from_millis(1), &mut advancing).await.is_ok();
            }
            host.sigkill();
            if !advanced {
                let _ = advancing.await;
            }
        }
    }
    host.kill_and_wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_delivery_loses_nothing_and_counts_every_duplicate() {
    support::init_env();
    let dir = tempfile::Builder::new().prefix("kinesis-console-crash-").tempdir().expect("a data dir");
    let strace = Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success());
    if !strace {
        eprintln!("strace is not installed: whether objects and positions were synced is not checked");
    }
    let trace = |round: usize| strace.then(|| dir.path().join(format!("strace-{round}.log")));
    let data = dir.path().join("data");
    let points =
        [KillPoint::DuringDelivery, KillPoint::BetweenAdvances, KillPoint::DuringDelivery, KillPoint::BeforeDelivery];
    let mut sent: Vec<Sent> = Vec::new();
    for (round, point) in points.iter().enumerate() {
        let host = Host::start(&data, trace(round).as_deref());
        if round == 0 {
            create_pipeline(&host).await;
        }
        let (k, ..) = host.clients().await;
        let ids = round as u64 * PER_ROUND..(round as u64 + 1) * PER_ROUND;
        sent.extend(firehose_support::put_records(&k, STREAM, ids, || host.advance(1)).await);
        kill_at(host, &data, *point).await;
    }

    let host = Host::start(&data, None);
    let (_, s3, _, logs) = host.clients().await;
    let mut objects = Vec::new();
    for _ in 0..10 {
        host.advance(61).await;
        objects = firehose_support::delivered_objects(&s3, BUCKET, "data/").await;
        if firehose_support::compare(&sent, &objects).0.is_empty() {
            break;
        }
    }
    let (missing, invented, extra) = firehose_support::compare(&sent, &objects);
    assert!(missing.is_empty(), "{} acknowledged records lost, first {:?}", missing.len(), missing.first());
    assert!(invented.is_empty(), "records delivered that were never put: {invented:?}");
    let logged = firehose_support::logged_duplicates(&logs, DELIVERY).await;
    eprintln!(
        "{} records, {} objects, {extra} delivered twice, {logged} counted as duplicates",
        sent.len(),
        objects.len()
    );
    assert!(extra <= logged, "{extra} records delivered twice but only {logged} counted in the service's log");
    drop(host);

    if strace {
        for (round, point) in points.iter().enumerate() {
            let log = trace(round).expect("traced");
            let report = sync_report(&log);
            eprintln!("round {round} ({point:?}): {report:?}");
            assert_eq!(report.unsynced_objects, 0, "round {round}: an object renamed into place before it was fsynced");
            assert!(
                report.objects_without_state_sync <= 1,
                "round {round}: only the object the kill interrupted may lack the state sync after it: {report:?}"
            );
        }
    }
}

/// What one host's `strace` shows of its deliveries.
#[derive(Debug, Default)]
struct SyncReport {
    /// Objects renamed into the bucket.
    objects: usize,
    /// ... of which the temporary file was not fsynced first.
    unsynced_objects: usize,
    /// ... after which no completed sync of the Firehose state file followed before the kill.
    objects_without_state_sync: usize,
}

/// Reads an `strace -f -y` log: renames into `s3/<bucket>/`, fsyncs of their temporary files before
/// them, and completed syncs of `firehose/firehose.redb` after them.
fn sync_report(log: &PathBuf) -> SyncReport {
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let mut synced_tmp = std::collections::HashSet::new();
    let mut state_syncs_pending: std::collections::HashMap<String, bool> = Default::default();
    let mut awaiting_state_sync = 0usize;
    let mut report = SyncReport::default();
    let bucket_dir = format!("/s3/{BUCKET}/");
    for line in text.lines() {
        let (pid, call) = line.split_once(char::is_whitespace).unwrap_or(("", line));
        let call = call.trim_start();
        let is_sync = call.starts_with("fsync(") || call.starts_with("fdatasync(");
        if is_sync {
            let path = call.split_once('<').and_then(|(_, r)| r.split_once('>')).map(|(p, _)| p).unwrap_or_default();
            let done = call.ends_with("= 0");
            if path.ends_with(".redb") && path.contains("/firehose/") {
                if done {
                    awaiting_state_sync = 0;
                } else {
                    state_syncs_pending.insert(pid.to_string(), true);
                }
            } else if done || call.contains("<unfinished") {
                synced_tmp.insert(path.to_string());
            }
        } else if call.starts_with("<... fsync resumed>") || call.starts_with("<... fdatasync resumed>") {
            if state_syncs_pending.remove(pid).is_some() && call.ends_with("= 0") {
                awaiting_state_sync = 0;
            }
        } else if call.starts_with("rename") && call.ends_with("= 0") {
            let quoted: Vec<&str> = call.split('"').skip(1).step_by(2).collect();
            if let [from, to] = quoted[..]
                && to.contains(&bucket_dir)
                && !to.rsplit('/').next().unwrap_or("").starts_with('.')
            {
                report.objects += 1;
                if !synced_tmp.contains(from) {
                    report.unsynced_objects += 1;
                }
                awaiting_state_sync += 1;
            }
        }
    }
    report.objects_without_state_sync = awaiting_state_sync;
    report
}
