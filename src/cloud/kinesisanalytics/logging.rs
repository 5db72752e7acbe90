//! AddApplicationCloudWatchLoggingOption and DeleteApplicationCloudWatchLoggingOption: each makes a
//! new application version and records a successful operation. Managed Flink allows one logging
//! option per application.

use serde_json::{Value, json};

use super::detail::{logging_options, next_version};
use super::model::{Application, LoggingOption, Operation, OperationStatus, Status};
use super::op::{
    Input, Op, application_name, check_version, find, in_use, invalid_argument, not_found, object, operation_id, string,
};
use crate::cloud::error::ApiError;

const MAX_OPTIONS: usize = 1;

fn read_option(v: &Value) -> Result<LoggingOption, ApiError> {
    let arn = v["LogStreamARN"].as_str().unwrap_or_default();
    if arn.is_empty() || arn.len() > 2048 || super::app_log::group_and_stream(arn).is_none() {
        return Err(invalid_argument(format!(
            "LogStreamARN '{arn}' is not a log stream ARN (arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>)"
        )));
    }
    Ok(LoggingOption {
        id: String::new(),
        log_stream_arn: arn.to_string(),
        role_arn: v["RoleARN"].as_str().map(str::to_string),
    })
}

/// CreateApplication's `CloudWatchLoggingOptions`, numbered from `1.1`.
pub fn read_new_options(input: &Input) -> Result<Vec<LoggingOption>, ApiError> {
    let list = input.get("CloudWatchLoggingOptions").and_then(Value::as_array).cloned().unwrap_or_default();
    if list.len() > MAX_OPTIONS {
        return Err(invalid_argument(format!(
            "An application can have at most {MAX_OPTIONS} CloudWatch logging option"
        )));
    }
    list.iter()
        .enumerate()
        .map(|(i, v)| read_option(v).map(|o| LoggingOption { id: format!("{}.1", i + 1), ..o }))
        .collect()
}

/// UpdateApplication's `CloudWatchLoggingOptionUpdates`: a new stream for an existing option.
pub fn apply_updates(app: &mut Application, updates: &[Value]) -> Result<(), ApiError> {
    for u in updates {
        let id = u["CloudWatchLoggingOptionId"].as_str().unwrap_or_default();
        let option = app.logging.iter_mut().find(|o| o.id == id).ok_or_else(|| {
            not_found(format!("CloudWatch logging option {id} is not found for application {}", app.name))
        })?;
        if let Some(arn) = u["LogStreamARNUpdate"].as_str() {
            option.log_stream_arn = read_option(&json!({ "LogStreamARN": arn }))?.log_stream_arn;
        }
    }
    Ok(())
}

fn changeable(app: &Application) -> Result<(), ApiError> {
    if matches!(app.status, Status::Ready | Status::Running) {
        Ok(())
    } else {
        Err(in_use(format!("Application {} is in {} status", app.name, app.status.as_str())))
    }
}

/// Records the change as a new version and a successful operation, and answers as both actions do.
fn finish(
    op: &Op<'_>,
    apps: &mut std::collections::BTreeMap<String, Application>,
    mut app: Application,
    name: &str,
) -> Result<Value, ApiError> {
    let from = app.version_id;
    let before = apps.get(&app.name).cloned().unwrap_or_else(|| app.clone());
    next_version(&mut app, &before, op.now);
    let id = operation_id();
    app.operations.push(Operation {
        id: id.clone(),
        name: name.into(),
        status: OperationStatus::Successful,
        start_ms: op.now,
        end_ms: Some(op.now),
        version_from: Some(from),
        version_to: Some(app.version_id),
        error: None,
        rollback_operation_id: None,
    });
    let out = json!({
        "ApplicationARN": app.arn,
        "ApplicationVersionId": app.version_id,
        "CloudWatchLoggingOptionDescriptions": logging_options(&app),
        "OperationId": id,
    });
    op.state.put(apps, app)?;
    Ok(out)
}

pub fn add(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let option = read_option(input.get("CloudWatchLoggingOption").unwrap_or(&Value::Null))?;
    let mut apps = op.state.lock();
    let mut app = find(&apps, &name)?.clone();
    check_version(&input, &app, true)?;
    changeable(&app)?;
    if app.logging.len() >= MAX_OPTIONS {
        return Err(invalid_argument(format!("Application {name} already has a CloudWatch logging option")));
    }
    let id = format!("{}.1", app.next_logging_id);
    app.next_logging_id += 1;
    app.logging.push(LoggingOption { id, ..option });
    finish(op, &mut apps, app, "AddApplicationCloudWatchLoggingOption")
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let id = string(&input, "CloudWatchLoggingOptionId", 1, 50)?;
    let mut apps = op.state.lock();
    let mut app = find(&apps, &name)?.clone();
    check_version(&input, &app, true)?;
    changeable(&app)?;
    let before = app.logging.len();
    app.logging.retain(|o| o.id != id);
    if app.logging.len() == before {
        return Err(not_found(format!("CloudWatch logging option {id} is not found for application {name}")));
    }
    finish(op, &mut apps, app, "DeleteApplicationCloudWatchLoggingOption")
}
