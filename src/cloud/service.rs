//! What a local service is to the host: a descriptor the router matches requests against, and one
//! async entry point that receives decoded input and returns output for the protocol that was used.
//! A new service is a new folder under `src/cloud/` plus one line in the registry (`registry.rs`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Response, Uri};
use http_body_util::Full;

use super::context::CloudContext;
use super::error::ApiError;
use super::protocol::query_params::QueryParams;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    AwsJson1_0,
    AwsJson1_1,
    AwsQuery,
    RpcV2Cbor,
    Rest,
}

/// How requests for a service are recognised and framed.
#[derive(Debug, Clone)]
pub struct Descriptor {
    /// Short id used for fault injection and logs (`kinesis`, `cloudwatch`, `sts`).
    pub id: &'static str,
    /// SigV4 signing name as it appears in the credential scope.
    pub signing_name: &'static str,
    /// `X-Amz-Target` prefix for awsJson services (`Kinesis_20131202`).
    pub json_target: Option<&'static str>,
    /// Service name in RPC v2 CBOR paths (`/service/<name>/operation/<Op>`).
    pub cbor_service: Option<&'static str>,
    /// awsQuery API version and XML namespace.
    pub query: Option<QueryInfo>,
    /// The service answers REST requests signed for `signing_name`.
    pub rest: bool,
    /// Errors carry `x-amzn-query-error` for clients that map awsQuery codes.
    pub query_compatible: bool,
    /// Largest request body accepted; larger ones are refused before being read whole.
    pub max_body: usize,
    /// Output members holding timestamps, tagged as such in CBOR (JSON carries epoch seconds).
    pub is_timestamp_member: fn(&str) -> bool,
    /// A path under `/_aws/` (`execute-api`) whose requests the service authenticates itself, as AWS
    /// does for endpoints that are not AWS APIs: an API's own IAM or API-key checks, a signed download
    /// link. The host still guards, bounds and routes them, but does not require a SigV4 signature.
    pub open_path: Option<&'static str>,
}

#[derive(Debug, Clone, Copy)]
pub struct QueryInfo {
    pub version: &'static str,
    pub xmlns: &'static str,
}

pub fn no_timestamps(_: &str) -> bool {
    false
}

/// A decoded request.
pub enum Input {
    /// awsJson and RPC v2 CBOR bodies, as JSON (CBOR blobs become base64 strings, timestamps epoch seconds).
    Json(serde_json::Value),
    Query(QueryParams),
    Rest(Box<RestRequest>),
}

pub struct RestRequest {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub enum Output {
    Json(serde_json::Value),
    /// The inner XML of `<OpResult>`; empty for operations without a result element.
    Xml(String),
    Rest(Response<Full<Bytes>>),
    /// A response whose body is written after it starts (event streams), sent as it is.
    Stream(Response<super::streaming::ChannelBody>),
}

pub struct Call {
    pub operation: String,
    pub protocol: Protocol,
    pub input: Input,
    pub request_id: String,
    /// Region from the request's credential scope (or the cloud's default).
    pub region: String,
}

pub trait Service: Send + Sync + 'static {
    fn descriptor(&self) -> &Descriptor;

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>>;

    /// Drops all state (admin `reset`).
    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Called once the host is serving, so services can start their background work.
    fn start(self: Arc<Self>, _ctx: Arc<CloudContext>) {}

    /// Called when the host stops gracefully, after it stopped accepting requests: flush what is buffered.
    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl Input {
    /// The JSON body, or a serialization error for a service that expects one.
    pub fn json(self) -> Result<serde_json::Value, ApiError> {
        match self {
            Input::Json(v) => Ok(v),
            _ => Err(ApiError::serialization("expected a JSON body")),
        }
    }

    /// Deserializes a JSON body into an operation's input shape.
    pub fn parse<T: serde::de::DeserializeOwned>(self) -> Result<T, ApiError> {
        let value = self.json()?;
        serde_json::from_value(value).map_err(|e| ApiError::serialization(e.to_string()))
    }
}
