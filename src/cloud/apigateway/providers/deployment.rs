//! `AWS::ApiGateway::Deployment`: RestApiId replaces it. With `StageName`, the deployment creates that
//! stage (given the `StageDescription` settings) as CloudFormation does, and deleting the deployment
//! deletes the stage. `Ref` is the deployment id, `Fn::GetAtt` gives `DeploymentId`.

use serde_json::json;

use super::{Handle, changed, object, required, seg, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct DeploymentProvider(pub Handle);

const KNOWN: &[&str] = &["RestApiId", "Description", "StageName", "StageDescription", "DeploymentCanarySettings"];

fn provisioned(id: &str) -> Provisioned {
    Provisioned::new(id).attribute("DeploymentId", id)
}

impl DeploymentProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let api = required(p, "RestApiId")?;
        let stage = text(p, "StageName");
        let body = json!({"description": text(p, "Description"), "stageName": stage});
        let d = self.0.call(&r.region, http::Method::POST, &format!("/restapis/{}/deployments", seg(api)), body)?;
        let id = d["id"].as_str().unwrap_or_default().to_string();
        if let (Some(stage), Some(settings)) = (&stage, object(p, "StageDescription")) {
            let ops = super::stage::settings_ops(settings);
            let path = format!("/restapis/{}/stages/{}", seg(api), seg(stage));
            self.0.call(&r.region, http::Method::PATCH, &path, json!({"patchOperations": ops}))?;
        }
        Ok(provisioned(&id))
    }
}

impl ResourceProvider for DeploymentProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::Deployment"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["DeploymentId"]
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
        Box::pin(async move {
            check_known(&request.properties, KNOWN)?;
            Ok(provisioned(&id))
        })
    }

    fn delete(&self, id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let p = &request.properties;
            let api = required(p, "RestApiId")?;
            if let Some(stage) = text(p, "StageName") {
                self.0.delete(&request.region, &format!("/restapis/{}/stages/{}", seg(api), seg(&stage)))?;
            }
            self.0.delete(&request.region, &format!("/restapis/{}/deployments/{}", seg(api), seg(&id)))
        })
    }
}
