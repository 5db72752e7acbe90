//! Maps GetMetricData's answers back onto the widgets: one series per drawn row (an expression
//! returning several series gives several), labels resolved, hidden rows listed without points,
//! the last bucket flagged when the range ends inside it, alarms joined with their state.

use std::collections::HashMap;

use serde::Serialize;

use super::alarms::{AlarmBook, AlarmInfo, lookup};
use super::axis::Axis;
use super::model::{Dashboard, WidgetKind};
use super::plan::{Plan, SeriesPlan};

/// One MetricDataResult, pages merged, points ascending in time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    pub id: String,
    pub label: String,
    pub timestamps_ms: Vec<i64>,
    pub values: Vec<f64>,
    /// `Complete`, `PartialData`, `Forbidden` or `InternalError`.
    pub status_code: String,
    pub messages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub label: String,
    pub query_id: String,
    pub visible: bool,
    pub y_axis: Axis,
    pub color: Option<String>,
    pub unit: Option<&'static str>,
    pub period: i64,
    pub timestamps_ms: Vec<i64>,
    pub values: Vec<f64>,
    /// The last point's period runs past the end of the range: its value is still growing.
    pub partial_last: bool,
    pub status: Option<String>,
}

impl Series {
    pub fn latest(&self) -> Option<f64> {
        self.values.last().copied()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmView {
    pub arn: String,
    pub name: String,
    /// `OK`, `ALARM`, `INSUFFICIENT_DATA`, or `NOT_FOUND` when DescribeAlarms does not know it.
    pub state: String,
    pub threshold: Option<f64>,
    pub comparison: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WidgetView {
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: Option<String>,
    pub x: Option<u32>,
    pub y: Option<u32>,
    pub width: u32,
    pub height: u32,
    pub series: Vec<Series>,
    pub alarms: Vec<AlarmView>,
    pub markdown: Option<String>,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DashboardView {
    pub widgets: Vec<WidgetView>,
    pub calls: usize,
    pub metrics_requested: usize,
    pub cost_per_refresh_usd: f64,
}

impl DashboardView {
    /// Every alarm shown, once.
    pub fn alarms(&self) -> Vec<&AlarmView> {
        let mut out: Vec<&AlarmView> = Vec::new();
        for a in self.widgets.iter().flat_map(|w| &w.alarms) {
            if !out.iter().any(|o| o.arn == a.arn) {
                out.push(a);
            }
        }
        out
    }
}

/// Joins the dashboard, its plan, the answers and the alarms into what a view draws.
pub fn map(dashboard: &Dashboard, plan: &Plan, results: &[MetricResult], alarms: &AlarmBook) -> DashboardView {
    let mut by_id: HashMap<&str, Vec<&MetricResult>> = HashMap::new();
    for r in results {
        by_id.entry(r.id.as_str()).or_default().push(r);
    }
    let plans: HashMap<usize, &super::plan::WidgetPlan> = plan.widgets.iter().map(|w| (w.widget, w)).collect();
    let widgets = dashboard
        .widgets
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let arns: &[String] = match &w.kind {
                WidgetKind::Metric(m) => m.alarm_arns(),
                WidgetKind::Alarm(a) => &a.alarms,
                _ => &[],
            };
            let (series, problems) = match plans.get(&index) {
                Some(p) => {
                    let s = p.series.iter().flat_map(|s| series_of(s, &by_id, plan.range.end_ms)).collect();
                    (s, p.problems.clone())
                }
                None => (Vec::new(), Vec::new()),
            };
            WidgetView {
                index,
                kind: w.kind.type_name().to_string(),
                title: w.title().map(str::to_string),
                x: w.x,
                y: w.y,
                width: w.width,
                height: w.height,
                series,
                alarms: arns.iter().map(|arn| alarm_view(arn, lookup(alarms, arn))).collect(),
                markdown: match &w.kind {
                    WidgetKind::Text(t) => Some(t.markdown.clone()),
                    _ => None,
                },
                problems,
            }
        })
        .collect();
    DashboardView {
        widgets,
        calls: plan.calls.len(),
        metrics_requested: plan.metrics_requested(),
        cost_per_refresh_usd: plan.cost_per_refresh_usd(),
    }
}

fn series_of(plan: &SeriesPlan, by_id: &HashMap<&str, Vec<&MetricResult>>, end_ms: i64) -> Vec<Series> {
    let found = by_id.get(plan.query_id.as_str()).map(Vec::as_slice).unwrap_or_default();
    let base = Series {
        label: plan.label.clone().unwrap_or_else(|| plan.fallback_label.clone()),
        query_id: plan.query_id.clone(),
        visible: plan.visible,
        y_axis: plan.y_axis,
        color: plan.color.clone(),
        unit: plan.unit,
        period: plan.period,
        timestamps_ms: Vec::new(),
        values: Vec::new(),
        partial_last: false,
        status: None,
    };
    if !plan.visible || found.is_empty() {
        return vec![base];
    }
    let many = found.len() > 1;
    found
        .iter()
        .map(|r| {
            let mut points: Vec<(i64, f64)> = r.timestamps_ms.iter().copied().zip(r.values.iter().copied()).collect();
            points.sort_by_key(|(t, _)| *t);
            let partial_last = points.last().is_some_and(|(t, _)| t + plan.period * 1000 > end_ms);
            let label = match (&plan.label, many || r.label.is_empty()) {
                (Some(l), false) if !l.contains("${") => l.clone(),
                _ if !r.label.is_empty() => r.label.clone(),
                _ => base.label.clone(),
            };
            Series {
                label,
                timestamps_ms: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
                partial_last,
                status: Some(r.status_code.clone()),
                ..base.clone()
            }
        })
        .collect()
}

fn alarm_view(arn: &str, found: Option<&AlarmInfo>) -> AlarmView {
    match found {
        Some(a) => AlarmView {
            arn: arn.to_string(),
            name: a.name.clone(),
            state: a.state.clone(),
            threshold: a.threshold,
            comparison: a.comparison.clone(),
            reason: a.reason.clone(),
        },
        None => AlarmView {
            arn: arn.to_string(),
            name: super::alarms::alarm_name(arn).to_string(),
            state: "NOT_FOUND".to_string(),
            threshold: None,
            comparison: None,
            reason: None,
        },
    }
}
