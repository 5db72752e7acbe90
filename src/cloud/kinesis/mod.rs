//! Kinesis Data Streams: awsJson 1.1 with `X-Amz-Target: Kinesis_20131202.<Op>`, signing name `kinesis`.
//! Stream metadata lives in redb, records in per-shard logs under `<data_dir>/kinesis/`.

pub mod consumer_provider;
pub mod consumers;
pub mod keys;
pub mod limits;
pub mod maintenance;
pub mod metrics;
pub mod model;
pub mod on_demand;
pub mod op;
pub mod reading;
pub mod records;
pub mod resharding;
pub mod settings;
pub mod shards;
pub mod source;
pub mod state;
pub mod stats;
pub mod storage;
pub mod stream_provider;
pub mod stream_settings;
pub mod streams;
pub mod subscribe;
pub mod subscriptions;
pub mod tags;
pub mod validate;

use std::sync::Arc;

use anyhow::Context as _;
use http::StatusCode;

use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Output, Service, no_timestamps};
use op::Op;
use state::{Options, State};

pub struct Kinesis {
    descriptor: Descriptor,
    pub state: Arc<State>,
    ticks: Arc<maintenance::Ticks>,
    ctx: Arc<CloudContext>,
}

impl Kinesis {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("kinesis");
        let settings = &ctx.config.kinesis;
        let opts = Options {
            transition_ms: settings.transition_ms.max(0),
            shard_limit: settings.shard_limit_in(&ctx.config.region),
            on_demand_stream_limit: settings.on_demand_stream_limit,
            stream_limit: settings.stream_limit,
            segment_bytes: settings.segment_bytes,
        };
        let state = State::open(&dir, opts, settings.disk_fault.clone())
            .with_context(|| format!("opening the Kinesis data in {}", dir.display()))?;
        let state = Arc::new(state);
        ctx.stream_reader.install(Arc::new(source::Source::new(state.clone(), Arc::downgrade(ctx))));
        for (name, q) in state.quarantined() {
            ctx.damage.report(
                "kinesis",
                name,
                format!("{}; the stream is refused until it is deleted by a reset", q.reason),
            );
        }
        Ok(Kinesis {
            descriptor: Descriptor {
                id: "kinesis",
                signing_name: "kinesis",
                json_target: Some("Kinesis_20131202"),
                cbor_service: None,
                query: None,
                rest: false,
                query_compatible: false,
                max_body: records::MAX_REQUEST_BODY,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            state,
            ticks: Arc::new(maintenance::Ticks::new(ctx.clock.now_ms())),
            ctx: ctx.clone(),
        })
    }

    async fn dispatch(
        &self,
        op: &Op<'_>,
        operation: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        match operation {
            "PutRecords" => records::put_records(op, input).await,
            "PutRecord" => records::put_record(op, input).await,
            "GetShardIterator" => reading::get_shard_iterator(op, input),
            "CreateStream" => streams::create(op, input),
            "DeleteStream" => streams::delete(op, input),
            "DescribeStream" => streams::describe(op, input),
            "DescribeStreamSummary" => streams::describe_summary(op, input),
            "ListStreams" => streams::list(op, input),
            "UpdateStreamMode" => streams::update_mode(op, input),
            "DescribeLimits" => streams::describe_limits(op, input),
            "DescribeAccountSettings" => streams::describe_account_settings(op, input),
            "ListShards" => shards::list_shards(op, input),
            "UpdateShardCount" => resharding::update_shard_count(op, input).await,
            "SplitShard" => resharding::split_shard(op, input).await,
            "MergeShards" => resharding::merge_shards(op, input).await,
            "IncreaseStreamRetentionPeriod" => stream_settings::change_retention(op, input, true),
            "DecreaseStreamRetentionPeriod" => stream_settings::change_retention(op, input, false),
            "StartStreamEncryption" => stream_settings::encryption(op, input, true),
            "StopStreamEncryption" => stream_settings::encryption(op, input, false),
            "EnableEnhancedMonitoring" => stream_settings::monitoring(op, input, true),
            "DisableEnhancedMonitoring" => stream_settings::monitoring(op, input, false),
            "UpdateMaxRecordSize" => stream_settings::update_max_record_size(op, input),
            "UpdateStreamWarmThroughput" => stream_settings::update_warm_throughput(op, input),
            "AddTagsToStream" => tags::add_to_stream(op, input),
            "RemoveTagsFromStream" => tags::remove_from_stream(op, input),
            "ListTagsForStream" => tags::list_for_stream(op, input),
            "TagResource" => tags::tag_resource(op, input),
            "UntagResource" => tags::untag_resource(op, input),
            "ListTagsForResource" => tags::list_for_resource(op, input),
            "RegisterStreamConsumer" => consumers::register(op, input),
            "DeregisterStreamConsumer" => consumers::deregister(op, input),
            "DescribeStreamConsumer" => consumers::describe(op, input),
            "ListStreamConsumers" => consumers::list(op, input),
            other => Err(ApiError::unknown_operation(other)),
        }
    }
}

/// The operations the Kinesis API model gives no output members: AWS answers them with HTTP 200 and
/// an empty body, not `{}`.
const NO_OUTPUT: [&str; 15] = [
    "AddTagsToStream",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "IncreaseStreamRetentionPeriod",
    "MergeShards",
    "RemoveTagsFromStream",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "TagResource",
    "UntagResource",
    "UpdateMaxRecordSize",
    "UpdateStreamMode",
];

/// A successful awsJson response whose body is already rendered.
fn json_body(protocol: super::service::Protocol, body: Vec<u8>) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(super::protocol::json::content_type(protocol)),
    );
    r
}

impl Service for Kinesis {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(
        &'a self,
        ctx: &'a Arc<CloudContext>,
        call: Call,
    ) -> BoxFuture<'a, Result<super::service::Output, ApiError>> {
        Box::pin(async move {
            if self.state.is_closed() {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The local cloud is shutting down.",
                ));
            }
            let input = call.input.json()?;
            let now = ctx.clock.now_ms();
            maintenance::catch_up(&self.ticks, &self.state, ctx, now).await;
            let op = Op { state: &self.state, ctx, region: &call.region, now };
            if call.operation == "SubscribeToShard" {
                return subscribe::subscribe_to_shard(&op, input, self.state.clone(), ctx.clone()).map(Output::Stream);
            }
            if call.operation == "GetRecords" {
                let body = reading::get_records(&op, input)?;
                return Ok(Output::Rest(json_body(call.protocol, body)));
            }
            let output = self.dispatch(&op, &call.operation, input).await?;
            if NO_OUTPUT.contains(&call.operation.as_str()) {
                return Ok(Output::Rest(json_body(call.protocol, Vec::new())));
            }
            Ok(Output::Json(output))
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.state.drop_all();
            self.ctx.damage.clear("kinesis");
            Ok(())
        })
    }

    fn start(self: Arc<Self>, ctx: Arc<CloudContext>) {
        tokio::spawn(maintenance::run(self.ticks.clone(), self.state.clone(), ctx));
    }
}
