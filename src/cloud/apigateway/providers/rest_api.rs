//! `AWS::ApiGateway::RestApi`: Name, Description, EndpointConfiguration, ApiKeySourceType,
//! BinaryMediaTypes, DisableExecuteApiEndpoint, Tags; `Ref` is the API id, `Fn::GetAtt` gives
//! `RestApiId` and `RootResourceId`. Every property updates in place (an OpenAPI `Body` is refused:
//! the local cloud does not import definitions).

use serde_json::{Value, json};

use super::{Handle, flag, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

pub struct RestApiProvider(pub Handle);

const KNOWN: &[&str] = &[
    "Name",
    "Description",
    "EndpointConfiguration",
    "ApiKeySourceType",
    "BinaryMediaTypes",
    "DisableExecuteApiEndpoint",
    "Tags",
    "Policy",
    "MinimumCompressionSize",
    "FailOnWarnings",
    "Parameters",
    "Mode",
];

fn provisioned(api: &Value) -> Provisioned {
    let id = api["id"].as_str().unwrap_or_default();
    Provisioned::new(id).attribute("RestApiId", id).attribute("RootResourceId", api["rootResourceId"].clone())
}

impl RestApiProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        if p.contains_key("Body") || p.contains_key("BodyS3Location") || p.contains_key("CloneFrom") {
            return Err(ProviderError::new(
                "The local cloud does not import REST APIs from Body, BodyS3Location or CloneFrom; declare its resources and methods in the template",
            ));
        }
        check_known(p, KNOWN)?;
        let name =
            text(p, "Name").ok_or_else(|| ProviderError::invalid_property("Name", "required key [Name] not found"))?;
        let types = p.get("EndpointConfiguration").and_then(|e| e.get("Types")).cloned().unwrap_or(json!(["EDGE"]));
        let body = json!({
            "name": name,
            "description": text(p, "Description"),
            "endpointConfiguration": {"types": types},
            "apiKeySource": text(p, "ApiKeySourceType").unwrap_or_else(|| "HEADER".into()),
            "binaryMediaTypes": p.get("BinaryMediaTypes").cloned().unwrap_or(json!([])),
            "disableExecuteApiEndpoint": flag(p, "DisableExecuteApiEndpoint").unwrap_or(false),
            "tags": tag_map(p, &r.tags)?,
        });
        let api = self.0.call(&r.region, http::Method::POST, "/restapis", body)?;
        Ok(provisioned(&api))
    }

    fn update_now(&self, id: &str, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let mut ops = vec![json!({"op": "replace", "path": "/name", "value": text(p, "Name").unwrap_or_default()})];
        ops.push(json!({"op": "replace", "path": "/description", "value": text(p, "Description").unwrap_or_default()}));
        if let Some(source) = text(p, "ApiKeySourceType") {
            ops.push(json!({"op": "replace", "path": "/apiKeySource", "value": source}));
        }
        let api =
            self.0.call(&r.region, http::Method::PATCH, &format!("/restapis/{id}"), json!({"patchOperations": ops}))?;
        Ok(provisioned(&api))
    }
}

impl ResourceProvider for RestApiProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::RestApi"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["RestApiId", "RootResourceId"]
    }

    fn needs_replacement(&self, _old: &Properties, _new: &Properties) -> bool {
        false
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
        Box::pin(async move { self.0.delete(&request.region, &format!("/restapis/{}", super::seg(&id))) })
    }
}
