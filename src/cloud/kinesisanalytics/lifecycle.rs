//! StartApplication and StopApplication: the request moves the application to STARTING, STOPPING or
//! FORCE_STOPPING and records an operation in progress; `runtime.rs` ends the transition on the cloud
//! clock (the job started or refused, the stop's snapshot taken) and the operation with it.

use serde_json::{Value, json};

use super::app_log::{self, Level};
use super::model::{Operation, OperationStatus, Pending, Restore, Snapshot, SnapshotStatus, Status, Transition};
use super::op::{
    Op, application_name, find, in_use, invalid_argument, invalid_configuration, not_found, object, operation_id,
    optional_bool,
};
use crate::cloud::error::ApiError;

fn restore(input: &serde_json::Map<String, Value>) -> Result<Restore, ApiError> {
    let r = &input.get("RunConfiguration").unwrap_or(&Value::Null)["ApplicationRestoreConfiguration"];
    if r.is_null() {
        return Ok(Restore::Latest);
    }
    let name = r["SnapshotName"].as_str();
    match r["ApplicationRestoreType"].as_str() {
        Some("SKIP_RESTORE_FROM_SNAPSHOT") => Ok(Restore::Skip),
        Some("RESTORE_FROM_LATEST_SNAPSHOT") => Ok(Restore::Latest),
        Some("RESTORE_FROM_CUSTOM_SNAPSHOT") => match name {
            Some(n) if !n.is_empty() => Ok(Restore::Custom(n.to_string())),
            _ => Err(invalid_argument(
                "SnapshotName is required when ApplicationRestoreType is RESTORE_FROM_CUSTOM_SNAPSHOT",
            )),
        },
        other => Err(invalid_argument(format!(
            "1 validation error detected: Value '{}' at 'runConfiguration.applicationRestoreConfiguration.applicationRestoreType' failed to satisfy constraint: Member must satisfy enum value set: [SKIP_RESTORE_FROM_SNAPSHOT, RESTORE_FROM_LATEST_SNAPSHOT, RESTORE_FROM_CUSTOM_SNAPSHOT]",
            other.unwrap_or("null")
        ))),
    }
}

/// An operation in progress on `version`, started `now`.
pub fn operation(name: &str, id: &str, now: i64, version: i64) -> Operation {
    Operation {
        id: id.to_string(),
        name: name.into(),
        status: OperationStatus::InProgress,
        start_ms: now,
        end_ms: None,
        version_from: Some(version),
        version_to: Some(version),
        error: None,
        rollback_operation_id: None,
    }
}

pub fn start(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let restore = restore(&input)?;
    let mut apps = op.state.lock();
    let mut app = find(&apps, &name)?.clone();
    if app.status != Status::Ready {
        return Err(in_use(format!(
            "Application {name} is in {} status; it can be started only when READY",
            app.status.as_str()
        )));
    }
    if let Restore::Custom(snapshot) = &restore {
        if !app.snapshots_enabled() {
            return Err(invalid_configuration(format!(
                "Snapshots are disabled for application {name}; it cannot restore {snapshot}"
            )));
        }
        if app.snapshot(snapshot).is_none_or(|s| s.status != SnapshotStatus::Ready) {
            return Err(not_found(format!("Snapshot {snapshot} of application {name} is not found or not READY")));
        }
    }
    let id = operation_id();
    app.operations.push(operation("StartApplication", &id, op.now, app.version_id));
    app.status = Status::Starting;
    app.last_restore = Some(restore.clone());
    app.pending = Some(Pending {
        transition: Transition::Start { restore },
        due_ms: op.now + op.settings.start_ms,
        operation_id: Some(id.clone()),
    });
    app.updated_ms = op.now;
    let message = format!("Starting application {name} (version {})", app.version_id);
    let logged = app.clone();
    op.state.put(&mut apps, app)?;
    drop(apps);
    app_log::write(op.ctx, &logged, op.now, &[(Level::Info, &app_log::SERVICE, message)]);
    Ok(json!({ "OperationId": id }))
}

/// StopApplication: from RUNNING through STOPPING, with a snapshot when snapshots are on; with
/// `Force`, from STARTING, UPDATING, AUTOSCALING or RUNNING through FORCE_STOPPING, without one (a
/// transition under way is cancelled).
pub fn stop(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let force = optional_bool(&input, "Force")?.unwrap_or(false);
    let mut apps = op.state.lock();
    let mut app = find(&apps, &name)?.clone();
    let allowed: &[Status] = if force {
        &[Status::Starting, Status::Updating, Status::Autoscaling, Status::Running]
    } else {
        &[Status::Running]
    };
    if !allowed.contains(&app.status) {
        return Err(in_use(format!(
            "Application {name} is in {} status; {}",
            app.status.as_str(),
            if force {
                "a forced stop needs STARTING, UPDATING, AUTOSCALING or RUNNING"
            } else {
                "it can be stopped only when RUNNING"
            }
        )));
    }
    if let Some(cancelled) = app.pending.take().and_then(|p| p.operation_id)
        && let Some(o) = app.operation_mut(&cancelled)
    {
        o.status = OperationStatus::Cancelled;
        o.end_ms = Some(op.now);
    }
    let id = operation_id();
    app.operations.push(operation("StopApplication", &id, op.now, app.version_id));
    let snapshot = (!force && app.snapshots_enabled()).then(|| format!("{name}-stop-{}", op.now));
    let (status, took) = if force {
        (Status::ForceStopping, op.settings.force_stop_ms)
    } else {
        (Status::Stopping, op.settings.stop_ms)
    };
    if let Some(s) = &snapshot {
        app.snapshots.push(Snapshot {
            name: s.clone(),
            status: SnapshotStatus::Creating,
            version_id: app.version_id,
            created_ms: op.now,
            due_ms: None,
            state: None,
        });
    }
    app.status = status;
    app.pending = Some(Pending {
        transition: Transition::Stop { snapshot },
        due_ms: op.now + took,
        operation_id: Some(id.clone()),
    });
    app.updated_ms = op.now;
    op.state.put(&mut apps, app)?;
    Ok(json!({ "OperationId": id }))
}
