//! `AWS::ApiGateway::Method` with its inline Integration, IntegrationResponses and MethodResponses:
//! RestApiId, ResourceId and HttpMethod replace it; any other change puts the method again. `Ref` is
//! `{api}|{resource}|{method}`.

use serde_json::{Map, Value, json};

use super::{Handle, changed, flag, flags, number, object, required, seg, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct MethodProvider(pub Handle);

const KNOWN: &[&str] = &[
    "RestApiId",
    "ResourceId",
    "HttpMethod",
    "AuthorizationType",
    "ApiKeyRequired",
    "RequestValidatorId",
    "RequestModels",
    "RequestParameters",
    "OperationName",
    "AuthorizerId",
    "AuthorizationScopes",
    "Integration",
    "MethodResponses",
];

fn list<'p>(p: &'p Map<String, Value>, key: &str) -> impl Iterator<Item = &'p Map<String, Value>> {
    p.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object)
}

fn status(o: &Map<String, Value>) -> Result<String, ProviderError> {
    text(o, "StatusCode")
        .ok_or_else(|| ProviderError::invalid_property("StatusCode", "required key [StatusCode] not found"))
}

impl MethodProvider {
    fn put(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let (api, resource, method) =
            (required(p, "RestApiId")?, required(p, "ResourceId")?, required(p, "HttpMethod")?);
        let method = method.to_ascii_uppercase();
        let base = format!("/restapis/{}/resources/{}/methods/{method}", seg(api), seg(resource));
        let body = json!({
            "authorizationType": text(p, "AuthorizationType").unwrap_or_else(|| "NONE".into()),
            "apiKeyRequired": flag(p, "ApiKeyRequired").unwrap_or(false),
            "requestValidatorId": text(p, "RequestValidatorId"),
            "requestModels": p.get("RequestModels").cloned().unwrap_or(json!({})),
            "requestParameters": flags(p.get("RequestParameters")),
            "operationName": text(p, "OperationName"),
            "authorizerId": text(p, "AuthorizerId"),
        });
        self.0.call(&r.region, http::Method::PUT, &base, body)?;
        for response in list(p, "MethodResponses") {
            let body = json!({
                "responseParameters": flags(response.get("ResponseParameters")),
                "responseModels": response.get("ResponseModels").cloned().unwrap_or(json!({})),
            });
            self.0.call(&r.region, http::Method::PUT, &format!("{base}/responses/{}", status(response)?), body)?;
        }
        if let Some(i) = object(p, "Integration") {
            self.integration(r, &base, i)?;
        }
        let id = format!("{api}|{resource}|{method}");
        Ok(Provisioned::new(id))
    }

    fn integration(&self, r: &ResourceRequest, base: &str, i: &Map<String, Value>) -> Result<(), ProviderError> {
        let body = json!({
            "type": text(i, "Type").unwrap_or_else(|| "MOCK".into()),
            "httpMethod": text(i, "IntegrationHttpMethod"),
            "uri": text(i, "Uri"),
            "credentials": text(i, "Credentials"),
            "passthroughBehavior": text(i, "PassthroughBehavior"),
            "requestParameters": i.get("RequestParameters").cloned().unwrap_or(json!({})),
            "requestTemplates": i.get("RequestTemplates").cloned().unwrap_or(json!({})),
            "contentHandling": text(i, "ContentHandling"),
            "connectionType": text(i, "ConnectionType"),
            "timeoutInMillis": number(i, "TimeoutInMillis").map(|n| n as u64),
            "cacheNamespace": text(i, "CacheNamespace"),
            "cacheKeyParameters": i.get("CacheKeyParameters").cloned().unwrap_or(json!([])),
        });
        let body = Value::Object(
            body.as_object()
                .into_iter()
                .flatten()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        self.0.call(&r.region, http::Method::PUT, &format!("{base}/integration"), body)?;
        for response in list(i, "IntegrationResponses") {
            let body = json!({
                "selectionPattern": text(response, "SelectionPattern"),
                "responseParameters": response.get("ResponseParameters").cloned().unwrap_or(json!({})),
                "responseTemplates": response.get("ResponseTemplates").cloned().unwrap_or(json!({})),
                "contentHandling": text(response, "ContentHandling"),
            });
            let path = format!("{base}/integration/responses/{}", status(response)?);
            self.0.call(&r.region, http::Method::PUT, &path, body)?;
        }
        Ok(())
    }

    fn remove(&self, r: &ResourceRequest) -> Result<(), ProviderError> {
        let p = &r.properties;
        let (api, resource, method) =
            (required(p, "RestApiId")?, required(p, "ResourceId")?, required(p, "HttpMethod")?);
        let path =
            format!("/restapis/{}/resources/{}/methods/{}", seg(api), seg(resource), method.to_ascii_uppercase());
        self.0.delete(&r.region, &path)
    }
}

impl ResourceProvider for MethodProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::Method"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &[]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, &["RestApiId", "ResourceId", "HttpMethod"])
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.put(&request) })
    }

    fn update(
        &self,
        _id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            self.remove(&request)?;
            self.put(&request)
        })
    }

    fn delete(&self, _id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.remove(&request) })
    }
}
