//! `kinesis-console/idle`: the lifecycle's stand-in. It reads nothing and writes nothing; its state is
//! the number of steps it ran, so a restore from a snapshot or checkpoint shows.

use super::job::{Job, JobEnv, JobError, JobStats, StartFrom, steps_from, steps_state};
use crate::cloud::clock::Millis;

pub fn new(_: &JobEnv) -> Box<dyn Job> {
    Box::new(Idle { steps: 0 })
}

/// Reads nothing and writes nothing; its state is the number of steps it ran, so a restore shows.
struct Idle {
    steps: u64,
}

impl Job for Idle {
    fn start(&mut self, from: StartFrom) -> Result<(), JobError> {
        self.steps = match from {
            StartFrom::Fresh => 0,
            StartFrom::Snapshot(v) | StartFrom::Checkpoint(v) => steps_from(&v)?,
        };
        Ok(())
    }

    fn step(&mut self, _now: Millis) -> Result<(), JobError> {
        self.steps += 1;
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<u8>, JobError> {
        Ok(steps_state(self.steps))
    }

    fn stop(&mut self) {}

    fn stats(&self) -> JobStats {
        JobStats::default()
    }
}
