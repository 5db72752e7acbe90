//! Customer managed policies: CreatePolicy, GetPolicy, DeletePolicy, and their versions
//! (Create/Get/Delete/ListPolicyVersions; at most 5 versions, as AWS allows).

use super::Op;
use super::model::{Policy, PolicyVersion, iso, unique_id, url_encode};
use super::roles::write_tags;
use super::validate::{self, already_exists, delete_conflict, limit_exceeded, no_such_entity};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::xml::XmlWriter;

/// A managed policy document's size quota, in characters without whitespace.
pub const MAX_POLICY_SIZE: usize = 6144;
pub const MAX_VERSIONS: usize = 5;
/// Customer managed policies per account (AWS's default quota).
pub const MAX_POLICIES: usize = 1500;

fn write_policy(w: &mut XmlWriter, p: &Policy, attachments: usize) {
    w.elem("PolicyName", &p.name)
        .elem("PolicyId", &p.id)
        .elem("Arn", &p.arn)
        .elem("Path", &p.path)
        .elem("DefaultVersionId", &p.default_version)
        .elem("AttachmentCount", attachments)
        .elem("PermissionsBoundaryUsageCount", 0)
        .elem("IsAttachable", true)
        .opt("Description", p.description.as_deref())
        .elem("CreateDate", iso(p.created_ms))
        .elem("UpdateDate", iso(p.updated_ms));
    if !p.tags.is_empty() {
        write_tags(w, &p.tags);
    }
}

fn attachments(iam: &super::state::Iam, arn: &str) -> usize {
    iam.roles.values().filter(|r| r.attached.iter().any(|a| a == arn)).count()
}

fn arn_param(q: &QueryParams) -> Result<&str, ApiError> {
    q.required("PolicyArn").map_err(|_| validate::missing("policyArn"))
}

pub fn create(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = validate::name(q, "PolicyName", "policyName", 128)?;
    let path = validate::path(q)?;
    let doc = validate::policy_document(q, "PolicyDocument", "policyDocument", MAX_POLICY_SIZE, "PolicySize")?;
    let tags = validate::tags(q, "Tags")?;
    let arn = format!("arn:aws:iam::{}:policy{path}{name}", op.account);
    let mut iam = op.state.lock();
    if iam.policies.keys().any(|a| a.eq_ignore_ascii_case(&arn)) {
        return Err(already_exists(format!("A policy called {name} already exists. Duplicate names are not allowed.")));
    }
    if iam.policies.len() >= MAX_POLICIES {
        return Err(limit_exceeded(format!("Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES}")));
    }
    let policy = Policy {
        name: name.to_string(),
        path,
        id: unique_id("ANPA"),
        arn,
        created_ms: op.now,
        updated_ms: op.now,
        description: q.get("Description").map(str::to_string),
        default_version: "v1".into(),
        versions: vec![PolicyVersion { id: "v1".into(), document: doc, created_ms: op.now }],
        next_version: 2,
        tags,
    };
    let mut w = XmlWriter::new();
    w.nest("Policy", |w| write_policy(w, &policy, 0));
    op.state.put_policy(&mut iam, policy)?;
    Ok(w.finish())
}

pub fn get(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let arn = arn_param(q)?;
    let iam = op.state.lock();
    let p = validate::policy(&iam.policies, arn)?;
    let mut w = XmlWriter::new();
    w.nest("Policy", |w| write_policy(w, p, attachments(&iam, arn)));
    Ok(w.finish())
}

pub fn delete(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let arn = arn_param(q)?;
    let mut iam = op.state.lock();
    let p = validate::policy(&iam.policies, arn)?;
    if attachments(&iam, arn) > 0 {
        return Err(delete_conflict("Cannot delete a policy attached to entities."));
    }
    if p.versions.len() > 1 {
        return Err(delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    op.state.remove_policy(&mut iam, arn)?;
    Ok(String::new())
}

fn write_version(w: &mut XmlWriter, p: &Policy, v: &PolicyVersion, with_document: bool) {
    if with_document {
        w.elem("Document", url_encode(&v.document));
    }
    w.elem("VersionId", &v.id)
        .elem("IsDefaultVersion", v.id == p.default_version)
        .elem("CreateDate", iso(v.created_ms));
}

/// Applies `change` to a copy of the policy, stores it, then publishes it.
fn modify<T>(op: &Op<'_>, arn: &str, change: impl FnOnce(&mut Policy) -> Result<T, ApiError>) -> Result<T, ApiError> {
    let mut iam = op.state.lock();
    let mut p = validate::policy(&iam.policies, arn)?.clone();
    let out = change(&mut p)?;
    op.state.put_policy(&mut iam, p)?;
    Ok(out)
}

pub fn create_version(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let arn = arn_param(q)?;
    let doc = validate::policy_document(q, "PolicyDocument", "policyDocument", MAX_POLICY_SIZE, "PolicySize")?;
    let set_default = q.get("SetAsDefault") == Some("true");
    let now = op.now;
    modify(op, arn, |p| {
        if p.versions.len() >= MAX_VERSIONS {
            return Err(limit_exceeded(format!(
                "A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let v = PolicyVersion { id: format!("v{}", p.next_version), document: doc, created_ms: now };
        p.next_version += 1;
        if set_default {
            p.default_version = v.id.clone();
        }
        p.updated_ms = now;
        p.versions.push(v.clone());
        let mut w = XmlWriter::new();
        w.nest("PolicyVersion", |w| write_version(w, p, &v, false));
        Ok(w.finish())
    })
}

pub fn get_version(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let arn = arn_param(q)?;
    let id = q.required("VersionId").map_err(|_| validate::missing("versionId"))?;
    let iam = op.state.lock();
    let p = validate::policy(&iam.policies, arn)?;
    let v = p
        .versions
        .iter()
        .find(|v| v.id == id)
        .ok_or_else(|| no_such_entity(format!("Policy {arn} version {id} does not exist or is not attachable.")))?;
    let mut w = XmlWriter::new();
    w.nest("PolicyVersion", |w| write_version(w, p, v, true));
    Ok(w.finish())
}

pub fn delete_version(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let arn = arn_param(q)?;
    let id = q.required("VersionId").map_err(|_| validate::missing("versionId"))?.to_string();
    modify(op, arn, |p| {
        if p.default_version == id {
            return Err(delete_conflict("Cannot delete the default version of a policy."));
        }
        let before = p.versions.len();
        p.versions.retain(|v| v.id != id);
        if p.versions.len() == before {
            return Err(no_such_entity(format!("Policy {} version {id} does not exist.", p.arn)));
        }
        Ok(())
    })?;
    Ok(String::new())
}

pub fn list_versions(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let arn = arn_param(q)?;
    let iam = op.state.lock();
    let p = validate::policy(&iam.policies, arn)?;
    let mut w = XmlWriter::new();
    w.nest("Versions", |w| {
        for v in p.versions.iter().rev() {
            w.nest("member", |w| write_version(w, p, v, false));
        }
    });
    w.elem("IsTruncated", false);
    Ok(w.finish())
}

/// Replaces the default version's document (what a stack update of a managed policy does): a new
/// default version, the oldest non-default one dropped when the policy already has five.
pub fn replace_document(op: &Op<'_>, arn: &str, doc: String) -> Result<(), ApiError> {
    let now = op.now;
    modify(op, arn, |p| {
        if p.versions.len() >= MAX_VERSIONS
            && let Some(i) = p.versions.iter().position(|v| v.id != p.default_version)
        {
            p.versions.remove(i);
        }
        let v = PolicyVersion { id: format!("v{}", p.next_version), document: doc, created_ms: now };
        p.next_version += 1;
        p.default_version = v.id.clone();
        p.updated_ms = now;
        p.versions.push(v);
        Ok(())
    })
}
