//! Pattern 2's job end to end on the virtual clock: the `kpl-kds-kda` template deployed, its
//! application started, ticker records with known event times and prices put in phases (several
//! tickers, out of order within the bound, some late), and the lines in the output bucket compared
//! with the window maxima a plain loop over the same input computes: in the right hourly folders,
//! once each, across checkpoints, a stop with a snapshot and a restart of the local cloud.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationRestoreConfiguration, ApplicationRestoreType, ApplicationStatus, RunConfiguration,
};
use kinesis_console::cloud::clock::ClockMode;

use crate::templates::{create, param, physical_id, settle};
use crate::{Env, clients, env};

mod crash;
mod dashboard;

const HOUR_MS: i64 = 3_600_000;
/// Event times start here (a multiple of the 5 s slide, far from the cloud clock: event time is
/// the records' own).
const EVENT_BASE: i64 = 1_700_000_000_000;
const SIZE: i64 = 10_000;
const SLIDE: i64 = 5_000;
const BOUND: i64 = 5_000;

/// One ticker record.
#[derive(Debug, Clone, Copy)]
struct Tick {
    event_ms: i64,
    ticker: &'static str,
    price: f64,
}

fn tick(offset_ms: i64, ticker: &'static str, price: f64) -> Tick {
    Tick { event_ms: EVENT_BASE + offset_ms, ticker, price }
}

fn iso(ms: i64) -> String {
    kinesis_console::text_format::timestamp_ms(ms)
}

fn folder(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
    format!("{:04}-{:02}-{:02}--{:02}", t.year(), u8::from(t.month()), t.day(), t.hour())
}

/// The expected output, computed without the job: records read in batches, each batch at a
/// processing time; the watermark moves after each batch and fires every window it completes.
#[derive(Default)]
struct Expected {
    watermark: Option<i64>,
    max_event: Option<i64>,
    /// (window start, ticker) → max, for windows not fired yet.
    open: BTreeMap<(i64, &'static str), f64>,
    fired: BTreeSet<i64>,
    /// (folder, line) of every result.
    lines: Vec<(String, String)>,
    late: u64,
}

impl Expected {
    fn batch(&mut self, read_at_ms: i64, ticks: &[Tick]) {
        for t in ticks {
            let mut starts = Vec::new();
            let mut s = t.event_ms - t.event_ms.rem_euclid(SLIDE);
            while s > t.event_ms - SIZE {
                starts.push(s);
                s -= SLIDE;
            }
            let open: Vec<i64> =
                starts.into_iter().filter(|s| self.watermark.is_none_or(|w| s + SIZE - 1 > w)).collect();
            if open.is_empty() {
                self.late += 1;
                continue;
            }
            self.max_event = Some(self.max_event.map_or(t.event_ms, |m| m.max(t.event_ms)));
            for s in open {
                let m = self.open.entry((s, t.ticker)).or_insert(t.price);
                *m = m.max(t.price);
            }
        }
        let Some(max) = self.max_event else { return };
        let w = max - BOUND - 1;
        self.watermark = Some(self.watermark.map_or(w, |old| old.max(w)));
        let due: Vec<(i64, &str)> = self.open.keys().filter(|(s, _)| s + SIZE - 1 <= w).copied().collect();
        for key in due {
            let max = self.open.remove(&key).unwrap();
            self.fired.insert(key.0);
            self.lines.push((folder(read_at_ms), format!("{}:  max - {}", key.1, java(max))));
        }
    }
}

/// The prices the tests use print the same in Java and in Rust once a whole number gains ".0".
fn java(v: f64) -> String {
    let s = format!("{v}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

struct Pipeline {
    e: Env,
    app: String,
    stream: String,
    bucket: String,
    kinesis: aws_sdk_kinesis::Client,
    s3: aws_sdk_s3::Client,
}

impl Pipeline {
    /// Deploys `kpl-kds-kda` on a cloud whose clock stands ten minutes before an hour.
    async fn deploy() -> Pipeline {
        let e = env().await;
        let wall = e.cloud.cloud.ctx.clock.now_ms();
        let hour = (wall / HOUR_MS + 2) * HOUR_MS;
        e.cloud.cloud.ctx.clock.set_mode(ClockMode::Virtual, Some(hour - 600_000));
        let cf = aws_sdk_cloudformation::Client::new(&e.cloud.sdk_config().await);
        let params = [param("ApplicationCodeBucket", "code-bucket"), param("ShardCount", "2")];
        create(&cf, "kpl-kds-kda", "p2", &params).await;
        assert_eq!(settle(&e, &cf, "p2", 300).await, Some(StackStatus::CreateComplete));
        let app = physical_id(&cf, "p2", "Application").await;
        let stream = physical_id(&cf, "p2", "DataStream").await;
        let bucket = physical_id(&cf, "p2", "OutputBucket").await;
        let conf = e.cloud.sdk_config().await;
        let kinesis = aws_sdk_kinesis::Client::new(&conf);
        let s3 = aws_sdk_s3::Client::new(&conf);
        Pipeline { e, app, stream, bucket, kinesis, s3 }
    }

    fn now(&self) -> i64 {
        self.e.cloud.cloud.ctx.clock.now_ms()
    }

    /// Moves the clock forward to `at` (on a whole second).
    async fn advance_to(&self, at: i64) {
        let by = at - self.now();
        assert!(by >= 0, "the clock only moves forward");
        self.e.cloud.advance_settled(Duration::from_millis(by as u64)).await;
    }

    /// Moves the clock `seconds` seconds, one at a time, so the job steps (and checkpoints) on each.
    async fn run_for(&self, seconds: u64) {
        for _ in 0..seconds {
            self.e.advance(1).await;
        }
    }

    async fn start(&self, restore: ApplicationRestoreType) {
        let run = RunConfiguration::builder()
            .application_restore_configuration(
                ApplicationRestoreConfiguration::builder().application_restore_type(restore).build().unwrap(),
            )
            .build();
        self.e
            .flink
            .start_application()
            .application_name(&self.app)
            .run_configuration(run)
            .send()
            .await
            .expect("StartApplication");
        self.until(ApplicationStatus::Running).await;
    }

    async fn until(&self, want: ApplicationStatus) {
        for _ in 0..30 {
            if self.e.status(&self.app).await == want {
                return;
            }
            self.e.advance(1).await;
        }
        panic!("{} did not reach {want:?} within 30 s", self.app);
    }

    /// Puts `ticks` (each on its own partition key, so both shards get some), then moves the clock a
    /// second, so the job reads them all in one step; that step's time.
    async fn put(&self, ticks: &[Tick]) -> i64 {
        let mut req = self.kinesis.put_records().stream_name(&self.stream);
        for (i, t) in ticks.iter().enumerate() {
            let data = format!(r#"{{"EVENT_TIME":"{}","TICKER":"{}","PRICE":{}}}"#, iso(t.event_ms), t.ticker, t.price);
            let entry =
                PutRecordsRequestEntry::builder().partition_key(format!("k{i}")).data(Blob::new(data)).build().unwrap();
            req = req.records(entry);
        }
        let out = req.send().await.expect("PutRecords");
        assert_eq!(out.failed_record_count(), Some(0));
        let read_at = (self.now() / 1_000 + 1) * 1_000;
        self.advance_to(read_at).await;
        read_at
    }

    /// Every (folder, line) in the output bucket, sorted; each object's name is checked.
    async fn output(&self) -> Vec<(String, String)> {
        let mut lines = Vec::new();
        let listed = self.s3.list_objects_v2().bucket(&self.bucket).send().await.expect("ListObjectsV2");
        assert!(!listed.is_truncated().unwrap_or(false));
        let name =
            regex::Regex::new("^part-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9]+$").unwrap();
        for o in listed.contents() {
            let key = o.key().unwrap();
            let (folder, file) = key.split_once('/').unwrap_or_else(|| panic!("{key} is in no folder"));
            assert!(name.is_match(file), "{key} is not named as FileSink names part files");
            let body = self.s3.get_object().bucket(&self.bucket).key(key).send().await.expect("GetObject");
            let body = body.body.collect().await.unwrap().into_bytes();
            for line in String::from_utf8(body.to_vec()).unwrap().lines() {
                lines.push((folder.to_string(), line.to_string()));
            }
        }
        lines.sort();
        lines
    }
}

fn sorted(mut v: Vec<(String, String)>) -> Vec<(String, String)> {
    v.sort();
    v
}

/// The first phases every test puts: five tickers, out of order within the 5 s bound.
fn phase_one() -> Vec<Tick> {
    vec![
        tick(1_000, "AAPL", 10.5),
        tick(4_000, "AMZN", 30.0),
        tick(2_500, "AAPL", 12.25),
        tick(7_000, "MSFT", 55.5),
        tick(6_000, "AAPL", 9.0),
        tick(3_000, "INTC", 1.75),
        tick(9_500, "TBV", 70.0),
        tick(12_000, "AMZN", 31.5),
        tick(8_000, "TBV", 71.25),
        tick(16_000, "MSFT", 50.0),
    ]
}

/// Advances the watermark to 25 s − 1 ms and sends records already late for [0, 10) and [5, 15).
fn phase_two() -> Vec<Tick> {
    vec![
        tick(14_000, "AAPL", 99.0),
        tick(4_999, "AAPL", 98.0),
        tick(17_500, "INTC", 2.5),
        tick(21_000, "TBV", 60.0),
        tick(19_000, "AMZN", 33.0),
        tick(30_001, "MSFT", 51.0),
        tick(24_999, "AAPL", 20.0),
    ]
}

fn phase_three() -> Vec<Tick> {
    vec![
        tick(26_000, "AAPL", 21.0),
        tick(9_999, "TBV", 90.0),
        tick(33_000, "INTC", 3.0),
        tick(29_000, "AMZN", 34.5),
        tick(41_000, "MSFT", 52.0),
    ]
}

fn phase_four() -> Vec<Tick> {
    vec![tick(47_000, "AAPL", 22.0), tick(52_000, "TBV", 61.0), tick(60_000, "AMZN", 35.0)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_maxima_land_in_hourly_folders_once_checkpoints_commit_them() {
    let p = Pipeline::deploy().await;
    p.start(ApplicationRestoreType::SkipRestoreFromSnapshot).await;
    let hour = (p.now() / HOUR_MS + 1) * HOUR_MS;
    p.advance_to(hour - 20_000).await;
    let mut want = Expected::default();

    let read = p.put(&phase_one()).await;
    want.batch(read, &phase_one());
    assert!(p.output().await.is_empty(), "results stay invisible until a checkpoint commits them");
    p.advance_to(hour + 5_000).await;
    let read = p.put(&phase_two()).await;
    want.batch(read, &phase_two());
    assert!(want.late > 0, "phase two has late records");
    let folders: BTreeSet<&str> = want.lines.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(folders.len(), 2, "results fired on both sides of the hour: {folders:?}");

    // Two checkpoints (60 s each) after the last read.
    p.run_for(121).await;
    assert_eq!(p.output().await, sorted(want.lines.clone()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_with_a_snapshot_and_a_start_from_it_write_every_result_once() {
    let p = Pipeline::deploy().await;
    p.start(ApplicationRestoreType::SkipRestoreFromSnapshot).await;
    let mut want = Expected::default();
    let read = p.put(&phase_one()).await;
    want.batch(read, &phase_one());
    p.run_for(61).await;
    let read = p.put(&phase_two()).await;
    want.batch(read, &phase_two());

    // Phase two's results are held when the stop's snapshot takes the state.
    p.e.flink.stop_application().application_name(&p.app).send().await.expect("StopApplication");
    p.until(ApplicationStatus::Ready).await;
    let after_stop = p.output().await;
    assert_eq!(after_stop, sorted(want.lines.clone()), "the stop's snapshot committed what it held");

    p.put(&phase_three()).await;
    p.start(ApplicationRestoreType::RestoreFromLatestSnapshot).await;
    // Phase three waited on the stream and was read at the step the new run began with.
    want.batch(p.now(), &phase_three());
    let read = p.put(&phase_four()).await;
    want.batch(read, &phase_four());
    p.run_for(121).await;
    assert_eq!(p.output().await, sorted(want.lines.clone()), "every window result once, none lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_of_the_local_cloud_between_checkpoints_loses_and_repeats_nothing() {
    let p = Pipeline::deploy().await;
    p.start(ApplicationRestoreType::SkipRestoreFromSnapshot).await;
    let mut want = Expected::default();
    let read = p.put(&phase_one()).await;
    want.batch(read, &phase_one());
    p.run_for(61).await;
    let committed = p.output().await;
    assert_eq!(committed, sorted(want.lines.clone()), "the first checkpoint committed phase one");
    let read = p.put(&phase_two()).await;
    let mut held = Expected { lines: Vec::new(), ..want };
    held.batch(read, &phase_two());

    // The host goes down with phase two's results held; it resumes from the checkpoint, reads phase
    // two again and fires its windows at the first step after the restart.
    let Pipeline { e, app, stream, bucket, .. } = p;
    let cloud = e.cloud.restart().await;
    let e = clients(cloud).await;
    let conf = e.cloud.sdk_config().await;
    let p = Pipeline {
        kinesis: aws_sdk_kinesis::Client::new(&conf),
        s3: aws_sdk_s3::Client::new(&conf),
        e,
        app,
        stream,
        bucket,
    };
    assert_eq!(p.e.status(&p.app).await, ApplicationStatus::Running);
    let resumed = (p.now() / 1_000 + 1) * 1_000;
    p.advance_to(resumed).await;
    let replayed: Vec<(String, String)> = held.lines.iter().map(|(_, line)| (folder(resumed), line.clone())).collect();
    p.run_for(121).await;
    let mut want_lines = committed;
    want_lines.extend(replayed);
    assert_eq!(p.output().await, sorted(want_lines), "phase two's results once, phase one's not again");
}

/// The job driven directly (as the runtime does): late records counted, its figures, a bad output
/// bucket refused at the start, and a crash after a checkpoint was kept but before its part files
/// were written: the restored job writes exactly those files, under the same keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_counts_late_records_and_a_restored_checkpoint_writes_its_pending_files_once() {
    use kinesis_console::cloud::kinesisanalytics::jobs::{self, JobEnv, StartFrom};

    let cloud = crate::support::TestCloud::start_with(|c| {
        c.clock = ClockMode::Virtual;
        c.kinesis.transition_ms = 0;
        c.limits = false;
    })
    .await;
    let conf = cloud.sdk_config().await;
    let kinesis = aws_sdk_kinesis::Client::new(&conf);
    let s3 = aws_sdk_s3::Client::new(&conf);
    kinesis.create_stream().stream_name("in").shard_count(2).send().await.expect("CreateStream");
    s3.create_bucket().bucket("out").send().await.expect("CreateBucket");
    let ctx = cloud.cloud.ctx.clone();
    let env_for = |bucket: &str| {
        let group = [
            ("InputStreamName", "in"),
            ("OutputBucketName", bucket),
            ("EventTimeField", "EVENT_TIME"),
            ("MaxOutOfOrdernessSeconds", "5"),
            ("WindowSizeSeconds", "10"),
            ("WindowSlideSeconds", "5"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        JobEnv {
            application: "p2".into(),
            application_arn: "arn:aws:kinesisanalytics:us-east-1:000000000000:application/p2".into(),
            version_id: 1,
            properties: BTreeMap::from([("FlinkApplicationProperties".to_string(), group)]),
            logging: Vec::new(),
            ctx: ctx.clone(),
        }
    };
    let tag = Some("kpl-kds-kda/sliding-window-max");
    let mut absent = jobs::lookup(tag, &env_for("absent")).expect("a built-in job");
    let err = absent.start(StartFrom::Fresh).expect_err("no such bucket");
    assert!(err.0.starts_with("NoSuchBucket") && err.0.contains("OutputBucketName"), "{}", err.0);

    let env = env_for("out");
    let mut job = jobs::lookup(tag, &env).expect("a built-in job");
    job.start(StartFrom::Fresh).expect("start");
    let put = |ticks: Vec<Tick>| {
        let kinesis = kinesis.clone();
        async move {
            for (i, t) in ticks.iter().enumerate() {
                let data =
                    format!(r#"{{"EVENT_TIME":"{}","TICKER":"{}","PRICE":{}}}"#, iso(t.event_ms), t.ticker, t.price);
                kinesis
                    .put_record()
                    .stream_name("in")
                    .partition_key(format!("k{i}"))
                    .data(Blob::new(data))
                    .send()
                    .await
                    .expect("PutRecord");
            }
        }
    };
    let now = ctx.clock.now_ms();
    let mut want = Expected::default();
    put(phase_one()).await;
    job.step(now).expect("step");
    want.batch(now, &phase_one());
    put(phase_two()).await;
    job.step(now + 1_000).expect("step");
    want.batch(now + 1_000, &phase_two());

    let stats = job.stats();
    assert_eq!(stats.records_in, 17);
    assert_eq!(stats.late_records_dropped, want.late);
    assert_eq!(stats.records_out, want.lines.len() as u64);
    assert_eq!(stats.input_watermark_ms, Some(EVENT_BASE + 30_001 - BOUND - 1));
    assert_eq!(stats.millis_behind_latest.len(), 2, "one figure per shard: {:?}", stats.millis_behind_latest);

    // The checkpoint is kept; the host dies before `committed()` writes anything.
    let checkpoint = job.state().expect("state");
    drop(job);
    let keys = |s3: aws_sdk_s3::Client| async move {
        let out = s3.list_objects_v2().bucket("out").send().await.expect("ListObjectsV2");
        out.contents().iter().map(|o| o.key().unwrap_or_default().to_string()).collect::<Vec<_>>()
    };
    assert!(keys(s3.clone()).await.is_empty(), "nothing visible before the commit");
    let mut restored = jobs::lookup(tag, &env).expect("a built-in job");
    restored.start(StartFrom::Checkpoint(checkpoint.clone())).expect("restore");
    let written = keys(s3.clone()).await;
    assert!(!written.is_empty(), "the checkpoint's pending files are written at the restore");
    let mut lines = Vec::new();
    for key in &written {
        let body = s3.get_object().bucket("out").key(key).send().await.expect("GetObject");
        let body = String::from_utf8(body.body.collect().await.unwrap().into_bytes().to_vec()).unwrap();
        let folder = key.split_once('/').unwrap().0;
        lines.extend(body.lines().map(|l| (folder.to_string(), l.to_string())));
    }
    assert_eq!(sorted(lines), sorted(want.lines.clone()));

    // Nothing more was read (the positions were restored past both phases), and a second restore
    // of the same checkpoint rewrites the same objects rather than adding any.
    restored.step(now + 2_000).expect("step");
    assert_eq!(restored.stats().records_in, 0);
    restored.state().expect("state");
    restored.committed();
    let mut again = jobs::lookup(tag, &env).expect("a built-in job");
    again.start(StartFrom::Checkpoint(checkpoint)).expect("restore");
    assert_eq!(keys(s3.clone()).await, written);

    // A record that is not a ticker event fails the job, naming its shard, and a failed job gives no
    // checkpoint: what it read is not taken as processed.
    kinesis.put_record().stream_name("in").partition_key("x").data(Blob::new("not json")).send().await.unwrap();
    let err = again.step(now + 3_000).expect_err("a bad record");
    assert!(err.0.contains("shardId-") && err.0.contains("not a ticker event"), "{}", err.0);
    assert!(again.state().is_err(), "no checkpoint of a failed job");
    assert!(again.step(now + 4_000).is_err(), "it stays failed until started again");
}
