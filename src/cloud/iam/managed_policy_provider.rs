//! `AWS::IAM::ManagedPolicy`: ManagedPolicyName (or generated), PolicyDocument, Path, Description,
//! Roles it is attached to. `Ref` returns the ARN (its physical id); `Fn::GetAtt` gives PolicyArn and
//! PolicyId. A new name, path or description replaces it; a new document becomes its default version.

use std::sync::Arc;

use serde_json::Value;

use super::op::Op;
use super::role_provider::{document, pair, query, strings};
use super::state::IamState;
use super::{policies, role_policies};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

pub struct ManagedPolicyProvider {
    state: Arc<IamState>,
    ctx: Arc<CloudContext>,
}

impl ManagedPolicyProvider {
    pub fn new(iam: &super::Iam, ctx: &Arc<CloudContext>) -> Self {
        ManagedPolicyProvider { state: iam.state.clone(), ctx: ctx.clone() }
    }

    fn op(&self) -> Op<'_> {
        Op { state: &self.state, account: self.ctx.account_id(), now: self.ctx.clock.now_ms() }
    }

    fn provisioned(&self, arn: &str) -> Result<Provisioned, ProviderError> {
        let iam = self.state.lock();
        let p = super::validate::policy(&iam.policies, arn)?;
        Ok(Provisioned::new(arn).attribute("PolicyArn", arn).attribute("PolicyId", p.id.clone()))
    }

    fn detach(&self, arn: &str, roles: &[String]) -> Result<(), ProviderError> {
        for role in roles {
            match role_policies::detach(&self.op(), &query(&[pair("RoleName", role), pair("PolicyArn", arn)])) {
                Ok(_) => {}
                Err(e) if e.code == "NoSuchEntity" => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn attach(&self, arn: &str, roles: &[String]) -> Result<(), ApiError> {
        for role in roles {
            role_policies::attach(&self.op(), &query(&[pair("RoleName", role), pair("PolicyArn", arn)]))?;
        }
        Ok(())
    }

    fn create_now(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        let name = match props.get("ManagedPolicyName").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(128),
        };
        let mut params = vec![pair("PolicyName", &name), pair("PolicyDocument", document(props, "PolicyDocument")?)];
        for key in ["Path", "Description"] {
            if let Some(v) = props.get(key).and_then(Value::as_str) {
                params.push(pair(key, v));
            }
        }
        let op = self.op();
        policies::create(&op, &query(&params))?;
        let path = props.get("Path").and_then(Value::as_str).unwrap_or("/");
        let arn = format!("arn:aws:iam::{}:policy{path}{name}", op.account);
        let roles = strings(props, "Roles");
        if let Err(e) = self.attach(&arn, &roles) {
            let _ = self.delete_now(&arn, &roles);
            return Err(e.into());
        }
        self.provisioned(&arn)
    }

    fn delete_now(&self, arn: &str, roles: &[String]) -> Result<(), ProviderError> {
        let attached_to: Vec<String> = {
            let iam = self.state.lock();
            iam.roles.values().filter(|r| r.attached.iter().any(|a| a == arn)).map(|r| r.name.clone()).collect()
        };
        self.detach(arn, roles)?;
        self.detach(arn, &attached_to)?;
        let op = self.op();
        let stale: Vec<String> = match self.state.lock().policies.get(arn) {
            None => return Ok(()),
            Some(p) => p.versions.iter().filter(|v| v.id != p.default_version).map(|v| v.id.clone()).collect(),
        };
        for id in stale {
            policies::delete_version(&op, &query(&[pair("PolicyArn", arn), pair("VersionId", id)]))?;
        }
        match policies::delete(&op, &query(&[pair("PolicyArn", arn)])) {
            Ok(_) => Ok(()),
            Err(e) if e.code == "NoSuchEntity" => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl ResourceProvider for ManagedPolicyProvider {
    fn type_name(&self) -> &'static str {
        "AWS::IAM::ManagedPolicy"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["PolicyArn", "PolicyId"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        ["ManagedPolicyName", "Path", "Description"].iter().any(|k| old.get(*k) != new.get(*k))
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.create_now(&request) })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let props = &request.properties;
            let doc = document(props, "PolicyDocument")?;
            if document(&old, "PolicyDocument").ok().as_deref() != Some(doc.as_str()) {
                crate::cloud::iam::validate::policy_document(
                    &query(&[pair("PolicyDocument", &doc)]),
                    "PolicyDocument",
                    "policyDocument",
                    policies::MAX_POLICY_SIZE,
                    "PolicySize",
                )?;
                policies::replace_document(&self.op(), &physical_id, doc)?;
            }
            let (before, after) = (strings(&old, "Roles"), strings(props, "Roles"));
            let gone: Vec<String> = before.iter().filter(|r| !after.contains(r)).cloned().collect();
            let new: Vec<String> = after.iter().filter(|r| !before.contains(r)).cloned().collect();
            self.detach(&physical_id, &gone)?;
            self.attach(&physical_id, &new)?;
            self.provisioned(&physical_id)
        })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_now(&physical_id, &strings(&request.properties, "Roles")) })
    }
}
