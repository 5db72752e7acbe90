//! `AWS::Lambda::Permission`: one statement of a function's policy, added through AddPermission with a
//! statement id CloudFormation generates. Its physical id (and `Ref`) is `<function ARN>|<statement id>`;
//! every property change replaces it, as AWS documents.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Lambda;
use super::function_provider::lambda_api;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::BoxFuture;

const TYPE: &str = "AWS::Lambda::Permission";
const KNOWN: &[&str] = &[
    "Action",
    "FunctionName",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "FunctionUrlAuthType",
    "PrincipalOrgID",
    "InvokedViaFunctionUrl",
];

pub struct PermissionProvider {
    api: ServiceApi,
}

impl PermissionProvider {
    pub fn new(ctx: &Arc<CloudContext>, lambda: &Arc<Lambda>) -> Self {
        PermissionProvider { api: lambda_api(ctx, lambda) }
    }

    async fn add(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let sid = request.generated_name(100);
        let mut input: Map<String, Value> = KNOWN
            .iter()
            .filter(|k| !matches!(**k, "InvokedViaFunctionUrl"))
            .filter_map(|k| props.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        input.insert("StatementId".into(), json!(sid));
        self.api.call(&request.region, "AddPermission", Value::Object(input)).await?;
        let function = props.get("FunctionName").and_then(Value::as_str).unwrap_or_default();
        let c = self.api.call(&request.region, "GetFunctionConfiguration", json!({ "FunctionName": function })).await?;
        let arn = c["FunctionArn"].as_str().unwrap_or(function);
        Ok(Provisioned::new(format!("{arn}|{sid}")))
    }
}

impl ResourceProvider for PermissionProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Id"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old != new
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.add(&request).await })
    }

    /// Nothing updates in place; CloudFormation calls this only when no property changed.
    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        _request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { Ok(Provisioned::new(physical_id)) })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let Some((function, sid)) = physical_id.split_once('|') else { return Ok(()) };
            let input = json!({ "FunctionName": function, "StatementId": sid });
            match self.api.call(&request.region, "RemovePermission", input).await {
                Err(e) if e.code != "ResourceNotFoundException" => Err(e.into()),
                _ => Ok(()),
            }
        })
    }
}
