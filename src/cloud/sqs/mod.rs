//! Amazon SQS (standard queues): awsJson 1.0 (`X-Amz-Target: AmazonSQS.<Op>`, current SDKs) and
//! awsQuery (`Version=2012-11-05`, older SDKs), both read into one JSON document (`query.rs`), so one
//! implementation of each operation serves both. The service is `awsQueryCompatible`: JSON errors
//! carry the awsQuery code in `x-amzn-query-error` (`errors.rs`). Queues and messages live in
//! `<data dir>/sqs/sqs.redb` (`state.rs`); `maintenance.rs` drops expired messages and publishes the
//! AWS/SQS metrics each second of the cloud clock; a long poll waits on the cloud clock and wakes on a
//! send. Other services send through `ctx.queue_sender` (`sink.rs`).

pub mod attributes;
pub mod digest;
pub mod errors;
pub mod maintenance;
pub mod metrics;
pub mod model;
pub mod op;
pub mod query;
pub mod queue_policy_provider;
pub mod queue_provider;
pub mod queues;
pub mod receive;
pub mod send;
pub mod sink;
pub mod state;

use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderValue, Response};
use http_body_util::Full;
use serde_json::{Value, json};

use super::context::CloudContext;
use super::error::ApiError;
use super::protocol::query::respond;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, Protocol, QueryInfo, Service, no_timestamps};
use op::Op;
use state::SqsState;

pub struct Sqs {
    descriptor: Descriptor,
    pub state: Arc<SqsState>,
    ctx: Arc<CloudContext>,
}

impl Sqs {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("sqs");
        let (state, unreadable) =
            SqsState::open(&dir).with_context(|| format!("opening the SQS data in {}", dir.display()))?;
        for u in unreadable {
            ctx.damage.report("sqs", u.key, format!("unreadable document, left out: {}", u.reason));
        }
        let state = Arc::new(state);
        ctx.queue_sender.install(Arc::new(sink::SqsSink::new(state.clone(), ctx)));
        Ok(Sqs {
            descriptor: Descriptor {
                id: "sqs",
                signing_name: "sqs",
                json_target: Some("AmazonSQS"),
                cbor_service: None,
                query: Some(QueryInfo { version: "2012-11-05", xmlns: "http://queue.amazonaws.com/doc/2012-11-05/" }),
                rest: false,
                query_compatible: true,
                // A 1 MiB batch, escaped in JSON or form-encoded (up to three bytes per byte).
                max_body: 4 * 1024 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            state,
            ctx: ctx.clone(),
        })
    }

    fn op(&self) -> Op<'_> {
        Op { state: &self.state, ctx: &self.ctx, now: self.ctx.clock.now_ms() }
    }

    /// Every operation but ReceiveMessage's wait, one line each; providers call it too.
    pub fn run(&self, operation: &str, input: Value) -> Result<Value, ApiError> {
        let op = self.op();
        match operation {
            "CreateQueue" => queues::create(&op, input),
            "GetQueueUrl" => queues::get_url(&op, input),
            "GetQueueAttributes" => queues::get_attributes(&op, input),
            "SetQueueAttributes" => queues::set_attributes(&op, input),
            "DeleteQueue" => queues::delete(&op, input),
            "PurgeQueue" => queues::purge(&op, input),
            "ListQueues" => queues::list(&op, input),
            "TagQueue" => queues::tag(&op, input),
            "UntagQueue" => queues::untag(&op, input),
            "ListQueueTags" => queues::list_tags(&op, input),
            "SendMessage" => send::send(&op, input),
            "SendMessageBatch" => send::send_batch(&op, input),
            "DeleteMessage" => receive::delete(&op, input),
            "DeleteMessageBatch" => receive::delete_batch(&op, input),
            "ChangeMessageVisibility" => receive::change_visibility(&op, input),
            "ChangeMessageVisibilityBatch" => receive::change_visibility_batch(&op, input),
            other => Err(ApiError::unknown_operation(other)),
        }
    }

    /// ReceiveMessage: looks at once, then, for a long poll, again whenever a message is sent or the
    /// next one becomes visible, until the wait ends on the cloud clock.
    pub async fn receive(&self, input: Value) -> Result<Value, ApiError> {
        let req = receive::request(&self.op(), &input)?;
        let notify = self.state.lock().get(&req.queue).map(|q| q.notify.clone()).ok_or_else(errors::no_queue)?;
        let wait_s = match req.wait_s {
            Some(w) => w,
            None => self.state.lock().get(&req.queue).map_or(0, |q| q.meta.number("ReceiveMessageWaitTimeSeconds")),
        };
        let deadline = self.ctx.clock.now_ms() + wait_s * 1000;
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let op = self.op();
            maintenance::expire(&op, &req.queue)?;
            let look = receive::look(&op, &req)?;
            if !look.messages.is_empty() {
                return Ok(json!({ "Messages": look.messages }));
            }
            if op.now >= deadline || self.ctx.is_shutting_down() {
                if let Some(q) = self.state.lock().get_mut(&req.queue) {
                    q.counters.empty_receives += 1;
                }
                return Ok(json!({}));
            }
            let wake = look.next_visible_ms.map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                _ = notified => {}
                _ = self.ctx.clock.sleep_until(wake) => {}
                _ = self.ctx.shutdown_requested() => {}
            }
        }
    }
}

/// An error in the JSON protocol as SQS answers it: the model's shape in `__type`, the awsQuery code
/// in `x-amzn-query-error`.
fn json_error(err: &ApiError) -> Response<Full<Bytes>> {
    let body =
        json!({ "__type": format!("com.amazonaws.sqs#{}", errors::shape_of(&err.code)), "message": err.message });
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = err.status;
    let fault = if err.sender_fault { "Sender" } else { "Receiver" };
    let headers = r.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/x-amz-json-1.0"));
    if let Ok(v) = HeaderValue::from_str(&format!("{};{fault}", err.code)) {
        headers.insert("x-amzn-query-error", v);
    }
    r
}

impl Service for Sqs {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, _ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let operation = call.operation.as_str();
            let input = match call.input {
                Input::Query(form) => query::to_json(operation, &form)?,
                other => other.json()?,
            };
            let result = match operation {
                "ReceiveMessage" => self.receive(input).await,
                _ => self.run(operation, input),
            };
            match call.protocol {
                Protocol::AwsQuery => {
                    let output = result?;
                    let inner = query::to_xml(operation, &output);
                    let result = query::has_result(operation).then_some(inner.as_str());
                    Ok(Output::Rest(respond(&self.descriptor, operation, result, &call.request_id)))
                }
                _ => Ok(match result {
                    Ok(v) => Output::Json(v),
                    Err(e) => Output::Rest(json_error(&e)),
                }),
            }
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            let mut queues = self.state.lock();
            let mut changes = Vec::new();
            for (name, q) in queues.iter() {
                changes.push(state::remove_queue(name));
                changes.extend(q.messages.keys().map(|seq| state::remove_message(name, *seq)));
            }
            self.state.commit(&changes).map_err(|e| anyhow::anyhow!("{e}"))?;
            for q in queues.values() {
                q.notify.notify_waiters();
            }
            queues.clear();
            self.ctx.damage.clear("sqs");
            Ok(())
        })
    }

    fn start(self: Arc<Self>, ctx: Arc<CloudContext>) {
        tokio::spawn(maintenance::run(self.state.clone(), ctx));
    }
}
