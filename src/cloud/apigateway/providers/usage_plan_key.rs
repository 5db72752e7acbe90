//! `AWS::ApiGateway::UsagePlanKey`: KeyId, KeyType and UsagePlanId, all of which replace it. `Ref` is
//! the key's id; `Fn::GetAtt` gives `Id` (`{key}:{plan}`).

use serde_json::json;

use super::{Handle, changed, required, seg};
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, check_known,
};
use crate::cloud::service::BoxFuture;

pub struct UsagePlanKeyProvider(pub Handle);

const KNOWN: &[&str] = &["KeyId", "KeyType", "UsagePlanId"];

impl ResourceProvider for UsagePlanKeyProvider {
    fn type_name(&self) -> &'static str {
        "AWS::ApiGateway::UsagePlanKey"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Id"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        changed(old, new, KNOWN)
    }

    fn create(&self, r: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let p = &r.properties;
            check_known(p, KNOWN)?;
            let (key, kind, plan) = (required(p, "KeyId")?, required(p, "KeyType")?, required(p, "UsagePlanId")?);
            let body = json!({"keyId": key, "keyType": kind});
            self.0.call(&r.region, http::Method::POST, &format!("/usageplans/{}/keys", seg(plan)), body)?;
            Ok(Provisioned::new(key).attribute("Id", format!("{key}:{plan}")))
        })
    }

    fn update(
        &self,
        id: String,
        _old: Properties,
        r: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let plan = required(&r.properties, "UsagePlanId")?;
            Ok(Provisioned::new(&id).attribute("Id", format!("{id}:{plan}")))
        })
    }

    fn delete(&self, id: String, r: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            let plan = required(&r.properties, "UsagePlanId")?;
            self.0.delete(&r.region, &format!("/usageplans/{}/keys/{}", seg(plan), seg(&id)))
        })
    }
}
