//! The seam between Managed Flink's lifecycle and the work an application does. The local cloud runs
//! no application code: the `kinesis-console:builtin` tag (DESIGN §3) picks a built-in [`Job`] from
//! [`lookup`], as Lambda's built-ins are picked. The service owns the lifecycle (statuses, snapshots,
//! checkpoints stored with the application); a job only starts from a position or a saved state, runs
//! steps on the cloud clock, hands its state over for checkpoints and snapshots, and stops.
//!
//! | tag | job |
//! |---|---|
//! | `kinesis-console/idle` | reads nothing, keeps a count of its steps as its state: the lifecycle's stand-in |
//! | `kinesis-console/fail-after` | diagnostic: fails at a step or checkpoint its properties name, to see restarts work |
//! | `kpl-kds-kda/sliding-window-max` | pattern 2: per-ticker max PRICE over event-time sliding windows, hourly part files in S3 committed exactly once with each checkpoint |
//! | `kds-kda-apigw/async-enrichment` | pattern 4: samples taxi trips, asks the fare API for each (async, unordered), logs the enriched trips at checkpoints |

mod async_enrichment;
mod fail_after;
mod fare_call;
mod idle;
pub mod job;
pub mod kinesis_source;
mod part_files;
pub mod sliding_window_max;
mod windows;

pub use job::{Job, JobEnv, JobError, JobStats, StartFrom};

use super::model::BUILTIN_TAG;

pub const IDLE: &str = "kinesis-console/idle";

type Factory = fn(&JobEnv) -> Box<dyn Job>;

/// The built-in jobs, by the tag value that names them.
const JOBS: &[(&str, Factory)] = &[
    (IDLE, idle::new),
    ("kinesis-console/fail-after", fail_after::new),
    (sliding_window_max::TAG, sliding_window_max::new),
    (async_enrichment::TAG, async_enrichment::new),
];

/// The job `builtin` names, or the reason the application cannot start, for its log and operation.
pub fn lookup(builtin: Option<&str>, env: &JobEnv) -> Result<Box<dyn Job>, JobError> {
    let known: Vec<&str> = JOBS.iter().map(|(tag, _)| *tag).collect();
    match builtin {
        Some(tag) => JOBS.iter().find(|(t, _)| *t == tag).map(|(_, f)| f(env)).ok_or_else(|| {
            JobError(format!(
                "Job could not be started: the tag {BUILTIN_TAG} names '{tag}', which is not a built-in job of the local cloud (built-ins: {}); the local cloud does not run application code",
                known.join(", ")
            ))
        }),
        None => Err(JobError(format!(
            "Job could not be started: the application has no {BUILTIN_TAG} tag naming a built-in job of the local cloud (built-ins: {}); the local cloud does not run application code",
            known.join(", ")
        ))),
    }
}
