//! `AWS::S3::BucketPolicy`: the policy document (JSON object or string) set on a bucket; a new
//! Bucket replaces the resource; deleting it removes the policy, and a bucket already gone is fine.

use std::sync::Arc;

use serde_json::Value;

use super::buckets;
use super::store::Store;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

pub struct BucketPolicyProvider {
    store: Arc<Store>,
}

impl BucketPolicyProvider {
    pub fn new(s3: &super::S3) -> Self {
        BucketPolicyProvider { store: s3.store().clone() }
    }

    fn apply(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let bucket = match request.properties.get("Bucket") {
            Some(Value::String(b)) => b.clone(),
            _ => return Err(ProviderError::invalid_property("Bucket", "required key [Bucket] not found")),
        };
        let policy = match request.properties.get("PolicyDocument") {
            Some(Value::String(s)) => s.clone(),
            Some(doc @ Value::Object(_)) => doc.to_string(),
            _ => {
                return Err(ProviderError::invalid_property(
                    "PolicyDocument",
                    "required key [PolicyDocument] not found",
                ));
            }
        };
        buckets::check_policy(&policy)?;
        self.store.update_bucket(&bucket, |b| {
            b.policy = Some(policy);
            Ok(())
        })?;
        Ok(Provisioned::new(bucket))
    }
}

impl ResourceProvider for BucketPolicyProvider {
    fn type_name(&self) -> &'static str {
        "AWS::S3::BucketPolicy"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("Bucket") != new.get("Bucket")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.apply(&request) })
    }

    fn update(
        &self,
        _physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.apply(&request) })
    }

    fn delete(&self, physical_id: String, _request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match self.store.update_bucket(&physical_id, |b| {
                b.policy = None;
                Ok(())
            }) {
                Err(e) if e.code == "NoSuchBucket" => Ok(()),
                other => other.map(drop).map_err(ProviderError::from),
            }
        })
    }
}
