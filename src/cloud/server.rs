//! The HTTP host: accepts connections on one port and runs each request through
//! route → body limit → signature → faults → decode → service → encode.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::admin;
use super::auth::{self, Authorization};
use super::context::CloudContext;
use super::error::ApiError;
use super::faults::Fault;
use super::protocol::{self, HttpResponse, cbor, json, query::QueryParams};
use super::registry::Registry;
use super::router::{self, Route, Unroutable};
use super::service::{Call, Input, Output, Protocol, RestRequest, Service};
use super::streaming::HostBody;

pub struct Host {
    pub ctx: Arc<CloudContext>,
    pub registry: Registry,
}

/// Returned instead of a response when a fault drops the connection.
#[derive(Debug)]
pub struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

pub async fn serve(host: Arc<Host>, listener: TcpListener) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = host.ctx.shutdown_requested() => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let host = host.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let host = host.clone();
                async move { host.handle(req, peer).await }
            });
            if let Err(e) = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc).await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
}

fn whole(r: HttpResponse) -> Response<HostBody> {
    r.map(Either::Left)
}

impl Host {
    pub async fn handle(
        &self,
        req: Request<Incoming>,
        peer: SocketAddr,
    ) -> Result<Response<HostBody>, DroppedConnection> {
        let started = Instant::now();
        let request_id = uuid::Uuid::new_v4().to_string();
        let (parts, body) = req.into_parts();
        let auth = Authorization::from_headers(&parts.headers);
        let (signing_name, region) = match &auth {
            Some(Ok(a)) => (Some(a.service.clone()), a.region.clone()),
            _ => (None, self.ctx.config.region.clone()),
        };
        let route = match router::classify(
            &self.registry,
            &parts.method,
            &parts.uri,
            &parts.headers,
            signing_name.as_deref(),
        ) {
            Ok(r) => r,
            Err(Unroutable { protocol, error }) => {
                return Ok(whole(protocol::error_response(protocol, None, &error, &request_id)));
            }
        };
        if let Route::Admin = route {
            let body = match read_body(body, &parts.headers, 1024 * 1024).await {
                Ok(b) => b,
                Err(e) => return Ok(whole(admin::error(e.status, &e.message))),
            };
            return Ok(whole(admin::handle(self, &parts, peer, body).await));
        }

        let (service, protocol, operation) = match route {
            Route::Rpc { service, protocol, operation } => (Some(service), protocol, Some(operation)),
            Route::Query { service } => (service, Protocol::AwsQuery, None),
            Route::Rest { service } => (Some(service), Protocol::Rest, None),
            Route::Admin => unreachable!("admin requests returned above"),
        };
        let max_body = service.as_ref().map(|s| s.descriptor().max_body).unwrap_or(1024 * 1024);
        let fail = |service: Option<&Arc<dyn Service>>, err: ApiError| {
            Ok(whole(protocol::error_response(protocol, service.map(|s| s.descriptor()), &err, &request_id)))
        };
        let body = match read_body(body, &parts.headers, max_body).await {
            Ok(b) => b,
            Err(e) => return fail(service.as_ref(), e),
        };
        // The SDKs gzip large bodies of operations marked for request compression (PutMetricData);
        // the signature covers the compressed bytes, so only decoding sees the inflated ones.
        let payload = match inflate(&parts.headers, &body, max_body) {
            Ok(p) => p,
            Err(e) => return fail(service.as_ref(), e),
        };

        // awsQuery names its operation (and, unsigned, its service) inside the form.
        let (service, operation, input) = match protocol {
            Protocol::AwsQuery => {
                let form = if parts.method == http::Method::GET {
                    parts.uri.query().unwrap_or("").as_bytes().to_vec()
                } else {
                    body.to_vec()
                };
                let params = QueryParams::parse(&form);
                let service = service.or_else(|| self.registry.by_query(None, params.get("Version")).cloned());
                let Some(service) = service else {
                    return fail(
                        None,
                        ApiError::bad_request(
                            "InvalidAction",
                            "No awsQuery service of the local cloud matches this request",
                        ),
                    );
                };
                let Some(action) = params.action().map(str::to_string) else {
                    return fail(
                        Some(&service),
                        ApiError::bad_request("MissingAction", "The request must contain the parameter Action"),
                    );
                };
                (service, action, Ok(Input::Query(params)))
            }
            Protocol::Rest => {
                let service = service.expect("REST routes carry their service");
                let op = format!("{} {}", parts.method, parts.uri.path());
                let input = Input::Rest(Box::new(RestRequest {
                    method: parts.method.clone(),
                    uri: parts.uri.clone(),
                    headers: parts.headers.clone(),
                    body: body.clone(),
                }));
                (service, op, Ok(input))
            }
            Protocol::RpcV2Cbor => (
                service.expect("rpc routes carry their service"),
                operation.unwrap_or_default(),
                cbor::decode(&payload).map(Input::Json),
            ),
            Protocol::AwsJson1_0 | Protocol::AwsJson1_1 => (
                service.expect("rpc routes carry their service"),
                operation.unwrap_or_default(),
                json::decode(&payload).map(Input::Json),
            ),
        };
        let desc = service.descriptor();

        if self.ctx.config.auth {
            let checked = match auth {
                None => Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "MissingAuthenticationTokenException",
                    "Missing Authentication Token",
                )),
                Some(Err(e)) => Err(e),
                Some(Ok(a)) => auth::verify(
                    &self.ctx.credentials,
                    &a,
                    &parts.method,
                    &parts.uri,
                    &parts.headers,
                    &body,
                    SystemTime::now(),
                ),
            };
            if let Err(mut e) = checked {
                if protocol == Protocol::AwsQuery {
                    e.code = auth::query_error_code(&e.code).into();
                }
                tracing::debug!(service = desc.id, %operation, code = %e.code, "request refused");
                return fail(Some(&service), e);
            }
        }

        let (latency, fault) = self.ctx.faults.roll(desc.id);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match fault {
            Some(Fault::Reset) => return Err(DroppedConnection),
            Some(Fault::Throttle) => {
                return fail(Some(&service), ApiError::throttling("Rate exceeded (injected fault)"));
            }
            Some(Fault::Error) => return fail(Some(&service), ApiError::internal("Internal failure (injected fault)")),
            None => {}
        }

        let input = match input {
            Ok(i) => i,
            Err(e) => return fail(Some(&service), e),
        };
        let call = Call { operation: operation.clone(), protocol, input, request_id: request_id.clone(), region };
        let result = service.call(&self.ctx, call).await;
        if let Ok(Output::Stream(mut response)) = result {
            if let Ok(id) = http::HeaderValue::from_str(&request_id) {
                response.headers_mut().insert("x-amzn-requestid", id);
            }
            tracing::debug!(service = desc.id, %operation, "streaming response");
            return Ok(response.map(Either::Right));
        }
        let response =
            match result.and_then(|out| protocol::output_response(protocol, desc, &operation, out, &request_id)) {
                Ok(r) => whole(r),
                Err(e) => whole(protocol::error_response(protocol, Some(desc), &e, &request_id)),
            };
        tracing::debug!(service = desc.id, %operation, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
        Ok(response)
    }
}

/// Reads a body no larger than `limit`, refusing by `Content-Length` before reading when it can.
async fn read_body(body: Incoming, headers: &http::HeaderMap, limit: usize) -> Result<Bytes, ApiError> {
    let declared =
        headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(ApiError::too_large(limit)),
        Err(e) => Err(ApiError::serialization(format!("could not read the request body: {e}"))),
    }
}

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
