//! What a job's failure does to its application, and how it is logged as Flink logs it: a running
//! job that fails is down until the restart strategy's delay has passed (`restart.rs`); a job that
//! would not start sends the application back to READY.

use super::app_log::{self, EXECUTION_GRAPH, Level, Messages};
use super::model::{Application, Status};
use super::restart::RestartStrategy;
use crate::cloud::clock::Millis;

/// A running job failed: it is down until the restart strategy's delay has passed, and the failure
/// is logged as Flink logs it (the task's line, then the job's), the reason's text kept whole.
pub fn failed(app: &mut Application, reason: &str, now: Millis, messages: &mut Messages) {
    let delay = RestartStrategy::for_runtime(&app.runtime).delay_ms(app.health.last_failure, now);
    app.health.last_failure = Some((delay, now));
    app.health.down_since_ms.get_or_insert(now);
    app.health.restart_due_ms = Some(now + delay);
    messages.push((
        Level::Warn,
        &app_log::TASK,
        format!(
            "{} (1/1) ({}) switched from RUNNING to FAILED with failure cause: {reason}",
            app_log::task_name(app.builtin()),
            app_log::attempt_id(app)
        ),
    ));
    messages.push((
        Level::Info,
        &EXECUTION_GRAPH,
        format!("Job {} ({}) switched from state RUNNING to RESTARTING.", app.name, app_log::job_id(app)),
    ));
}

/// The job restarted from its last checkpoint (or, without one, from the start position).
pub fn restarted(app: &Application, checkpoint_ms: Option<Millis>, messages: &mut Messages) {
    let job = app_log::job_id(app);
    if let Some(at) = checkpoint_ms {
        messages.push((
            Level::Info,
            &app_log::CHECKPOINT_COORDINATOR,
            format!("Restoring job {job} from Checkpoint @ {at} for {job}."),
        ));
    }
    messages.push((
        Level::Info,
        &EXECUTION_GRAPH,
        format!("Job {} ({job}) switched from state RESTARTING to RUNNING.", app.name),
    ));
}

/// A job that would not start (or restart after an update): the application is back to READY and
/// the reason is logged as Flink logs a failed job. The reason, for the operation.
pub fn job_failed(app: &mut Application, messages: &mut Messages, reason: String) -> String {
    app.status = Status::Ready;
    app.started_ms = None;
    messages.push((
        Level::Error,
        &EXECUTION_GRAPH,
        format!("Job {} switched from state RUNNING to FAILED. {}", app.name, reason),
    ));
    reason
}
