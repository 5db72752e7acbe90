//! ListApplicationVersions, DescribeApplicationVersion, ListApplicationOperations and
//! DescribeApplicationOperation: the versions every configuration change made and the operations
//! every start, stop and change recorded.

use serde_json::{Value, json};

use super::detail::detail;
use super::model::Operation;
use super::op::{
    Op, application_name, find, invalid_argument, not_found, object, optional_int, optional_string, page, seconds,
    string,
};
use crate::cloud::error::ApiError;

pub fn list_versions(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let apps = op.state.lock();
    let app = find(&apps, &name)?;
    let mut all: Vec<Value> = app
        .versions
        .iter()
        .map(|v| json!({ "ApplicationVersionId": v.id, "ApplicationStatus": v.detail["ApplicationStatus"] }))
        .collect();
    all.push(json!({ "ApplicationVersionId": app.version_id, "ApplicationStatus": app.status.as_str() }));
    all.reverse();
    let (start, end, next) = page(&input, all.len())?;
    let mut out = json!({ "ApplicationVersionSummaries": all[start..end] });
    if let Some(n) = next {
        out["NextToken"] = n.into();
    }
    Ok(out)
}

pub fn describe_version(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let id = optional_int(&input, "ApplicationVersionId", 1, 999_999_999)?
        .ok_or_else(|| invalid_argument("1 validation error detected: Value null at 'applicationVersionId' failed to satisfy constraint: Member must not be null"))?;
    let apps = op.state.lock();
    let app = find(&apps, &name)?;
    let d = if id == app.version_id {
        detail(app)
    } else {
        app.versions
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.detail.clone())
            .ok_or_else(|| not_found(format!("Version {id} of application {name} is not found")))?
    };
    Ok(json!({ "ApplicationVersionDetail": d }))
}

fn info(o: &Operation) -> Value {
    let mut v = json!({
        "Operation": o.name,
        "OperationId": o.id,
        "StartTime": seconds(o.start_ms),
        "OperationStatus": o.status.as_str(),
    });
    if let Some(end) = o.end_ms {
        v["EndTime"] = seconds(end);
    }
    v
}

pub fn list_operations(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let operation = optional_string(&input, "Operation", 1, 64)?;
    let status = optional_string(&input, "OperationStatus", 1, 32)?;
    let apps = op.state.lock();
    let app = find(&apps, &name)?;
    let all: Vec<Value> = app
        .operations
        .iter()
        .rev()
        .filter(|o| operation.as_deref().is_none_or(|n| n == o.name))
        .filter(|o| status.as_deref().is_none_or(|s| s == o.status.as_str()))
        .map(info)
        .collect();
    let (start, end, next) = page(&input, all.len())?;
    let mut out = json!({ "ApplicationOperationInfoList": all[start..end] });
    if let Some(n) = next {
        out["NextToken"] = n.into();
    }
    Ok(out)
}

pub fn describe_operation(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let id = string(&input, "OperationId", 1, 64)?;
    let apps = op.state.lock();
    let app = find(&apps, &name)?;
    let o = app
        .operations
        .iter()
        .find(|o| o.id == id)
        .ok_or_else(|| not_found(format!("Operation {id} of application {name} is not found")))?;
    let mut d = info(o);
    if let Some(obj) = d.as_object_mut() {
        obj.remove("OperationId");
    }
    if let (Some(from), Some(to)) = (o.version_from, o.version_to) {
        d["ApplicationVersionChangeDetails"] =
            json!({ "ApplicationVersionUpdatedFrom": from, "ApplicationVersionUpdatedTo": to });
    }
    if let Some(e) = &o.error {
        d["OperationFailureDetails"] = json!({ "ErrorInfo": { "ErrorString": e } });
        if let Some(id) = &o.rollback_operation_id {
            d["OperationFailureDetails"]["RollbackOperationId"] = id.as_str().into();
        }
    }
    Ok(json!({ "ApplicationOperationInfoDetails": d }))
}
