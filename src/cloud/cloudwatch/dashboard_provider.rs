//! `AWS::CloudWatch::Dashboard`: a dashboard put through CloudWatch's own PutDashboard, so its body is
//! validated as the API validates it. The physical id is the dashboard's name; a new DashboardName
//! replaces it; it has no GetAtt attributes.

use std::sync::Arc;

use serde_json::{Value, json};

use super::CloudWatch;
use super::alarm_provider::cloudwatch_api;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::BoxFuture;

const TYPE: &str = "AWS::CloudWatch::Dashboard";
const KNOWN: &[&str] = &["DashboardName", "DashboardBody"];
const NAME_MAX: usize = 255;

pub struct DashboardProvider {
    api: ServiceApi,
}

impl DashboardProvider {
    pub fn new(ctx: &Arc<CloudContext>, cloudwatch: &Arc<CloudWatch>) -> Self {
        DashboardProvider { api: cloudwatch_api(ctx, cloudwatch) }
    }

    async fn put(&self, request: &ResourceRequest, name: &str) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        check_known(props, KNOWN)?;
        let body =
            props.get("DashboardBody").and_then(Value::as_str).ok_or_else(|| match props.get("DashboardBody") {
                Some(v) => {
                    ProviderError::invalid_property("DashboardBody", format!("expected type: String, found: {v}"))
                }
                None => ProviderError::new(
                    "Properties validation failed for resource: #: required key [DashboardBody] not found \
                 (HandlerErrorCode: InvalidRequest)",
                ),
            })?;
        let input = json!({ "DashboardName": name, "DashboardBody": body });
        self.api.call(&request.region, "PutDashboard", input).await?;
        Ok(Provisioned::new(name))
    }
}

impl ResourceProvider for DashboardProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("DashboardName") != new.get("DashboardName")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let name = match request.properties.get("DashboardName").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                // Stack names and logical ids hold only characters a dashboard name allows.
                None => request.generated_name(NAME_MAX),
            };
            self.put(&request, &name).await
        })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.put(&request, &physical_id).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match self.api.call(&request.region, "DeleteDashboards", json!({ "DashboardNames": [physical_id] })).await {
                Ok(_) => Ok(()),
                Err(e) if e.code == "ResourceNotFound" => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }
}
