//! `AWS::IAM::Role`: RoleName (or a generated `<stack>-<logical>-<RANDOM>` within 64 characters),
//! AssumeRolePolicyDocument, Policies (inline), ManagedPolicyArns, Path, MaxSessionDuration,
//! Description, Tags; `Ref` is the name, `Fn::GetAtt` gives Arn and RoleId. A new RoleName or Path
//! replaces the role; everything else updates in place. The provider calls IAM's own operations.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use super::op::Op;
use super::state::IamState;
use super::{role_policies, roles};
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::resource_provider::{Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest};
use crate::cloud::service::BoxFuture;

pub struct RoleProvider {
    state: Arc<IamState>,
    ctx: Arc<CloudContext>,
}

impl RoleProvider {
    pub fn new(iam: &super::Iam, ctx: &Arc<CloudContext>) -> Self {
        RoleProvider { state: iam.state.clone(), ctx: ctx.clone() }
    }

    fn op(&self) -> Op<'_> {
        Op { state: &self.state, account: self.ctx.account_id(), now: self.ctx.clock.now_ms() }
    }
}

/// An awsQuery input built from pairs, so providers go through the operations clients call.
pub fn query(pairs: &[(String, String)]) -> QueryParams {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        form.append_pair(k, v);
    }
    QueryParams::parse(form.finish().as_bytes())
}

pub fn pair(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// A policy document property: an object (serialized) or a JSON string as given.
pub fn document(props: &Properties, key: &str) -> Result<String, ProviderError> {
    match props.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v @ Value::Object(_)) => Ok(v.to_string()),
        _ => Err(ProviderError::invalid_property(key, format!("required key [{key}] not found"))),
    }
}

pub fn strings(props: &Properties, key: &str) -> Vec<String> {
    props
        .get(key)
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// The template's Tags then the stack's, leaving out `aws:` keys, which IAM refuses from callers.
pub fn tag_pairs(props: &Properties, stack_tags: &[(String, String)]) -> Vec<(String, String)> {
    let mut tags: BTreeMap<String, String> = stack_tags.iter().cloned().collect();
    for t in props.get("Tags").and_then(Value::as_array).into_iter().flatten() {
        if let (Some(k), Some(v)) = (t.get("Key").and_then(Value::as_str), t.get("Value").and_then(Value::as_str)) {
            tags.insert(k.to_string(), v.to_string());
        }
    }
    tags.into_iter().filter(|(k, _)| !k.starts_with("aws:")).collect()
}

fn tag_params(tags: &[(String, String)]) -> Vec<(String, String)> {
    tags.iter()
        .enumerate()
        .flat_map(|(i, (k, v))| {
            [pair(&format!("Tags.member.{}.Key", i + 1), k), pair(&format!("Tags.member.{}.Value", i + 1), v)]
        })
        .collect()
}

/// Inline policies by name from the `Policies` property.
fn inline(props: &Properties) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut out = BTreeMap::new();
    for p in props.get("Policies").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = p.get("PolicyName").and_then(Value::as_str) else {
            return Err(ProviderError::invalid_property("Policies", "required key [PolicyName] not found"));
        };
        let doc = p.as_object().map(|o| document(o, "PolicyDocument")).transpose()?.unwrap_or_default();
        out.insert(name.to_string(), doc);
    }
    Ok(out)
}

fn number(props: &Properties, key: &str) -> Option<String> {
    props.get(key).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
}

fn provisioned(op: &Op<'_>, name: &str) -> Result<Provisioned, ProviderError> {
    let iam = op.state.lock();
    let role = super::validate::role(&iam.roles, name)?;
    Ok(Provisioned::new(&role.name).attribute("Arn", role.arn.clone()).attribute("RoleId", role.id.clone()))
}

fn ignore_missing(r: Result<String, ApiError>) -> Result<(), ProviderError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.code == "NoSuchEntity" => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl RoleProvider {
    fn create_now(&self, request: &ResourceRequest) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        let name = match props.get("RoleName").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => request.generated_name(64),
        };
        let mut params = vec![
            pair("RoleName", &name),
            pair("AssumeRolePolicyDocument", document(props, "AssumeRolePolicyDocument")?),
        ];
        for key in ["Path", "Description"] {
            if let Some(v) = props.get(key).and_then(Value::as_str) {
                params.push(pair(key, v));
            }
        }
        if let Some(n) = number(props, "MaxSessionDuration") {
            params.push(pair("MaxSessionDuration", n));
        }
        params.extend(tag_params(&tag_pairs(props, &request.tags)));
        let op = self.op();
        roles::create(&op, &query(&params))?;
        let attached = (|| -> Result<(), ProviderError> {
            for (policy, doc) in inline(props)? {
                role_policies::put(
                    &op,
                    &query(&[pair("RoleName", &name), pair("PolicyName", policy), pair("PolicyDocument", doc)]),
                )?;
            }
            for arn in strings(props, "ManagedPolicyArns") {
                role_policies::attach(&op, &query(&[pair("RoleName", &name), pair("PolicyArn", arn)]))?;
            }
            Ok(())
        })();
        if let Err(e) = attached {
            // A half-made role would block the rollback's delete; take it away now.
            let _ = self.delete_now(&name);
            return Err(e);
        }
        provisioned(&op, &name)
    }

    fn update_now(
        &self,
        name: &str,
        old: &Properties,
        request: &ResourceRequest,
    ) -> Result<Provisioned, ProviderError> {
        let props = &request.properties;
        let op = self.op();
        let role = |extra: Vec<(String, String)>| {
            let mut params = vec![pair("RoleName", name)];
            params.extend(extra);
            query(&params)
        };
        let trust = document(props, "AssumeRolePolicyDocument")?;
        if document(old, "AssumeRolePolicyDocument").ok().as_deref() != Some(trust.as_str()) {
            roles::update_assume_role_policy(&op, &role(vec![pair("PolicyDocument", trust)]))?;
        }
        let mut settings = vec![pair("Description", props.get("Description").and_then(Value::as_str).unwrap_or(""))];
        settings.push(pair("MaxSessionDuration", number(props, "MaxSessionDuration").unwrap_or_else(|| "3600".into())));
        roles::update(&op, &role(settings))?;
        let (old_inline, new_inline) = (inline(old).unwrap_or_default(), inline(props)?);
        for gone in old_inline.keys().filter(|k| !new_inline.contains_key(*k)) {
            ignore_missing(role_policies::delete(&op, &role(vec![pair("PolicyName", gone)])))?;
        }
        for (policy, doc) in new_inline.iter().filter(|(k, d)| old_inline.get(*k) != Some(*d)) {
            role_policies::put(&op, &role(vec![pair("PolicyName", policy), pair("PolicyDocument", doc)]))?;
        }
        let (old_arns, new_arns) = (strings(old, "ManagedPolicyArns"), strings(props, "ManagedPolicyArns"));
        for arn in old_arns.iter().filter(|a| !new_arns.contains(a)) {
            ignore_missing(role_policies::detach(&op, &role(vec![pair("PolicyArn", arn)])))?;
        }
        for arn in new_arns.iter().filter(|a| !old_arns.contains(a)) {
            role_policies::attach(&op, &role(vec![pair("PolicyArn", arn)]))?;
        }
        let tags = tag_pairs(props, &request.tags);
        let stale: Vec<(String, String)> = tag_pairs(old, &request.tags)
            .into_iter()
            .filter(|(k, _)| !tags.iter().any(|(n, _)| n == k))
            .enumerate()
            .map(|(i, (k, _))| pair(&format!("TagKeys.member.{}", i + 1), k))
            .collect();
        if !stale.is_empty() {
            roles::untag(&op, &role(stale))?;
        }
        if !tags.is_empty() {
            roles::tag(&op, &role(tag_params(&tags)))?;
        }
        provisioned(&op, name)
    }

    /// Detaches and deletes the role's policies, then the role; a role already gone is fine.
    fn delete_now(&self, name: &str) -> Result<(), ProviderError> {
        let op = self.op();
        let Some(role) = op.state.lock().roles.get(&name.to_lowercase()).cloned() else { return Ok(()) };
        for arn in &role.attached {
            ignore_missing(role_policies::detach(&op, &query(&[pair("RoleName", name), pair("PolicyArn", arn)])))?;
        }
        for policy in role.inline.keys() {
            ignore_missing(role_policies::delete(&op, &query(&[pair("RoleName", name), pair("PolicyName", policy)])))?;
        }
        ignore_missing(roles::delete(&op, &query(&[pair("RoleName", name)])))
    }
}

impl ResourceProvider for RoleProvider {
    fn type_name(&self) -> &'static str {
        "AWS::IAM::Role"
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn", "RoleId"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("RoleName") != new.get("RoleName") || old.get("Path") != new.get("Path")
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
        Box::pin(async move { self.update_now(&physical_id, &old, &request) })
    }

    fn delete(&self, physical_id: String, _request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move { self.delete_now(&physical_id) })
    }
}
