//! `AWS::ApiGateway::Account`: the region's CloudWatchRoleArn, updated in place; deleting the resource
//! leaves the account setting as it is, as CloudFormation does. `Ref` is a generated id.

use serde_json::json;

use super::{Handle, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct AccountProvider(pub Handle);

impl AccountProvider {
    fn set(&self, r: &ResourceRequest) -> Result<(), ProviderError> {
        check_known(&r.properties, &["CloudWatchRoleArn"])?;
        let arn = text(&r.properties, "CloudWatchRoleArn").unwrap_or_default();
        let ops = json!([{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]);
        self.0.call(&r.region, http::Method::PATCH, "/account", json!({"patchOperations": ops}))?;
        Ok(())
    }
}

impl ResourceProvider for AccountProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::Account"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, _old: &Properties, _new: &Properties) -> bool {
        false
    }

    fn create(&self, r: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            self.set(&r)?;
            Ok(Provisioned::new(r.generated_name(64)))
        })
    }

    fn update(
        &self,
        id: String,
        _old: Properties,
        r: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            self.set(&r)?;
            Ok(Provisioned::new(id))
        })
    }

    fn delete(&self, _id: String, _r: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async { Ok(()) })
    }
}
