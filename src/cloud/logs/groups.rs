//! Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, Put/DeleteRetentionPolicy, and tags
//! (TagResource, UntagResource, ListTagsForResource and the older TagLogGroup family).

use serde_json::{Value, json};

use super::Op;
use super::model::{Group, GroupMeta, group_arn};
use super::validate::{self, group_not_found, invalid, opt_str, req_str};
use crate::cloud::error::ApiError;

pub fn create(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "logGroupName")?;
    validate::group_name(name, "logGroupName")?;
    let tags = validate::tags(&input, "tags")?;
    if let Some(class) = opt_str(&input, "logGroupClass")?
        && !["STANDARD", "INFREQUENT_ACCESS", "DELIVERY"].contains(&class)
    {
        return Err(invalid(format!(
            "1 validation error detected: Value '{class}' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, INFREQUENT_ACCESS, DELIVERY]"
        )));
    }
    let mut groups = op.state.lock();
    if groups.contains_key(name) {
        return Err(ApiError::bad_request("ResourceAlreadyExistsException", "The specified log group already exists"));
    }
    if groups.len() >= op.ctx.config.logs.log_group_limit {
        return Err(ApiError::bad_request("LimitExceededException", "Resource limit exceeded."));
    }
    let meta = GroupMeta {
        name: name.to_string(),
        created_ms: op.now,
        retention_days: None,
        tags: tags.into_iter().collect(),
    };
    op.state.create_group(&mut groups, meta)?;
    Ok(json!({}))
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "logGroupName")?;
    let mut groups = op.state.lock();
    if !groups.contains_key(name) {
        return Err(group_not_found());
    }
    op.state.delete_group(&mut groups, name)?;
    Ok(json!({}))
}

pub fn describe(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let prefix = opt_str(&input, "logGroupNamePrefix")?;
    let pattern = opt_str(&input, "logGroupNamePattern")?;
    if prefix.is_some() && pattern.is_some() {
        return Err(invalid("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters."));
    }
    let limit = validate::limit(&input, 50)?;
    let after = opt_str(&input, "nextToken")?.map(decode_token).transpose()?;
    let groups = op.state.lock();
    let pattern = pattern.map(str::to_lowercase);
    let mut matching = groups
        .values()
        .filter(|g| prefix.is_none_or(|p| g.meta.name.starts_with(p)))
        .filter(|g| pattern.as_deref().is_none_or(|p| g.meta.name.to_lowercase().contains(p)))
        .filter(|g| after.as_deref().is_none_or(|a| g.meta.name.as_str() > a));
    let page: Vec<&Group> = matching.by_ref().take(limit).collect();
    let more = matching.next().is_some();
    let mut out = json!({ "logGroups": page.iter().map(|g| describe_group(op, g)).collect::<Vec<_>>() });
    if more && let Some(last) = page.last() {
        out["nextToken"] = json!(encode_token(&last.meta.name));
    }
    Ok(out)
}

fn describe_group(op: &Op<'_>, g: &Group) -> Value {
    let arn = group_arn(op.region, op.ctx.account_id(), &g.meta.name);
    let mut v = json!({
        "logGroupName": g.meta.name,
        "creationTime": g.meta.created_ms,
        "metricFilterCount": 0,
        "arn": format!("{arn}:*"),
        "logGroupArn": arn,
        "storedBytes": g.streams.values().flat_map(|s| s.events.values()).map(|e| e.message.len()).sum::<usize>(),
        "logGroupClass": "STANDARD",
    });
    if let Some(days) = g.meta.retention_days {
        v["retentionInDays"] = json!(days);
    }
    v
}

/// Paging tokens carry the last name returned, so a page boundary survives creations and deletions.
pub fn encode_token(last: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last)
}

pub fn decode_token(token: &str) -> Result<String, ApiError> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| invalid("The specified nextToken is invalid."))
}

pub fn put_retention(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "logGroupName")?;
    let days = validate::opt_i64(&input, "retentionInDays")?.ok_or_else(|| {
        invalid("1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null")
    })?;
    let days = validate::retention_days(days)?;
    set_retention(op, name, Some(days))
}

pub fn delete_retention(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    set_retention(op, req_str(&input, "logGroupName")?, None)
}

fn set_retention(op: &Op<'_>, name: &str, days: Option<u32>) -> Result<Value, ApiError> {
    let mut groups = op.state.lock();
    let mut meta = groups.get(name).ok_or_else(group_not_found)?.meta.clone();
    meta.retention_days = days;
    op.state.update_group(&mut groups, meta)?;
    Ok(json!({}))
}

/// The group a `resourceArn` names (`…:log-group:NAME`, with or without `:*`).
fn group_of_arn(arn: &str) -> Result<String, ApiError> {
    let name = arn
        .strip_prefix("arn:aws:logs:")
        .and_then(|rest| rest.split_once(":log-group:"))
        .map(|(_, name)| name.strip_suffix(":*").unwrap_or(name))
        .ok_or_else(|| invalid(format!("Invalid resource ARN: {arn}")))?;
    Ok(name.to_string())
}

pub fn tag_resource(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = group_of_arn(req_str(&input, "resourceArn")?)?;
    change_tags(op, &group, validate::tags(&input, "tags")?, &[])
}

pub fn untag_resource(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = group_of_arn(req_str(&input, "resourceArn")?)?;
    change_tags(op, &group, Vec::new(), &string_list(&input, "tagKeys")?)
}

pub fn list_tags_for_resource(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let group = group_of_arn(req_str(&input, "resourceArn")?)?;
    let groups = op.state.lock();
    let g = groups.get(&group).ok_or_else(group_not_found)?;
    Ok(json!({ "tags": g.meta.tags }))
}

pub fn tag_log_group(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "logGroupName")?;
    change_tags(op, name, validate::tags(&input, "tags")?, &[])
}

pub fn untag_log_group(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "logGroupName")?;
    change_tags(op, name, Vec::new(), &string_list(&input, "tags")?)
}

pub fn list_tags_log_group(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let name = req_str(&input, "logGroupName")?;
    let groups = op.state.lock();
    let g = groups.get(name).ok_or_else(group_not_found)?;
    Ok(json!({ "tags": g.meta.tags }))
}

fn string_list(input: &Value, member: &str) -> Result<Vec<String>, ApiError> {
    let Some(list) = input.get(member).and_then(Value::as_array) else {
        return Err(invalid(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        )));
    };
    list.iter()
        .map(|v| {
            v.as_str().map(str::to_string).ok_or_else(|| ApiError::serialization(format!("{member} holds strings")))
        })
        .collect()
}

fn change_tags(op: &Op<'_>, name: &str, add: Vec<(String, String)>, remove: &[String]) -> Result<Value, ApiError> {
    let mut groups = op.state.lock();
    let mut meta = groups.get(name).ok_or_else(group_not_found)?.meta.clone();
    meta.tags.extend(add);
    for key in remove {
        meta.tags.remove(key);
    }
    if meta.tags.len() > 50 {
        return Err(ApiError::bad_request(
            "TooManyTagsException",
            format!("A resource can have no more than 50 tags: {name}"),
        ));
    }
    op.state.update_group(&mut groups, meta)?;
    Ok(json!({}))
}
