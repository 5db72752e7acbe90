//! One call of pattern 4's fare API, as the reference's `Sig4SignedHttpRequestAsyncFunction` makes it:
//! `GET {endpoint}predictFare?ride_request_id=<id>`, SigV4-signed for `execute-api` with the cloud's
//! credentials, the API key in `x-api-key`. A call runs as a task on the cloud's tokio runtime and
//! hands its outcome over a channel, so the job's step never waits on the network; the job reads the
//! outcome in a later step.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::execute_api::signed;

/// The fare function answers a few dozen bytes; anything much larger is not its answer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What a call ended with: the fare, or why there is none (the text a Flink job's exception carries).
pub type Outcome = Result<f64, String>;

/// The caller shared by every call of one job run: HTTP client, signing identity, where and how long.
#[derive(Clone)]
pub struct FareApi {
    client: Client<HttpConnector, Full<Bytes>>,
    credentials: SharedCredentialsProvider,
    region: String,
    /// `{endpoint}predictFare`, at the local cloud.
    url: String,
    api_key: String,
    /// A wall-time bound on a task, so none outlives its purpose; the job's own timeout runs on the
    /// cloud clock.
    wall_timeout: Duration,
}

/// A call under way.
pub struct Call {
    pub sent_ms: Millis,
    answer: oneshot::Receiver<Outcome>,
    task: JoinHandle<()>,
}

/// Where a call is, seen from a step.
pub enum Polled {
    Pending,
    Done(Outcome),
}

impl FareApi {
    /// `url` is the API's `predictFare` URL at the local cloud (plain HTTP on loopback).
    pub fn new(ctx: &CloudContext, url: String, api_key: String, timeout: Duration) -> FareApi {
        let creds = Credentials::new(
            &ctx.credentials.access_key_id,
            &ctx.credentials.secret_access_key,
            None,
            None,
            "kinesis-console-flink",
        );
        FareApi {
            client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
            credentials: SharedCredentialsProvider::new(creds),
            region: ctx.config.region.clone(),
            url,
            api_key,
            wall_timeout: timeout,
        }
    }

    /// The request's URL for ride `id`.
    pub fn url_for(&self, id: u64) -> String {
        format!("{}?ride_request_id={id}", self.url)
    }

    /// Starts the call for ride `id` on `runtime`.
    pub fn spawn(&self, runtime: &Handle, id: u64, now: Millis) -> Call {
        let (tx, answer) = oneshot::channel();
        let api = self.clone();
        let task = runtime.spawn(async move {
            let outcome = match tokio::time::timeout(api.wall_timeout, api.ask(id)).await {
                Ok(o) => o,
                Err(_) => Err(format!("no answer within {} s", api.wall_timeout.as_secs())),
            };
            // The job may have stopped and dropped its end: nothing waits for this answer then.
            let _ = tx.send(outcome);
        });
        Call { sent_ms: now, answer, task }
    }

    async fn ask(&self, id: u64) -> Outcome {
        let url = self.url_for(id);
        let headers = [("x-api-key", self.api_key.as_str())];
        let request = signed("GET", &url, &self.region, Some(&self.credentials), &headers, Vec::new()).await?;
        let response = self.client.request(request).await.map_err(|e| connection_error(&e))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        let text: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        if !status.is_success() {
            return Err(format!("answered {} {text}", status.as_u16()));
        }
        let v: Value =
            serde_json::from_slice(&body).map_err(|e| format!("answered {status} without JSON ({e}): {text}"))?;
        v["expected_fare"].as_f64().ok_or_else(|| format!("answered {status} without a numeric expected_fare: {text}"))
    }
}

/// The transport error with its sources (hyper's own text says only "client error (Connect)").
fn connection_error(e: &hyper_util::client::legacy::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Call {
    pub fn poll(&mut self) -> Polled {
        match self.answer.try_recv() {
            Ok(outcome) => Polled::Done(outcome),
            Err(oneshot::error::TryRecvError::Empty) => Polled::Pending,
            Err(oneshot::error::TryRecvError::Closed) => Polled::Done(Err("the call ended without an answer".into())),
        }
    }
}

impl Drop for Call {
    /// A call dropped (the job stopped, failed or restarted) is not finished in the background.
    fn drop(&mut self) {
        self.task.abort();
    }
}
