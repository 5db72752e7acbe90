//! `kinesis-console/fail-after`: a diagnostic job that fails on purpose, so the restart strategy,
//! the restart metrics and the failure log lines can be seen working. Its property group
//! `FlinkApplicationProperties` says how:
//!
//! | property | effect |
//! |---|---|
//! | `FailAfterSteps` = N | every run (the first and each restart) fails at its Nth step; absent, it never fails a step |
//! | `FailWith` | the failure's text (default: `Injected failure after N steps`) |
//! | `FailCheckpoints` = `true` | every checkpoint fails (its state cannot be taken) |
//!
//! Its state is the number of steps it ran in all, so a restart from a checkpoint shows.

use super::job::{Job, JobEnv, JobError, JobStats, StartFrom, steps_from, steps_state};
use crate::cloud::clock::Millis;

const GROUP: &str = "FlinkApplicationProperties";

pub fn new(env: &JobEnv) -> Box<dyn Job> {
    let props = env.properties.get(GROUP);
    let get = |k: &str| props.and_then(|p| p.get(k)).map(String::as_str);
    Box::new(FailAfter {
        fail_after: get("FailAfterSteps").map(|v| v.trim().parse::<u64>().map_err(|_| v.to_string())),
        fail_with: get("FailWith").map(str::to_string),
        fail_checkpoints: get("FailCheckpoints").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        steps: 0,
        run_steps: 0,
    })
}

struct FailAfter {
    /// The step of each run that fails; `Err` holds a value that is not a number.
    fail_after: Option<Result<u64, String>>,
    fail_with: Option<String>,
    fail_checkpoints: bool,
    steps: u64,
    run_steps: u64,
}

impl Job for FailAfter {
    fn start(&mut self, from: StartFrom) -> Result<(), JobError> {
        if let Some(Err(v)) = &self.fail_after {
            return Err(JobError(format!(
                "Job could not be started: property {GROUP}.FailAfterSteps is '{v}', which is not a whole number of steps"
            )));
        }
        self.steps = match from {
            StartFrom::Fresh => 0,
            StartFrom::Snapshot(v) | StartFrom::Checkpoint(v) => steps_from(&v)?,
        };
        self.run_steps = 0;
        Ok(())
    }

    fn step(&mut self, _now: Millis) -> Result<(), JobError> {
        self.steps += 1;
        self.run_steps += 1;
        match self.fail_after {
            Some(Ok(n)) if self.run_steps >= n => {
                Err(JobError(self.fail_with.clone().unwrap_or_else(|| format!("Injected failure after {n} steps"))))
            }
            _ => Ok(()),
        }
    }

    fn state(&mut self) -> Result<Vec<u8>, JobError> {
        if self.fail_checkpoints {
            return Err(JobError(format!("Injected checkpoint failure at step {}", self.steps)));
        }
        Ok(steps_state(self.steps))
    }

    fn stop(&mut self) {}

    fn stats(&self) -> JobStats {
        JobStats::default()
    }
}
