//! CreateApplicationSnapshot, DescribeApplicationSnapshot, ListApplicationSnapshots and
//! DeleteApplicationSnapshot. A snapshot has its own statuses: CREATING until `runtime.rs` has taken
//! the job's state (READY, or FAILED when the job could not give it), DELETING until it is gone.

use serde_json::{Value, json};

use super::model::{Application, Snapshot, SnapshotStatus, Status};
use super::op::{
    Op, application_name, find, in_use, invalid_argument, invalid_configuration, limit_exceeded, name, not_found,
    object, page, seconds,
};
use crate::cloud::error::ApiError;

/// Snapshots per application (AWS's quota).
pub const MAX_SNAPSHOTS: usize = 1000;

fn details(app: &Application, s: &Snapshot) -> Value {
    json!({
        "SnapshotName": s.name,
        "SnapshotStatus": s.status.as_str(),
        "ApplicationVersionId": s.version_id,
        "SnapshotCreationTimestamp": seconds(s.created_ms),
        "RuntimeEnvironment": app.runtime,
    })
}

pub fn create(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let app_name = application_name(&input)?;
    let snapshot = name(&input, "SnapshotName", 256)?;
    let mut apps = op.state.lock();
    let mut app = find(&apps, &app_name)?.clone();
    if !app.snapshots_enabled() {
        return Err(invalid_configuration(format!("Snapshots are disabled for application {app_name}")));
    }
    if app.status != Status::Running {
        return Err(in_use(format!(
            "Application {app_name} is in {} status; a snapshot can be taken only when RUNNING",
            app.status.as_str()
        )));
    }
    if app.snapshot(&snapshot).is_some() {
        return Err(invalid_argument(format!("Snapshot {snapshot} already exists for application {app_name}")));
    }
    if app.snapshots.len() >= MAX_SNAPSHOTS {
        return Err(limit_exceeded(format!("Application {app_name} already has {MAX_SNAPSHOTS} snapshots")));
    }
    app.snapshots.push(Snapshot {
        name: snapshot,
        status: SnapshotStatus::Creating,
        version_id: app.version_id,
        created_ms: op.now,
        due_ms: Some(op.now + op.settings.snapshot_ms),
        state: None,
    });
    op.state.put(&mut apps, app)?;
    Ok(json!({}))
}

pub fn describe(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let app_name = application_name(&input)?;
    let snapshot = name(&input, "SnapshotName", 256)?;
    let apps = op.state.lock();
    let app = find(&apps, &app_name)?;
    let s = app
        .snapshot(&snapshot)
        .ok_or_else(|| not_found(format!("Snapshot {snapshot} of application {app_name} is not found")))?;
    Ok(json!({ "SnapshotDetails": details(app, s) }))
}

pub fn list(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let app_name = application_name(&input)?;
    let apps = op.state.lock();
    let app = find(&apps, &app_name)?;
    let (start, end, next) = page(&input, app.snapshots.len())?;
    let mut out =
        json!({ "SnapshotSummaries": app.snapshots[start..end].iter().map(|s| details(app, s)).collect::<Vec<_>>() });
    if let Some(n) = next {
        out["NextToken"] = n.into();
    }
    Ok(out)
}

pub fn delete(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let input = object(input)?;
    let app_name = application_name(&input)?;
    let snapshot = name(&input, "SnapshotName", 256)?;
    let created = match input.get("SnapshotCreationTimestamp") {
        Some(v) if !v.is_null() => {
            v.as_f64().ok_or_else(|| ApiError::serialization("SnapshotCreationTimestamp must be a timestamp"))?
        }
        _ => {
            return Err(invalid_argument(
                "1 validation error detected: Value null at 'snapshotCreationTimestamp' failed to satisfy constraint: Member must not be null",
            ));
        }
    };
    let mut apps = op.state.lock();
    let mut app = find(&apps, &app_name)?.clone();
    let s = app
        .snapshots
        .iter_mut()
        .find(|s| s.name == snapshot)
        .ok_or_else(|| not_found(format!("Snapshot {snapshot} of application {app_name} is not found")))?;
    if (created * 1000.0).round() as i64 != s.created_ms {
        return Err(invalid_argument(format!(
            "SnapshotCreationTimestamp {created} does not match snapshot {snapshot}"
        )));
    }
    if matches!(s.status, SnapshotStatus::Creating | SnapshotStatus::Deleting) {
        return Err(in_use(format!("Snapshot {snapshot} is {}", s.status.as_str())));
    }
    s.status = SnapshotStatus::Deleting;
    s.due_ms = Some(op.now + op.settings.snapshot_delete_ms);
    op.state.put(&mut apps, app)?;
    Ok(json!({}))
}
