//! An application's log: the JSON records Managed Flink writes to the log stream of each
//! CloudWatch logging option (`applicationARN`, `applicationVersionId`, `messageType`, `message`,
//! `locationInformation`, …), because the dashboards' Logs Insights queries filter on those fields.
//! An application without a logging option logs nothing, as on AWS.

use serde_json::json;

use super::model::{Application, LoggingOption};
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::log_sink::LogLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// Where a record comes from in Flink, for `logger` and `locationInformation`.
pub struct Source {
    pub logger: &'static str,
    pub location: &'static str,
    pub thread: &'static str,
}

/// The job manager's transitions (`switched from … to …`).
pub const EXECUTION_GRAPH: Source = Source {
    logger: "org.apache.flink.runtime.executiongraph.ExecutionGraph",
    location: "org.apache.flink.runtime.executiongraph.ExecutionGraph.transitionState(ExecutionGraph.java:1185)",
    thread: "flink-pekko.actor.default-dispatcher-15",
};

/// A task's own transitions, as the task manager logs them (`… (1/1) (<attempt>) switched from RUNNING to FAILED …`).
pub const TASK: Source = Source {
    logger: "org.apache.flink.runtime.taskmanager.Task",
    location: "org.apache.flink.runtime.taskmanager.Task.transitionState(Task.java:1158)",
    thread: "Source: Kinesis source (1/1)#0",
};

/// The checkpoint coordinator's records (a restore from a checkpoint).
pub const CHECKPOINT_COORDINATOR: Source = Source {
    logger: "org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
    location: "org.apache.flink.runtime.checkpoint.CheckpointCoordinator.restoreLatestCheckpointedStateInternal(CheckpointCoordinator.java:1791)",
    thread: "flink-pekko.actor.default-dispatcher-15",
};

/// Managed Flink's own records about the application (start, stop, snapshots).
pub const SERVICE: Source = Source {
    logger: "com.amazonaws.services.kinesisanalytics.flink.ApplicationManager",
    location: "com.amazonaws.services.kinesisanalytics.flink.ApplicationManager.run(ApplicationManager.java:212)",
    thread: "application-manager",
};

/// One record as Managed Flink shapes it.
pub fn record(app: &Application, level: Level, source: &Source, message: &str) -> String {
    record_as(&app.arn, app.version_id, level, source, message)
}

/// One record of the application `arn` at `version_id` (a running job knows its application by these).
pub fn record_as(arn: &str, version_id: i64, level: Level, source: &Source, message: &str) -> String {
    json!({
        "locationInformation": source.location,
        "logger": source.logger,
        "message": message,
        "threadName": source.thread,
        "applicationARN": arn,
        "applicationVersionId": version_id.to_string(),
        "messageSchemaVersion": "1",
        "messageType": match level { Level::Info => "INFO", Level::Warn => "WARN", Level::Error => "ERROR" },
    })
    .to_string()
}

/// The operator chain of a built-in job's one task, as Flink names it in the task's log lines.
pub fn task_name(builtin: Option<&str>) -> &'static str {
    match builtin {
        Some("kpl-kds-kda/sliding-window-max") => {
            "Source: Kinesis source -> Timestamps/Watermarks -> Sliding event-time window (max) -> Sink: S3 part files"
        }
        Some("kds-kda-apigw/async-enrichment") => {
            "Source: Kinesis source -> Filter (trip_id % 20) -> async wait operator -> Sink: Application log"
        }
        _ => "Source: Kinesis source -> Sink: Discarding sink",
    }
}

/// The Flink job id of `app`'s job: 32 hex digits, stable for the application (Flink derives it
/// once per submitted job; a restart keeps it).
pub fn job_id(app: &Application) -> String {
    hex_digest(&[app.arn.as_bytes(), &app.health.job_started_ms.unwrap_or(0).to_be_bytes()])
}

/// The id of a task's execution attempt: a new one for every restart.
pub fn attempt_id(app: &Application) -> String {
    hex_digest(&[
        app.arn.as_bytes(),
        &app.health.job_started_ms.unwrap_or(0).to_be_bytes(),
        &app.health.restarts.to_be_bytes(),
    ])
}

fn hex_digest(parts: &[&[u8]]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The log group and stream a logging option's `LogStreamARN` names
/// (`arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>`).
pub fn group_and_stream(arn: &str) -> Option<(String, String)> {
    let rest = arn.split_once(":log-group:")?.1;
    let (group, stream) = rest.split_once(":log-stream:")?;
    (!group.is_empty() && !stream.is_empty()).then(|| (group.to_string(), stream.to_string()))
}

/// Lines for an application's log, in order: level, the Flink class that logs it, the message.
pub type Messages = Vec<(Level, &'static Source, String)>;

/// Appends `messages` to every logging option's stream; a write that fails is reported in the host's
/// own log (the application's operation does not fail because its log could not be written).
pub fn write(ctx: &CloudContext, app: &Application, now: Millis, messages: &[(Level, &Source, String)]) {
    write_as(ctx, &app.name, &app.arn, app.version_id, &app.logging, now, messages);
}

/// [`write`] for a running job, which holds its application's name, ARN, version and logging options
/// rather than the application.
pub fn write_as(
    ctx: &CloudContext,
    name: &str,
    arn: &str,
    version_id: i64,
    logging: &[LoggingOption],
    now: Millis,
    messages: &[(Level, &Source, String)],
) {
    for option in logging {
        let Some((group, stream)) = group_and_stream(&option.log_stream_arn) else { continue };
        let lines = messages
            .iter()
            .map(|(level, source, m)| LogLine {
                timestamp_ms: now,
                message: record_as(arn, version_id, *level, source, m),
            })
            .collect();
        if let Err(e) = ctx
            .log_publisher
            .ensure_stream(&group, &stream)
            .and_then(|_| ctx.log_publisher.append(&group, &stream, lines))
        {
            tracing::warn!(application = %name, group = %group, stream = %stream, error = %e, "writing the application log failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_stream_arn_names_its_group_and_stream() {
        let arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/kinesis-analytics/app:log-stream:kinesis-analytics-log-stream";
        assert_eq!(
            group_and_stream(arn),
            Some(("/aws/kinesis-analytics/app".into(), "kinesis-analytics-log-stream".into()))
        );
        assert_eq!(group_and_stream("arn:aws:logs:us-east-1:0:log-group:g"), None);
    }
}
