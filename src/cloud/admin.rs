//! The admin API under `/_kc/`: health, clock, faults, limit switches, reset and shutdown.
//! Loopback callers only, always authenticated with the local secret (`Authorization: Bearer <secret>`),
//! also under `--no-auth`: that flag is about SigV4 for SDK clients, and reset or shutdown must never
//! be one unauthenticated request away.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::request::Parts;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::auth::secrets_equal;
use super::clock::ClockMode;
use super::context::CloudContext;
use super::faults::{ALL, FaultRates};
use super::protocol::{HttpResponse, response};
use super::registry::Registry;

/// How long (wall time) a clock change waits for the cloud's background loops to catch up.
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    response(status, "application/json", json!({ "error": message }).to_string().into_bytes())
}

fn ok(value: serde_json::Value) -> HttpResponse {
    response(StatusCode::OK, "application/json", value.to_string().into_bytes())
}

/// An admin request refused, rendered by [`error`].
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, message: &str) -> Self {
        Refusal { status, message: message.to_string() }
    }
}

fn parse<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}")))
}

/// Proof that a request passed [`authorize`]; [`handle`] takes nothing without it.
pub struct Authorized(());

/// Checks the caller before its body is read: loopback, and the local secret as a Bearer token.
pub fn authorize(ctx: &CloudContext, parts: &Parts, peer: SocketAddr) -> Result<Authorized, Box<HttpResponse>> {
    if !peer.ip().is_loopback() {
        return Err(Box::new(error(StatusCode::FORBIDDEN, "the admin API answers loopback callers only")));
    }
    let expected = format!("Bearer {}", ctx.credentials.secret_access_key);
    match parts.headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(given) if secrets_equal(given, &expected) => Ok(Authorized(())),
        _ => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "admin requests need 'Authorization: Bearer <local secret access key>'",
        ))),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    mode: Option<ClockMode>,
    now_ms: Option<i64>,
    advance_ms: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    service: Option<String>,
    #[serde(flatten)]
    rates: FaultRates,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LimitsRequest {
    enforce: Option<bool>,
    /// A stream (or other resource) name; without it the global switch is set.
    resource: Option<String>,
}

pub async fn handle(
    ctx: &CloudContext,
    registry: &Registry,
    _: Authorized,
    parts: &Parts,
    body: Bytes,
) -> HttpResponse {
    answer(ctx, registry, parts, body).await.unwrap_or_else(|r| error(r.status, &r.message))
}

/// One admin route; `Err` carries the error response.
async fn answer(ctx: &CloudContext, registry: &Registry, parts: &Parts, body: Bytes) -> Result<HttpResponse, Refusal> {
    let path = parts.uri.path().trim_end_matches('/');
    match (&parts.method, path) {
        (&Method::GET, "/_kc/health") => Ok(health(ctx, registry)),
        (&Method::GET, "/_kc/clock") => Ok(clock_state(ctx)),
        (&Method::POST, "/_kc/clock") => set_clock(ctx, parse(&body)?).await,
        (&Method::GET, "/_kc/faults") => Ok(faults_state(ctx)),
        (&Method::POST, "/_kc/faults") => set_faults(ctx, registry, parse(&body)?),
        (&Method::DELETE, "/_kc/faults") => {
            ctx.faults.clear();
            Ok(ok(json!({})))
        }
        (&Method::GET, "/_kc/limits") => Ok(limits_state(ctx)),
        (&Method::POST, "/_kc/limits") => set_limits(ctx, parse(&body)?),
        (&Method::POST, "/_kc/reset") => reset(ctx, registry).await,
        (&Method::POST, "/_kc/shutdown") => {
            ctx.request_shutdown();
            Ok(ok(json!({ "stopping": true })))
        }
        _ => Err(Refusal::new(StatusCode::NOT_FOUND, &format!("no admin route {} {}", parts.method, parts.uri.path()))),
    }
}

fn health(ctx: &CloudContext, registry: &Registry) -> HttpResponse {
    ok(json!({
        "status": "ok",
        "version": crate::VERSION,
        "pid": std::process::id(),
        "uptime_ms": ctx.started.elapsed().as_millis() as u64,
        "endpoint": ctx.endpoint_url.get(),
        "data_dir": ctx.config.data_dir,
        "region": ctx.config.region,
        "auth": ctx.config.auth,
        "clock": { "mode": ctx.clock.mode(), "now_ms": ctx.clock.now_ms() },
        "services": registry.all().iter().map(|s| s.descriptor().id).collect::<Vec<_>>(),
        "damaged": ctx.damage.list(),
    }))
}

async fn set_clock(ctx: &CloudContext, req: ClockRequest) -> Result<HttpResponse, Refusal> {
    if let Some(mode) = req.mode {
        ctx.clock.set_mode(mode, req.now_ms);
    } else if req.now_ms.is_some() {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "now_ms needs mode \"virtual\""));
    }
    if let Some(ms) = req.advance_ms {
        ctx.clock.advance(Duration::from_millis(ms)).map_err(|e| Refusal::new(StatusCode::CONFLICT, &e.to_string()))?;
    }
    let mut state = clock_json(ctx);
    if req.mode.is_some() || req.advance_ms.is_some() {
        // The caller sees the effects of the time it moved: every background loop has run what
        // fell due. Bounded, so a stuck loop cannot hang the admin API.
        let settled = tokio::time::timeout(SETTLE_LIMIT, ctx.clock.settled()).await.is_ok();
        state["settled"] = settled.into();
    }
    Ok(ok(state))
}

fn set_faults(ctx: &CloudContext, registry: &Registry, req: FaultRequest) -> Result<HttpResponse, Refusal> {
    req.rates.validate().map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, &e.to_string()))?;
    let service = req.service.unwrap_or_else(|| ALL.to_string());
    if service != ALL && !registry.all().iter().any(|s| s.descriptor().id == service) {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, &format!("no service '{service}' in the local cloud")));
    }
    ctx.faults.set(&service, req.rates);
    Ok(faults_state(ctx))
}

fn set_limits(ctx: &CloudContext, req: LimitsRequest) -> Result<HttpResponse, Refusal> {
    match (req.resource, req.enforce) {
        (Some(r), e) => ctx.limits.set_for(&r, e),
        (None, Some(e)) => ctx.limits.set_global(e),
        (None, None) => return Err(Refusal::new(StatusCode::BAD_REQUEST, "give enforce, resource, or both")),
    }
    Ok(limits_state(ctx))
}

async fn reset(ctx: &CloudContext, registry: &Registry) -> Result<HttpResponse, Refusal> {
    for service in registry.all() {
        service.reset().await.map_err(|e| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("reset of {} failed: {e:#}", service.descriptor().id),
            )
        })?;
    }
    ctx.faults.clear();
    Ok(ok(json!({ "reset": true })))
}

fn limits_state(ctx: &CloudContext) -> HttpResponse {
    ok(json!({ "enforce": ctx.limits.global(), "resources": ctx.limits.overrides() }))
}

fn faults_state(ctx: &CloudContext) -> HttpResponse {
    ok(json!({ "rates": ctx.faults.snapshot(), "injected": ctx.faults.injected() }))
}

fn clock_state(ctx: &CloudContext) -> HttpResponse {
    ok(clock_json(ctx))
}

fn clock_json(ctx: &CloudContext) -> serde_json::Value {
    json!({ "mode": ctx.clock.mode(), "now_ms": ctx.clock.now_ms() })
}
