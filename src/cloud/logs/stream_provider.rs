//! `AWS::Logs::LogStream`: LogGroupName and LogStreamName (or a generated one); `Ref` is the stream's
//! name. Changing either property replaces the stream; it has no attributes.

use std::sync::Arc;

use serde_json::{Value, json};

use super::op::Op;
use super::state::LogState;
use super::streams;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

pub struct LogStreamProvider {
    state: Arc<LogState>,
    ctx: Arc<CloudContext>,
}

impl LogStreamProvider {
    pub fn new(logs: &super::Logs, ctx: &Arc<CloudContext>) -> Self {
        LogStreamProvider { state: logs.state.clone(), ctx: ctx.clone() }
    }

    fn op<'a>(&'a self, region: &'a str) -> Op<'a> {
        Op { state: &self.state, ctx: &self.ctx, region, now: self.ctx.clock.now_ms() }
    }
}

fn group_of(request: &ResourceRequest) -> Result<String, ProviderError> {
    request
        .properties
        .get("LogGroupName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ProviderError::invalid_property("LogGroupName", "required key [LogGroupName] not found"))
}

impl ResourceProvider for LogStreamProvider {
    fn type_name(&self) -> &'static str {
        "AWS::Logs::LogStream"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("LogGroupName") != new.get("LogGroupName") || old.get("LogStreamName") != new.get("LogStreamName")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let group = group_of(&request)?;
            let name = match request.properties.get("LogStreamName").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => request.generated_name(512),
            };
            let op = self.op(&request.region);
            streams::create(&op, json!({ "logGroupName": group, "logStreamName": name }))?;
            Ok(Provisioned::new(name))
        })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        _request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        // Every property requires replacement, so an in-place update has nothing to change.
        Box::pin(async move { Ok(Provisioned::new(physical_id)) })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let group = group_of(&request)?;
            let op = self.op(&request.region);
            match streams::delete(&op, json!({ "logGroupName": group, "logStreamName": physical_id })) {
                Ok(_) => Ok(()),
                Err(e) if e.code == "ResourceNotFoundException" => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }
}
