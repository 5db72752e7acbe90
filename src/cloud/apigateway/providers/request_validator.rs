//! `AWS::ApiGateway::RequestValidator`: RestApiId replaces it; Name, ValidateRequestBody and
//! ValidateRequestParameters update in place. `Ref` is its id, `Fn::GetAtt` gives `RequestValidatorId`.

use serde_json::json;

use super::{Handle, changed, flag, required, seg, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct RequestValidatorProvider(pub Handle);

const KNOWN: &[&str] = &["RestApiId", "Name", "ValidateRequestBody", "ValidateRequestParameters"];

fn provisioned(id: &str) -> Provisioned {
    Provisioned::new(id).attribute("RequestValidatorId", id)
}

impl RequestValidatorProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let api = required(p, "RestApiId")?;
        let body = json!({
            "name": text(p, "Name").unwrap_or_else(|| r.generated_name(128)),
            "validateRequestBody": flag(p, "ValidateRequestBody").unwrap_or(false),
            "validateRequestParameters": flag(p, "ValidateRequestParameters").unwrap_or(false),
        });
        let v =
            self.0.call(&r.region, http::Method::POST, &format!("/restapis/{}/requestvalidators", seg(api)), body)?;
        Ok(provisioned(v["id"].as_str().unwrap_or_default()))
    }

    fn update_now(&self, id: &str, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let api = required(p, "RestApiId")?;
        let b = |k: &str| flag(p, k).unwrap_or(false).to_string();
        let ops = json!([
            {"op": "replace", "path": "/validateRequestBody", "value": b("ValidateRequestBody")},
            {"op": "replace", "path": "/validateRequestParameters", "value": b("ValidateRequestParameters")},
        ]);
        let path = format!("/restapis/{}/requestvalidators/{}", seg(api), seg(id));
        self.0.call(&r.region, http::Method::PATCH, &path, json!({"patchOperations": ops}))?;
        Ok(provisioned(id))
    }
}

impl ResourceProvider for RequestValidatorProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::RequestValidator"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["RequestValidatorId"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, &["RestApiId"])
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
            self.0.delete(&request.region, &format!("/restapis/{}/requestvalidators/{}", seg(api), seg(&id)))
        })
    }
}
