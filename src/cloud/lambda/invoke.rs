//! Invoke over the wire: `POST /2015-03-31/functions/<name>/invocations` with the payload as the body.
//! RequestResponse answers the function's result (200, `X-Amz-Function-Error` when it failed,
//! `X-Amz-Log-Result` with `X-Amz-Log-Type: Tail`); Event queues the invocation and answers 202 at once;
//! DryRun checks the function could run and answers 204.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use super::runner::{Runner, log_tail, payload_event};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

/// Invoke's payload quotas: 6 MB synchronous, 1 MB asynchronous.
const MAX_SYNC: usize = 6 * 1024 * 1024;
const MAX_ASYNC: usize = 1024 * 1024;

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestTooLargeException",
        format!("Request must be smaller than {limit} bytes for the InvokeFunction operation"),
    )
}

pub async fn invoke(
    runner: &Arc<Runner>,
    ctx: &Arc<CloudContext>,
    function: &str,
    region: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let kind = header(headers, "x-amz-invocation-type").unwrap_or("RequestResponse");
    let tail = match header(headers, "x-amz-log-type").unwrap_or("None") {
        "None" => false,
        "Tail" => true,
        other => {
            return Err(ApiError::bad_request(
                "InvalidParameterValueException",
                format!("Unsupported LogType: {other}"),
            ));
        }
    };
    let f = runner.runnable(function, region, ctx.clock.now_ms())?;
    match kind {
        "RequestResponse" | "DryRun" if body.len() > MAX_SYNC => return Err(too_large(MAX_SYNC)),
        "Event" if body.len() > MAX_ASYNC => return Err(too_large(MAX_ASYNC)),
        "RequestResponse" | "Event" | "DryRun" => {}
        other => {
            return Err(ApiError::bad_request(
                "InvalidParameterValueException",
                format!("Unsupported InvocationType: {other}; use RequestResponse, Event or DryRun"),
            ));
        }
    }
    let event = payload_event(&body)?;
    let mut response = Response::new(Full::new(Bytes::new()));
    match kind {
        "DryRun" => *response.status_mut() = StatusCode::NO_CONTENT,
        "Event" => {
            // Queued: it runs after the answer, as Lambda's internal queue does.
            let runner = runner.clone();
            tokio::spawn(async move {
                if let Err(e) = runner.run(&f, &event).await {
                    tracing::warn!(function = %f.name, error = %e, "an asynchronous invocation could not run");
                }
            });
            *response.status_mut() = StatusCode::ACCEPTED;
        }
        _ => {
            let ran = runner.run(&f, &event).await?;
            *response.body_mut() = Full::new(Bytes::from(ran.invocation.payload));
            let h = response.headers_mut();
            h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Some(e) = &ran.invocation.function_error
                && let Ok(v) = HeaderValue::from_str(e)
            {
                h.insert("x-amz-function-error", v);
            }
            if tail && let Ok(v) = HeaderValue::from_str(&log_tail(&ran.log)) {
                h.insert("x-amz-log-result", v);
            }
        }
    }
    response.headers_mut().insert("x-amz-executed-version", HeaderValue::from_static("$LATEST"));
    Ok(response)
}
