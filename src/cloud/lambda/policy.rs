//! A function's resource-based policy (AddPermission, GetPolicy, RemovePermission), its tags
//! (TagResource, UntagResource, ListTags) and its reserved concurrency (Put/Get/DeleteFunctionConcurrency).

use http::StatusCode;
use serde_json::{Value, json};

use super::functions::lookup;
use super::names::{not_found, resolve_name};
use super::op::{Input, Op, Reply, invalid, object, opt_int, opt_str, req_str, str_map};
use crate::cloud::error::ApiError;

/// Lambda keeps this much concurrency unreserved in every account.
const UNRESERVED_MIN: u32 = 100;

fn principal(p: &str) -> Value {
    if p == "*" {
        json!("*")
    } else if p.len() == 12 && p.chars().all(|c| c.is_ascii_digit()) {
        json!({ "AWS": format!("arn:aws:iam::{p}:root") })
    } else if p.starts_with("arn:") {
        json!({ "AWS": p })
    } else {
        json!({ "Service": p })
    }
}

fn statement(input: &Input, resource: &str) -> Result<Value, ApiError> {
    let sid = req_str(input, "StatementId")?;
    let action = req_str(input, "Action")?;
    let who = req_str(input, "Principal")?;
    let valid_sid =
        !sid.is_empty() && sid.len() <= 100 && sid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_sid {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{sid}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"
        )));
    }
    if !action.starts_with("lambda:") {
        return Err(invalid(format!(
            "The action {action} is not supported; a Lambda permission's action starts with lambda:"
        )));
    }
    let mut s =
        json!({ "Sid": sid, "Effect": "Allow", "Principal": principal(&who), "Action": action, "Resource": resource });
    let mut condition = serde_json::Map::new();
    if let Some(arn) = opt_str(input, "SourceArn")? {
        condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": arn }));
    }
    if let Some(acct) = opt_str(input, "SourceAccount")? {
        condition.insert("StringEquals".into(), json!({ "AWS:SourceAccount": acct }));
    }
    if !condition.is_empty() {
        s["Condition"] = Value::Object(condition);
    }
    Ok(s)
}

pub fn add_permission(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut f = lookup(op, &input)?;
    let s = statement(&input, &f.arn)?;
    if f.statements.iter().any(|old| old["Sid"] == s["Sid"]) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ResourceConflictException",
            format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the existing statement.",
                s["Sid"].as_str().unwrap_or_default()
            ),
        ));
    }
    f.statements.push(s.clone());
    f.revision_id = uuid::Uuid::new_v4().to_string();
    let mut tables = op.state.lock();
    op.state.put_function(&mut tables, f)?;
    Ok(Reply::with(StatusCode::CREATED, json!({ "Statement": s.to_string() })))
}

pub fn get_policy(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let f = lookup(op, &object(input)?)?;
    if f.statements.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            "The resource you requested does not exist.",
        ));
    }
    let policy = json!({ "Version": "2012-10-17", "Id": "default", "Statement": f.statements });
    Ok(Reply::ok(json!({ "Policy": policy.to_string(), "RevisionId": f.revision_id })))
}

pub fn remove_permission(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut f = lookup(op, &input)?;
    let sid = req_str(&input, "StatementId")?;
    let before = f.statements.len();
    f.statements.retain(|s| s["Sid"] != sid.as_str());
    if f.statements.len() == before {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("Statement {sid} is not found in resource policy."),
        ));
    }
    f.revision_id = uuid::Uuid::new_v4().to_string();
    let mut tables = op.state.lock();
    op.state.put_function(&mut tables, f)?;
    Ok(Reply::with(StatusCode::NO_CONTENT, Value::Null))
}

/// The function or mapping an ARN in a tagging call names.
enum Tagged {
    Function(String),
    Mapping(String),
}

fn tagged(op: &Op, input: &Input) -> Result<Tagged, ApiError> {
    let arn = req_str(input, "Resource")?;
    if let Some((_, uuid)) = arn.split_once(":event-source-mapping:") {
        if op.state.lock().mappings.contains_key(uuid) {
            return Ok(Tagged::Mapping(uuid.to_string()));
        }
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            format!("The resource you requested does not exist. (Service: Lambda, Resource: {arn})"),
        ));
    }
    if !arn.starts_with("arn:") {
        return Err(invalid(format!("{arn} is not a valid ARN")));
    }
    let name = resolve_name(&arn, op.region, op.account())?;
    if !op.state.lock().functions.contains_key(&name) {
        return Err(not_found(&name, op.region, op.account()));
    }
    Ok(Tagged::Function(name))
}

/// Changes the tags of the resource `input` names, through `change`.
fn retag(
    op: &Op,
    input: &Input,
    change: impl Fn(&mut std::collections::BTreeMap<String, String>),
) -> Result<(), ApiError> {
    let target = tagged(op, input)?;
    let mut tables = op.state.lock();
    match target {
        Tagged::Function(name) => {
            let Some(mut f) = tables.functions.get(&name).cloned() else {
                return Err(not_found(&name, op.region, op.account()));
            };
            change(&mut f.tags);
            op.state.put_function(&mut tables, f)
        }
        Tagged::Mapping(uuid) => {
            let Some(mut m) = tables.mappings.get(&uuid).cloned() else { return Ok(()) };
            change(&mut m.tags);
            op.state.put_mapping(&mut tables, m, None)
        }
    }
}

pub fn tag_resource(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let tags = str_map(input.get("Tags"), "Tags")?;
    if tags.is_empty() {
        return Err(invalid("An error occurred (InvalidParameterValueException): Tags must not be empty"));
    }
    retag(op, &input, |t| t.extend(tags.clone()))?;
    Ok(Reply::with(StatusCode::NO_CONTENT, Value::Null))
}

pub fn untag_resource(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let keys: Vec<String> = match input.get("TagKeys") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(String::from).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    retag(op, &input, |t| t.retain(|k, _| !keys.contains(k)))?;
    Ok(Reply::with(StatusCode::NO_CONTENT, Value::Null))
}

pub fn list_tags(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let tags = match tagged(op, &input)? {
        Tagged::Function(name) => op.state.lock().functions.get(&name).map(|f| f.tags.clone()),
        Tagged::Mapping(uuid) => op.state.lock().mappings.get(&uuid).map(|m| m.tags.clone()),
    };
    Ok(Reply::ok(json!({ "Tags": tags.unwrap_or_default() })))
}

pub fn put_concurrency(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut f = lookup(op, &input)?;
    let Some(n) = opt_int(&input, "ReservedConcurrentExecutions", 0, i64::from(u32::MAX))? else {
        return Err(ApiError::validation(
            "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null",
        ));
    };
    let account = op.ctx.config.lambda.account_concurrency;
    let others: u32 =
        op.state.lock().functions.values().filter(|o| o.name != f.name).filter_map(|o| o.reserved_concurrency).sum();
    if others.saturating_add(n as u32) > account.saturating_sub(UNRESERVED_MIN) {
        return Err(invalid(format!(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MIN}]."
        )));
    }
    f.reserved_concurrency = Some(n as u32);
    let mut tables = op.state.lock();
    op.state.put_function(&mut tables, f)?;
    Ok(Reply::ok(json!({ "ReservedConcurrentExecutions": n })))
}

pub fn get_concurrency(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let f = lookup(op, &object(input)?)?;
    Ok(Reply::ok(match f.reserved_concurrency {
        Some(n) => json!({ "ReservedConcurrentExecutions": n }),
        None => json!({}),
    }))
}

pub fn delete_concurrency(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let mut f = lookup(op, &object(input)?)?;
    f.reserved_concurrency = None;
    let mut tables = op.state.lock();
    op.state.put_function(&mut tables, f)?;
    Ok(Reply::with(StatusCode::NO_CONTENT, Value::Null))
}
