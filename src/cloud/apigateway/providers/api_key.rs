//! `AWS::ApiGateway::ApiKey`: Name (generated when absent), Value and GenerateDistinctId replace it;
//! Description, Enabled (false unless given, as CloudFormation's default) and CustomerId update in
//! place. `Ref` is the key's id, `Fn::GetAtt` gives `APIKeyId`.

use serde_json::json;

use super::{Handle, changed, flag, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

pub struct ApiKeyProvider(pub Handle);

const KNOWN: &[&str] =
    &["Name", "Description", "Enabled", "Value", "CustomerId", "GenerateDistinctId", "StageKeys", "Tags"];

fn provisioned(id: &str) -> Provisioned {
    Provisioned::new(id).attribute("APIKeyId", id)
}

impl ApiKeyProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let body = json!({
            "name": text(p, "Name").unwrap_or_else(|| r.generated_name(128)),
            "description": text(p, "Description"),
            "enabled": flag(p, "Enabled").unwrap_or(false),
            "value": text(p, "Value"),
            "customerId": text(p, "CustomerId"),
            "tags": tag_map(p, &r.tags)?,
        });
        let key = self.0.call(&r.region, http::Method::POST, "/apikeys", body)?;
        Ok(provisioned(key["id"].as_str().unwrap_or_default()))
    }

    fn update_now(&self, id: &str, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let ops = json!([
            {"op": "replace", "path": "/description", "value": text(p, "Description").unwrap_or_default()},
            {"op": "replace", "path": "/enabled", "value": flag(p, "Enabled").unwrap_or(false).to_string()},
        ]);
        self.0.call(
            &r.region,
            http::Method::PATCH,
            &format!("/apikeys/{}", super::seg(id)),
            json!({"patchOperations": ops}),
        )?;
        Ok(provisioned(id))
    }
}

impl ResourceProvider for ApiKeyProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::ApiKey"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["APIKeyId"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, &["Name", "Value", "GenerateDistinctId"])
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
        Box::pin(async move { self.update_now(&id, &request) })
    }

    fn delete(&self, id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.0.delete(&request.region, &format!("/apikeys/{}", super::seg(&id))) })
    }
}
