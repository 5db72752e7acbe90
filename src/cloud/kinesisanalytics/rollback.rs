//! RollbackApplication: a RUNNING, UPDATING or AUTOSCALING application goes back to the version before
//! its current one. As on AWS, the rollback is a new version (`ApplicationVersionRolledBackFrom`/`To`
//! say which), the application is ROLLING_BACK until `runtime.rs` restarts the job on the restored
//! configuration from the latest READY snapshot, and an application without one is refused. An update
//! under way is cancelled. The runtime starts the same rollback itself when an update fails and the
//! application has system rollback on.

use serde_json::{Value, json};

use super::detail::{detail, next_version};
use super::lifecycle::operation;
use super::model::{Application, Operation, OperationStatus, Pending, Status, Transition};
use super::op::{Op, application_name, check_version, find, in_use, invalid_request, object, operation_id};
use crate::cloud::clock::Millis;
use crate::cloud::error::ApiError;

pub fn rollback(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let name = application_name(&input)?;
    let mut apps = op.state.lock();
    let before = find(&apps, &name)?;
    check_version(&input, before, true)?;
    if !matches!(before.status, Status::Running | Status::Updating | Status::Autoscaling) {
        return Err(in_use(format!(
            "Application {name} is in {} status; it can be rolled back only when RUNNING, UPDATING or AUTOSCALING",
            before.status.as_str()
        )));
    }
    if before.latest_snapshot().is_none() {
        return Err(invalid_request(format!("Application {name} has no snapshots to roll back to")));
    }
    let mut app = before.clone();
    if let Some(cancelled) = app.pending.take().and_then(|p| p.operation_id)
        && let Some(o) = app.operation_mut(&cancelled)
    {
        o.status = OperationStatus::Cancelled;
        o.end_ms = Some(op.now);
    }
    let Some(id) = begin(&mut app, op.now, op.now + op.settings.update_ms) else {
        return Err(invalid_request(format!(
            "Application {name} is at its first version ({}); there is no previous version to roll back to",
            before.version_id
        )));
    };
    let out = json!({ "ApplicationDetail": detail(&app), "OperationId": id });
    op.state.put(&mut apps, app)?;
    Ok(out)
}

/// Starts rolling `app` back to the version before its current one: a new version with that
/// version's configuration, ROLLING_BACK until `due_ms`, under a new RollbackApplication operation,
/// whose id it returns; `None`, changing nothing, at the first version.
pub fn begin(app: &mut Application, now: Millis, due_ms: Millis) -> Option<String> {
    let before = app.clone();
    let previous = before.versions.last()?;
    let d = &previous.detail;
    if let Some(config) = d.get("ApplicationConfigurationDescription").filter(|c| c.is_object()) {
        let mut config = config.clone();
        // The run configuration describes a start, not a version.
        if let Some(c) = config.as_object_mut() {
            c.remove("RunConfigurationDescription");
        }
        app.config = config;
    }
    if let Some(role) = d["ServiceExecutionRole"].as_str() {
        app.role = role.to_string();
    }
    if let Some(runtime) = d["RuntimeEnvironment"].as_str() {
        app.runtime = runtime.to_string();
    }
    let from = app.version_id;
    next_version(app, &before, now);
    app.rolled_back = Some((from, previous.id));
    let id = operation_id();
    let to = Some(app.version_id);
    app.operations.push(Operation { version_to: to, ..operation("RollbackApplication", &id, now, from) });
    app.status = Status::RollingBack;
    app.pending = Some(Pending { transition: Transition::Rollback, due_ms, operation_id: Some(id.clone()) });
    Some(id)
}
