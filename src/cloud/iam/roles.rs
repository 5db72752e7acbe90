//! Roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole, UpdateAssumeRolePolicy, and role tags.

use super::Op;
use super::model::{Role, iso, unique_id, url_encode};
use super::validate::{self, already_exists, delete_conflict, limit_exceeded, marker, paging, validation};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::xml::XmlWriter;

/// Roles per account (AWS's default quota).
pub const MAX_ROLES: usize = 1000;
/// A trust policy's size quota, in characters without whitespace.
pub const MAX_TRUST_POLICY: usize = 2048;

fn max_session(q: &QueryParams) -> Result<Option<u32>, ApiError> {
    let Some(v) = q.get("MaxSessionDuration") else { return Ok(None) };
    match v.parse::<u32>() {
        Ok(n) if (3600..=43200).contains(&n) => Ok(Some(n)),
        _ => Err(validation(v, "maxSessionDuration", "Member must have value between 3600 and 43200")),
    }
}

fn description(q: &QueryParams) -> Result<Option<String>, ApiError> {
    match q.get("Description") {
        Some(d) if d.chars().count() > 1000 => {
            Err(validation(d, "description", "Member must have length less than or equal to 1000"))
        }
        other => Ok(other.map(str::to_string)),
    }
}

pub fn write_role(w: &mut XmlWriter, role: &Role, with_tags: bool) {
    w.elem("Path", &role.path)
        .elem("RoleName", &role.name)
        .elem("RoleId", &role.id)
        .elem("Arn", &role.arn)
        .elem("CreateDate", iso(role.created_ms))
        .elem("AssumeRolePolicyDocument", url_encode(&role.assume_role_policy))
        .opt("Description", role.description.as_deref())
        .elem("MaxSessionDuration", role.max_session_duration);
    if with_tags && !role.tags.is_empty() {
        write_tags(w, &role.tags);
    }
}

pub fn write_tags(w: &mut XmlWriter, tags: &[(String, String)]) {
    w.nest("Tags", |w| {
        for (k, v) in tags {
            w.nest("member", |w| {
                w.elem("Key", k).elem("Value", v);
            });
        }
    });
}

pub fn create(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = validate::name(q, "RoleName", "roleName", 64)?;
    let path = validate::path(q)?;
    let trust = validate::policy_document(
        q,
        "AssumeRolePolicyDocument",
        "assumeRolePolicyDocument",
        MAX_TRUST_POLICY,
        "ACLSizePerRole",
    )?;
    let max_session_duration = max_session(q)?.unwrap_or(3600);
    let description = description(q)?;
    let tags = validate::tags(q, "Tags")?;
    let mut iam = op.state.lock();
    if iam.roles.contains_key(&name.to_lowercase()) {
        return Err(already_exists(format!("Role with name {name} already exists.")));
    }
    if iam.roles.len() >= MAX_ROLES {
        return Err(limit_exceeded(format!("Cannot exceed quota for RolesPerAccount: {MAX_ROLES}")));
    }
    let role = Role {
        name: name.to_string(),
        arn: format!("arn:aws:iam::{}:role{path}{name}", op.account),
        path,
        id: unique_id("AROA"),
        created_ms: op.now,
        assume_role_policy: trust,
        description,
        max_session_duration,
        tags,
        inline: Default::default(),
        attached: Vec::new(),
    };
    let mut w = XmlWriter::new();
    w.nest("Role", |w| write_role(w, &role, true));
    op.state.put_role(&mut iam, role)?;
    Ok(w.finish())
}

pub fn get(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let iam = op.state.lock();
    let role = validate::role(&iam.roles, name)?;
    let mut w = XmlWriter::new();
    w.nest("Role", |w| {
        write_role(w, role, true);
        w.nest("RoleLastUsed", |_| {});
    });
    Ok(w.finish())
}

pub fn list(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let prefix = q.get("PathPrefix").unwrap_or("/");
    let (max, after) = paging(q)?;
    let iam = op.state.lock();
    let mut matching = iam
        .roles
        .iter()
        .filter(|(key, r)| r.path.starts_with(prefix) && after.as_deref().is_none_or(|a| key.as_str() > a));
    let page: Vec<(&String, &Role)> = matching.by_ref().take(max).collect();
    let truncated = matching.next().is_some();
    let mut w = XmlWriter::new();
    w.nest("Roles", |w| {
        for (_, role) in &page {
            w.nest("member", |w| write_role(w, role, false));
        }
    });
    w.elem("IsTruncated", truncated);
    if truncated && let Some((key, _)) = page.last() {
        w.elem("Marker", marker(key));
    }
    Ok(w.finish())
}

pub fn delete(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let mut iam = op.state.lock();
    let role = validate::role(&iam.roles, name)?.clone();
    if !role.attached.is_empty() {
        return Err(delete_conflict("Cannot delete entity, must detach all policies first."));
    }
    if !role.inline.is_empty() {
        return Err(delete_conflict("Cannot delete entity, must delete policies first."));
    }
    op.state.remove_role(&mut iam, &role)?;
    Ok(String::new())
}

/// Applies `change` to a copy of the role, stores it, then publishes it.
pub fn modify(op: &Op<'_>, name: &str, change: impl FnOnce(&mut Role) -> Result<(), ApiError>) -> Result<(), ApiError> {
    let mut iam = op.state.lock();
    let mut role = validate::role(&iam.roles, name)?.clone();
    change(&mut role)?;
    op.state.put_role(&mut iam, role)
}

pub fn update_assume_role_policy(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let doc = validate::policy_document(q, "PolicyDocument", "policyDocument", MAX_TRUST_POLICY, "ACLSizePerRole")?;
    modify(op, name, |r| {
        r.assume_role_policy = doc;
        Ok(())
    })?;
    Ok(String::new())
}

pub fn update(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let session = max_session(q)?;
    let description = description(q)?;
    modify(op, name, |r| {
        if let Some(s) = session {
            r.max_session_duration = s;
        }
        if description.is_some() {
            r.description = description;
        }
        Ok(())
    })?;
    Ok(String::new())
}

pub fn tag(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let tags = validate::tags(q, "Tags")?;
    modify(op, name, |r| {
        for (k, v) in tags {
            r.tags.retain(|(old, _)| old != &k);
            r.tags.push((k, v));
        }
        if r.tags.len() > 50 {
            return Err(limit_exceeded("The number of tags has reached the maximum limit."));
        }
        Ok(())
    })?;
    Ok(String::new())
}

pub fn untag(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let keys = q.strings("TagKeys");
    modify(op, name, |r| {
        r.tags.retain(|(k, _)| !keys.contains(k));
        Ok(())
    })?;
    Ok(String::new())
}

pub fn list_tags(op: &Op<'_>, q: &QueryParams) -> Result<String, ApiError> {
    let name = q.required("RoleName").map_err(|_| validate::missing("roleName"))?;
    let iam = op.state.lock();
    let role = validate::role(&iam.roles, name)?;
    let mut w = XmlWriter::new();
    write_tags(&mut w, &role.tags);
    w.elem("IsTruncated", false);
    Ok(w.finish())
}
