//! The Managed Flink application of a stack, through aws-sdk-kinesisanalyticsv2, for `start-app`,
//! `stop-app`, `snapshots`, `app` and `delete`: the application a stack holds, a start from a chosen
//! restore point, a stop (with a snapshot required, or forced), snapshots listed, taken and deleted,
//! and a finished view (status, version, running time, last operation, the last log lines). Starts and
//! stops wait, polling, until the application leaves its transition, and say how the operation ended.

use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_sdk_kinesisanalyticsv2::Client;
use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationDetail, ApplicationRestoreConfiguration, ApplicationRestoreType, ApplicationStatus, OperationStatus,
    RunConfiguration,
};
use serde::Serialize;

use super::stacks::{self, StackResource};

const APPLICATION_TYPE: &str = "AWS::KinesisAnalyticsV2::Application";
/// How many transitions' worth of polls a start or stop waits before giving up (a start takes
/// minutes on AWS).
const MAX_POLLS: u32 = 3_600;

/// Where `start-app --from` restores the application's state from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreFrom {
    LatestSnapshot,
    Snapshot(String),
    Nothing,
}

impl RestoreFrom {
    pub fn parse(text: &str) -> RestoreFrom {
        match text {
            "latest-snapshot" | "latest" => RestoreFrom::LatestSnapshot,
            "none" => RestoreFrom::Nothing,
            name => RestoreFrom::Snapshot(name.to_string()),
        }
    }

    fn run_configuration(&self) -> RunConfiguration {
        let (kind, name) = match self {
            RestoreFrom::LatestSnapshot => (ApplicationRestoreType::RestoreFromLatestSnapshot, None),
            RestoreFrom::Nothing => (ApplicationRestoreType::SkipRestoreFromSnapshot, None),
            RestoreFrom::Snapshot(n) => (ApplicationRestoreType::RestoreFromCustomSnapshot, Some(n.clone())),
        };
        let restore = ApplicationRestoreConfiguration::builder().application_restore_type(kind).set_snapshot_name(name);
        // The builder fails only without a restore type, which is always set here.
        RunConfiguration::builder().set_application_restore_configuration(restore.build().ok()).build()
    }
}

/// The application `resources` hold: the physical id of its one `AWS::KinesisAnalyticsV2::Application`.
pub fn pick_application(resources: &[StackResource], stack: &str) -> anyhow::Result<String> {
    let apps: Vec<&StackResource> = resources.iter().filter(|r| r.resource_type == APPLICATION_TYPE).collect();
    match apps.as_slice() {
        [one] => one
            .physical_id
            .clone()
            .with_context(|| format!("the application of stack {stack} has no physical id yet ({})", one.status)),
        [] => bail!("stack {stack} has no Managed Flink application"),
        more => bail!(
            "stack {stack} has {} Managed Flink applications ({}); the console handles stacks with one",
            more.len(),
            more.iter().map(|r| r.logical_id.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The application of stack `stack`, or `None` when it has none.
pub async fn stack_application(cfn: &aws_sdk_cloudformation::Client, stack: &str) -> anyhow::Result<Option<String>> {
    let resources = stacks::inspect::resources(cfn, stack)
        .await
        .with_context(|| format!("listing the resources of stack {stack}"))?;
    if !resources.iter().any(|r| r.resource_type == APPLICATION_TYPE) {
        return Ok(None);
    }
    pick_application(&resources, stack).map(Some)
}

async fn detail(flink: &Client, app: &str) -> anyhow::Result<ApplicationDetail> {
    let out = flink
        .describe_application()
        .application_name(app)
        .send()
        .await
        .with_context(|| format!("describing application {app}"))?;
    out.application_detail.with_context(|| format!("DescribeApplication answered no detail for {app}"))
}

/// How a start or stop ended.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub application: String,
    pub operation_id: String,
    pub operation_status: String,
    pub application_status: String,
    pub error: Option<String>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.operation_status == OperationStatus::Successful.as_str()
    }
}

fn in_transition(s: &ApplicationStatus) -> bool {
    matches!(
        s,
        ApplicationStatus::Starting
            | ApplicationStatus::Stopping
            | ApplicationStatus::ForceStopping
            | ApplicationStatus::Updating
            | ApplicationStatus::Autoscaling
            | ApplicationStatus::RollingBack
    )
}

/// Polls every `interval` until `app` leaves its transition, then reads how operation `id` ended.
async fn settle(flink: &Client, app: &str, id: &str, interval: Duration) -> anyhow::Result<Outcome> {
    let mut status = detail(flink, app).await?.application_status;
    for _ in 0..MAX_POLLS {
        if !in_transition(&status) {
            break;
        }
        tokio::time::sleep(interval).await;
        status = detail(flink, app).await?.application_status;
    }
    let op = flink
        .describe_application_operation()
        .application_name(app)
        .operation_id(id)
        .send()
        .await
        .with_context(|| format!("describing operation {id} of application {app}"))?;
    let details = op.application_operation_info_details;
    let error = details
        .as_ref()
        .and_then(|d| d.operation_failure_details())
        .and_then(|f| f.error_info())
        .and_then(|e| e.error_string())
        .map(str::to_string);
    Ok(Outcome {
        application: app.to_string(),
        operation_id: id.to_string(),
        operation_status: details.map(|d| d.operation_status.as_str().to_string()).unwrap_or_default(),
        application_status: status.as_str().to_string(),
        error,
    })
}

pub async fn start(flink: &Client, app: &str, from: &RestoreFrom, interval: Duration) -> anyhow::Result<Outcome> {
    let id = request_start(flink, app, from).await?;
    settle(flink, app, &id, interval).await
}

/// Asks for `app` to start, without waiting: the operation id (the console's view polls the status).
pub async fn request_start(flink: &Client, app: &str, from: &RestoreFrom) -> anyhow::Result<String> {
    let out = flink
        .start_application()
        .application_name(app)
        .run_configuration(from.run_configuration())
        .send()
        .await
        .with_context(|| format!("starting application {app}"))?;
    Ok(out.operation_id().unwrap_or_default().to_string())
}

/// Stops `app`. `snapshot` requires the stop to take one (snapshots must be on: a stop takes one
/// whenever they are, as AWS does); `force` stops at once, without one.
pub async fn stop(
    flink: &Client,
    app: &str,
    snapshot: bool,
    force: bool,
    interval: Duration,
) -> anyhow::Result<Outcome> {
    let id = request_stop(flink, app, snapshot, force).await?;
    settle(flink, app, &id, interval).await
}

/// Asks for `app` to stop, without waiting: the operation id.
pub async fn request_stop(flink: &Client, app: &str, snapshot: bool, force: bool) -> anyhow::Result<String> {
    if snapshot {
        let d = detail(flink, app).await?;
        let enabled = d
            .application_configuration_description()
            .and_then(|c| c.application_snapshot_configuration_description())
            .is_some_and(|s| s.snapshots_enabled());
        if !enabled {
            bail!("snapshots are disabled for application {app}; stop it without --snapshot, or enable them first");
        }
    }
    let out = flink
        .stop_application()
        .application_name(app)
        .force(force)
        .send()
        .await
        .with_context(|| format!("stopping application {app}"))?;
    Ok(out.operation_id().unwrap_or_default().to_string())
}

/// Stops `app` if it runs (or is starting or updating), waiting until it is READY: what `delete` does
/// before deleting the stack. `None` when there was nothing to stop.
pub async fn stop_if_running(flink: &Client, app: &str, interval: Duration) -> anyhow::Result<Option<Outcome>> {
    let status = detail(flink, app).await?.application_status;
    match status {
        ApplicationStatus::Running => stop(flink, app, false, false, interval).await.map(Some),
        ApplicationStatus::Starting | ApplicationStatus::Updating | ApplicationStatus::Autoscaling => {
            stop(flink, app, false, true, interval).await.map(Some)
        }
        _ => Ok(None),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotRow {
    pub name: String,
    pub status: String,
    pub version: i64,
    pub created_ms: i64,
}

pub async fn snapshots(flink: &Client, app: &str) -> anyhow::Result<Vec<SnapshotRow>> {
    let mut rows = Vec::new();
    let mut token = None;
    loop {
        let out = flink
            .list_application_snapshots()
            .application_name(app)
            .set_next_token(token)
            .send()
            .await
            .with_context(|| format!("listing the snapshots of application {app}"))?;
        rows.extend(out.snapshot_summaries().iter().map(|s| SnapshotRow {
            name: s.snapshot_name().to_string(),
            status: s.snapshot_status().as_str().to_string(),
            version: s.application_version_id(),
            created_ms: s.snapshot_creation_timestamp().and_then(|t| t.to_millis().ok()).unwrap_or_default(),
        }));
        token = out.next_token;
        if token.is_none() {
            return Ok(rows);
        }
    }
}

pub async fn create_snapshot(flink: &Client, app: &str, name: &str) -> anyhow::Result<()> {
    flink
        .create_application_snapshot()
        .application_name(app)
        .snapshot_name(name)
        .send()
        .await
        .with_context(|| format!("creating snapshot {name} of application {app}"))?;
    Ok(())
}

pub async fn delete_snapshot(flink: &Client, app: &str, name: &str) -> anyhow::Result<()> {
    let d = flink
        .describe_application_snapshot()
        .application_name(app)
        .snapshot_name(name)
        .send()
        .await
        .with_context(|| format!("describing snapshot {name} of application {app}"))?;
    let created = d
        .snapshot_details()
        .and_then(|s| s.snapshot_creation_timestamp())
        .cloned()
        .with_context(|| format!("snapshot {name} has no creation time"))?;
    flink
        .delete_application_snapshot()
        .application_name(app)
        .snapshot_name(name)
        .snapshot_creation_timestamp(created)
        .send()
        .await
        .with_context(|| format!("deleting snapshot {name} of application {app}"))?;
    Ok(())
}

/// What `app` shows of an application.
#[derive(Debug, Clone, Serialize)]
pub struct AppView {
    pub name: String,
    pub status: String,
    pub version: i64,
    pub runtime: String,
    /// When the running job started: the end of the last successful start or update while RUNNING.
    pub running_since_ms: Option<i64>,
    pub last_operation: Option<String>,
    pub snapshots: usize,
    /// The last checkpoint and the restarts, as the application's metrics report them.
    pub figures: JobFigures,
    /// The last lines of the application's log, oldest first.
    pub log: Vec<String>,
}

/// What an application's `AWS/KinesisAnalytics` metrics say of its job, read as any CloudWatch
/// client reads them (the console shows what AWS would). `None` where no datum was published in
/// [`FIGURES_LOOKBACK_MS`] (a stopped application publishes nothing).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct JobFigures {
    /// The minute of the newest datum reporting the last checkpoint: the metrics carry the
    /// checkpoint's duration and size, not when it was taken, so this is when it was last reported.
    pub checkpoint_reported_ms: Option<i64>,
    pub checkpoint_duration_ms: Option<f64>,
    pub checkpoint_size_bytes: Option<f64>,
    /// `numRestarts` of the newest minute.
    pub restarts: Option<f64>,
}

/// How far back the figures look for the newest datum of each metric. The window reaches as far
/// past `now` too: a target whose clock runs ahead of this host's (a local cloud on a virtual clock
/// reached through `--endpoint-url`, whose time this process cannot read) still shows its newest.
pub const FIGURES_LOOKBACK_MS: i64 = 3 * 3_600_000;

/// The query id, metric name and statistic of each figure read.
const FIGURE_QUERIES: [(&str, &str); 3] =
    [("duration", "lastCheckpointDuration"), ("size", "lastCheckpointSize"), ("restarts", "numRestarts")];

/// The newest datum of each figure of `app` up to `now_ms`, in one GetMetricData call (per-minute
/// Maximum, newest first).
pub async fn job_figures(cw: &aws_sdk_cloudwatch::Client, app: &str, now_ms: i64) -> anyhow::Result<JobFigures> {
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
    let dimension = Dimension::builder().name("Application").value(app).build();
    let queries = FIGURE_QUERIES.iter().map(|(id, name)| {
        let metric = Metric::builder()
            .namespace("AWS/KinesisAnalytics")
            .metric_name(*name)
            .dimensions(dimension.clone())
            .build();
        let stat = MetricStat::builder().metric(metric).period(60).stat("Maximum").build();
        MetricDataQuery::builder().id(*id).metric_stat(stat).return_data(true).build()
    });
    let mut pages = cw
        .get_metric_data()
        .set_metric_data_queries(Some(queries.collect()))
        .start_time(DateTime::from_millis(now_ms - FIGURES_LOOKBACK_MS))
        .end_time(DateTime::from_millis(now_ms + FIGURES_LOOKBACK_MS))
        .scan_by(ScanBy::TimestampDescending)
        .into_paginator()
        .send();
    let mut newest: std::collections::HashMap<String, (i64, f64)> = std::collections::HashMap::new();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("GetMetricData for the metrics of application {app} failed"))?;
        for r in page.metric_data_results() {
            let Some(id) = r.id() else { continue };
            for (t, v) in r.timestamps().iter().zip(r.values()) {
                let Ok(ms) = t.to_millis() else { continue };
                let e = newest.entry(id.to_string()).or_insert((ms, *v));
                if ms > e.0 {
                    *e = (ms, *v);
                }
            }
        }
    }
    Ok(JobFigures {
        checkpoint_reported_ms: newest.get("size").map(|(t, _)| *t),
        checkpoint_duration_ms: newest.get("duration").map(|(_, v)| *v),
        checkpoint_size_bytes: newest.get("size").map(|(_, v)| *v),
        restarts: newest.get("restarts").map(|(_, v)| *v),
    })
}

const LOG_LINES: i32 = 10;

pub async fn view(
    flink: &Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    cw: &aws_sdk_cloudwatch::Client,
    app: &str,
    now_ms: i64,
) -> anyhow::Result<AppView> {
    let d = detail(flink, app).await?;
    let ops = flink
        .list_application_operations()
        .application_name(app)
        .send()
        .await
        .with_context(|| format!("listing the operations of application {app}"))?;
    let list = ops.application_operation_info_list();
    let running = d.application_status == ApplicationStatus::Running;
    let running_since_ms = running
        .then(|| {
            list.iter()
                .filter(|o| matches!(o.operation(), Some("StartApplication" | "UpdateApplication")))
                .find(|o| o.operation_status() == Some(&OperationStatus::Successful))
                .and_then(|o| o.end_time())
                .and_then(|t| t.to_millis().ok())
        })
        .flatten();
    let last_operation = list.first().map(|o| {
        format!(
            "{} {}",
            o.operation().unwrap_or_default(),
            o.operation_status().map(|s| s.as_str()).unwrap_or_default()
        )
    });
    let mut log = Vec::new();
    for option in d.cloud_watch_logging_option_descriptions() {
        let arn = option.log_stream_arn();
        let Some((group, stream)) = arn.split_once(":log-group:").and_then(|(_, rest)| rest.split_once(":log-stream:"))
        else {
            continue;
        };
        let out = logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .limit(LOG_LINES)
            .start_from_head(false)
            .send()
            .await;
        // An application whose log stream is not there yet simply has no lines to show.
        if let Ok(out) = out {
            log.extend(out.events().iter().filter_map(|e| e.message()).map(log_line));
        }
    }
    Ok(AppView {
        name: d.application_name.clone(),
        status: d.application_status.as_str().to_string(),
        version: d.application_version_id,
        runtime: d.runtime_environment.as_str().to_string(),
        running_since_ms,
        last_operation,
        snapshots: snapshots(flink, app).await?.len(),
        figures: job_figures(cw, app, now_ms).await?,
        log,
    })
}

/// A Managed Flink JSON record as one line (`ERROR message`); other lines as they are.
fn log_line(message: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(message) {
        Ok(v) if v["message"].is_string() => {
            format!("{} {}", v["messageType"].as_str().unwrap_or("INFO"), v["message"].as_str().unwrap_or_default())
        }
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical: &str, kind: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(format!("{logical}-physical")),
            resource_type: kind.into(),
            status: "CREATE_COMPLETE".into(),
            reason: None,
        }
    }

    #[test]
    fn a_stack_names_its_one_application() {
        let rs = [resource("DataStream", "AWS::Kinesis::Stream"), resource("Application", APPLICATION_TYPE)];
        assert_eq!(pick_application(&rs, "s").unwrap(), "Application-physical");
        let err = pick_application(&rs[..1], "s").unwrap_err().to_string();
        assert!(err.contains("no Managed Flink application"), "{err}");
    }

    #[test]
    fn from_reads_latest_none_or_a_snapshot_name_and_log_records_read_as_lines() {
        assert_eq!(RestoreFrom::parse("latest-snapshot"), RestoreFrom::LatestSnapshot);
        assert_eq!(RestoreFrom::parse("none"), RestoreFrom::Nothing);
        assert_eq!(RestoreFrom::parse("nightly"), RestoreFrom::Snapshot("nightly".into()));
        assert_eq!(log_line(r#"{"messageType":"ERROR","message":"boom"}"#), "ERROR boom");
        assert_eq!(log_line("plain"), "plain");
    }
}
