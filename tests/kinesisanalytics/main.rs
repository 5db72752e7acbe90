//! The local Managed Flink through aws-sdk-kinesisanalyticsv2 on the virtual clock: every status
//! transition, AWS's errors, versions, operations, snapshots, tags, the application log of a start
//! that fails, durability across a restart, and the two CloudFormation providers through deploys of
//! the pattern 2 and pattern 4 templates.

#[path = "../support/mod.rs"]
mod support;

mod dashboard_view;
mod lifecycle;
mod metrics;
mod pattern2;
mod pattern4;
mod restarts;
mod rollback;
mod saved_states;
mod snapshots;
mod source;
mod system_rollback;
mod templates;
mod versions;
mod wire;

use std::time::Duration;

use aws_sdk_kinesisanalyticsv2::Client;
use aws_sdk_kinesisanalyticsv2::error::ProvideErrorMetadata;
use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationConfiguration, ApplicationSnapshotConfiguration, ApplicationStatus, CloudWatchLoggingOption,
    RuntimeEnvironment, Tag,
};
use kinesis_console::cloud::clock::ClockMode;
use support::TestCloud;

pub const ROLE: &str = "arn:aws:iam::000000000000:role/flink";
/// The built-in job that runs without input: the lifecycle's stand-in.
pub const IDLE: &str = "kinesis-console/idle";
pub const GROUP: &str = "/aws/kinesis-analytics/app";
pub const STREAM: &str = "kinesis-analytics-log-stream";

pub struct Env {
    pub cloud: TestCloud,
    pub flink: Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

pub async fn env() -> Env {
    let cloud = TestCloud::start_with(|c| c.clock = ClockMode::Virtual).await;
    clients(cloud).await
}

pub async fn clients(cloud: TestCloud) -> Env {
    let conf = cloud.sdk_config().await;
    let no_retry = aws_sdk_kinesisanalyticsv2::config::retry::RetryConfig::disabled();
    let flink =
        Client::from_conf(aws_sdk_kinesisanalyticsv2::config::Builder::from(&conf).retry_config(no_retry).build());
    Env { logs: aws_sdk_cloudwatchlogs::Client::new(&conf), flink, cloud }
}

pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub fn message<E: ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("<none>").to_string()
}

impl Env {
    /// Creates `name` with snapshots on, tagged to run `builtin` (none when `None`), logging to
    /// [`GROUP`]/[`STREAM`].
    pub async fn create(&self, name: &str, builtin: Option<&str>) {
        let config = ApplicationConfiguration::builder()
            .application_snapshot_configuration(
                ApplicationSnapshotConfiguration::builder().snapshots_enabled(true).build().unwrap(),
            )
            .build();
        let arn = format!("arn:aws:logs:us-east-1:000000000000:log-group:{GROUP}:log-stream:{STREAM}");
        let mut req = self
            .flink
            .create_application()
            .application_name(name)
            .runtime_environment(RuntimeEnvironment::Flink120)
            .service_execution_role(ROLE)
            .application_configuration(config)
            .cloud_watch_logging_options(CloudWatchLoggingOption::builder().log_stream_arn(arn).build().unwrap());
        if let Some(b) = builtin {
            req = req.tags(Tag::builder().key("kinesis-console:builtin").value(b).build().unwrap());
        }
        let out = req.send().await.expect("CreateApplication");
        let d = out.application_detail().expect("a detail");
        assert_eq!(d.application_status(), &ApplicationStatus::Ready);
        assert_eq!(d.application_version_id(), 1);
    }

    pub async fn status(&self, name: &str) -> ApplicationStatus {
        let out = self.flink.describe_application().application_name(name).send().await.expect("DescribeApplication");
        out.application_detail().expect("a detail").application_status().clone()
    }

    pub async fn version(&self, name: &str) -> i64 {
        let out = self.flink.describe_application().application_name(name).send().await.expect("DescribeApplication");
        out.application_detail().expect("a detail").application_version_id()
    }

    pub async fn advance(&self, seconds: u64) {
        self.cloud.advance_settled(Duration::from_secs(seconds)).await;
    }

    /// Starts `name` (skipping any snapshot) and moves the clock until it is RUNNING.
    pub async fn start_running(&self, name: &str) -> String {
        let out = self.flink.start_application().application_name(name).send().await.expect("StartApplication");
        assert_eq!(self.status(name).await, ApplicationStatus::Starting);
        self.advance(5).await;
        assert_eq!(self.status(name).await, ApplicationStatus::Running);
        out.operation_id().expect("an operation id").to_string()
    }

    /// The application log's records, parsed.
    pub async fn log_records(&self) -> Vec<serde_json::Value> {
        let out = self
            .logs
            .get_log_events()
            .log_group_name(GROUP)
            .log_stream_name(STREAM)
            .start_from_head(true)
            .send()
            .await
            .expect("GetLogEvents");
        out.events().iter().map(|e| serde_json::from_str(e.message().unwrap_or("{}")).expect("a JSON record")).collect()
    }
}
