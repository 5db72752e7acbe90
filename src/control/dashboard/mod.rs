//! Dashboards as data: any CloudWatch dashboard read into a model, planned into the fewest
//! GetMetricData calls, and the answers mapped back onto its widgets. The TUI's health view and the
//! `dashboard`/`health` commands share it.

pub mod alarms;
pub mod axis;
pub mod expr_ids;
pub mod fetch;
pub mod map;
pub mod metric;
pub mod metric_rows;
pub mod model;
pub mod period;
pub mod plan;
pub mod sparkline;
pub mod units;

pub use alarms::{AlarmBook, AlarmInfo};
pub use map::{DashboardView, MetricResult, Series, WidgetView};
pub use model::{Dashboard, Widget, WidgetKind};
pub use period::PeriodRule;
pub use plan::{Plan, TimeRange};
