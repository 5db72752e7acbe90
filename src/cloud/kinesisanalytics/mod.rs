//! Amazon Managed Service for Apache Flink (`KinesisAnalytics_20180523`, awsJson 1.1, signing name
//! `kinesisanalytics`): applications with their statuses, versions, snapshots, operations, logging
//! options and tags, durable in `<data dir>/kinesisanalytics/flink.redb` (`state.rs`). Transitions take
//! seconds of the cloud clock (`settings.rs`) and end in `runtime.rs`, which also runs each running
//! application's built-in job, picked by its `kinesis-console:builtin` tag (`jobs/`), restarts a job
//! that fails as Flink's restart strategy does (`restart.rs`), writes the application's log records
//! (`app_log.rs`) and publishes its `AWS/KinesisAnalytics` metrics (`metrics.rs`, `process_stats.rs`).
//! One family of operations per file.

pub mod app_log;
pub mod application_provider;
pub mod applications;
pub mod config;
pub mod detail;
pub mod history;
mod job_failures;
pub mod jobs;
pub mod lifecycle;
pub mod logging;
pub mod logging_option_provider;
pub mod metrics;
pub mod model;
pub mod op;
pub mod process_stats;
pub mod restart;
pub mod rollback;
pub mod runtime;
pub mod settings;
pub mod snapshots;
pub mod state;
mod state_files;
pub mod tags;

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::Value;

use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Output, Service, no_timestamps};
use op::Op;
use runtime::Runtime;
use settings::FlinkSettings;
use state::FlinkState;

const TICK_MS: i64 = 1_000;

pub struct KinesisAnalytics {
    descriptor: Descriptor,
    pub state: Arc<FlinkState>,
    pub runtime: Arc<Runtime>,
    settings: FlinkSettings,
    ctx: Arc<CloudContext>,
}

impl KinesisAnalytics {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("kinesisanalytics");
        let (state, unreadable) =
            FlinkState::open(&dir).with_context(|| format!("opening the Managed Flink data in {}", dir.display()))?;
        for u in unreadable {
            ctx.damage.report("kinesisanalytics", u.key, format!("unreadable application, left out: {}", u.reason));
        }
        Ok(KinesisAnalytics {
            descriptor: Descriptor {
                id: "kinesisanalytics",
                signing_name: "kinesisanalytics",
                json_target: Some("KinesisAnalytics_20180523"),
                cbor_service: None,
                query: None,
                rest: false,
                query_compatible: false,
                // A ZIPFILE code content of up to 50 MiB, base64 in JSON.
                max_body: 72 * 1024 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            state: Arc::new(state),
            runtime: Arc::new(Runtime::new(FlinkSettings::default())),
            settings: FlinkSettings::default(),
            ctx: ctx.clone(),
        })
    }

    /// Every operation, one line each; providers call it too. Transitions already due end first.
    pub fn run(&self, operation: &str, region: &str, input: Value) -> Result<Value, ApiError> {
        let now = self.ctx.clock.now_ms();
        self.runtime.transitions(&self.state, &self.ctx, now);
        let op = Op { state: &self.state, ctx: &self.ctx, settings: &self.settings, region, now };
        match operation {
            "CreateApplication" => applications::create(&op, input),
            "DescribeApplication" => applications::describe(&op, input),
            "ListApplications" => applications::list(&op, input),
            "UpdateApplication" => applications::update(&op, input),
            "DeleteApplication" => applications::delete(&op, input),
            "StartApplication" => lifecycle::start(&op, input),
            "StopApplication" => lifecycle::stop(&op, input),
            "RollbackApplication" => rollback::rollback(&op, input),
            "CreateApplicationSnapshot" => snapshots::create(&op, input),
            "DescribeApplicationSnapshot" => snapshots::describe(&op, input),
            "ListApplicationSnapshots" => snapshots::list(&op, input),
            "DeleteApplicationSnapshot" => snapshots::delete(&op, input),
            "AddApplicationCloudWatchLoggingOption" => logging::add(&op, input),
            "DeleteApplicationCloudWatchLoggingOption" => logging::delete(&op, input),
            "ListApplicationVersions" => history::list_versions(&op, input),
            "DescribeApplicationVersion" => history::describe_version(&op, input),
            "ListApplicationOperations" => history::list_operations(&op, input),
            "DescribeApplicationOperation" => history::describe_operation(&op, input),
            "TagResource" => tags::tag(&op, input),
            "UntagResource" => tags::untag(&op, input),
            "ListTagsForResource" => tags::list(&op, input),
            other => Err(ApiError::unknown_operation(other)),
        }
    }

    /// One second of the cloud clock: due transitions, then a step of every running job.
    fn tick(&self, now: i64) {
        self.runtime.transitions(&self.state, &self.ctx, now);
        self.runtime.steps(&self.state, &self.ctx, now);
    }
}

impl Service for KinesisAnalytics {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, _ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let input = call.input.json()?;
            self.run(&call.operation, &call.region, input).map(Output::Json)
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.runtime.stop_all();
            let mut apps = self.state.lock();
            let names: Vec<String> = apps.keys().cloned().collect();
            for name in names {
                self.state.remove(&mut apps, &name).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            self.ctx.damage.clear("kinesisanalytics");
            Ok(())
        })
    }

    fn start(self: Arc<Self>, ctx: Arc<CloudContext>) {
        tokio::spawn(async move {
            let ticker = ctx.clock.ticker();
            let mut next = (ctx.clock.now_ms() / TICK_MS + 1) * TICK_MS;
            loop {
                tokio::select! {
                    _ = ticker.sleep_until(next) => {}
                    _ = ctx.shutdown_requested() => break,
                }
                let now = ctx.clock.now_ms();
                let me = self.clone();
                if let Err(e) = tokio::task::spawn_blocking(move || me.tick(now)).await {
                    tracing::error!(error = %e, "the Managed Flink tick panicked");
                }
                next = (now / TICK_MS + 1) * TICK_MS;
            }
        });
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.runtime.stop_all() })
    }
}
