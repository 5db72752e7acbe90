//! What happens to one request, stage by stage:
//! guard (Host, Origin) → route → limit (read the body, bounded) → authenticate (SigV4) → decode →
//! faults → dispatch (the service) → encode.
//!
//! Nothing a client sends is parsed before its signature is checked: routing reads only the request
//! line and headers, and the body is read whole (under the service's limit) but decoded only after
//! `authenticate`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Either};
use hyper::body::Incoming;

use super::admin;
use super::auth::{self, Authorization};
use super::context::CloudContext;
use super::error::ApiError;
use super::faults::Fault;
use super::guard::Guard;
use super::protocol::query_params::QueryParams;
use super::protocol::{self, HttpResponse, cbor, json};
use super::registry::Registry;
use super::router::{self, Route, Unroutable};
use super::service::{Call, Input, Output, Protocol, RestRequest, Service};
use super::streaming::HostBody;

/// Admin requests are small JSON documents.
const ADMIN_MAX_BODY: usize = 1024 * 1024;

/// Returned instead of a response when a fault drops the connection.
#[derive(Debug)]
pub struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

/// The two ends of the connection a request came on.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub peer: SocketAddr,
    pub local: Option<SocketAddr>,
}

/// A request for a service, as far as its headers tell.
struct Addressed {
    service: Option<Arc<dyn Service>>,
    protocol: Protocol,
    operation: Option<String>,
    /// Served under `/_aws/` by a service that authenticates it itself (`Descriptor::open_path`).
    open: bool,
}

/// A refusal at some stage, to be rendered in the request's protocol.
struct Refused {
    service: Option<Arc<dyn Service>>,
    error: ApiError,
}

impl Refused {
    fn by(service: Option<&Arc<dyn Service>>, error: ApiError) -> Self {
        Refused { service: service.cloned(), error }
    }
}

type HostResponse = Result<Response<HostBody>, DroppedConnection>;

fn whole(r: HttpResponse) -> Response<HostBody> {
    r.map(Either::Left)
}

pub async fn handle(ctx: &Arc<CloudContext>, registry: &Registry, req: Request<Incoming>, conn: Conn) -> HostResponse {
    let request_id = uuid::Uuid::new_v4().to_string();
    let (parts, body) = req.into_parts();
    let auth = Authorization::from_headers(&parts.headers);
    let signing_name = match &auth {
        Some(Ok(a)) => Some(a.service.as_str()),
        _ => None,
    };
    let route = router::classify(registry, &parts.method, &parts.uri, &parts.headers, signing_name);
    if let Err(error) = guard(ctx, &parts, conn) {
        tracing::info!(host = ?parts.headers.get(http::header::HOST), origin = ?parts.headers.get(http::header::ORIGIN), "refused a request a web page could have sent");
        return Ok(whole(match route {
            Ok(Route::Admin) => admin::error(error.status, &error.message),
            Ok(route) => protocol::error_response(protocol_of(&route), None, &error, &request_id),
            Err(Unroutable { protocol, .. }) => protocol::error_response(protocol, None, &error, &request_id),
        }));
    }
    let addressed = match route {
        Ok(Route::Admin) => return Ok(whole(admin_request(ctx, registry, &parts, conn.peer, body).await)),
        Ok(route) => addressed(route),
        Err(Unroutable { protocol, error }) => {
            return Ok(whole(protocol::error_response(protocol, None, &error, &request_id)));
        }
    };
    let protocol = addressed.protocol;
    match service_request(ctx, registry, parts, body, auth, addressed, &request_id).await {
        Ok(response) => response,
        Err(Refused { service, error }) => {
            let desc = service.as_ref().map(|s| s.descriptor());
            Ok(whole(protocol::error_response(protocol, desc, &error, &request_id)))
        }
    }
}

/// Stage 1: the request must not come from a web page (see [`super::guard`]).
fn guard(ctx: &CloudContext, parts: &Parts, conn: Conn) -> Result<(), ApiError> {
    let guard = Guard {
        bind: ctx.config.bind.ip(),
        local: conn.local.map(|a| a.ip()),
        allowed_origins: &ctx.config.allowed_origins,
    };
    guard.check_request(&parts.uri, &parts.headers)
}

fn protocol_of(route: &Route) -> Protocol {
    match route {
        Route::Rpc { protocol, .. } => *protocol,
        Route::Query { .. } => Protocol::AwsQuery,
        Route::Rest { .. } | Route::Open { .. } | Route::Admin => Protocol::Rest,
    }
}

fn addressed(route: Route) -> Addressed {
    match route {
        Route::Rpc { service, protocol, operation } => {
            Addressed { service: Some(service), protocol, operation: Some(operation), open: false }
        }
        Route::Query { service } => Addressed { service, protocol: Protocol::AwsQuery, operation: None, open: false },
        Route::Rest { service } => {
            Addressed { service: Some(service), protocol: Protocol::Rest, operation: None, open: false }
        }
        Route::Open { service } => {
            Addressed { service: Some(service), protocol: Protocol::Rest, operation: None, open: true }
        }
        Route::Admin => Addressed { service: None, protocol: Protocol::Rest, operation: None, open: false },
    }
}

/// The admin API: its secret is checked before its body is read.
async fn admin_request(
    ctx: &CloudContext,
    registry: &Registry,
    parts: &Parts,
    peer: SocketAddr,
    body: Incoming,
) -> HttpResponse {
    let authorized = match admin::authorize(ctx, parts, peer) {
        Ok(a) => a,
        Err(refused) => return *refused,
    };
    match read_body(body, &parts.headers, ADMIN_MAX_BODY).await {
        Ok(body) => admin::handle(ctx, registry, authorized, parts, body).await,
        Err(e) => admin::error(e.status, &e.message),
    }
}

/// Stages 3–8 for a service request: limit, authenticate, decode, faults, dispatch, encode.
async fn service_request(
    ctx: &Arc<CloudContext>,
    registry: &Registry,
    parts: Parts,
    body: Incoming,
    auth: Option<Result<Authorization, ApiError>>,
    addressed: Addressed,
    request_id: &str,
) -> Result<HostResponse, Refused> {
    let started = Instant::now();
    let max_body = addressed.service.as_ref().map(|s| s.descriptor().max_body).unwrap_or(1024 * 1024);
    let body =
        read_body(body, &parts.headers, max_body).await.map_err(|e| Refused::by(addressed.service.as_ref(), e))?;
    let region = match &auth {
        Some(Ok(a)) => a.region.clone(),
        _ => ctx.config.region.clone(),
    };
    // An open path is the service's own to authenticate, before it decodes anything (API Gateway's
    // per-method IAM and API-key checks answer with their own messages, not the host's).
    if ctx.config.auth && !addressed.open {
        authenticate(ctx, auth, &parts, &body, addressed.protocol)
            .map_err(|e| Refused::by(addressed.service.as_ref(), e))?;
    }
    let Decoded { service, operation, protocol, input } = decode(registry, addressed, &parts, body, max_body)?;
    if let Some(dropped) = inject_fault(ctx, &service).await? {
        return Ok(dropped);
    }
    let call = Call { operation, protocol, input, request_id: request_id.to_string(), region };
    Ok(Ok(dispatch(ctx, &service, call, started).await))
}

/// Stage 4: SigV4 against the local credentials (skipped under `--no-auth`).
fn authenticate(
    ctx: &CloudContext,
    auth: Option<Result<Authorization, ApiError>>,
    parts: &Parts,
    body: &Bytes,
    protocol: Protocol,
) -> Result<(), ApiError> {
    let checked = match auth {
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )),
        Some(Err(e)) => Err(e),
        Some(Ok(a)) => {
            auth::verify(&ctx.credentials, &a, &parts.method, &parts.uri, &parts.headers, body, SystemTime::now())
        }
    };
    checked.map_err(|mut e| {
        if protocol == Protocol::AwsQuery {
            e.code = auth::query_error_code(&e.code).into();
        }
        tracing::debug!(path = parts.uri.path(), code = %e.code, "request refused");
        e
    })
}

/// Stage 6: injected latency, throttles, errors and dropped connections, for the service's id.
async fn inject_fault(ctx: &CloudContext, service: &Arc<dyn Service>) -> Result<Option<HostResponse>, Refused> {
    let (latency, fault) = ctx.faults.roll(service.descriptor().id);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match fault {
        Some(Fault::Reset) => Ok(Some(Err(DroppedConnection))),
        Some(Fault::Throttle) => {
            Err(Refused::by(Some(service), ApiError::throttling("Rate exceeded (injected fault)")))
        }
        Some(Fault::Error) => Err(Refused::by(Some(service), ApiError::internal("Internal failure (injected fault)"))),
        None => Ok(None),
    }
}

/// A request decoded for its service.
struct Decoded {
    service: Arc<dyn Service>,
    operation: String,
    protocol: Protocol,
    input: Input,
}

/// Stage 5: the body as the protocol's input, after any `Content-Encoding: gzip` is undone.
fn decode(
    registry: &Registry,
    addressed: Addressed,
    parts: &Parts,
    body: Bytes,
    max_body: usize,
) -> Result<Decoded, Refused> {
    let Addressed { service, protocol, operation, .. } = addressed;
    let input = match protocol {
        Protocol::AwsQuery => {
            let form = inflate(&parts.headers, &body, max_body).map_err(|e| Refused::by(service.as_ref(), e))?;
            return decode_query(registry, service, parts, &form);
        }
        Protocol::Rest => Input::Rest(Box::new(RestRequest {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            body,
        })),
        Protocol::RpcV2Cbor | Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => {
            // The SDKs gzip large bodies of operations marked for request compression (PutMetricData);
            // the signature covers the compressed bytes, so only decoding sees the inflated ones.
            let payload = inflate(&parts.headers, &body, max_body).map_err(|e| Refused::by(service.as_ref(), e))?;
            let decoded = if protocol == Protocol::RpcV2Cbor { cbor::decode(&payload) } else { json::decode(&payload) };
            Input::Json(decoded.map_err(|e| Refused::by(service.as_ref(), e))?)
        }
    };
    let service = service.ok_or_else(|| Refused::by(None, ApiError::internal("a routed request lost its service")))?;
    let operation = match protocol {
        Protocol::Rest => format!("{} {}", parts.method, parts.uri.path()),
        _ => operation.unwrap_or_default(),
    };
    Ok(Decoded { service, operation, protocol, input })
}

/// awsQuery names its operation (and, unsigned, its service) inside the form.
fn decode_query(
    registry: &Registry,
    service: Option<Arc<dyn Service>>,
    parts: &Parts,
    body: &Bytes,
) -> Result<Decoded, Refused> {
    let form = if parts.method == http::Method::GET { parts.uri.query().unwrap_or("").as_bytes() } else { &body[..] };
    let params = QueryParams::parse(form).with_path(parts.uri.path());
    let service = service.or_else(|| registry.by_query(None, params.get("Version")).cloned()).ok_or_else(|| {
        Refused::by(
            None,
            ApiError::bad_request("InvalidAction", "No awsQuery service of the local cloud matches this request"),
        )
    })?;
    let Some(action) = params.action().map(str::to_string) else {
        return Err(Refused::by(
            Some(&service),
            ApiError::bad_request("MissingAction", "The request must contain the parameter Action"),
        ));
    };
    Ok(Decoded { service, operation: action, protocol: Protocol::AwsQuery, input: Input::Query(params) })
}

/// Stages 7 and 8: the service's answer, framed in the request's protocol (or streamed as it is).
async fn dispatch(
    ctx: &Arc<CloudContext>,
    service: &Arc<dyn Service>,
    call: Call,
    started: Instant,
) -> Response<HostBody> {
    let desc = service.descriptor();
    let (operation, protocol, request_id) = (call.operation.clone(), call.protocol, call.request_id.clone());
    let result = service.call(ctx, call).await;
    if let Ok(Output::Stream(mut response)) = result {
        if let Ok(id) = http::HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(protocol::REQUEST_ID_HEADER, id);
        }
        tracing::debug!(service = desc.id, %operation, "streaming response");
        return response.map(Either::Right);
    }
    let response = match result.and_then(|out| protocol::output_response(protocol, desc, &operation, out, &request_id))
    {
        Ok(r) => whole(r),
        Err(e) => whole(protocol::error_response(protocol, Some(desc), &e, &request_id)),
    };
    tracing::debug!(service = desc.id, %operation, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
    response
}

/// Reads a body no larger than `limit`, refusing by `Content-Length` before reading when it can.
async fn read_body(mut body: Incoming, headers: &http::HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let declared =
        headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        drain(body, 0).await;
        return Err(ApiError::too_large(limit));
    }
    let mut collected = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::serialization(format!("could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        if collected.len() + data.len() > limit {
            drain(body, collected.len() + data.len()).await;
            return Err(ApiError::too_large(limit));
        }
        collected.extend_from_slice(&data);
    }
    Ok(Bytes::from(collected))
}

/// Reads and discards the rest of a refused body, up to [`DRAIN_MAX`] bytes in all. A client still
/// sending when the host answers and closes would see its connection reset instead of the answer; a
/// body past the bound is not worth reading, and the connection is closed on it.
async fn drain(mut body: Incoming, mut seen: usize) {
    while seen <= DRAIN_MAX {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => return,
        }
    }
}

const DRAIN_MAX: usize = 16 * 1024 * 1024;

/// The body with any `Content-Encoding: gzip` undone, refusing to inflate past `limit`.
fn inflate(headers: &http::HeaderMap, body: &Bytes, limit: usize) -> Result<Bytes, ApiError> {
    use std::io::Read;
    let gzip = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("gzip")));
    if !gzip {
        return Ok(body.clone());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ApiError::serialization(format!("could not inflate the gzip request body: {e}")))?;
    if out.len() > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(Bytes::from(out))
}
