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
        "messageType": match level { Level::Info => "INFO", Level::Error => "ERROR" },
    })
    .to_string()
}

/// The log group and stream a logging option's `LogStreamARN` names
/// (`arn:aws:logs:<region>:<account>:log-group:<group>:log-stream:<stream>`).
pub fn group_and_stream(arn: &str) -> Option<(String, String)> {
    let rest = arn.split_once(":log-group:")?.1;
    let (group, stream) = rest.split_once(":log-stream:")?;
    (!group.is_empty() && !stream.is_empty()).then(|| (group.to_string(), stream.to_string()))
}

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
