//! Flink's restart strategy as Managed Flink configures it: when a running job fails, the application
//! stays RUNNING, the job is down for a delay of the cloud clock, then restarts from its last
//! checkpoint, without a limit on attempts. Which strategy depends on the runtime (AWS, "Modifiable
//! Flink configuration properties": from Flink 1.19 on Managed Flink uses `exponential-delay` by
//! default, before that `fixed-delay`):
//!
//! | runtime | strategy | delay before restart n |
//! |---|---|---|
//! | FLINK-1_19 and later | exponential-delay | 1 s, then × 1.5 per failure up to 1 min; back to 1 s after 1 h without a failure (Flink's defaults) |
//! | earlier, or not a Flink runtime | fixed-delay | 10 s every time |
//!
//! Flink adds a jitter of 10 % to the exponential delay to spread the restarts of many jobs; the
//! local cloud leaves it out so a restart happens at a time a test can name.

use crate::cloud::clock::Millis;

#[derive(Debug, Clone, PartialEq)]
pub enum RestartStrategy {
    FixedDelay {
        delay_ms: Millis,
    },
    ExponentialDelay {
        initial_ms: Millis,
        max_ms: Millis,
        multiplier: f64,
        /// A failure this long after the previous one starts the backoff again from `initial_ms`.
        reset_after_ms: Millis,
    },
}

/// Managed Flink's fixed delay for runtimes before 1.19.
pub const FIXED_DELAY_MS: Millis = 10_000;

impl RestartStrategy {
    /// The strategy Managed Flink applies by default to an application on `runtime` (`FLINK-1_20`, …).
    pub fn for_runtime(runtime: &str) -> RestartStrategy {
        match flink_version(runtime) {
            Some(v) if v >= (1, 19) => RestartStrategy::ExponentialDelay {
                initial_ms: 1_000,
                max_ms: 60_000,
                multiplier: 1.5,
                reset_after_ms: 3_600_000,
            },
            _ => RestartStrategy::FixedDelay { delay_ms: FIXED_DELAY_MS },
        }
    }

    /// The delay before restarting a job that fails at `now`, given the delay used after its previous
    /// failure and when that was (`None` for a first failure).
    pub fn delay_ms(&self, previous: Option<(Millis, Millis)>, now: Millis) -> Millis {
        match *self {
            RestartStrategy::FixedDelay { delay_ms } => delay_ms,
            RestartStrategy::ExponentialDelay { initial_ms, max_ms, multiplier, reset_after_ms } => match previous {
                Some((delay, failed_at)) if now - failed_at < reset_after_ms => {
                    ((delay as f64 * multiplier).round() as Millis).clamp(initial_ms, max_ms)
                }
                _ => initial_ms,
            },
        }
    }
}

/// `FLINK-1_20` → (1, 20); anything else (SQL-1_0, ZEPPELIN-FLINK-3_0) → `None`.
fn flink_version(runtime: &str) -> Option<(u32, u32)> {
    let (major, minor) = runtime.strip_prefix("FLINK-")?.split_once('_')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_from_1_19_back_off_exponentially_and_older_ones_wait_a_fixed_delay() {
        assert!(matches!(RestartStrategy::for_runtime("FLINK-1_20"), RestartStrategy::ExponentialDelay { .. }));
        assert!(matches!(RestartStrategy::for_runtime("FLINK-2_2"), RestartStrategy::ExponentialDelay { .. }));
        assert_eq!(RestartStrategy::for_runtime("FLINK-1_18"), RestartStrategy::FixedDelay { delay_ms: 10_000 });
        assert_eq!(RestartStrategy::for_runtime("SQL-1_0"), RestartStrategy::FixedDelay { delay_ms: 10_000 });
    }

    #[test]
    fn the_exponential_delay_grows_by_half_up_to_a_minute_and_resets_after_an_hour_of_health() {
        let s = RestartStrategy::for_runtime("FLINK-1_20");
        let mut delays = Vec::new();
        let mut previous = None;
        let mut now = 0;
        for _ in 0..12 {
            let d = s.delay_ms(previous, now);
            delays.push(d);
            previous = Some((d, now));
            now += d + 1_000;
        }
        assert_eq!(&delays[..6], &[1_000, 1_500, 2_250, 3_375, 5_063, 7_595]);
        assert_eq!(*delays.last().unwrap(), 60_000);
        assert_eq!(s.delay_ms(previous, now + 3_600_000), 1_000);
    }

    #[test]
    fn the_fixed_delay_is_the_same_every_time() {
        let s = RestartStrategy::for_runtime("FLINK-1_15");
        assert_eq!(s.delay_ms(None, 0), 10_000);
        assert_eq!(s.delay_ms(Some((10_000, 0)), 11_000), 10_000);
    }
}
