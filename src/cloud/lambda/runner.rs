//! Running a function: the built-in its tag names, inside the accounting Lambda does around every
//! invocation — concurrency (reserved and the account's), the START/END/REPORT lines and the handler's
//! own in the function's log group, and the `AWS/Lambda` metrics. Invoke, event source mappings and
//! other services (through `ctx.function_invoker`) all run functions here.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::{Value, json};

use super::builtins;
use super::model::Function;
use super::names::{function_state, not_found, resolve_name};
use super::state::LambdaState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::function_invoker::{FunctionRunner, Invocation};
use crate::cloud::log_sink::LogLine;
use crate::cloud::metric_sink::{Datum, Sample};

/// What Lambda reports as memory used by a built-in: they are small and run in process.
const MAX_MEMORY_USED_MB: u32 = 40;
/// `LogType: Tail` returns the last 4 KB of the invocation's log.
const TAIL_BYTES: usize = 4096;

/// The result of one invocation, with the request id and the log tail.
#[derive(Debug, Clone)]
pub struct Ran {
    pub request_id: String,
    pub invocation: Invocation,
    pub log: String,
    pub duration_ms: f64,
}

pub struct Runner {
    state: Arc<LambdaState>,
    ctx: Weak<CloudContext>,
    running: Mutex<Running>,
    /// One log stream per function and cloud run, as one execution environment writes.
    streams: Mutex<HashMap<String, String>>,
}

#[derive(Default)]
struct Running {
    total: u32,
    by_function: HashMap<String, u32>,
}

/// Releases a concurrency slot when the invocation ends, however it ends.
struct Slot<'a> {
    runner: &'a Runner,
    name: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut r = self.runner.running.lock().unwrap_or_else(|p| p.into_inner());
        r.total = r.total.saturating_sub(1);
        if let Some(n) = r.by_function.get_mut(&self.name) {
            *n = n.saturating_sub(1);
        }
    }
}

fn throttled(reason: &str, message: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequestsException", message);
    e.sender_fault = true;
    // The reason travels in the code's detail: Lambda's body names it in `Reason`.
    e.message = format!("{message} [{reason}]");
    e
}

impl Runner {
    pub fn new(state: Arc<LambdaState>, ctx: &Arc<CloudContext>) -> Self {
        Runner { state, ctx: Arc::downgrade(ctx), running: Mutex::default(), streams: Mutex::default() }
    }

    fn ctx(&self) -> Result<Arc<CloudContext>, ApiError> {
        self.ctx.upgrade().ok_or_else(|| ApiError::internal("the local cloud is stopping"))
    }

    /// The function `name` names (a name, partial or full ARN), if it can run now.
    pub fn runnable(&self, name: &str, region: &str, now: Millis) -> Result<Function, ApiError> {
        let ctx = self.ctx()?;
        let name = resolve_name(name, region, ctx.account_id())?;
        let f = self
            .state
            .lock()
            .functions
            .get(&name)
            .cloned()
            .ok_or_else(|| not_found(&name, region, ctx.account_id()))?;
        let (state, _) = function_state(&f, now);
        if state != "Active" {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "ResourceConflictException",
                format!(
                    "The operation cannot be performed at this time. The function is currently in the following state: {state}"
                ),
            ));
        }
        Ok(f)
    }

    fn acquire(&self, f: &Function, limit: u32) -> Result<(Slot<'_>, u32), ApiError> {
        let mut r = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let mine = r.by_function.get(&f.name).copied().unwrap_or(0);
        if let Some(reserved) = f.reserved_concurrency
            && mine >= reserved
        {
            return Err(throttled("ReservedFunctionConcurrentInvocationLimitExceeded", "Rate Exceeded."));
        }
        if r.total >= limit {
            return Err(throttled("ConcurrentInvocationLimitExceeded", "Rate Exceeded."));
        }
        r.total += 1;
        *r.by_function.entry(f.name.clone()).or_default() += 1;
        Ok((Slot { runner: self, name: f.name.clone() }, mine + 1))
    }

    /// Runs `f` on `event`; a throttle is an error (and counts in `Throttles`).
    pub async fn run(&self, f: &Function, event: &Value) -> Result<Ran, ApiError> {
        let ctx = self.ctx()?;
        let limit = ctx.config.lambda.account_concurrency;
        let (slot, concurrent) = match self.acquire(f, limit) {
            Ok(s) => s,
            Err(e) => {
                publish(&ctx, &f.name, &[("Throttles", 1.0, "Count")]);
                return Err(e);
            }
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let start_ms = ctx.clock.now_ms();
        let ran = builtins::run(f.builtin(), event);
        let duration_ms = (started.elapsed().as_secs_f64() * 1000.0).max(0.01);
        drop(slot);
        let (payload, function_error) = match &ran.result {
            Ok(v) => (serde_json::to_vec(v).unwrap_or_default(), None),
            Err(raised) => {
                let doc = json!({
                    "errorMessage": raised.message,
                    "errorType": raised.error_type,
                    "requestId": request_id,
                    "stackTrace": [],
                });
                (serde_json::to_vec(&doc).unwrap_or_default(), Some("Unhandled".to_string()))
            }
        };
        let log = self.write_log(&ctx, f, &request_id, start_ms, &ran.lines, duration_ms);
        let errors = if function_error.is_some() { 1.0 } else { 0.0 };
        publish(
            &ctx,
            &f.name,
            &[
                ("Invocations", 1.0, "Count"),
                ("Errors", errors, "Count"),
                ("Duration", duration_ms, "Milliseconds"),
                ("ConcurrentExecutions", concurrent as f64, "Count"),
            ],
        );
        let invocation = Invocation { payload, function_error, executed_version: "$LATEST".into() };
        Ok(Ran { request_id, invocation, log, duration_ms })
    }

    /// Writes the invocation's lines to the function's log group; returns them as one text.
    fn write_log(
        &self,
        ctx: &CloudContext,
        f: &Function,
        request_id: &str,
        start_ms: Millis,
        handler_lines: &[String],
        duration_ms: f64,
    ) -> String {
        let ts = crate::text_format::timestamp_ms(start_ms);
        let mut lines = vec![format!("START RequestId: {request_id} Version: $LATEST")];
        for line in handler_lines {
            // The Python runtime's format: level, time, request id, message.
            match line.split_once('\t') {
                Some((level, rest)) => lines.push(format!("{level}\t{ts}\t{request_id}\t{rest}")),
                None => lines.push(line.clone()),
            }
        }
        lines.push(format!("END RequestId: {request_id}"));
        lines.push(format!(
            "REPORT RequestId: {request_id}\tDuration: {duration_ms:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            duration_ms.ceil() as u64,
            f.memory_size,
            MAX_MEMORY_USED_MB.min(f.memory_size)
        ));
        let group = f.log_group();
        let stream = self.stream_name(f, start_ms);
        let events = lines.iter().map(|m| LogLine { timestamp_ms: start_ms, message: m.clone() }).collect();
        let written = ctx
            .log_publisher
            .ensure_stream(&group, &stream)
            .and_then(|_| ctx.log_publisher.append(&group, &stream, events));
        if let Err(e) = written {
            tracing::warn!(function = %f.name, group, error = %e, "writing the function's log failed");
        }
        lines.join("\n") + "\n"
    }

    fn stream_name(&self, f: &Function, now: Millis) -> String {
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        streams
            .entry(f.name.clone())
            .or_insert_with(|| {
                let day = crate::text_format::timestamp_ms(now);
                let date = day.get(..10).unwrap_or("1970-01-01").replace('-', "/");
                // A custom log group (LoggingConfig.LogGroup) may hold many functions' logs, so AWS
                // names its streams after the function as well.
                let function = if f.log_group.is_some() { f.name.as_str() } else { "" };
                format!("{date}/{function}[$LATEST]{}", uuid::Uuid::new_v4().simple())
            })
            .clone()
    }
}

/// The last 4 KB of an invocation's log, base64, as `X-Amz-Log-Result` carries it.
pub fn log_tail(log: &str) -> String {
    let bytes = log.as_bytes();
    let from = bytes.len().saturating_sub(TAIL_BYTES);
    STANDARD.encode(&bytes[from..])
}

/// `AWS/Lambda` datums for a function, by FunctionName and by FunctionName and Resource (as the
/// pattern dashboards read them).
pub fn publish(ctx: &CloudContext, function: &str, values: &[(&str, f64, &str)]) {
    let now = ctx.clock.now_ms();
    let mut datums = Vec::new();
    for (name, value, unit) in values {
        let by_name = vec![("FunctionName".to_string(), function.to_string())];
        let mut by_resource = by_name.clone();
        by_resource.push(("Resource".to_string(), function.to_string()));
        for dimensions in [by_name, by_resource] {
            datums.push(Datum {
                namespace: "AWS/Lambda".into(),
                name: name.to_string(),
                dimensions,
                unit: unit.to_string(),
                timestamp_ms: now,
                sample: Sample::Value(*value),
            });
        }
    }
    ctx.metric_publisher.publish(datums);
}

/// What other services see: request-response invocations by name or ARN.
pub struct Invoker {
    pub runner: Arc<Runner>,
    pub region: String,
}

impl FunctionRunner for Invoker {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Vec<u8>,
    ) -> futures_util::future::BoxFuture<'a, Result<Invocation, ApiError>> {
        Box::pin(async move {
            let ctx = self.runner.ctx()?;
            let f = self.runner.runnable(function, &self.region, ctx.clock.now_ms())?;
            let event = payload_event(&payload)?;
            Ok(self.runner.run(&f, &event).await?.invocation)
        })
    }
}

/// An Invoke payload as the event a handler receives: JSON, or Lambda's refusal.
pub fn payload_event(payload: &[u8]) -> Result<Value, ApiError> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(payload).map_err(|e| {
        ApiError::bad_request(
            "InvalidRequestContentException",
            format!("Could not parse request body into json: Could not parse payload into json: {e}"),
        )
    })
}
