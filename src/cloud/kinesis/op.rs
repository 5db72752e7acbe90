//! What every operation handler receives, and the input pieces most operations share.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::model::Status;
use super::state::{self, State, Stream, StreamInner};
use super::validate::{ARN_PATTERN, Checks, not_active};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

pub struct Op<'a> {
    pub state: &'a State,
    pub ctx: &'a CloudContext,
    pub region: &'a str,
    pub now: i64,
}

pub fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ApiError> {
    serde_json::from_value(input).map_err(|e| ApiError::serialization(e.to_string()))
}

/// `StreamName` and/or `StreamARN`, as most operations accept them.
#[derive(Debug, Default, Deserialize)]
pub struct StreamRef {
    #[serde(rename = "StreamName")]
    pub stream_name: Option<String>,
    #[serde(rename = "StreamARN")]
    pub stream_arn: Option<String>,
}

pub fn is_stream_arn(s: &str) -> bool {
    s.starts_with("arn:aws") && super::keys::stream_name_from_arn(s).is_some()
}

impl StreamRef {
    pub fn check(&self, c: &mut Checks) {
        c.stream_name("streamName", self.stream_name.as_deref());
        c.len("streamARN", self.stream_arn.as_deref(), 1, 2048);
        c.pattern("streamARN", self.stream_arn.as_deref(), is_stream_arn, ARN_PATTERN);
    }

    pub fn name(&self) -> Result<String, ApiError> {
        state::stream_name(self.stream_name.as_deref(), self.stream_arn.as_deref())
    }
}

impl Op<'_> {
    pub fn stream(&self, stream_ref: &StreamRef) -> Result<Arc<Stream>, ApiError> {
        self.state.get(&stream_ref.name()?, self.now)
    }

    /// Applies a change to an ACTIVE stream's metadata and persists it.
    pub fn mutate<T>(
        &self,
        stream_ref: &StreamRef,
        f: impl FnOnce(&mut StreamInner) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.mutate_any(stream_ref, |inner| {
            if inner.meta.status != Status::Active {
                return Err(not_active(&inner.meta.name, inner.meta.status.as_str()));
            }
            f(inner)
        })
    }

    /// Applies a change to the metadata of a stream in any state (tags, for instance): on a copy, which
    /// replaces the stream's state only once persisted.
    pub fn mutate_any<T>(
        &self,
        stream_ref: &StreamRef,
        f: impl FnOnce(&mut StreamInner) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let stream = self.stream(stream_ref)?;
        let mut inner = stream.write();
        let mut draft = StreamInner { meta: inner.meta.clone(), shards: inner.shards.clone() };
        let out = f(&mut draft)?;
        self.state.persist(&draft.meta)?;
        *inner = draft;
        Ok(out)
    }

    /// When a transition started now ends (none when transitions are instant).
    pub fn transition_end(&self) -> Option<i64> {
        (self.state.opts.transition_ms > 0).then(|| self.now + self.state.opts.transition_ms)
    }
}
