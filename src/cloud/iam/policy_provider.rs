//! `AWS::IAM::Policy`: an inline policy (PolicyName, PolicyDocument) put on each of its Roles. Its
//! physical id is formed as CloudFormation forms it for this type (`<stack 5>-<logical 5>-<12 random>`);
//! nothing replaces it: a new name or role list moves the inline policy.

use std::sync::Arc;

use serde_json::Value;

use super::role_provider::{document, pair, query, strings};
use super::state::IamState;
use super::{Op, role_policies};
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

pub struct PolicyProvider {
    state: Arc<IamState>,
    ctx: Arc<CloudContext>,
}

impl PolicyProvider {
    pub fn new(iam: &super::Iam, ctx: &Arc<CloudContext>) -> Self {
        PolicyProvider { state: iam.state.clone(), ctx: ctx.clone() }
    }

    fn op(&self) -> Op<'_> {
        Op { state: &self.state, account: self.ctx.account_id(), now: self.ctx.clock.now_ms() }
    }

    fn put(&self, props: &Properties) -> Result<(), ProviderError> {
        let name = policy_name(props)?;
        let doc = document(props, "PolicyDocument")?;
        for role in strings(props, "Roles") {
            let q = query(&[pair("RoleName", role), pair("PolicyName", &name), pair("PolicyDocument", &doc)]);
            role_policies::put(&self.op(), &q)?;
        }
        Ok(())
    }

    fn remove(&self, props: &Properties, keep: &[String]) -> Result<(), ProviderError> {
        let Ok(name) = policy_name(props) else { return Ok(()) };
        for role in strings(props, "Roles").into_iter().filter(|r| !keep.contains(r)) {
            match role_policies::delete(&self.op(), &query(&[pair("RoleName", role), pair("PolicyName", &name)])) {
                Ok(_) => {}
                Err(e) if e.code == "NoSuchEntity" => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

fn policy_name(props: &Properties) -> Result<String, ProviderError> {
    props
        .get("PolicyName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ProviderError::invalid_property("PolicyName", "required key [PolicyName] not found"))
}

fn refuse_users_and_groups(props: &Properties) -> Result<(), ProviderError> {
    for key in ["Users", "Groups"] {
        if !strings(props, key).is_empty() {
            return Err(ProviderError::new(format!(
                "AWS::IAM::Policy {key} are not supported by the local cloud (it records roles only)"
            )));
        }
    }
    Ok(())
}

fn physical_id(stack: &str, logical: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let suffix: String = (0..12).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect();
    let head = |s: &str| s.chars().take(5).collect::<String>();
    format!("{}-{}-{suffix}", head(stack), head(logical))
}

impl ResourceProvider for PolicyProvider {
    fn type_name(&self) -> &'static str {
        "AWS::IAM::Policy"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Id"]
    }

    fn needs_replacement(&self, _old: &Properties, _new: &Properties) -> bool {
        false
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            refuse_users_and_groups(&request.properties)?;
            if let Err(e) = self.put(&request.properties) {
                let _ = self.remove(&request.properties, &[]);
                return Err(e);
            }
            let id = physical_id(&request.stack_name, &request.logical_id);
            Ok(Provisioned::new(&id).attribute("Id", id.clone()))
        })
    }

    fn update(
        &self,
        physical_id: String,
        old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            refuse_users_and_groups(&request.properties)?;
            let same_name = policy_name(&old).ok() == policy_name(&request.properties).ok();
            let keep = if same_name { strings(&request.properties, "Roles") } else { Vec::new() };
            self.remove(&old, &keep)?;
            self.put(&request.properties)?;
            Ok(Provisioned::new(&physical_id).attribute("Id", physical_id.clone()))
        })
    }

    fn delete(&self, _physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.remove(&request.properties, &[]) })
    }
}
