//! `AWS::ApiGateway::Resource`: RestApiId, ParentId, PathPart, all of which replace it; `Ref` is the
//! resource id, `Fn::GetAtt` gives `ResourceId`.

use serde_json::json;

use super::{Handle, changed, required, seg};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct ApiResourceProvider(pub Handle);

const KNOWN: &[&str] = &["RestApiId", "ParentId", "PathPart"];

impl ApiResourceProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let (api, parent, part) = (required(p, "RestApiId")?, required(p, "ParentId")?, required(p, "PathPart")?);
        let path = format!("/restapis/{}/resources/{}", seg(api), seg(parent));
        let created = self.0.call(&r.region, http::Method::POST, &path, json!({"pathPart": part}))?;
        let id = created["id"].as_str().unwrap_or_default();
        Ok(Provisioned::new(id).attribute("ResourceId", id))
    }
}

impl ResourceProvider for ApiResourceProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::Resource"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["ResourceId"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, KNOWN)
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request) })
    }

    fn update(
        &self,
        id: String,
        _old: Properties,
        _request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { Ok(Provisioned::new(&id).attribute("ResourceId", id.clone())) })
    }

    fn delete(&self, id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let api = required(&request.properties, "RestApiId")?;
            self.0.delete(&request.region, &format!("/restapis/{}/resources/{}", seg(api), seg(&id)))
        })
    }
}
