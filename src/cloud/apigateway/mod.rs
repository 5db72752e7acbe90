//! API Gateway (REST APIs). The control plane speaks REST JSON signed for `apigateway` (`routes.rs`, the
//! one dispatch table; operations one family per file: `apis.rs`, `methods.rs`, `models.rs`,
//! `stages.rs`, `keys.rs`; `patch.rs` for Update*'s patch operations). State is durable in
//! `<data dir>/apigateway/apigateway.redb` (`state.rs`).
//!
//! The data plane serves each deployed stage at `/_aws/execute-api/{api}/{stage}/{path}` (the host's
//! open path: this service checks IAM signatures and API keys itself, before it reads the body):
//! `execute.rs` runs a request through route matching (`matching.rs`), authorisation, throttling and
//! quotas (`throttle.rs`), request validation (`validate.rs`) and the integration (`integration.rs`:
//! AWS service integrations through mapping templates in `velocity/`, Lambda proxy integrations through
//! `ctx.function_invoker`), and publishes the `AWS/ApiGateway` metrics (`metrics.rs`).

pub mod apis;
pub mod execute;
pub mod integration;
pub mod keys;
pub mod matching;
pub mod methods;
pub mod metrics;
pub mod model;
pub mod models;
pub mod op;
pub mod patch;
pub mod plane;
pub mod providers;
pub mod routes;
pub mod settings;
pub mod stages;
pub mod state;
pub mod throttle;
pub mod validate;
pub mod velocity;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use serde_json::{Map, Value};

use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, no_timestamps};
use op::{Op, Reply, Req};
use state::State;

pub use plane::ServiceLookup;

pub struct ApiGateway {
    descriptor: Descriptor,
    pub state: Arc<State>,
    plane: plane::Plane,
}

impl ApiGateway {
    pub fn new(ctx: &Arc<CloudContext>, services: ServiceLookup) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("apigateway");
        let (state, unreadable) =
            State::open(&dir).with_context(|| format!("opening the API Gateway data in {}", dir.display()))?;
        for (key, reason) in unreadable {
            ctx.damage.report("apigateway", key, format!("unreadable document, left out: {reason}"));
        }
        let state = Arc::new(state);
        Ok(ApiGateway {
            descriptor: Descriptor {
                id: "apigateway",
                signing_name: "apigateway",
                json_target: None,
                cbor_service: None,
                query: None,
                rest: true,
                query_compatible: false,
                // API Gateway's payload limit is 10 MB.
                max_body: 10 * 1024 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: Some("execute-api"),
            },
            plane: plane::Plane { state: state.clone(), services, throttles: throttle::Buckets::default() },
            state,
        })
    }

    fn op<'a>(&'a self, ctx: &'a CloudContext, region: &'a str) -> Op<'a> {
        Op { state: &self.state, now_ms: ctx.clock.now_ms().max(0) as u64, region, account: ctx.account_id() }
    }

    /// A control-plane request in process (what the CloudFormation providers call): the same
    /// operations an SDK's request reaches.
    pub fn control(
        &self,
        ctx: &CloudContext,
        region: &str,
        method: http::Method,
        path: &str,
        body: Value,
    ) -> Result<Reply, ApiError> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let req = Req {
            method,
            segments: segments(path),
            query: form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
            body: match body {
                Value::Object(o) => o,
                _ => Map::new(),
            },
        };
        routes::dispatch(&self.op(ctx, region), &req)
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(op::percent_decode).collect()
}

fn rest_reply(reply: Reply) -> Output {
    let body = reply.body.map(|v| serde_json::to_vec(&v).unwrap_or_default()).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::OK);
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    Output::Rest(response)
}

impl super::service::Service for ApiGateway {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let Input::Rest(request) = call.input else {
                return Err(ApiError::bad_request("BadRequestException", "API Gateway speaks REST JSON only"));
            };
            if request.uri.path().starts_with(crate::execute_api::LOCAL_PREFIX) {
                return Ok(Output::Rest(execute::serve(&self.plane, ctx, *request, &call.request_id).await));
            }
            let body = if request.body.iter().all(u8::is_ascii_whitespace) {
                Map::new()
            } else {
                match serde_json::from_slice(&request.body) {
                    Ok(Value::Object(o)) => o,
                    _ => return Err(op::bad_request("Could not parse the request body as a JSON object")),
                }
            };
            let query: HashMap<String, String> =
                form_urlencoded::parse(request.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
            let req = Req { method: request.method.clone(), segments: segments(request.uri.path()), query, body };
            routes::dispatch(&self.op(ctx, &call.region), &req).map(rest_reply)
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.plane.throttles.clear();
            self.state.drop_all().map_err(|e| anyhow::anyhow!("{e}"))
        })
    }
}
