//! Shared by the integration tests: a local cloud on an ephemeral loopback port, SDK configuration
//! for it, its admin API, and the `aws` CLI from the venv `.ci/run` creates.
#![allow(dead_code)]

pub mod raw;
pub mod served;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, SdkConfig};
use kinesis_console::cloud::admin_client::AdminClient;
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::host::EndpointInfo;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials, RunningCloud};

/// A local cloud for one test. It runs on a runtime of its own, so a test may block (run the `aws`
/// CLI, wait on a child process) without starving the server it talks to.
pub struct TestCloud {
    pub cloud: RunningCloud,
    pub dir: tempfile::TempDir,
    runtime: CloudRuntime,
}

/// Dropped from inside the test's own runtime, where a blocking shutdown is not allowed.
struct CloudRuntime(Option<tokio::runtime::Runtime>);

impl Drop for CloudRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl CloudRuntime {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("test-cloud")
            .build()
            .expect("a runtime for the test cloud");
        CloudRuntime(Some(rt))
    }

    async fn stop(mut self) {
        if let Some(rt) = self.0.take() {
            let _ = tokio::task::spawn_blocking(move || rt.shutdown_timeout(Duration::from_secs(10))).await;
        }
    }

    async fn start(&self, config: CloudConfig, creds: LocalCredentials) -> RunningCloud {
        let rt = self.0.as_ref().expect("runtime is live");
        rt.spawn(cloud::start(config, creds)).await.expect("start task").expect("local cloud starts")
    }
}

pub fn init_env() {
    // SAFETY: set before any thread of the test reads the environment for these keys; same values each time.
    unsafe {
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
}

impl TestCloud {
    /// A cloud on real time with signatures verified.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A cloud whose clock stands still until advanced.
    pub async fn start_virtual() -> Self {
        Self::start_with(|c| c.clock = ClockMode::Virtual).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut CloudConfig)) -> Self {
        init_env();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = CloudConfig::ephemeral(dir.path());
        configure(&mut config);
        let runtime = CloudRuntime::new();
        let cloud = runtime.start(config, LocalCredentials::generate()).await;
        TestCloud { cloud, dir, runtime }
    }

    /// Restarts on the same data dir (what a host restart does), keeping credentials.
    pub async fn restart(self) -> Self {
        let TestCloud { cloud, dir, runtime } = self;
        let creds = cloud.credentials().clone();
        let mut config = cloud.ctx.config.clone();
        config.bind.set_port(0);
        let was = cloud.ctx.clock.now_ms();
        cloud.shutdown().await;
        // Ending the old runtime drops every task of the old cloud (and the files they hold open),
        // as a process exit would; wait for that before reopening the same data dir.
        runtime.stop().await;
        let runtime = CloudRuntime::new();
        let cloud = runtime.start(config, creds).await;
        // A virtual clock starts at the wall clock, which may be behind the time the test had moved
        // to; time only moves forward across a restart, as it does for a real host.
        if cloud.ctx.clock.mode() == ClockMode::Virtual && cloud.ctx.clock.now_ms() < was {
            cloud.ctx.clock.set_mode(ClockMode::Virtual, Some(was));
        }
        TestCloud { cloud, dir, runtime }
    }

    pub fn url(&self) -> &str {
        &self.cloud.url
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn endpoint(&self) -> EndpointInfo {
        self.cloud.endpoint_info()
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        kinesis_console::target::local_sdk_config(&self.endpoint()).await
    }

    /// SDK configuration with other credentials (for refusal tests).
    pub async fn sdk_config_with(&self, access_key: &str, secret: &str) -> SdkConfig {
        let creds = aws_credential_types::Credentials::new(access_key, secret, None, None, "test");
        aws_config::defaults(BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(self.url())
            .credentials_provider(creds)
            .load()
            .await
    }

    pub fn admin(&self) -> AdminClient {
        AdminClient::new(self.endpoint())
    }

    /// Moves the virtual clock forward.
    pub fn advance(&self, by: Duration) {
        self.cloud.ctx.clock.advance(by).expect("clock is virtual");
    }

    /// Moves the virtual clock forward and waits until the cloud's background loops have run what
    /// fell due (the wall-clock bound only catches a stuck loop).
    pub async fn advance_settled(&self, by: Duration) {
        self.advance(by);
        tokio::time::timeout(Duration::from_secs(10), self.cloud.ctx.clock.settled())
            .await
            .expect("the cloud's background work catches up with the clock within 10 s");
    }

    /// Runs `cmd` (a client of this cloud) to its end, moving the virtual clock a second each time
    /// 50 ms of waiting on the process's exit pass without it (a deploy waits on cloud-time
    /// transitions). Fails when it has not ended after `limit` of wall time.
    pub async fn run_advancing(&self, cmd: Command, limit: Duration) -> Output {
        let output = tokio::process::Command::from(cmd).output();
        tokio::pin!(output);
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(done) = tokio::time::timeout(Duration::from_millis(50), &mut output).await {
                return done.expect("the command runs");
            }
            assert!(Instant::now() < deadline, "the command did not end within {limit:?}");
            self.advance_settled(Duration::from_secs(1)).await;
        }
    }

    /// `aws` CLI with this cloud's endpoint and credentials; `None` when the CLI is not installed
    /// (outside CI only: under CI=true its absence fails the test).
    pub fn aws(&self, args: &[&str]) -> Option<Output> {
        let mut aws = Command::new(aws_cli()?);
        aws.args(args).args(["--endpoint-url", self.url(), "--region", "us-east-1", "--output", "json"]);
        Some(self.as_client(&mut aws).output().expect("aws CLI runs"))
    }

    /// `kinesis-console` with `--endpoint-url` at this cloud, its credentials from the environment.
    pub fn console(&self, args: &[&str]) -> Output {
        self.console_command(args).output().expect("kinesis-console runs")
    }

    /// The command [`console`](Self::console) runs, for a caller that runs it otherwise
    /// ([`run_advancing`](Self::run_advancing) for one that waits on cloud time).
    pub fn console_command(&self, args: &[&str]) -> Command {
        let mut console = bin();
        console
            .args(["--endpoint-url", self.url(), "--region", "us-east-1", "--data-dir"])
            .arg(self.data_dir().join("console"))
            .args(args);
        self.as_client(&mut console);
        console
    }

    /// Moves the virtual clock a second at a time until the Kinesis stream is ACTIVE (within a minute of
    /// cloud time).
    pub async fn until_stream_active(&self, stream: &str) {
        let k = aws_sdk_kinesis::Client::new(&self.sdk_config().await);
        for _ in 0..60 {
            let out = k.describe_stream_summary().stream_name(stream).send().await.expect("DescribeStreamSummary");
            let status = out.stream_description_summary().map(|s| s.stream_status().clone());
            if status == Some(aws_sdk_kinesis::types::StreamStatus::Active) {
                return;
            }
            self.advance_settled(Duration::from_secs(1)).await;
        }
        panic!("stream {stream} did not become ACTIVE within a minute of cloud time");
    }

    /// `raw` signed with this cloud's credentials for `service`, as of now.
    pub fn sign(&self, raw: raw::Raw, service: &str) -> raw::Raw {
        let c = self.cloud.credentials();
        raw.signed(self.url(), service, &c.access_key_id, &c.secret_access_key, std::time::SystemTime::now())
    }

    /// Gives a client process this cloud's credentials and nothing of the machine's AWS set-up.
    pub fn as_client<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        let c = self.cloud.credentials();
        cmd.env("AWS_ACCESS_KEY_ID", &c.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &c.secret_access_key)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env_remove("AWS_PROFILE")
    }

    /// Runs the `aws` CLI and parses its JSON output, failing the test on a non-zero exit.
    pub fn aws_json(&self, args: &[&str]) -> Option<serde_json::Value> {
        let out = self.aws(args)?;
        assert!(
            out.status.success(),
            "aws {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        if out.stdout.iter().all(u8::is_ascii_whitespace) {
            return Some(serde_json::Value::Null);
        }
        Some(serde_json::from_slice(&out.stdout).expect("aws CLI prints JSON"))
    }
}

/// The venv's `aws` (`KC_AWS_CLI`, or `.venv/bin/aws` in the project). Missing is a failure in CI.
pub fn aws_cli() -> Option<PathBuf> {
    let candidate = std::env::var_os("KC_AWS_CLI")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/aws"));
    if candidate.exists() {
        return Some(candidate);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the aws CLI is not installed at {}; .ci/run installs it", candidate.display());
    }
    eprintln!("aws CLI not found at {}: skipping its part of this test (CI runs it)", candidate.display());
    None
}

/// The Python of one of the client venvs `.ci/run` makes (`.venv-clients/<name>`, e.g. `boto3-1.35`), or
/// of the tools venv for `aws-cli`. Missing is a failure in CI, as for [`aws_cli`].
pub fn python_client(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidate = match name {
        "aws-cli" => root.join(".venv/bin/python"),
        _ => root.join(".venv-clients").join(name).join("bin/python"),
    };
    if candidate.exists() {
        return Some(candidate);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the {name} client is not installed at {}; .ci/run installs it", candidate.display());
    }
    eprintln!("{name} not found at {}: skipping its part of this test (CI runs it)", candidate.display());
    None
}

/// Polls `check` until it returns `Some`, failing after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The built binary.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kinesis-console"));
    c.env("AWS_EC2_METADATA_DISABLED", "true");
    c
}

/// Every record of the stream as (partition key, data), read from the start of each shard.
pub async fn read_stream(cloud: &TestCloud, stream: &str) -> Vec<(String, Vec<u8>)> {
    let k = aws_sdk_kinesis::Client::new(&cloud.sdk_config().await);
    let shards = k.list_shards().stream_name(stream).send().await.expect("ListShards");
    let mut out = Vec::new();
    for shard in shards.shards() {
        let it = k
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("GetShardIterator");
        let mut iterator = it.shard_iterator().map(str::to_string);
        while let Some(i) = iterator.take() {
            let got = match k.get_records().shard_iterator(&i).send().await {
                Ok(got) => got,
                // The shard's five reads a second are shared with the consumer's mapping.
                Err(e) if e.as_service_error().is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()) => {
                    cloud.advance_settled(Duration::from_secs(1)).await;
                    iterator = Some(i);
                    continue;
                }
                Err(e) => panic!("GetRecords on {stream}: {e:?}"),
            };
            for r in got.records() {
                out.push((r.partition_key().unwrap_or_default().to_string(), r.data().as_ref().to_vec()));
            }
            if got.records().is_empty() {
                break;
            }
            iterator = got.next_shard_iterator().map(str::to_string);
            cloud.advance_settled(Duration::from_millis(250)).await;
        }
    }
    out
}
