//! `AWS::ApiGateway::UsagePlan`: UsagePlanName (generated when absent), Description, ApiStages (with
//! per-method Throttle), Throttle, Quota, Tags, all updated in place. `Ref` is its id, `Fn::GetAtt`
//! gives `Id`.

use serde_json::{Map, Value, json};

use super::{Handle, number, object, text};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known, tag_map,
};
use crate::cloud::service::BoxFuture;

pub struct UsagePlanProvider(pub Handle);

const KNOWN: &[&str] = &["UsagePlanName", "Description", "ApiStages", "Throttle", "Quota", "Tags"];

fn throttle(t: &Map<String, Value>) -> Value {
    json!({"burstLimit": number(t, "BurstLimit").unwrap_or(0.0) as i64, "rateLimit": number(t, "RateLimit").unwrap_or(0.0)})
}

fn api_stages(p: &Properties) -> Result<Vec<Value>, ProviderError> {
    let mut out = Vec::new();
    for s in p.get("ApiStages").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object) {
        let (Some(api), Some(stage)) = (text(s, "ApiId"), text(s, "Stage")) else {
            return Err(ProviderError::invalid_property("ApiStages", "each API stage needs ApiId and Stage"));
        };
        let methods: Map<String, Value> = object(s, "Throttle")
            .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), throttle(v.as_object()?)))).collect())
            .unwrap_or_default();
        out.push(json!({"apiId": api, "stage": stage, "throttle": methods}));
    }
    Ok(out)
}

impl UsagePlanProvider {
    fn create_now(&self, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let mut body = json!({
            "name": text(p, "UsagePlanName").unwrap_or_else(|| r.generated_name(128)),
            "description": text(p, "Description"),
            "apiStages": api_stages(p)?,
            "tags": tag_map(p, &r.tags)?,
        });
        if let Some(t) = object(p, "Throttle") {
            body["throttle"] = throttle(t);
        }
        if let Some(q) = object(p, "Quota") {
            body["quota"] = json!({
                "limit": number(q, "Limit").unwrap_or(0.0) as i64,
                "offset": number(q, "Offset").unwrap_or(0.0) as i64,
                "period": text(q, "Period").unwrap_or_else(|| "DAY".into()),
            });
        }
        let plan = self.0.call(&r.region, http::Method::POST, "/usageplans", body)?;
        let id = plan["id"].as_str().unwrap_or_default();
        Ok(Provisioned::new(id).attribute("Id", id))
    }

    fn update_now(&self, id: &str, old: &Properties, r: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let p = &r.properties;
        check_known(p, KNOWN)?;
        let mut ops = Vec::new();
        let key = |s: &Value| {
            format!("{}:{}", s["apiId"].as_str().unwrap_or_default(), s["stage"].as_str().unwrap_or_default())
        };
        let (before, after) = (api_stages(old)?, api_stages(p)?);
        for s in before.iter().filter(|s| !after.iter().any(|a| key(a) == key(s))) {
            ops.push(json!({"op": "remove", "path": "/apiStages", "value": key(s)}));
        }
        for s in after.iter().filter(|s| !before.iter().any(|b| key(b) == key(s))) {
            ops.push(json!({"op": "add", "path": "/apiStages", "value": key(s)}));
        }
        if let Some(name) = text(p, "UsagePlanName") {
            ops.push(json!({"op": "replace", "path": "/name", "value": name}));
        }
        ops.push(json!({"op": "replace", "path": "/description", "value": text(p, "Description").unwrap_or_default()}));
        if let Some(t) = object(p, "Throttle") {
            let t = throttle(t);
            ops.push(json!({"op": "replace", "path": "/throttle/rateLimit", "value": t["rateLimit"].to_string()}));
            ops.push(json!({"op": "replace", "path": "/throttle/burstLimit", "value": t["burstLimit"].to_string()}));
        } else if object(old, "Throttle").is_some() {
            ops.push(json!({"op": "remove", "path": "/throttle"}));
        }
        if let Some(q) = object(p, "Quota") {
            ops.push(json!({"op": "replace", "path": "/quota/limit", "value": number(q, "Limit").unwrap_or(0.0).to_string()}));
            ops.push(json!({"op": "replace", "path": "/quota/period", "value": text(q, "Period").unwrap_or_else(|| "DAY".into())}));
        } else if object(old, "Quota").is_some() {
            ops.push(json!({"op": "remove", "path": "/quota"}));
        }
        self.0.call(&r.region, http::Method::PATCH, &format!("/usageplans/{id}"), json!({"patchOperations": ops}))?;
        Ok(Provisioned::new(id).attribute("Id", id))
    }
}

impl ResourceProvider for UsagePlanProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::UsagePlan"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Id"]
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
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.update_now(&id, &old, &request) })
    }

    fn delete(&self, id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.0.delete(&request.region, &format!("/usageplans/{}", super::seg(&id))) })
    }
}
