//! A role's policies: inline ones (Put/Get/List/DeleteRolePolicy) and attached managed ones
//! (Attach/Detach/ListAttachedRolePolicies).

use super::Op;
use super::model::{is_aws_managed, policy_name_of, url_encode};
use super::roles::modify;
use super::validate::{self, limit_exceeded, no_such_entity, no_such_policy, paging};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::xml::XmlWriter;

/// The inline policies of a role together, in characters without whitespace (AWS's quota).
pub const MAX_INLINE_TOTAL: usize = 10_240;
/// Managed policies attached to one role (AWS's default quota).
pub const MAX_ATTACHED: usize = 10;

fn role_name(q: &QueryParams) -> Result<&str, ApiError> {
    q.required("RoleName").map_err(|_| validate::missing("roleName"))
}

pub fn put(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let name = validate::name(q, "PolicyName", "policyName", 128)?.to_string();
    let doc = validate::policy_document(q, "PolicyDocument", "policyDocument", MAX_INLINE_TOTAL, "PolicySize")?;
    modify(op, role, |r| {
        r.inline.insert(name, doc);
        let total: usize = r.inline.values().map(|d| d.chars().filter(|c| !c.is_whitespace()).count()).sum();
        if total > MAX_INLINE_TOTAL {
            return Err(limit_exceeded(format!(
                "Maximum policy size of {MAX_INLINE_TOTAL} bytes exceeded for role {}",
                r.name
            )));
        }
        Ok(())
    })?;
    Ok(String::new())
}

pub fn get(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let name = q.required("PolicyName").map_err(|_| validate::missing("policyName"))?;
    let iam = op.state.lock();
    let r = validate::role(&iam.roles, role)?;
    let doc = r
        .inline
        .get(name)
        .ok_or_else(|| no_such_entity(format!("The role policy with name {name} cannot be found.")))?;
    let mut w = XmlWriter::new();
    w.elem("RoleName", &r.name).elem("PolicyName", name).elem("PolicyDocument", url_encode(doc));
    Ok(w.finish())
}

pub fn list(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let (max, after) = paging(q)?;
    let iam = op.state.lock();
    let r = validate::role(&iam.roles, role)?;
    let mut names = r.inline.keys().filter(|n| after.as_deref().is_none_or(|a| n.as_str() > a));
    let page: Vec<&String> = names.by_ref().take(max).collect();
    let truncated = names.next().is_some();
    let mut w = XmlWriter::new();
    w.nest("PolicyNames", |w| {
        for n in &page {
            w.elem("member", n);
        }
    });
    w.elem("IsTruncated", truncated);
    if truncated && let Some(last) = page.last() {
        w.elem("Marker", validate::marker(last));
    }
    Ok(w.finish())
}

pub fn delete(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let name = q.required("PolicyName").map_err(|_| validate::missing("policyName"))?.to_string();
    modify(op, role, |r| {
        r.inline
            .remove(&name)
            .map(drop)
            .ok_or_else(|| no_such_entity(format!("The role policy with name {name} cannot be found.")))
    })?;
    Ok(String::new())
}

pub fn attach(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let arn = q.required("PolicyArn").map_err(|_| validate::missing("policyArn"))?.to_string();
    let known = is_aws_managed(&arn) || op.state.lock().policies.contains_key(&arn);
    if !known {
        return Err(no_such_policy(&arn));
    }
    modify(op, role, |r| {
        if !r.attached.contains(&arn) {
            if r.attached.len() >= MAX_ATTACHED {
                return Err(limit_exceeded(format!("Cannot exceed quota for PoliciesPerRole: {MAX_ATTACHED}")));
            }
            r.attached.push(arn);
        }
        Ok(())
    })?;
    Ok(String::new())
}

pub fn detach(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let arn = q.required("PolicyArn").map_err(|_| validate::missing("policyArn"))?.to_string();
    modify(op, role, |r| {
        let before = r.attached.len();
        r.attached.retain(|a| a != &arn);
        if r.attached.len() == before {
            return Err(no_such_entity(format!("Policy {arn} was not found.")));
        }
        Ok(())
    })?;
    Ok(String::new())
}

pub fn list_attached(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let role = role_name(q)?;
    let prefix = q.get("PathPrefix").unwrap_or("/");
    let (max, after) = paging(q)?;
    let iam = op.state.lock();
    let r = validate::role(&iam.roles, role)?;
    let path_of = |arn: &str| {
        let after_kind = arn.split_once(":policy").map_or("/", |(_, rest)| rest);
        after_kind.rsplit_once('/').map_or("/".to_string(), |(p, _)| format!("{p}/"))
    };
    let mut matching = r
        .attached
        .iter()
        .filter(|a| path_of(a).starts_with(prefix))
        .skip_while(|a| after.as_deref().is_some_and(|m| a.as_str() != m))
        .skip(usize::from(after.is_some()));
    let page: Vec<&String> = matching.by_ref().take(max).collect();
    let truncated = matching.next().is_some();
    let mut w = XmlWriter::new();
    w.nest("AttachedPolicies", |w| {
        for arn in &page {
            w.nest("member", |w| {
                w.elem("PolicyName", policy_name_of(arn)).elem("PolicyArn", arn);
            });
        }
    });
    w.elem("IsTruncated", truncated);
    if truncated && let Some(last) = page.last() {
        w.elem("Marker", validate::marker(last));
    }
    Ok(w.finish())
}
