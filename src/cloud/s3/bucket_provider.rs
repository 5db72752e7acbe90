//! `AWS::S3::Bucket`: a bucket with its encryption, tags and the configurations the local S3 stores
//! (versioning, public access block, lifecycle, ownership controls, logging, …). A new BucketName
//! replaces the bucket; deleting a bucket that holds objects fails as it does on AWS.

use std::sync::Arc;

use serde_json::Value;

use super::buckets;
use super::meta::{BucketMeta, Encryption};
use super::store::Store;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

const ATTRIBUTES: [&str; 5] = ["Arn", "DomainName", "RegionalDomainName", "DualStackDomainName", "WebsiteURL"];
/// Properties acted on; every other one is stored as given.
const HANDLED: [&str; 3] = ["BucketName", "BucketEncryption", "Tags"];

pub struct BucketProvider {
    store: Arc<Store>,
    ctx: Arc<CloudContext>,
}

impl BucketProvider {
    pub fn new(s3: &super::S3, ctx: &Arc<CloudContext>) -> Self {
        BucketProvider { store: s3.store().clone(), ctx: ctx.clone() }
    }
}

fn encryption(props: &Properties) -> Result<Option<Encryption>, ProviderError> {
    let Some(config) = props.get("BucketEncryption") else { return Ok(None) };
    let rule = config
        .get("ServerSideEncryptionConfiguration")
        .and_then(Value::as_array)
        .and_then(|rules| rules.first())
        .ok_or_else(|| {
            ProviderError::invalid_property(
                "BucketEncryption",
                "required key [ServerSideEncryptionConfiguration] not found",
            )
        })?;
    let default = rule.get("ServerSideEncryptionByDefault");
    let e = Encryption {
        algorithm: default.and_then(|d| d.get("SSEAlgorithm")).and_then(Value::as_str).unwrap_or("AES256").to_string(),
        kms_key_id: default.and_then(|d| d.get("KMSMasterKeyID")).and_then(Value::as_str).map(str::to_string),
        bucket_key_enabled: matches!(rule.get("BucketKeyEnabled"), Some(Value::Bool(true)))
            || rule.get("BucketKeyEnabled").and_then(Value::as_str) == Some("true"),
    };
    buckets::check_encryption(&e).map_err(|err| ProviderError::invalid_property("BucketEncryption", err.message))?;
    Ok(Some(e))
}

fn tags(request: &ResourceRequest) -> Vec<(String, String)> {
    let mut tags = request.tags.clone();
    if let Some(Value::Array(list)) = request.properties.get("Tags") {
        for t in list {
            if let (Some(k), Some(v)) = (t.get("Key").and_then(Value::as_str), t.get("Value").and_then(Value::as_str)) {
                tags.retain(|(key, _)| key != k);
                tags.push((k.to_string(), v.to_string()));
            }
        }
    }
    tags
}

/// Applies the template's properties to a bucket's configuration.
fn configure(bucket: &mut BucketMeta, request: &ResourceRequest) -> Result<(), ProviderError> {
    bucket.encryption = encryption(&request.properties)?;
    bucket.tags = tags(request);
    bucket.stored = request
        .properties
        .iter()
        .filter(|(k, _)| !HANDLED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(())
}

fn provisioned(name: &str, region: &str) -> Provisioned {
    Provisioned::new(name)
        .attribute("Arn", format!("arn:aws:s3:::{name}"))
        .attribute("DomainName", format!("{name}.s3.amazonaws.com"))
        .attribute("RegionalDomainName", format!("{name}.s3.{region}.amazonaws.com"))
        .attribute("DualStackDomainName", format!("{name}.s3.dualstack.{region}.amazonaws.com"))
        .attribute("WebsiteURL", format!("http://{name}.s3-website-{region}.amazonaws.com"))
}

impl BucketProvider {
    fn create_now(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let name = match request.properties.get("BucketName") {
            Some(Value::String(n)) => n.clone(),
            Some(other) => {
                return Err(ProviderError::invalid_property(
                    "BucketName",
                    format!("expected type: String, found: {other}"),
                ));
            }
            None => request.generated_name(63).to_ascii_lowercase(),
        };
        super::names::validate_bucket(&name).map_err(|e| ProviderError::invalid_property("BucketName", e.message))?;
        if self.store.bucket(&name).is_ok() {
            return Err(ProviderError::new(format!(
                "Resource handler returned message: \"{name} already exists\" (HandlerErrorCode: AlreadyExists)"
            )));
        }
        let constraint = (request.region != "us-east-1").then_some(request.region.as_str());
        let region = buckets::resolve_region(&request.region, constraint)?;
        let mut bucket = BucketMeta {
            name: name.clone(),
            region: region.clone(),
            created_ms: self.ctx.clock.now_ms().max(0) as u64,
            ..Default::default()
        };
        configure(&mut bucket, request)?;
        if !self.store.create_bucket(bucket)? {
            return Err(ProviderError::new(format!(
                "Resource handler returned message: \"{name} already exists\" (HandlerErrorCode: AlreadyExists)"
            )));
        }
        Ok(provisioned(&name, &region))
    }

    fn update_now(&self, name: &str, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        // Checked before the change so a bad property changes nothing.
        let mut probe = BucketMeta::default();
        configure(&mut probe, request)?;
        let bucket = self.store.update_bucket(name, |b| {
            b.encryption = probe.encryption;
            b.tags = probe.tags;
            b.stored = probe.stored;
            Ok(())
        })?;
        Ok(provisioned(name, &bucket.region))
    }

    fn delete_now(&self, name: &str) -> Result<(), ProviderError> {
        match self.store.delete_bucket(name) {
            Err(e) if e.code == "NoSuchBucket" => Ok(()),
            other => Ok(other?),
        }
    }
}

impl ResourceProvider for BucketProvider {
    fn type_name(&self) -> &'static str {
        "AWS::S3::Bucket"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &ATTRIBUTES
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("BucketName") != new.get("BucketName")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request) })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_now(&physical_id, &request) })
    }

    fn delete(&self, physical_id: String, _request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_now(&physical_id) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_valid_bucket_names() {
        let request = |stack: &str, logical: &str| ResourceRequest {
            stack_name: stack.into(),
            stack_id: format!("arn:aws:cloudformation:us-east-1:000000000000:stack/{stack}/1"),
            logical_id: logical.into(),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            properties: Properties::new(),
            tags: Vec::new(),
        };
        let name = request("My-Stack", "LogsBucket").generated_name(63).to_ascii_lowercase();
        assert!(name.starts_with("my-stack-logsbucket-"), "{name}");
        assert_eq!(name.len(), "my-stack-logsbucket-".len() + 13);
        super::super::names::validate_bucket(&name).unwrap();
        let long = request(&"s".repeat(128), &"L".repeat(255)).generated_name(63).to_ascii_lowercase();
        assert!(long.len() <= 63, "{long}");
        super::super::names::validate_bucket(&long).unwrap();
    }
}
