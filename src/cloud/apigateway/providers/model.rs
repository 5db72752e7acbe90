//! `AWS::ApiGateway::Model`: RestApiId, Name (generated when absent) and ContentType replace it;
//! Schema (an object or a JSON string) and Description update in place. `Ref` is the model's name.

use serde_json::{Value, json};

use super::{Handle, changed, required, seg, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct ModelProvider(pub Handle);

const KNOWN: &[&str] = &["RestApiId", "Name", "ContentType", "Schema", "Description"];

fn schema(p: &Properties) -> Option<String> {
    match p.get("Schema")? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl ModelProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let api = required(p, "RestApiId")?;
        let name = text(p, "Name").unwrap_or_else(|| r.generated_name(64).replace('-', ""));
        let body = json!({
            "name": name,
            "contentType": text(p, "ContentType").unwrap_or_else(|| "application/json".into()),
            "schema": schema(p),
            "description": text(p, "Description"),
        });
        self.0.call(&r.region, http::Method::POST, &format!("/restapis/{}/models", seg(api)), body)?;
        Ok(Provisioned::new(name))
    }

    fn update_now(&self, name: &str, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let api = required(p, "RestApiId")?;
        let mut ops =
            vec![json!({"op": "replace", "path": "/description", "value": text(p, "Description").unwrap_or_default()})];
        if let Some(s) = schema(p) {
            ops.push(json!({"op": "replace", "path": "/schema", "value": s}));
        }
        let path = format!("/restapis/{}/models/{}", seg(api), seg(name));
        self.0.call(&r.region, http::Method::PATCH, &path, json!({"patchOperations": ops}))?;
        Ok(Provisioned::new(name))
    }
}

impl ResourceProvider for ModelProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::Model"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, &["RestApiId", "Name", "ContentType"])
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
        Box::pin(async move {
            let api = required(&request.properties, "RestApiId")?;
            self.0.delete(&request.region, &format!("/restapis/{}/models/{}", seg(api), seg(&id)))
        })
    }
}
