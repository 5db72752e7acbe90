//! How an application is described: `ApplicationDetail` (DescribeApplication, CreateApplication,
//! UpdateApplication, DescribeApplicationVersion), its summary (ListApplications), and the new version
//! every configuration change makes (the old one kept for ListApplicationVersions).

use serde_json::{Value, json};

use super::model::{Application, Version};
use super::op::{conditional_token, seconds};
use crate::cloud::clock::Millis;

/// Superseded versions kept per application for ListApplicationVersions.
const MAX_VERSIONS_KEPT: usize = 100;

pub fn detail(app: &Application) -> Value {
    let mut config = app.config.clone();
    if let Some(restore) = &app.last_restore {
        let mut r = json!({ "ApplicationRestoreType": restore.type_name() });
        if let super::model::Restore::Custom(name) = restore {
            r["SnapshotName"] = name.clone().into();
        }
        config["RunConfigurationDescription"] = json!({
            "ApplicationRestoreConfigurationDescription": r,
            "FlinkRunConfigurationDescription": { "AllowNonRestoredState": false },
        });
    }
    let mut d = json!({
        "ApplicationARN": app.arn,
        "ApplicationName": app.name,
        "RuntimeEnvironment": app.runtime,
        "ServiceExecutionRole": app.role,
        "ApplicationStatus": app.status.as_str(),
        "ApplicationVersionId": app.version_id,
        "CreateTimestamp": seconds(app.created_ms),
        "LastUpdateTimestamp": seconds(app.updated_ms),
        "ApplicationVersionCreateTimestamp": seconds(app.version_created_ms),
        "ApplicationConfigurationDescription": config,
        "CloudWatchLoggingOptionDescriptions": logging_options(app),
        "ConditionalToken": conditional_token(app),
        "ApplicationMode": app.mode,
    });
    if let Some(desc) = &app.description {
        d["ApplicationDescription"] = desc.clone().into();
    }
    match app.rolled_back {
        Some((from, to)) => {
            d["ApplicationVersionRolledBackFrom"] = from.into();
            d["ApplicationVersionRolledBackTo"] = to.into();
        }
        None => {
            if let Some(from) = app.version_from {
                d["ApplicationVersionUpdatedFrom"] = from.into();
            }
        }
    }
    d
}

pub fn logging_options(app: &Application) -> Value {
    Value::Array(
        app.logging
            .iter()
            .map(|o| {
                let mut v = json!({ "CloudWatchLoggingOptionId": o.id, "LogStreamARN": o.log_stream_arn });
                if let Some(r) = &o.role_arn {
                    v["RoleARN"] = r.clone().into();
                }
                v
            })
            .collect(),
    )
}

pub fn summary(app: &Application) -> Value {
    json!({
        "ApplicationName": app.name,
        "ApplicationARN": app.arn,
        "ApplicationStatus": app.status.as_str(),
        "ApplicationVersionId": app.version_id,
        "RuntimeEnvironment": app.runtime,
        "ApplicationMode": app.mode,
    })
}

/// Moves `app`, changed from `before`, to the next version, keeping `before` in its history.
pub fn next_version(app: &mut Application, before: &Application, now: Millis) {
    app.versions.push(Version { id: before.version_id, detail: detail(before) });
    if app.versions.len() > MAX_VERSIONS_KEPT {
        app.versions.remove(0);
    }
    app.version_from = Some(app.version_id);
    app.rolled_back = None;
    app.version_id += 1;
    app.version_created_ms = now;
    app.updated_ms = now;
}
