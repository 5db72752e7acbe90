//! `AWS::Lambda::Function`: created through the service's own CreateFunction, waited on until Active.
//! `Code.ZipFile` is the source text, zipped as `index.py` (Python runtimes) or `index.js` (the others)
//! as CloudFormation does; `Tags` carry the built-in tag. A new FunctionName replaces the function.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::Lambda;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known, tag_map,
};
use crate::cloud::service::{BoxFuture, Protocol};

const TYPE: &str = "AWS::Lambda::Function";
pub const POLL: Duration = Duration::from_millis(250);
const KNOWN: &[&str] = &[
    "FunctionName",
    "Code",
    "Runtime",
    "Handler",
    "Role",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "TracingConfig",
    "LoggingConfig",
    "Tags",
    "ReservedConcurrentExecutions",
    "Architectures",
    "PackageType",
    "EphemeralStorage",
    "KmsKeyArn",
    "Layers",
    "VpcConfig",
    "DeadLetterConfig",
    "RuntimeManagementConfig",
    "SnapStart",
    "FileSystemConfigs",
    "CodeSigningConfigArn",
    "ImageConfig",
    "RecursiveLoop",
];
/// Settings passed to UpdateFunctionConfiguration as they are.
const CONFIG: &[&str] = &[
    "Runtime",
    "Handler",
    "Role",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "TracingConfig",
    "LoggingConfig",
];

pub fn lambda_api(ctx: &Arc<CloudContext>, lambda: &Arc<Lambda>) -> ServiceApi {
    ServiceApi::new(ctx, lambda.clone(), Protocol::Rest)
}

/// The deployment package CloudFormation makes from inline source.
fn zip_source(runtime: &str, source: &str) -> Result<String, ProviderError> {
    let file = if runtime.starts_with("python") { "index.py" } else { "index.js" };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let zipped = w
        .start_file(file, opts)
        .map_err(std::io::Error::other)
        .and_then(|_| w.write_all(source.as_bytes()))
        .and_then(|_| w.finish().map_err(std::io::Error::other));
    match zipped {
        Ok(c) => Ok(STANDARD.encode(c.into_inner())),
        Err(e) => Err(ProviderError::new(format!("Could not zip the inline code: {e}"))),
    }
}

fn code(props: &Properties) -> Result<Value, ProviderError> {
    let code = props.get("Code").ok_or_else(|| {
        ProviderError::new("Properties validation failed for resource: #: required key [Code] not found (HandlerErrorCode: InvalidRequest)")
    })?;
    match code.get("ZipFile").and_then(Value::as_str) {
        Some(src) => {
            let runtime = props.get("Runtime").and_then(Value::as_str).unwrap_or_default();
            Ok(json!({ "ZipFile": zip_source(runtime, src)? }))
        }
        None => Ok(code.clone()),
    }
}

pub struct FunctionProvider {
    api: ServiceApi,
}

impl FunctionProvider {
    pub fn new(ctx: &Arc<CloudContext>, lambda: &Arc<Lambda>) -> Self {
        FunctionProvider { api: lambda_api(ctx, lambda) }
    }

    /// Waits until the function is Active with its last update done; its ARN.
    async fn settled(&self, region: &str, name: &str) -> Result<Provisioned, ProviderError> {
        loop {
            let c = self.api.call(region, "GetFunctionConfiguration", json!({ "FunctionName": name })).await?;
            if c["State"] == "Active" && c["LastUpdateStatus"] == "Successful" {
                let arn = c["FunctionArn"].as_str().unwrap_or_default();
                return Ok(Provisioned::new(name).attribute("Arn", arn));
            }
            self.api.sleep(POLL).await;
        }
    }

    async fn concurrency(&self, region: &str, name: &str, props: &Properties) -> Result<(), ProviderError> {
        match props.get("ReservedConcurrentExecutions").and_then(Value::as_i64) {
            Some(n) => {
                self.api
                    .call(
                        region,
                        "PutFunctionConcurrency",
                        json!({ "FunctionName": name, "ReservedConcurrentExecutions": n }),
                    )
                    .await?
            }
            None => self.api.call(region, "DeleteFunctionConcurrency", json!({ "FunctionName": name })).await?,
        };
        Ok(())
    }

    async fn create_function(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let name = match props.get("FunctionName").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(64),
        };
        let mut input: Map<String, Value> =
            CONFIG.iter().filter_map(|k| props.get(*k).map(|v| (k.to_string(), v.clone()))).collect();
        input.insert("FunctionName".into(), json!(name));
        input.insert("Code".into(), code(props)?);
        input.insert("Tags".into(), json!(tag_map(props, &request.tags)?));
        self.api.call(&request.region, "CreateFunction", Value::Object(input)).await?;
        if props.contains_key("ReservedConcurrentExecutions") {
            self.concurrency(&request.region, &name, props).await?;
        }
        self.settled(&request.region, &name).await
    }

    async fn update_function(
        &self,
        name: &str,
        old: &Properties,
        request: &ResourceRequest,
    ) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let region = &request.region;
        if old.get("Code") != props.get("Code") || old.get("Runtime") != props.get("Runtime") {
            let mut input = code(props)?;
            input["FunctionName"] = json!(name);
            self.api.call(region, "UpdateFunctionCode", input).await?;
            self.settled(region, name).await?;
        }
        let mut input: Map<String, Value> = CONFIG
            .iter()
            .map(|k| (k.to_string(), props.get(*k).cloned().unwrap_or(Value::Null)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        for k in ["Description", "Environment"] {
            if !props.contains_key(k) && old.contains_key(k) {
                input.insert(k.into(), if k == "Description" { json!("") } else { json!({ "Variables": {} }) });
            }
        }
        input.insert("FunctionName".into(), json!(name));
        self.api.call(region, "UpdateFunctionConfiguration", Value::Object(input)).await?;
        let provisioned = self.settled(region, name).await?;
        let arn = provisioned.attributes["Arn"].as_str().unwrap_or_default().to_string();
        let before = tag_map(old, &request.tags)?;
        let after = tag_map(props, &request.tags)?;
        let gone: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
        if !gone.is_empty() {
            self.api.call(region, "UntagResource", json!({ "Resource": arn, "TagKeys": gone })).await?;
        }
        if !after.is_empty() {
            self.api.call(region, "TagResource", json!({ "Resource": arn, "Tags": after })).await?;
        }
        if old.get("ReservedConcurrentExecutions") != props.get("ReservedConcurrentExecutions") {
            self.concurrency(region, name, props).await?;
        }
        Ok(provisioned)
    }
}

impl ResourceProvider for FunctionProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn", "SnapStartResponse", "SnapStartResponse.ApplyOn", "SnapStartResponse.OptimizationStatus"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("FunctionName") != new.get("FunctionName") || old.get("PackageType") != new.get("PackageType")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_function(&request).await })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_function(&physical_id, &old, &request).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match self.api.call(&request.region, "DeleteFunction", json!({ "FunctionName": physical_id })).await {
                Err(e) if e.code != "ResourceNotFoundException" => Err(e.into()),
                _ => Ok(()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_is_zipped_under_the_runtimes_file_name() {
        let b64 = zip_source("python3.13", "def handler(e, c): pass\n").unwrap();
        let bytes = STANDARD.decode(b64).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(z.by_index(0).unwrap().name().unwrap(), "index.py");
    }
}
