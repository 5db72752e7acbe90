//! `AWS::CloudWatch::Dashboard`: a dashboard put through CloudWatch's own PutDashboard, so its body is
//! validated as the API validates it. The physical id is the dashboard's name; a new DashboardName
//! replaces it; it has no GetAtt attributes.

use std::sync::Arc;

use serde_json::{Value, json};

use super::CloudWatch;
use super::alarm_provider::{cloudwatch_api, sync_tags, tag_list, tags};
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::BoxFuture;

const TYPE: &str = "AWS::CloudWatch::Dashboard";
const KNOWN: &[&str] = &["DashboardName", "DashboardBody", "Tags"];
const NAME_MAX: usize = 255;

pub struct DashboardProvider {
    api: ServiceApi,
}

impl DashboardProvider {
    pub fn new(ctx: &Arc<CloudContext>, cloudwatch: &Arc<CloudWatch>) -> Self {
        DashboardProvider { api: cloudwatch_api(ctx, cloudwatch) }
    }

    /// Puts the dashboard; a new one gets the stack's and its own tags with it, an existing one has
    /// its tags brought in line afterwards (PutDashboard keeps an existing dashboard's tags).
    async fn put(&self, request: &ResourceRequest, name: &str, existing: bool) -> Result<Provisioned, ProviderError> {
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
        let wanted = tags(request)?;
        let mut input = json!({ "DashboardName": name, "DashboardBody": body });
        if !existing {
            input["Tags"] = tag_list(&wanted);
        }
        self.api.call(&request.region, "PutDashboard", input).await?;
        if existing {
            let d = self.api.call(&request.region, "GetDashboard", json!({ "DashboardName": name })).await?;
            let arn = d["DashboardArn"].as_str().unwrap_or_default();
            sync_tags(&self.api, &request.region, arn, &wanted).await?;
        }
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
            self.put(&request, &name, false).await
        })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.put(&request, &physical_id, true).await })
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
