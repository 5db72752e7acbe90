//! `AWS::ApiGateway::Stage`: RestApiId and StageName replace it; DeploymentId, Description,
//! Variables, MethodSettings (throttling, logging, metrics, caching per `ResourcePath` and
//! `HttpMethod`), AccessLogSetting and TracingEnabled update in place. `Ref` is the stage's name.

use serde_json::{Map, Value, json};

use super::{Handle, changed, escape, flag, number, object, required, seg, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

pub struct StageProvider(pub Handle);

const KNOWN: &[&str] = &[
    "RestApiId",
    "StageName",
    "DeploymentId",
    "Description",
    "Variables",
    "MethodSettings",
    "AccessLogSetting",
    "TracingEnabled",
    "Tags",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CanarySetting",
    "ClientCertificateId",
    "DocumentationVersion",
];

/// The patch operations that give a stage the settings of `p` (a Stage's properties, or a
/// Deployment's StageDescription, which names some of them differently).
pub fn settings_ops(p: &Map<String, Value>) -> Vec<Value> {
    let mut ops = Vec::new();
    let mut replace = |path: String, value: String| ops.push(json!({"op": "replace", "path": path, "value": value}));
    if let Some(d) = text(p, "Description") {
        replace("/description".into(), d);
    }
    if let Some(t) = flag(p, "TracingEnabled") {
        replace("/tracingEnabled".into(), t.to_string());
    }
    if let Some(vars) = object(p, "Variables") {
        for (k, v) in vars {
            replace(
                format!("/variables/{}", escape(k)),
                v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
            );
        }
    }
    if let Some(log) = object(p, "AccessLogSetting") {
        if let Some(arn) = text(log, "DestinationArn") {
            replace("/accessLogSettings/destinationArn".into(), arn);
        }
        if let Some(f) = text(log, "Format") {
            replace("/accessLogSettings/format".into(), f);
        }
    }
    for setting in p.get("MethodSettings").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object)
    {
        let resource = text(setting, "ResourcePath").unwrap_or_else(|| "/*".into());
        let resource = if resource == "/*" { "*".to_string() } else { escape(&resource) };
        let method = text(setting, "HttpMethod").unwrap_or_else(|| "*".into());
        let prefix = format!("/{resource}/{method}");
        let fields: [(&str, &str, Option<String>); 7] = [
            (
                "throttling/rateLimit",
                "ThrottlingRateLimit",
                number(setting, "ThrottlingRateLimit").map(|n| n.to_string()),
            ),
            (
                "throttling/burstLimit",
                "ThrottlingBurstLimit",
                number(setting, "ThrottlingBurstLimit").map(|n| n.to_string()),
            ),
            ("logging/loglevel", "LoggingLevel", text(setting, "LoggingLevel")),
            ("logging/dataTrace", "DataTraceEnabled", flag(setting, "DataTraceEnabled").map(|b| b.to_string())),
            ("metrics/enabled", "MetricsEnabled", flag(setting, "MetricsEnabled").map(|b| b.to_string())),
            ("caching/enabled", "CachingEnabled", flag(setting, "CachingEnabled").map(|b| b.to_string())),
            ("caching/ttlInSeconds", "CacheTtlInSeconds", number(setting, "CacheTtlInSeconds").map(|n| n.to_string())),
        ];
        for (path, _, value) in fields {
            if let Some(v) = value {
                replace(format!("{prefix}/{path}"), v);
            }
        }
    }
    ops
}

impl StageProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let api = required(p, "RestApiId")?;
        let name = required(p, "StageName")?;
        let body = json!({
            "stageName": name,
            "deploymentId": required(p, "DeploymentId")?,
            "description": text(p, "Description"),
            "tracingEnabled": flag(p, "TracingEnabled").unwrap_or(false),
            "cacheClusterEnabled": flag(p, "CacheClusterEnabled").unwrap_or(false),
            "tags": tag_map(p, &r.tags)?,
        });
        self.0.call(&r.region, http::Method::POST, &format!("/restapis/{}/stages", seg(api)), body)?;
        self.patch(r, api, name)?;
        Ok(Provisioned::new(name))
    }

    fn patch(&self, r: &ResourceRequest, api: &str, name: &str) -> Result<(), ProviderError> {
        let mut ops = settings_ops(&r.properties);
        if let Some(d) = text(&r.properties, "DeploymentId") {
            ops.push(json!({"op": "replace", "path": "/deploymentId", "value": d}));
        }
        let path = format!("/restapis/{}/stages/{}", seg(api), seg(name));
        self.0.call(&r.region, http::Method::PATCH, &path, json!({"patchOperations": ops}))?;
        Ok(())
    }
}

impl ResourceProvider for StageProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::Stage"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, &["RestApiId", "StageName"])
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request) })
    }

    fn update(
        &self,
        id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            check_known(&request.properties, KNOWN)?;
            let api = required(&request.properties, "RestApiId")?;
            self.patch(&request, api, &id)?;
            Ok(Provisioned::new(id))
        })
    }

    fn delete(&self, id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let api = required(&request.properties, "RestApiId")?;
            self.0.delete(&request.region, &format!("/restapis/{}/stages/{}", seg(api), seg(&id)))
        })
    }
}
