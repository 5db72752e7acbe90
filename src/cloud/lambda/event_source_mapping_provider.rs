//! `AWS::Lambda::EventSourceMapping`: created through CreateEventSourceMapping and waited on until
//! Enabled (or Disabled); `Ref` is its UUID. A new EventSourceArn, StartingPosition or
//! StartingPositionTimestamp replaces it; the rest updates in place.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Lambda;
use super::function_provider::{POLL, lambda_api};
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

const TYPE: &str = "AWS::Lambda::EventSourceMapping";
/// Properties passed to Create/UpdateEventSourceMapping as they are.
const PASSED: &[&str] = &[
    "FunctionName",
    "BatchSize",
    "BisectBatchOnFunctionError",
    "MaximumRecordAgeInSeconds",
    "MaximumRetryAttempts",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumBatchingWindowInSeconds",
    "FunctionResponseTypes",
    "TumblingWindowInSeconds",
    "Enabled",
];
const CREATE_ONLY: &[&str] = &["EventSourceArn", "StartingPosition", "StartingPositionTimestamp"];
const KNOWN_OTHER: &[&str] = &[
    "Tags",
    "FilterCriteria",
    "ScalingConfig",
    "KmsKeyArn",
    "MetricsConfig",
    "Queues",
    "Topics",
    "SourceAccessConfigurations",
];

pub struct EventSourceMappingProvider {
    api: ServiceApi,
}

fn input_of(props: &Properties, keys: &[&str]) -> Map<String, Value> {
    keys.iter().filter_map(|k| props.get(*k).map(|v| (k.to_string(), v.clone()))).collect()
}

impl EventSourceMappingProvider {
    pub fn new(ctx: &Arc<CloudContext>, lambda: &Arc<Lambda>) -> Self {
        EventSourceMappingProvider { api: lambda_api(ctx, lambda) }
    }

    fn check(props: &Properties) -> Result<(), ProviderError> {
        let known: Vec<&str> = PASSED.iter().chain(CREATE_ONLY).chain(KNOWN_OTHER).copied().collect();
        check_known(props, &known)
    }

    async fn settled(&self, region: &str, uuid: &str) -> Result<Provisioned, ProviderError> {
        loop {
            let d = self.api.call(region, "GetEventSourceMapping", json!({ "UUID": uuid })).await?;
            if d["State"] == "Enabled" || d["State"] == "Disabled" {
                return Ok(Provisioned::new(uuid)
                    .attribute("Id", uuid)
                    .attribute("EventSourceMappingArn", d["EventSourceMappingArn"].clone()));
            }
            self.api.sleep(POLL).await;
        }
    }

    async fn create_mapping(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        Self::check(props)?;
        let mut input = input_of(props, PASSED);
        input.extend(input_of(props, CREATE_ONLY));
        if let Some(ts) = props.get("StartingPositionTimestamp") {
            input.insert(
                "StartingPositionTimestamp".into(),
                json!(ts.as_f64().or_else(|| ts.as_str().and_then(|s| s.parse().ok()))),
            );
        }
        input.insert("Tags".into(), json!(tag_map(props, &request.tags)?));
        let created = self.api.call(&request.region, "CreateEventSourceMapping", Value::Object(input)).await?;
        let uuid = created["UUID"].as_str().unwrap_or_default().to_string();
        self.settled(&request.region, &uuid).await
    }

    async fn update_mapping(&self, uuid: &str, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        Self::check(&request.properties)?;
        let mut input = input_of(&request.properties, PASSED);
        input.insert("UUID".into(), json!(uuid));
        self.settled(&request.region, uuid).await?;
        self.api.call(&request.region, "UpdateEventSourceMapping", Value::Object(input)).await?;
        self.settled(&request.region, uuid).await
    }

    async fn delete_mapping(&self, region: &str, uuid: &str) -> Result<(), ProviderError> {
        match self.api.call(region, "DeleteEventSourceMapping", json!({ "UUID": uuid })).await {
            Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
            Err(e) => return Err(e.into()),
            Ok(_) => {}
        }
        loop {
            match self.api.call(region, "GetEventSourceMapping", json!({ "UUID": uuid })).await {
                Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(_) => self.api.sleep(POLL).await,
            }
        }
    }
}

impl ResourceProvider for EventSourceMappingProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Id", "EventSourceMappingArn"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        CREATE_ONLY.iter().any(|p| old.get(*p) != new.get(*p))
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_mapping(&request).await })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_mapping(&physical_id, &request).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_mapping(&request.region, &physical_id).await })
    }
}
