//! Amazon Data Firehose: awsJson 1.1 with `X-Amz-Target: Firehose_20150804.<Op>`, signing name
//! `firehose`. Delivery streams that read a Kinesis stream (or take DirectPut records), buffer,
//! compress and write objects into the local S3 (`delivery/`), with the AWS/Firehose metrics
//! (`metrics.rs`). State lives in `<data dir>/firehose/firehose.redb` (`state.rs`).

pub mod delivery;
pub mod delivery_stream_provider;
pub mod destination;
pub mod format;
pub mod lifecycle;
pub mod metrics;
pub mod model;
pub mod op;
pub mod records;
pub mod settings;
pub mod state;
pub mod streams;
pub mod tags;
pub mod validate;

use std::sync::Arc;

use anyhow::Context as _;

use super::context::CloudContext;
use super::error::ApiError;
use super::log_sink::LogLine;
use super::service::{BoxFuture, Call, Descriptor, Output, Service, no_timestamps};
use op::Op;
use state::{FirehoseState, Loaded};

pub struct Firehose {
    descriptor: Descriptor,
    pub state: Arc<FirehoseState>,
    ctx: Arc<CloudContext>,
}

impl Firehose {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("firehose");
        let skip = ctx.config.firehose.skip_commit_after_write.clone();
        let (state, loaded) = FirehoseState::open(&dir, skip)
            .with_context(|| format!("opening the Firehose data in {}", dir.display()))?;
        let state = Arc::new(state);
        settle_intents(&state, ctx, loaded);
        Ok(Firehose {
            descriptor: Descriptor {
                id: "firehose",
                signing_name: "firehose",
                json_target: Some("Firehose_20150804"),
                cbor_service: None,
                query: None,
                rest: false,
                query_compatible: false,
                // A PutRecordBatch of 4 MiB, base64 in JSON.
                max_body: 8 * 1024 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            state,
            ctx: ctx.clone(),
        })
    }

    fn dispatch(&self, op: &Op<'_>, operation: &str, input: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        match operation {
            "CreateDeliveryStream" => streams::create(op, input),
            "DescribeDeliveryStream" => streams::describe(op, input),
            "ListDeliveryStreams" => streams::list(op, input),
            "DeleteDeliveryStream" => streams::delete(op, input),
            "UpdateDestination" => streams::update_destination(op, input),
            "TagDeliveryStream" => tags::tag(op, input),
            "UntagDeliveryStream" => tags::untag(op, input),
            "ListTagsForDeliveryStream" => tags::list(op, input),
            "PutRecord" => records::put_record(op, input),
            "PutRecordBatch" => records::put_record_batch(op, input),
            other => Err(ApiError::unknown_operation(other)),
        }
    }

    /// Runs an operation as the API does (transitions due by now ended first); providers use it too.
    pub fn run(&self, operation: &str, region: &str, input: serde_json::Value) -> Result<serde_json::Value, ApiError> {
        let now = self.ctx.clock.now_ms();
        lifecycle::settle(&self.state, &self.ctx, now);
        let op = Op { state: &self.state, ctx: &self.ctx, region, now };
        self.dispatch(&op, operation, input)
    }
}

/// Objects that were about to be written when the host stopped: one that exists was written but its
/// positions were not committed, so its records are being delivered again. Counted and logged.
fn settle_intents(state: &FirehoseState, ctx: &CloudContext, loaded: Loaded) {
    for (key, reason) in loaded.unreadable {
        ctx.damage.report("firehose", key, format!("unreadable document, left out: {reason}"));
    }
    for (name, intent) in loaded.intents {
        let Some(pipeline) = state.lock().get(&name).map(|e| e.pipeline.clone()) else { continue };
        let result = match ctx.object_writer.object_exists(&intent.bucket, &intent.key) {
            Ok(true) => pipeline.record_duplicates(intent.records).map(Some),
            Ok(false) => pipeline.drop_intent().map(|_| None),
            Err(e) => Err(e),
        };
        match result {
            Ok(Some((objects, records))) => {
                let message = format!(
                    "Delivery stream {name}: object s3://{}/{} was written before the host stopped but its read positions were not committed; its {} records are delivered again (duplicates so far: {records} records in {objects} objects).",
                    intent.bucket, intent.key, intent.records
                );
                tracing::warn!("{message}");
                log_line(ctx, &name, message);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(delivery_stream = %name, error = %e, "checking the last object written failed"),
        }
    }
}

/// Writes a line to the delivery stream's log group, as Firehose's error logging names it.
fn log_line(ctx: &CloudContext, name: &str, message: String) {
    let group = format!("/aws/kinesisfirehose/{name}");
    let line = LogLine { timestamp_ms: ctx.clock.now_ms(), message };
    let written = ctx
        .log_publisher
        .ensure_stream(&group, "DestinationDelivery")
        .and_then(|_| ctx.log_publisher.append(&group, "DestinationDelivery", vec![line]));
    if let Err(e) = written {
        tracing::warn!(delivery_stream = %name, error = %e, "writing to the delivery stream's log group failed");
    }
}

impl Service for Firehose {
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
            let mut streams = self.state.lock();
            let names: Vec<String> = streams.keys().cloned().collect();
            for name in names {
                self.state.remove(&mut streams, &name).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            self.ctx.damage.clear("firehose");
            Ok(())
        })
    }

    fn start(self: Arc<Self>, ctx: Arc<CloudContext>) {
        tokio::spawn(delivery::run(self.state.clone(), ctx));
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move { delivery::flush_all(&self.state, &self.ctx).await })
    }
}
