//! Dashboard answers made up from a body, for tests, snapshots and the render benchmark: the plan
//! a real refresh would make, and for each returned query a known wave at its period.

use crate::control::dashboard::map::{MetricResult, map};
use crate::control::dashboard::plan::{QueryBody, TimeRange, plan};
use crate::control::dashboard::{AlarmBook, Dashboard, PeriodRule};
use crate::ui::action::DashboardData;

/// The value query `q` has at second `t`: a triangle wave of period 120 steps above `10 × (q + 1)`.
pub fn wave(q: usize, step: i64) -> f64 {
    let p = step.rem_euclid(120);
    10.0 * (q as f64 + 1.0) + if p < 60 { p } else { 120 - p } as f64
}

/// An answer for `dashboard` over `range_secs` ending at `end_ms`, every returned query holding
/// a point each period of the range.
pub fn synthesize(
    dashboard: Dashboard,
    alarms: &AlarmBook,
    range_secs: i64,
    end_ms: i64,
    rule: PeriodRule,
) -> DashboardData {
    let range = TimeRange::last(range_secs, end_ms);
    let plan = plan(&dashboard, alarms, range, rule);
    let finest = plan.finest_period().max(1);
    let results: Vec<MetricResult> = plan
        .calls
        .iter()
        .flatten()
        .filter(|q| q.return_data)
        .enumerate()
        .map(|(i, q)| {
            let period = match &q.body {
                QueryBody::Metric(m) => m.period.max(1),
                QueryBody::Expression { .. } => finest,
            };
            let first = range.start_ms.div_euclid(period * 1000) * period * 1000 + period * 1000;
            let timestamps_ms: Vec<i64> = (first..=range.end_ms).step_by((period * 1000) as usize).collect();
            let values = timestamps_ms.iter().map(|t| wave(i, t / 1000 / period)).collect();
            MetricResult {
                id: q.id.clone(),
                label: String::new(),
                timestamps_ms,
                values,
                status_code: "Complete".to_string(),
                messages: Vec::new(),
            }
        })
        .collect();
    let view = map(&dashboard, &plan, &results, alarms);
    DashboardData { dashboard, plan, view, end_ms, range_secs, logs: Default::default() }
}
