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

pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    response(status, "application/json", json!({ "error": message }).to_string().into_bytes())
}

fn ok(value: serde_json::Value) -> HttpResponse {
    response(StatusCode::OK, "application/json", value.to_string().into_bytes())
}

fn parse<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, Box<HttpResponse>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| Box::new(error(StatusCode::BAD_REQUEST, &format!("invalid JSON body: {e}"))))
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
    let path = parts.uri.path().trim_end_matches('/');
    match (&parts.method, path) {
        (&Method::GET, "/_kc/health") => ok(json!({
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
        })),
        (&Method::GET, "/_kc/clock") => clock_state(ctx),
        (&Method::POST, "/_kc/clock") => {
            let req: ClockRequest = match parse(&body) {
                Ok(r) => r,
                Err(e) => return *e,
            };
            if let Some(mode) = req.mode {
                ctx.clock.set_mode(mode, req.now_ms);
            } else if req.now_ms.is_some() {
                return error(StatusCode::BAD_REQUEST, "now_ms needs mode \"virtual\"");
            }
            if let Some(ms) = req.advance_ms
                && let Err(e) = ctx.clock.advance(Duration::from_millis(ms))
            {
                return error(StatusCode::CONFLICT, &e.to_string());
            }
            clock_state(ctx)
        }
        (&Method::GET, "/_kc/faults") => faults_state(ctx),
        (&Method::POST, "/_kc/faults") => {
            let req: FaultRequest = match parse(&body) {
                Ok(r) => r,
                Err(e) => return *e,
            };
            if let Err(e) = req.rates.validate() {
                return error(StatusCode::BAD_REQUEST, &e.to_string());
            }
            let service = req.service.unwrap_or_else(|| ALL.to_string());
            if service != ALL && !registry.all().iter().any(|s| s.descriptor().id == service) {
                return error(StatusCode::BAD_REQUEST, &format!("no service '{service}' in the local cloud"));
            }
            ctx.faults.set(&service, req.rates);
            faults_state(ctx)
        }
        (&Method::DELETE, "/_kc/faults") => {
            ctx.faults.clear();
            ok(json!({}))
        }
        (&Method::GET, "/_kc/limits") => {
            ok(json!({ "enforce": ctx.limits.global(), "resources": ctx.limits.overrides() }))
        }
        (&Method::POST, "/_kc/limits") => {
            let req: LimitsRequest = match parse(&body) {
                Ok(r) => r,
                Err(e) => return *e,
            };
            match (req.resource, req.enforce) {
                (Some(r), e) => ctx.limits.set_for(&r, e),
                (None, Some(e)) => ctx.limits.set_global(e),
                (None, None) => return error(StatusCode::BAD_REQUEST, "give enforce, resource, or both"),
            }
            ok(json!({ "enforce": ctx.limits.global(), "resources": ctx.limits.overrides() }))
        }
        (&Method::POST, "/_kc/reset") => {
            for service in registry.all() {
                if let Err(e) = service.reset().await {
                    return error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        &format!("reset of {} failed: {e:#}", service.descriptor().id),
                    );
                }
            }
            ctx.faults.clear();
            ok(json!({ "reset": true }))
        }
        (&Method::POST, "/_kc/shutdown") => {
            ctx.request_shutdown();
            ok(json!({ "stopping": true }))
        }
        _ => error(StatusCode::NOT_FOUND, &format!("no admin route {} {}", parts.method, parts.uri.path())),
    }
}

fn faults_state(ctx: &CloudContext) -> HttpResponse {
    ok(json!({ "rates": ctx.faults.snapshot(), "injected": ctx.faults.injected() }))
}

fn clock_state(ctx: &CloudContext) -> HttpResponse {
    ok(json!({ "mode": ctx.clock.mode(), "now_ms": ctx.clock.now_ms() }))
}
