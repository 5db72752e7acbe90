//! `kill -9` of a `local serve` host running pattern 2's job, between a checkpoint and the next, then
//! the host started again on the same data dir: the job resumes from the checkpoint, reads again what
//! came after it, and every window result is in S3 exactly once.
//!
//! What this proves and what it cannot: SIGKILL ends the process at an arbitrary instruction but keeps
//! the kernel's page cache, so it proves the order of the steps (part files written only after the
//! checkpoint that commits them is kept; a resumed job starts from that checkpoint) rather than that
//! anything reached the disk; the stores' own crash tests cover the syncs.

use std::time::Duration;

use aws_sdk_cloudformation::types::StackStatus;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_kinesisanalyticsv2::types::ApplicationStatus;
use kinesis_console::cloud::admin_client::AdminClient;
use serde_json::json;

use super::{Expected, Tick, iso, phase_one, phase_two};
use crate::support::served::{Served, serve_with};
use crate::templates::{create, param, physical_id};

struct Host {
    served: Served,
    admin: AdminClient,
    conf: aws_config::SdkConfig,
}

impl Host {
    async fn start(dir: &std::path::Path) -> Host {
        crate::support::init_env();
        let served = serve_with(dir, &["--virtual-clock"]);
        let endpoint = served.endpoint();
        let conf = kinesis_console::target::local_sdk_config(&endpoint).await;
        Host { admin: AdminClient::new(endpoint), served, conf }
    }

    async fn advance(&self, seconds: u64) {
        for _ in 0..seconds {
            let state = self.admin.post("clock", json!({ "advance_ms": 1_000 })).await.expect("the clock moves");
            assert_eq!(state["settled"], true, "the host's background work caught up with the clock");
        }
    }

    fn kill(mut self) {
        // SAFETY: kill(2) on the pid of the child this test started, with SIGKILL; no memory is involved.
        unsafe { libc::kill(self.served.child.id() as libc::pid_t, libc::SIGKILL) };
        self.served.child.wait().expect("the killed host is reaped");
    }

    async fn status(&self, app: &str) -> ApplicationStatus {
        let flink = aws_sdk_kinesisanalyticsv2::Client::new(&self.conf);
        let d = flink.describe_application().application_name(app).send().await.expect("DescribeApplication");
        d.application_detail().unwrap().application_status().clone()
    }

    async fn put(&self, stream: &str, ticks: &[Tick]) {
        let kinesis = aws_sdk_kinesis::Client::new(&self.conf);
        let mut req = kinesis.put_records().stream_name(stream);
        for (i, t) in ticks.iter().enumerate() {
            let data = format!(r#"{{"EVENT_TIME":"{}","TICKER":"{}","PRICE":{}}}"#, iso(t.event_ms), t.ticker, t.price);
            req = req.records(
                PutRecordsRequestEntry::builder().partition_key(format!("k{i}")).data(Blob::new(data)).build().unwrap(),
            );
        }
        assert_eq!(req.send().await.expect("PutRecords").failed_record_count(), Some(0));
    }

    /// Every line of every object in `bucket`, sorted.
    async fn lines(&self, bucket: &str) -> Vec<String> {
        let s3 = aws_sdk_s3::Client::new(&self.conf);
        let listed = s3.list_objects_v2().bucket(bucket).send().await.expect("ListObjectsV2");
        let mut lines = Vec::new();
        for o in listed.contents() {
            let body = s3.get_object().bucket(bucket).key(o.key().unwrap()).send().await.expect("GetObject");
            let body = body.body.collect().await.unwrap().into_bytes();
            lines.extend(String::from_utf8(body.to_vec()).unwrap().lines().map(str::to_string));
        }
        lines.sort();
        lines
    }
}

async fn deploy(host: &Host) -> (String, String, String) {
    let cf = aws_sdk_cloudformation::Client::new(&host.conf);
    create(&cf, "kpl-kds-kda", "p2", &[param("ApplicationCodeBucket", "code-bucket")]).await;
    for _ in 0..300 {
        let out = cf.describe_stacks().stack_name("p2").send().await.expect("DescribeStacks");
        let status = out.stacks().first().and_then(|s| s.stack_status().cloned());
        if status == Some(StackStatus::CreateComplete) {
            let id = |logical| physical_id(&cf, "p2", logical);
            return (id("Application").await, id("DataStream").await, id("OutputBucket").await);
        }
        assert!(status.as_ref().is_some_and(|s| s.as_str().ends_with("_IN_PROGRESS")), "{status:?}");
        host.advance(1).await;
    }
    panic!("the stack did not deploy within 300 s of cloud time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_host_between_checkpoints_loses_and_repeats_no_window_result() {
    let dir = tempfile::Builder::new().prefix("kinesis-console-p2-crash-").tempdir().expect("a data dir");
    let data = dir.path().join("data");
    let host = Host::start(&data).await;
    let (app, stream, bucket) = deploy(&host).await;
    let flink = aws_sdk_kinesisanalyticsv2::Client::new(&host.conf);
    flink.start_application().application_name(&app).send().await.expect("StartApplication");
    for _ in 0..30 {
        if host.status(&app).await == ApplicationStatus::Running {
            break;
        }
        host.advance(1).await;
    }
    assert_eq!(host.status(&app).await, ApplicationStatus::Running);

    let mut want = Expected::default();
    host.put(&stream, &phase_one()).await;
    host.advance(1).await;
    want.batch(0, &phase_one());
    host.advance(61).await;
    let committed = want.lines.len();
    assert_eq!(host.lines(&bucket).await.len(), committed, "a checkpoint committed phase one's results");
    host.put(&stream, &phase_two()).await;
    host.advance(1).await;
    want.batch(0, &phase_two());
    assert_eq!(host.lines(&bucket).await.len(), committed, "phase two's results are held until a checkpoint");
    host.kill();

    let host = Host::start(&data).await;
    assert_eq!(host.status(&app).await, ApplicationStatus::Running, "the application was running");
    let mut want_lines: Vec<String> = want.lines.iter().map(|(_, l)| l.clone()).collect();
    want_lines.sort();
    // The new host's clock starts at the wall clock, behind the old one's: move it until a checkpoint
    // of the resumed job commits (within a bound), then a while longer to see nothing more comes.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut seconds = 0;
    while host.lines(&bucket).await.len() < want_lines.len() {
        assert!(std::time::Instant::now() < deadline && seconds < 1_200, "the resumed job committed nothing more");
        host.advance(10).await;
        seconds += 10;
    }
    host.advance(130).await;
    assert_eq!(host.lines(&bucket).await, want_lines, "every window result once: none lost, none twice");
}
