//! `AWS::KinesisAnalyticsV2::Application`: created through CreateApplication with the template's
//! configuration and tags (the stack's tags propagated), updated in place through UpdateApplication
//! (configuration, role, runtime) and Tag/UntagResource, deleted through DeleteApplication, waiting
//! out DELETING on the cloud clock. `Ref` is the application's name; the type has no `Fn::GetAtt`
//! attributes. A new `ApplicationName` or `ApplicationMode` replaces it, as AWS documents.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::KinesisAnalytics;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known, tag_map,
};
use crate::cloud::service::{BoxFuture, Protocol};

const TYPE: &str = "AWS::KinesisAnalyticsV2::Application";
const KNOWN: &[&str] = &[
    "ApplicationName",
    "ApplicationDescription",
    "RuntimeEnvironment",
    "ServiceExecutionRole",
    "ApplicationConfiguration",
    "ApplicationMode",
    "ApplicationMaintenanceConfiguration",
    "RunConfiguration",
    "Tags",
];
/// How many seconds of the cloud clock a delete is waited for before the stack event fails.
const DELETE_WAIT_S: u32 = 120;

pub fn flink_api(ctx: &Arc<CloudContext>, service: &Arc<KinesisAnalytics>) -> ServiceApi {
    ServiceApi::new(ctx, service.clone(), Protocol::AwsJson1_1)
}

pub struct ApplicationProvider {
    api: ServiceApi,
}

impl ApplicationProvider {
    pub fn new(ctx: &Arc<CloudContext>, service: &Arc<KinesisAnalytics>) -> Self {
        ApplicationProvider { api: flink_api(ctx, service) }
    }

    async fn create_app(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let name = match props.get("ApplicationName").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(128),
        };
        let mut input = Map::new();
        input.insert("ApplicationName".into(), json!(name));
        for k in [
            "ApplicationDescription",
            "RuntimeEnvironment",
            "ServiceExecutionRole",
            "ApplicationConfiguration",
            "ApplicationMode",
        ] {
            if let Some(v) = props.get(k) {
                input.insert(k.into(), v.clone());
            }
        }
        let tags = tag_map(props, &request.tags)?;
        if !tags.is_empty() {
            input.insert("Tags".into(), tag_list(tags.iter()));
        }
        self.api.call(&request.region, "CreateApplication", Value::Object(input)).await?;
        Ok(Provisioned::new(name))
    }

    async fn describe(&self, region: &str, name: &str) -> Result<Value, ProviderError> {
        Ok(self.api.call(region, "DescribeApplication", json!({ "ApplicationName": name })).await?["ApplicationDetail"]
            .clone())
    }

    async fn update_app(
        &self,
        name: String,
        old: Properties,
        request: ResourceRequest,
    ) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let region = request.region.as_str();
        let detail = self.describe(region, &name).await?;
        let mut input =
            json!({ "ApplicationName": name, "CurrentApplicationVersionId": detail["ApplicationVersionId"] });
        let mut changed = false;
        if props.get("ApplicationConfiguration") != old.get("ApplicationConfiguration") {
            input["ApplicationConfigurationUpdate"] =
                configuration_update(props.get("ApplicationConfiguration").unwrap_or(&Value::Null));
            changed = true;
        }
        if props.get("ServiceExecutionRole") != old.get("ServiceExecutionRole") {
            input["ServiceExecutionRoleUpdate"] = props.get("ServiceExecutionRole").cloned().unwrap_or_default();
            changed = true;
        }
        if props.get("RuntimeEnvironment") != old.get("RuntimeEnvironment") {
            input["RuntimeEnvironmentUpdate"] = props.get("RuntimeEnvironment").cloned().unwrap_or_default();
            changed = true;
        }
        if changed {
            self.api.call(region, "UpdateApplication", input).await?;
        }
        let arn = detail["ApplicationARN"].as_str().unwrap_or_default().to_string();
        let old_tags = tag_map(&old, &request.tags)?;
        let new_tags = tag_map(props, &request.tags)?;
        let gone: Vec<&String> = old_tags.keys().filter(|k| !new_tags.contains_key(*k)).collect();
        if !gone.is_empty() {
            self.api.call(region, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": gone })).await?;
        }
        if !new_tags.is_empty() && new_tags != old_tags {
            self.api
                .call(region, "TagResource", json!({ "ResourceARN": arn, "Tags": tag_list(new_tags.iter()) }))
                .await?;
        }
        Ok(Provisioned::new(name))
    }

    async fn delete_app(&self, name: String, region: String) -> Result<(), ProviderError> {
        let detail = match self.api.call(&region, "DescribeApplication", json!({ "ApplicationName": name })).await {
            Ok(d) => d["ApplicationDetail"].clone(),
            Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if detail["ApplicationStatus"] != "DELETING" {
            let input = json!({ "ApplicationName": name, "CreateTimestamp": detail["CreateTimestamp"] });
            self.api.call(&region, "DeleteApplication", input).await?;
        }
        for _ in 0..DELETE_WAIT_S {
            match self.api.call(&region, "DescribeApplication", json!({ "ApplicationName": name })).await {
                Err(e) if e.code == "ResourceNotFoundException" => return Ok(()),
                Err(e) => return Err(e.into()),
                Ok(_) => self.api.sleep(Duration::from_secs(1)).await,
            }
        }
        Err(ProviderError::new(format!("Application {name} was still DELETING after {DELETE_WAIT_S} seconds")))
    }
}

fn tag_list<'a>(tags: impl Iterator<Item = (&'a String, &'a String)>) -> Value {
    Value::Array(tags.map(|(k, v)| json!({ "Key": k, "Value": v })).collect())
}

/// A template's `ApplicationConfiguration` as UpdateApplication's `ApplicationConfigurationUpdate`.
fn configuration_update(c: &Value) -> Value {
    let mut u = json!({});
    let code = &c["ApplicationCodeConfiguration"];
    if !code.is_null() {
        let content = &code["CodeContent"];
        let mut cu = json!({});
        if let Some(t) = content["TextContent"].as_str() {
            cu["TextContentUpdate"] = t.into();
        }
        if let Some(z) = content["ZipFileContent"].as_str() {
            cu["ZipFileContentUpdate"] = z.into();
        }
        let s3 = &content["S3ContentLocation"];
        if !s3.is_null() {
            cu["S3ContentLocationUpdate"] =
                json!({ "BucketARNUpdate": s3["BucketARN"], "FileKeyUpdate": s3["FileKey"] });
            if let Some(v) = s3["ObjectVersion"].as_str() {
                cu["S3ContentLocationUpdate"]["ObjectVersionUpdate"] = v.into();
            }
        }
        u["ApplicationCodeConfigurationUpdate"] =
            json!({ "CodeContentTypeUpdate": code["CodeContentType"], "CodeContentUpdate": cu });
    }
    let flink = &c["FlinkApplicationConfiguration"];
    let mut fu = json!({});
    for (from, to) in [
        ("CheckpointConfiguration", "CheckpointConfigurationUpdate"),
        ("MonitoringConfiguration", "MonitoringConfigurationUpdate"),
        ("ParallelismConfiguration", "ParallelismConfigurationUpdate"),
    ] {
        if let Some(o) = flink[from].as_object() {
            fu[to] = Value::Object(o.iter().map(|(k, v)| (format!("{k}Update"), v.clone())).collect());
        }
    }
    u["FlinkApplicationConfigurationUpdate"] = fu;
    u["EnvironmentPropertyUpdates"] = json!({ "PropertyGroups": c["EnvironmentProperties"]["PropertyGroups"].as_array().cloned().unwrap_or_default() });
    u["ApplicationSnapshotConfigurationUpdate"] = json!({ "SnapshotsEnabledUpdate": c["ApplicationSnapshotConfiguration"]["SnapshotsEnabled"].as_bool().unwrap_or(false) });
    u
}

impl ResourceProvider for ApplicationProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        ["ApplicationName", "ApplicationMode"].iter().any(|k| old.get(*k) != new.get(*k))
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_app(&request).await })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_app(physical_id, old, request).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_app(physical_id, request.region).await })
    }
}
