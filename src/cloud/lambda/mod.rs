//! Lambda (REST JSON, `/2015-03-31/…`): functions whose code is kept and whose handler is a built-in
//! chosen by the function's `kinesis-console:builtin` tag, Invoke, permissions, tags, concurrency, and
//! Kinesis event source mappings run by `poller.rs` on the cloud clock. State is durable in
//! `<data dir>/lambda/lambda.redb`; other services invoke functions through `ctx.function_invoker`.

pub mod batch;
pub mod builtins;
pub mod code_url;
pub mod event_source_mapping_provider;
pub mod function_provider;
pub mod functions;
pub mod invoke;
pub mod mappings;
pub mod model;
pub mod names;
pub mod op;
pub mod permission_provider;
pub mod policy;
pub mod poller;
pub mod rest;
pub mod runner;
pub mod settings;
pub mod state;

use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::Value;

use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, Service, no_timestamps};
use code_url::CodeKey;
use op::{Op, Reply};
use runner::Runner;
use state::LambdaState;

pub struct Lambda {
    descriptor: Descriptor,
    pub state: Arc<LambdaState>,
    pub runner: Arc<Runner>,
    code_key: CodeKey,
}

impl Lambda {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("lambda");
        let (state, unreadable) =
            LambdaState::open(&dir).with_context(|| format!("opening the Lambda data in {}", dir.display()))?;
        for (key, reason) in unreadable {
            ctx.damage.report("lambda", key, format!("unreadable document, left out: {reason}"));
        }
        let code_key = CodeKey::load_or_create(&dir)?;
        let state = Arc::new(state);
        let runner = Arc::new(Runner::new(state.clone(), ctx));
        ctx.function_invoker
            .install(Arc::new(runner::Invoker { runner: runner.clone(), region: ctx.config.region.clone() }));
        Ok(Lambda {
            descriptor: Descriptor {
                id: "lambda",
                signing_name: "lambda",
                json_target: None,
                cbor_service: None,
                query: None,
                rest: true,
                query_compatible: false,
                // Invoke takes up to 6 MB; a deployment package up to 50 MB, in base64.
                max_body: 70 * 1024 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: Some(code_url::OPEN_PATH),
            },
            state,
            runner,
            code_key,
        })
    }

    fn op<'a>(&'a self, ctx: &'a CloudContext, region: &'a str) -> Op<'a> {
        Op { state: &self.state, ctx, code_key: &self.code_key, region, now: ctx.clock.now_ms() }
    }

    /// Runs one operation (not Invoke) on a JSON input: the REST layer's and the providers' entry.
    pub fn run(&self, ctx: &CloudContext, region: &str, operation: &str, input: Value) -> Result<Reply, ApiError> {
        let op = self.op(ctx, region);
        mappings::settle(&self.state, op.now, ctx.config.lambda.transition_ms);
        match operation {
            "CreateFunction" => functions::create(&op, input),
            "GetFunction" => functions::get(&op, input),
            "GetFunctionConfiguration" => functions::get_configuration(&op, input),
            "ListFunctions" => functions::list(&op, input),
            "UpdateFunctionCode" => functions::update_code(&op, input),
            "UpdateFunctionConfiguration" => functions::update_configuration(&op, input),
            "DeleteFunction" => functions::delete(&op, input),
            "AddPermission" => policy::add_permission(&op, input),
            "GetPolicy" => policy::get_policy(&op, input),
            "RemovePermission" => policy::remove_permission(&op, input),
            "TagResource" => policy::tag_resource(&op, input),
            "UntagResource" => policy::untag_resource(&op, input),
            "ListTags" => policy::list_tags(&op, input),
            "PutFunctionConcurrency" => policy::put_concurrency(&op, input),
            "GetFunctionConcurrency" => policy::get_concurrency(&op, input),
            "DeleteFunctionConcurrency" => policy::delete_concurrency(&op, input),
            "CreateEventSourceMapping" => mappings::create(&op, input),
            "GetEventSourceMapping" => mappings::get(&op, input),
            "ListEventSourceMappings" => mappings::list(&op, input),
            "UpdateEventSourceMapping" => mappings::update(&op, input),
            "DeleteEventSourceMapping" => mappings::delete(&op, input),
            other => Err(ApiError::unknown_operation(other)),
        }
    }

    async fn rest(
        &self,
        ctx: &Arc<CloudContext>,
        call: Call,
        req: super::service::RestRequest,
    ) -> Response<Full<Bytes>> {
        let path = req.uri.path();
        if let Some(function) = path.strip_prefix(&format!("/_aws/{}/", code_url::OPEN_PATH)) {
            return self.serve_code(ctx, function, req.uri.query().unwrap_or(""));
        }
        let Some(routed) = rest::route(&req.method, path) else {
            return rest::error(&ApiError::new(
                StatusCode::NOT_FOUND,
                "UnknownOperationException",
                format!("No Lambda operation matches {} {path}", req.method),
            ));
        };
        let answer = if routed.operation == "Invoke" {
            let function = routed.labels.first().map(|(_, f)| f.clone()).unwrap_or_default();
            invoke::invoke(&self.runner, ctx, &function, &call.region, &req.headers, req.body).await
        } else {
            rest::input(&routed, req.uri.query(), &req.body)
                .and_then(|input| self.run(ctx, &call.region, routed.operation, input))
                .map(reply_response)
        };
        answer.unwrap_or_else(|e| rest::error(&e))
    }

    /// `GET /_aws/lambda-code/<function>?…`: the zip, for a link GetFunction made that has not expired.
    fn serve_code(&self, ctx: &CloudContext, function: &str, query: &str) -> Response<Full<Bytes>> {
        let op = self.op(ctx, &ctx.config.region);
        let checked = self.code_key.check(function, query, op.now);
        let found = functions::code_of(&op, function);
        let (status, body, content_type) = match (checked, found) {
            (Ok(sha), Some((current, zip))) if sha == current => (StatusCode::OK, zip, "application/zip"),
            (Ok(_), _) => {
                (StatusCode::NOT_FOUND, denied("NoSuchKey", "The specified key does not exist."), "application/xml")
            }
            (Err(why), _) => (StatusCode::FORBIDDEN, denied("AccessDenied", why), "application/xml"),
        };
        let mut r = Response::new(Full::new(Bytes::from(body)));
        *r.status_mut() = status;
        r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    }
}

/// The S3-style refusal a presigned link gets.
fn denied(code: &str, message: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    .into_bytes()
}

fn reply_response(reply: Reply) -> Response<Full<Bytes>> {
    let body = if reply.body.is_null() { Vec::new() } else { reply.body.to_string().into_bytes() };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = reply.status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

impl Service for Lambda {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            match call.input {
                Input::Rest(req) => {
                    let req = *req;
                    let call = Call { input: Input::Json(Value::Null), ..call };
                    Ok(Output::Rest(self.rest(ctx, call, req).await))
                }
                Input::Json(v) => self.run(ctx, &call.region, &call.operation, v).map(|r| Output::Json(r.body)),
                Input::Query(_) => Err(ApiError::serialization("Lambda speaks REST JSON")),
            }
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move { self.state.clear().map_err(|e| anyhow::anyhow!("{e}")) })
    }

    fn start(self: Arc<Self>, ctx: Arc<CloudContext>) {
        tokio::spawn(poller::run(self.state.clone(), self.runner.clone(), ctx));
    }
}
