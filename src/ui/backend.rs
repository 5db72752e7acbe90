//! Requests answered through the SDK clients of one connection: the same calls on the local cloud,
//! an endpoint or AWS. Errors become one human sentence.

use std::sync::Arc;
use std::time::Duration;

use super::action::{DashboardData, Data, Request};
use super::jobs::{Answer, Fetch};
use crate::control::dashboard::{PeriodRule, TimeRange, fetch};
use crate::control::flink::{self, RestoreFrom};
use crate::control::logs_insights;
use crate::control::production::Runs;
use crate::control::record_feed::Feeds;
use crate::control::sample::{self, Feeder};
use crate::control::tail::StartAt;
use crate::control::{Access, alarms, stacks, streams};
use crate::target::Connection;

/// A log widget's query gets this long, inside the request's own timeout (`jobs::TIMEOUT`), so the
/// metrics still arrive when a query runs long.
const LOG_QUERY_DEADLINE: Duration = Duration::from_secs(15);

/// How far back a records view starts.
const RECORDS_LOOKBACK_MS: i64 = 5 * 60 * 1000;

pub struct SdkBackend {
    conn: Arc<Connection>,
    cloudwatch: aws_sdk_cloudwatch::Client,
    kinesis: aws_sdk_kinesis::Client,
    cloudformation: aws_sdk_cloudformation::Client,
    sts: aws_sdk_sts::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    flink: aws_sdk_kinesisanalyticsv2::Client,
    log_file: std::path::PathBuf,
    access: Access,
    /// The sample's feeder, started by the first `StartSample`, stopped when the backend goes.
    sample: Arc<tokio::sync::Mutex<Option<Feeder>>>,
    /// Producer runs the console started; they stop when the backend goes.
    runs: Arc<Runs>,
    /// The records views' feeds.
    feeds: Arc<Feeds>,
    /// Each stack's Managed Flink application, once found: the application view refreshes every
    /// two seconds, and a stack's application does not change under it.
    applications: Arc<Applications>,
}

type Applications = std::sync::Mutex<std::collections::HashMap<String, String>>;

impl SdkBackend {
    pub fn new(conn: Arc<Connection>, log_file: std::path::PathBuf, access: Access) -> SdkBackend {
        SdkBackend {
            cloudwatch: aws_sdk_cloudwatch::Client::new(&conn.sdk),
            kinesis: aws_sdk_kinesis::Client::new(&conn.sdk),
            cloudformation: aws_sdk_cloudformation::Client::new(&conn.sdk),
            sts: aws_sdk_sts::Client::new(&conn.sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&conn.sdk),
            flink: aws_sdk_kinesisanalyticsv2::Client::new(&conn.sdk),
            conn,
            log_file,
            access,
            sample: Arc::new(tokio::sync::Mutex::new(None)),
            runs: Arc::default(),
            feeds: Arc::default(),
            applications: Arc::default(),
        }
    }

    /// The period rule of this target: AWS keeps standard metrics at one minute; the local cloud
    /// keeps seconds.
    fn period_rule(&self) -> PeriodRule {
        PeriodRule::for_target(&self.conn.target, None)
    }
}

/// The application view, its figures read up to the target's now.
async fn app_view(
    conn: &Connection,
    flink: &aws_sdk_kinesisanalyticsv2::Client,
    logs: &aws_sdk_cloudwatchlogs::Client,
    cw: &aws_sdk_cloudwatch::Client,
    app: &str,
) -> Result<Data, String> {
    let now = conn.now_ms().await;
    flink::view(flink, logs, cw, app, now).await.map(|v| Data::App(Box::new(v))).map_err(human)
}

/// The application of `stack`, or a sentence saying it has none.
async fn stack_application(
    cfn: &aws_sdk_cloudformation::Client,
    known: &Applications,
    stack: &str,
) -> Result<String, String> {
    if let Some(app) = known.lock().unwrap_or_else(|p| p.into_inner()).get(stack) {
        return Ok(app.clone());
    }
    let app = flink::stack_application(cfn, stack)
        .await
        .map_err(human)?
        .ok_or_else(|| format!("stack {stack} has no Managed Flink application"))?;
    known.lock().unwrap_or_else(|p| p.into_inner()).insert(stack.to_string(), app.clone());
    Ok(app)
}

fn human(e: anyhow::Error) -> String {
    crate::control::credentials::human(&e)
}

impl Fetch for SdkBackend {
    fn fetch(&self, request: Request) -> Answer {
        let conn = self.conn.clone();
        let (cw, kinesis, cfn, sts) =
            (self.cloudwatch.clone(), self.kinesis.clone(), self.cloudformation.clone(), self.sts.clone());
        let logs_client = self.logs.clone();
        let rule = self.period_rule();
        let log_file = self.log_file.clone();
        let (access, feeder) = (self.access, self.sample.clone());
        let (runs, feeds) = (self.runs.clone(), self.feeds.clone());
        let (flink, applications) = (self.flink.clone(), self.applications.clone());
        Box::pin(async move {
            match request {
                Request::Identity => {
                    let out = sts.get_caller_identity().send().await.map_err(|e| human(e.into()))?;
                    Ok(Data::Identity { account: out.account().unwrap_or("unknown").to_string() })
                }
                Request::Stacks => {
                    stacks::inspect::deployments(&cfn, &cw).await.map(Data::Stacks).map_err(|e| e.to_string())
                }
                Request::Streams => streams::list(&kinesis).await.map(Data::Streams).map_err(human),
                Request::Dashboards => fetch::list_dashboards(&cw).await.map(Data::Dashboards).map_err(human),
                Request::Alarms => {
                    alarms::list(&cw, &alarms::AlarmFilter::default()).await.map(Data::Alarms).map_err(human)
                }
                Request::Dashboard { name, range_secs, end_ms } => {
                    let end_ms = match end_ms {
                        Some(e) => e,
                        None => conn.now_ms().await,
                    };
                    let dashboard = fetch::get_dashboard(&cw, &name).await.map_err(human)?;
                    let range = TimeRange::last(range_secs, end_ms);
                    let (plan, _, view) = fetch::refresh(&cw, &dashboard, range, rule).await.map_err(human)?;
                    let logs = logs_insights::dashboard(&logs_client, &dashboard, range, LOG_QUERY_DEADLINE).await;
                    Ok(Data::Dashboard(Box::new(DashboardData { dashboard, plan, view, end_ms, range_secs, logs })))
                }
                Request::Stream { name, range_secs } => {
                    let range = TimeRange::last(range_secs, conn.now_ms().await);
                    // Standard AWS metrics have one-minute resolution; the local cloud keeps seconds.
                    let resolution = if rule == PeriodRule::Local { 1 } else { 60 };
                    streams::view(&kinesis, &cw, &name, range, resolution)
                        .await
                        .map(|v| Data::Stream(Box::new(v)))
                        .map_err(human)
                }
                Request::Alarm { name, range_secs } => {
                    let end_ms = conn.now_ms().await;
                    alarms::detail(&cw, &name, end_ms, range_secs)
                        .await
                        .map(|d| Data::Alarm(Box::new(d)))
                        .map_err(human)
                }
                Request::ConsoleLog { lines } => {
                    let text = tokio::fs::read_to_string(&log_file)
                        .await
                        .map_err(|e| format!("reading the console log {}: {e}", log_file.display()))?;
                    let all: Vec<&str> = text.lines().collect();
                    Ok(Data::ConsoleLog(all[all.len().saturating_sub(lines)..].iter().map(|l| l.to_string()).collect()))
                }
                Request::StartSample => {
                    sample::start(&conn, access, &feeder).await.map(|s| Data::Changed(s.sentence())).map_err(human)
                }
                Request::StartProducer { target } => {
                    access.check("put records on a stream").map_err(|e| e.to_string())?;
                    let status = runs.start(&conn.sdk, &target).await.map_err(human)?;
                    Ok(Data::Producer(Some(Box::new(status))))
                }
                Request::StopProducer { target } => Ok(Data::Producer(runs.stop(&target).await.map(Box::new))),
                Request::Producer { target } => Ok(Data::Producer(runs.status(&target).await.map(Box::new))),
                Request::Records { target, after } => {
                    // A new feed shows the last five minutes, then what arrives.
                    let start = StartAt::Timestamp(conn.now_ms().await - RECORDS_LOOKBACK_MS);
                    let page = feeds.page(&conn.sdk, &target, after, start).await.map_err(human)?;
                    Ok(Data::Records(Box::new(page)))
                }
                Request::App { stack } => {
                    let app = stack_application(&cfn, &applications, &stack).await?;
                    let view = app_view(&conn, &flink, &logs_client, &cw, &app).await;
                    if view.is_err() {
                        // The stack may have been deleted and deployed again with another application.
                        applications.lock().unwrap_or_else(|p| p.into_inner()).remove(&stack);
                    }
                    view
                }
                Request::StartApp { stack } => {
                    access.check("start an application").map_err(|e| e.to_string())?;
                    let app = stack_application(&cfn, &applications, &stack).await?;
                    flink::request_start(&flink, &app, &RestoreFrom::LatestSnapshot).await.map_err(human)?;
                    app_view(&conn, &flink, &logs_client, &cw, &app).await
                }
                Request::StopApp { stack } => {
                    access.check("stop an application").map_err(|e| e.to_string())?;
                    let app = stack_application(&cfn, &applications, &stack).await?;
                    flink::request_stop(&flink, &app, false, false).await.map_err(human)?;
                    app_view(&conn, &flink, &logs_client, &cw, &app).await
                }
            }
        })
    }
}
