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

use serde::Serialize;

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

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

const AUTO: [(i64, i64); 8] = [
    (5 * MINUTE, 1),
    (15 * MINUTE, 10),
    (HOUR, 10),
    (3 * HOUR, 60),
    (6 * HOUR, 60),
    (DAY, 300),
    (3 * DAY, 900),
    (7 * DAY, 3600),
];

/// The local period for a time range of `range_secs`.
pub fn auto_period(range_secs: i64) -> i64 {
    let range = range_secs.max(1);
    AUTO.iter().find(|(upto, _)| range <= *upto).map_or_else(
        || {
            let hours = (range + 360 * HOUR - 1) / (360 * HOUR);
            hours.max(1) * HOUR
        },
        |(_, p)| *p,
    )
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
    fn aws_periods_are_the_dashboards() {
        assert_eq!(row_period(PeriodRule::Aws, HOUR, Some(60), Some(300)), 60);
        assert_eq!(row_period(PeriodRule::Aws, HOUR, None, Some(120)), 120);
        assert_eq!(row_period(PeriodRule::Aws, HOUR, None, None), 300);
        assert_eq!(row_period(PeriodRule::Local, 15 * MINUTE, Some(60), Some(300)), 10);
        assert_eq!(row_period(PeriodRule::Fixed(5), DAY, Some(60), Some(300)), 5);
    }
}
