//! `AWS::Logs::LogGroup`: LogGroupName (or a generated `<stack>-<logical>-<RANDOM>`), RetentionInDays
//! (AWS's allowed values), Tags; `Ref` is the name, `Fn::GetAtt Arn` the group's ARN ending in `:*`.
//! A new LogGroupName replaces the group; retention and tags update in place.

use std::sync::Arc;

use serde_json::{Value, json};

use super::groups;
use super::model::{RETENTION_DAYS, group_arn};
use super::op::Op;
use super::state::LogState;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, tag_map,
};
use crate::cloud::service::BoxFuture;

pub struct LogGroupProvider {
    state: Arc<LogState>,
    ctx: Arc<CloudContext>,
}

impl LogGroupProvider {
    pub fn new(logs: &super::Logs, ctx: &Arc<CloudContext>) -> Self {
        LogGroupProvider { state: logs.state.clone(), ctx: ctx.clone() }
    }

    fn op<'a>(&'a self, region: &'a str) -> Op<'a> {
        Op { state: &self.state, ctx: &self.ctx, region, now: self.ctx.clock.now_ms() }
    }
}

fn retention(props: &Properties) -> Result<Option<u32>, ProviderError> {
    match props.get("RetentionInDays") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let days = v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()));
            match days.and_then(|d| u32::try_from(d).ok()).filter(|d| RETENTION_DAYS.contains(d)) {
                Some(d) => Ok(Some(d)),
                None => {
                    Err(ProviderError::invalid_property("RetentionInDays", format!("{v} is not a valid enum value")))
                }
            }
        }
    }
}

fn provisioned(request: &ResourceRequest, name: &str) -> Provisioned {
    let arn = group_arn(&request.region, &request.account_id, name);
    Provisioned::new(name).attribute("Arn", format!("{arn}:*"))
}

fn name_of(request: &ResourceRequest) -> Option<String> {
    request.properties.get("LogGroupName").and_then(Value::as_str).map(str::to_string)
}

impl LogGroupProvider {
    fn apply_retention(&self, op: &Op<'_>, name: &str, days: Option<u32>) -> Result<(), ApiError> {
        match days {
            Some(d) => groups::put_retention(op, json!({ "logGroupName": name, "retentionInDays": d })),
            None => groups::delete_retention(op, json!({ "logGroupName": name })),
        }
        .map(drop)
    }

    fn create_now(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let days = retention(&request.properties)?;
        let tags = tag_map(&request.properties, &request.tags)?;
        let name = name_of(request).unwrap_or_else(|| request.generated_name(512));
        let op = self.op(&request.region);
        groups::create(&op, json!({ "logGroupName": name, "tags": tags }))?;
        if days.is_some() {
            self.apply_retention(&op, &name, days)?;
        }
        Ok(provisioned(request, &name))
    }

    fn update_now(
        &self,
        name: &str,
        old: &Properties,
        request: &ResourceRequest,
    ) -> Result<Provisioned, ProviderError> {
        let op = self.op(&request.region);
        let days = retention(&request.properties)?;
        if days != retention(old).unwrap_or(None) {
            self.apply_retention(&op, name, days)?;
        }
        let new_tags = tag_map(&request.properties, &request.tags)?;
        let current = groups::list_tags_log_group(&op, json!({ "logGroupName": name }))?;
        let stale: Vec<&String> = current["tags"]
            .as_object()
            .map(|m| m.keys().filter(|k| !new_tags.contains_key(*k)).collect())
            .unwrap_or_default();
        if !stale.is_empty() {
            groups::untag_log_group(&op, json!({ "logGroupName": name, "tags": stale }))?;
        }
        groups::tag_log_group(&op, json!({ "logGroupName": name, "tags": new_tags }))?;
        Ok(provisioned(request, name))
    }
}

impl ResourceProvider for LogGroupProvider {
    fn type_name(&self) -> &'static str {
        "AWS::Logs::LogGroup"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("LogGroupName") != new.get("LogGroupName")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request) })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_now(&physical_id, &old, &request) })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match groups::delete(&self.op(&request.region), json!({ "logGroupName": physical_id })) {
                Ok(_) => Ok(()),
                Err(e) if e.code == "ResourceNotFoundException" => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }
}
