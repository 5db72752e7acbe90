//! `AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption`: the application's logging option,
//! added through AddApplicationCloudWatchLoggingOption at the application's current version. Its
//! physical id (and `Ref`) is the option's id; a new stream is an update
//! (UpdateApplication's `CloudWatchLoggingOptionUpdates`), a new application a replacement.

use std::sync::Arc;

use serde_json::{Value, json};

use super::KinesisAnalytics;
use super::application_provider::flink_api;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::BoxFuture;

const TYPE: &str = "AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption";
const KNOWN: &[&str] = &["ApplicationName", "CloudWatchLoggingOption"];

pub struct LoggingOptionProvider {
    api: ServiceApi,
}

fn app_name(props: &Properties) -> Result<String, ProviderError> {
    props
        .get("ApplicationName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ProviderError::invalid_property("ApplicationName", "required key [ApplicationName] not found"))
}

fn stream_arn(props: &Properties) -> Result<Value, ProviderError> {
    props.get("CloudWatchLoggingOption").and_then(|o| o.get("LogStreamARN")).cloned().ok_or_else(|| {
        ProviderError::invalid_property("CloudWatchLoggingOption", "required key [LogStreamARN] not found")
    })
}

impl LoggingOptionProvider {
    pub fn new(ctx: &Arc<CloudContext>, service: &Arc<KinesisAnalytics>) -> Self {
        LoggingOptionProvider { api: flink_api(ctx, service) }
    }

    async fn version(&self, region: &str, app: &str) -> Result<Value, ProviderError> {
        let d = self.api.call(region, "DescribeApplication", json!({ "ApplicationName": app })).await?;
        Ok(d["ApplicationDetail"]["ApplicationVersionId"].clone())
    }

    async fn add(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        check_known(&request.properties, KNOWN)?;
        let app = app_name(&request.properties)?;
        let input = json!({
            "ApplicationName": app,
            "CurrentApplicationVersionId": self.version(&request.region, &app).await?,
            "CloudWatchLoggingOption": { "LogStreamARN": stream_arn(&request.properties)? },
        });
        let out = self.api.call(&request.region, "AddApplicationCloudWatchLoggingOption", input).await?;
        let arn = stream_arn(&request.properties)?;
        let id = out["CloudWatchLoggingOptionDescriptions"]
            .as_array()
            .and_then(|l| l.iter().find(|o| o["LogStreamARN"] == arn))
            .and_then(|o| o["CloudWatchLoggingOptionId"].as_str())
            .unwrap_or_default();
        Ok(Provisioned::new(id))
    }

    async fn change(&self, id: String, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        check_known(&request.properties, KNOWN)?;
        let app = app_name(&request.properties)?;
        let input = json!({
            "ApplicationName": app,
            "CurrentApplicationVersionId": self.version(&request.region, &app).await?,
            "CloudWatchLoggingOptionUpdates": [{ "CloudWatchLoggingOptionId": id, "LogStreamARNUpdate": stream_arn(&request.properties)? }],
        });
        self.api.call(&request.region, "UpdateApplication", input).await?;
        Ok(Provisioned::new(id))
    }

    async fn remove(&self, id: String, request: &ResourceRequest) -> Result<(), ProviderError> {
        let app = app_name(&request.properties)?;
        let version = match self.version(&request.region, &app).await {
            Ok(v) => v,
            // The application went first: its options went with it.
            Err(e) if e.reason.contains("ResourceNotFoundException") => return Ok(()),
            Err(e) => return Err(e),
        };
        let input =
            json!({ "ApplicationName": app, "CurrentApplicationVersionId": version, "CloudWatchLoggingOptionId": id });
        match self.api.call(&request.region, "DeleteApplicationCloudWatchLoggingOption", input).await {
            Err(e) if e.code == "ResourceNotFoundException" => Ok(()),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }
}

impl ResourceProvider for LoggingOptionProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("ApplicationName") != new.get("ApplicationName")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.add(&request).await })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.change(physical_id, &request).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.remove(physical_id, &request).await })
    }
}
