//! CloudWatch Logs: awsJson 1.1 with `X-Amz-Target: Logs_20140328.<Op>`, signing name `logs`.
//! Groups, streams and events live in `<data dir>/logs/logs.redb` (`state.rs`); retention is applied
//! on the cloud clock: reads never show an expired event, and expired events are deleted from disk at
//! the first request or write after each second of cloud time. Other services write logs through the
//! [`LogSink`](crate::cloud::log_sink::LogSink) this service installs on the context (`sink.rs`).

pub mod events;
pub mod filter;
pub mod group_provider;
pub mod groups;
pub mod insights;
pub mod model;
pub mod op;
pub mod pattern;
pub mod settings;
pub mod sink;
pub mod state;
pub mod stream_provider;
pub mod streams;
pub mod validate;

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use anyhow::Context as _;

use super::clock::Millis;
use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Output, Service, no_timestamps};
pub use op::{Op, catch_up};
use state::LogState;

pub struct Logs {
    descriptor: Descriptor,
    pub state: Arc<LogState>,
    last_trim: Arc<AtomicI64>,
    insights: Arc<insights::QueryRegistry>,
}

impl Logs {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("logs");
        let (state, unreadable) =
            LogState::open(&dir).with_context(|| format!("opening the CloudWatch Logs data in {}", dir.display()))?;
        for u in unreadable {
            ctx.damage.report("logs", u.key, format!("unreadable document, left out: {}", u.reason));
        }
        let state = Arc::new(state);
        let last_trim = Arc::new(AtomicI64::new(Millis::MIN));
        let sink = sink::LogsSink::new(state.clone(), Arc::downgrade(ctx), last_trim.clone());
        ctx.log_publisher.install(Arc::new(sink));
        Ok(Logs {
            descriptor: Descriptor {
                id: "logs",
                signing_name: "logs",
                json_target: Some("Logs_20140328"),
                cbor_service: None,
                query: None,
                rest: false,
                query_compatible: false,
                // A PutLogEvents of 1 MiB, escaped into JSON.
                max_body: 8 * 1024 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            state,
            last_trim,
            insights: Arc::new(insights::QueryRegistry::new(Arc::downgrade(ctx))),
        })
    }

    fn dispatch(&self, op: &Op<'_>, operation: &str, input: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        match operation {
            "CreateLogGroup" => groups::create(op, input),
            "DeleteLogGroup" => groups::delete(op, input),
            "DescribeLogGroups" => groups::describe(op, input),
            "PutRetentionPolicy" => groups::put_retention(op, input),
            "DeleteRetentionPolicy" => groups::delete_retention(op, input),
            "TagResource" => groups::tag_resource(op, input),
            "UntagResource" => groups::untag_resource(op, input),
            "ListTagsForResource" => groups::list_tags_for_resource(op, input),
            "TagLogGroup" => groups::tag_log_group(op, input),
            "UntagLogGroup" => groups::untag_log_group(op, input),
            "ListTagsLogGroup" => groups::list_tags_log_group(op, input),
            "CreateLogStream" => streams::create(op, input),
            "DeleteLogStream" => streams::delete(op, input),
            "DescribeLogStreams" => streams::describe(op, input),
            "PutLogEvents" => events::put(op, input),
            "GetLogEvents" => events::get(op, input),
            "FilterLogEvents" => filter::filter(op, input),
            "StartQuery" => insights::api::start(op, &self.insights, input),
            "GetQueryResults" => insights::api::get_results(op, &self.insights, input),
            "StopQuery" => insights::api::stop(op, &self.insights, input),
            "DescribeQueries" => insights::api::describe(op, &self.insights, input),
            other => Err(ApiError::unknown_operation(other)),
        }
    }
}

impl Service for Logs {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let input = call.input.json()?;
            let now = ctx.clock.now_ms();
            catch_up(&self.state, &self.last_trim, now);
            let op = Op { state: &self.state, ctx, region: &call.region, now };
            self.dispatch(&op, &call.operation, input).map(Output::Json)
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.insights.clear();
            self.state.drop_all().map_err(|e| anyhow::anyhow!("{e}"))
        })
    }
}
