//! CreateApplication, DescribeApplication, ListApplications, UpdateApplication and DeleteApplication.
//! A running application is updated through UPDATING (its job restarted on the new version from its
//! state) and halted, then deleted, through DELETING, as AWS does.

use serde_json::{Value, json};

use super::detail::{detail, next_version, summary};
use super::model::{Application, Operation, OperationStatus, Pending, Status, Transition};
use super::op::{
    Input, Op, application_name, check_version, find, in_use, invalid_argument, invalid_request, limit_exceeded,
    object, operation_id, optional_bool, optional_string, page, string,
};
use super::{config, logging, tags};
use crate::cloud::error::ApiError;

/// The runtimes the model lists that the local cloud runs (Flink only: SQL and Zeppelin
/// applications are refused with UnsupportedOperationException).
const FLINK_RUNTIMES: &[&str] =
    &["FLINK-1_6", "FLINK-1_8", "FLINK-1_11", "FLINK-1_13", "FLINK-1_15", "FLINK-1_18", "FLINK-1_19", "FLINK-1_20"];
const OTHER_RUNTIMES: &[&str] = &["SQL-1_0", "ZEPPELIN-FLINK-1_0", "ZEPPELIN-FLINK-2_0", "ZEPPELIN-FLINK-3_0"];
/// Applications per account and region (AWS's default quota).
pub const MAX_APPLICATIONS: usize = 100;

pub fn create(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let runtime = string(&input, "RuntimeEnvironment", 1, 64)?;
    if OTHER_RUNTIMES.contains(&runtime.as_str()) {
        return Err(ApiError::bad_request(
            "UnsupportedOperationException",
            format!("Runtime environment {runtime} is not supported by the local cloud, which runs Flink applications"),
        ));
    }
    if !FLINK_RUNTIMES.contains(&runtime.as_str()) {
        return Err(invalid_argument(format!(
            "1 validation error detected: Value '{runtime}' at 'runtimeEnvironment' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            [FLINK_RUNTIMES, OTHER_RUNTIMES].concat().join(", ")
        )));
    }
    let role = string(&input, "ServiceExecutionRole", 1, 2048)?;
    if !role.starts_with("arn:") {
        return Err(invalid_argument(format!("ServiceExecutionRole {role} is not an IAM role ARN")));
    }
    let description = optional_string(&input, "ApplicationDescription", 0, 1024)?;
    let mode = optional_string(&input, "ApplicationMode", 1, 16)?.unwrap_or_else(|| "STREAMING".into());
    if mode != "STREAMING" {
        return Err(invalid_argument(format!(
            "ApplicationMode {mode} is not supported; the local cloud runs STREAMING applications"
        )));
    }
    let config = config::describe(input.get("ApplicationConfiguration"))?;
    let tags = tags::read_tags(&input)?;
    let logging = logging::read_new_options(&input)?;
    let arn = op.app_arn(&name);
    let mut apps = op.state.lock();
    if apps.contains_key(&name) {
        return Err(in_use(format!("Application {name} already exists")));
    }
    if apps.len() >= MAX_APPLICATIONS {
        return Err(limit_exceeded(format!("The account already has {MAX_APPLICATIONS} applications in this Region")));
    }
    let app = Application {
        name: name.clone(),
        arn,
        description,
        runtime,
        role,
        mode,
        status: Status::Ready,
        version_id: 1,
        version_from: None,
        created_ms: op.now,
        updated_ms: op.now,
        version_created_ms: op.now,
        config,
        next_logging_id: logging.len() as u32 + 1,
        logging,
        tags,
        versions: Vec::new(),
        snapshots: Vec::new(),
        operations: Vec::new(),
        pending: None,
        last_restore: None,
        checkpoint: None,
        checkpoint_ms: None,
        started_ms: None,
        rolled_back: None,
        health: Default::default(),
    };
    let out = json!({ "ApplicationDetail": detail(&app) });
    op.state.put(&mut apps, app)?;
    Ok(out)
}

pub fn describe(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    optional_bool(&input, "IncludeAdditionalDetails")?;
    let apps = op.state.lock();
    Ok(json!({ "ApplicationDetail": detail(find(&apps, &name)?) }))
}

pub fn list(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let apps = op.state.lock();
    let all: Vec<&Application> = apps.values().collect();
    let (start, end, next) = page(&input, all.len()).map_err(|e| invalid_request(e.message))?;
    let mut out = json!({ "ApplicationSummaries": all[start..end].iter().map(|a| summary(a)).collect::<Vec<_>>() });
    if let Some(n) = next {
        out["NextToken"] = n.into();
    }
    Ok(out)
}

pub fn update(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let mut apps = op.state.lock();
    let before = find(&apps, &name)?;
    let mut app = before.clone();
    check_version(&input, &app, true)?;
    if !matches!(app.status, Status::Ready | Status::Running) {
        return Err(in_use(format!(
            "Application {name} is in {} status; it can be updated when READY or RUNNING",
            app.status.as_str()
        )));
    }
    let mut changed = false;
    if let Some(u) = input.get("ApplicationConfigurationUpdate").filter(|v| !v.is_null()) {
        app.config = config::update(&app.config, u)?;
        changed = true;
    }
    if let Some(role) = optional_string(&input, "ServiceExecutionRoleUpdate", 1, 2048)? {
        app.role = role;
        changed = true;
    }
    if let Some(runtime) = optional_string(&input, "RuntimeEnvironmentUpdate", 1, 64)? {
        if !FLINK_RUNTIMES.contains(&runtime.as_str()) {
            return Err(invalid_argument(format!("RuntimeEnvironmentUpdate {runtime} is not a Flink runtime")));
        }
        app.runtime = runtime;
        changed = true;
    }
    if let Some(updates) = input.get("CloudWatchLoggingOptionUpdates").and_then(Value::as_array) {
        logging::apply_updates(&mut app, updates)?;
        changed = true;
    }
    if !changed && input.get("RunConfigurationUpdate").is_none_or(Value::is_null) {
        return Err(invalid_argument("UpdateApplication needs at least one update"));
    }
    let from = app.version_id;
    next_version(&mut app, before, op.now);
    let id = operation_id();
    let running = app.status == Status::Running;
    app.operations.push(Operation {
        id: id.clone(),
        name: "UpdateApplication".into(),
        status: if running { OperationStatus::InProgress } else { OperationStatus::Successful },
        start_ms: op.now,
        end_ms: (!running).then_some(op.now),
        version_from: Some(from),
        version_to: Some(app.version_id),
        error: None,
        rollback_operation_id: None,
    });
    if running {
        app.status = Status::Updating;
        app.pending = Some(Pending {
            transition: Transition::Update,
            due_ms: op.now + op.settings.update_ms,
            operation_id: Some(id.clone()),
        });
    }
    let out = json!({ "ApplicationDetail": detail(&app), "OperationId": id });
    op.state.put(&mut apps, app)?;
    Ok(out)
}

/// DeleteApplication: `CreateTimestamp` must be the application's; a running (or starting, updating)
/// application is halted at once and deleted after DELETING.
pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let mut apps = op.state.lock();
    let mut app = find(&apps, &name)?.clone();
    check_create_timestamp(&input, &app)?;
    if app.status == Status::Deleting {
        return Err(in_use(format!("Application {name} is already being deleted")));
    }
    app.status = Status::Deleting;
    app.pending =
        Some(Pending { transition: Transition::Delete, due_ms: op.now + op.settings.delete_ms, operation_id: None });
    app.updated_ms = op.now;
    op.state.put(&mut apps, app)?;
    Ok(json!({}))
}

fn check_create_timestamp(input: &Input, app: &Application) -> Result<(), ApiError> {
    let given = match input.get("CreateTimestamp") {
        None | Some(Value::Null) => {
            return Err(invalid_argument(
                "1 validation error detected: Value null at 'createTimestamp' failed to satisfy constraint: Member must not be null",
            ));
        }
        Some(v) => v.as_f64().ok_or_else(|| ApiError::serialization("CreateTimestamp must be a timestamp"))?,
    };
    if (given * 1000.0).round() as i64 != app.created_ms {
        return Err(invalid_argument(format!(
            "CreateTimestamp {given} does not match the creation time of application {}",
            app.name
        )));
    }
    Ok(())
}
