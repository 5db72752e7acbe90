//! Which period a refresh asks for. On AWS the dashboard's own (a row's `period`, else the widget's,
//! else 300 s). Locally metrics have 1-second resolution, so the period follows the time range, as
//! CloudWatch's "auto" period does, keeping a chart between ~60 and ~360 points:
//!
//! | range up to | period | points at most |
//! |---|---|---|
//! | 5 min  | 1 s    | 300 |
//! | 15 min | 10 s   | 90  |
//! | 1 h    | 10 s   | 360 |
//! | 3 h    | 60 s   | 180 |
//! | 6 h    | 60 s   | 360 |
//! | 1 d    | 300 s  | 288 |
//! | 3 d    | 900 s  | 288 |
//! | 7 d    | 3600 s | 168 |
//! | longer | whole hours keeping ≤ 360 points |
//!
//! The same steps serve tables (`metrics`: at most 90 rows) and AWS data (no finer than a minute):
//! `period_for` is the one policy.

use serde::Serialize;

use crate::target::Target;

/// How a refresh picks its periods; where the metrics live decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodRule {
    /// The embedded local cloud: 1-second data.
    Local,
    /// Real AWS (or any other endpoint): the dashboard's periods.
    Aws,
    /// One period for every row, whatever the target (a user's `--period`).
    Fixed(i64),
}

impl PeriodRule {
    /// The rule for a target: a user's `--period` wins; else 1-second data on the local cloud,
    /// the dashboard's periods on AWS and any other endpoint.
    pub fn for_target(target: &Target, fixed: Option<i64>) -> PeriodRule {
        match (fixed, target) {
            (Some(p), _) => PeriodRule::Fixed(p),
            (None, Target::Local { .. }) => PeriodRule::Local,
            (None, _) => PeriodRule::Aws,
        }
    }
}

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

/// The periods a view steps through, as CloudWatch's console offers them; past an hour, whole hours.
const STEPS: [i64; 6] = [1, 10, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR];

/// The one period policy of the console: the shortest step no finer than the data's resolution
/// (`resolution_secs`: 1 for local metrics, 60 for AWS's standard ones) that keeps a range of
/// `range_secs` within `max_points` periods. Charts ask for 360 points, tables for fewer rows.
pub fn period_for(range_secs: i64, resolution_secs: i64, max_points: i64) -> i64 {
    let range = range_secs.max(1);
    let points = max_points.max(1);
    let fits = |p: i64| p >= resolution_secs && (range + p - 1) / p <= points;
    STEPS.iter().copied().find(|p| fits(*p)).unwrap_or_else(|| {
        let hours = (range + points * HOUR - 1) / (points * HOUR);
        hours.max((resolution_secs + HOUR - 1) / HOUR).max(1) * HOUR
    })
}

/// Points a chart holds at most.
pub const CHART_POINTS: i64 = 360;

/// The local period for a chart of a time range of `range_secs`.
pub fn auto_period(range_secs: i64) -> i64 {
    period_for(range_secs, 1, CHART_POINTS)
}

/// The period of one row: the local rule ignores the dashboard's periods, AWS honours them.
pub fn row_period(rule: PeriodRule, range_secs: i64, row: Option<i64>, widget: Option<i64>) -> i64 {
    match rule {
        PeriodRule::Local => auto_period(range_secs),
        PeriodRule::Aws => row.or(widget).filter(|p| *p > 0).unwrap_or(300),
        PeriodRule::Fixed(p) => p.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn local_periods_follow_the_range() {
        assert_eq!(auto_period(5 * MINUTE), 1);
        assert_eq!(auto_period(15 * MINUTE), 10);
        assert_eq!(auto_period(HOUR), 10);
        assert_eq!(auto_period(3 * HOUR), 60);
        assert_eq!(auto_period(DAY), 300);
        assert_eq!(auto_period(7 * DAY), 3600);
        assert_eq!(auto_period(30 * DAY), 2 * HOUR);
        for range in [MINUTE, 10 * MINUTE, 2 * HOUR, 2 * DAY, 90 * DAY] {
            assert!(range / auto_period(range) <= 360, "range {range}");
        }
    }

    #[test]
    fn tables_and_aws_data_get_coarser_periods_from_the_same_steps() {
        assert_eq!(period_for(15 * MINUTE, 1, 90), 10);
        assert_eq!(period_for(15 * MINUTE, 60, 90), 60);
        assert_eq!(period_for(HOUR, 1, 90), 60);
        assert_eq!(period_for(3 * HOUR, 1, 90), 5 * MINUTE);
        assert_eq!(period_for(30 * MINUTE, 1, 90), 60);
        assert_eq!(period_for(5 * MINUTE, 1, 90), 10);
        assert_eq!(period_for(30 * DAY, 60, 90), 8 * HOUR);
        for (range, resolution, points) in [(MINUTE, 60, 90), (7 * DAY, 1, 10), (HOUR, 3600, 1000)] {
            let p = period_for(range, resolution, points);
            assert!(p >= resolution, "{range} {resolution} {points} → {p}");
        }
    }

    #[test]
    fn aws_periods_are_the_dashboards() {
        assert_eq!(row_period(PeriodRule::Aws, HOUR, Some(60), Some(300)), 60);
        assert_eq!(row_period(PeriodRule::Aws, HOUR, None, Some(120)), 120);
        assert_eq!(row_period(PeriodRule::Aws, HOUR, None, None), 300);
        assert_eq!(row_period(PeriodRule::Local, 15 * MINUTE, Some(60), Some(300)), 10);
        assert_eq!(row_period(PeriodRule::Fixed(5), DAY, Some(60), Some(300)), 5);
    }

    #[test]
    fn the_target_picks_the_rule_unless_a_period_is_given() {
        let local = Target::Local { data_dir: "d".into() };
        let aws = Target::Aws { profile: None, region: None };
        let endpoint = Target::Endpoint { url: "http://localhost:4566".into(), region: None };
        assert_eq!(PeriodRule::for_target(&local, None), PeriodRule::Local);
        assert_eq!(PeriodRule::for_target(&aws, None), PeriodRule::Aws);
        assert_eq!(PeriodRule::for_target(&endpoint, None), PeriodRule::Aws);
        assert_eq!(PeriodRule::for_target(&local, Some(60)), PeriodRule::Fixed(60));
    }
}
