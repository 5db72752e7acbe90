//! Plans a refresh: the metric widgets of a dashboard (or any set of them) and a time range become
//! the fewest GetMetricData calls. Each widget's ids are renamed into one call-wide id space; the
//! same metric with the same statistic and period is asked for once however many widgets draw it;
//! an expression travels in the same call as every query it refers to; calls hold ≤ 500 queries.
//! GetMetricData is regional, so on AWS each call asks one region (a row's `region`, else its
//! widget's) and a row's `accountId` travels with its query.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::alarms::{AlarmBook, AlarmWatches, lookup};
use super::axis::Axis;
use super::expr_ids::{IdScope, rewrite};
use super::metric::MetricSpec;
use super::metric_rows::{MetricRow, RenderProps};
use super::model::{Dashboard, MetricWidget};
use super::period::{PeriodRule, period_for, row_period};
use super::units::unit_of;

/// GetMetricData accepts at most 500 queries per call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// GetMetricData answers at most 100,800 data points per call (its MaxDatapoints default and
/// ceiling); more and the caller must page with NextToken.
pub const MAX_DATAPOINTS_PER_CALL: i64 = 100_800;
/// GetMetricData's price: $0.01 per 1,000 metrics requested.
pub const USD_PER_METRIC: f64 = 0.01 / 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl TimeRange {
    /// The `secs` seconds ending at `end_ms`.
    pub fn last(secs: i64, end_ms: i64) -> TimeRange {
        TimeRange { start_ms: end_ms - secs * 1000, end_ms }
    }

    pub fn secs(&self) -> i64 {
        ((self.end_ms - self.start_ms) / 1000).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum QueryBody {
    Metric(MetricSpec),
    Expression { expression: String },
}

/// One MetricDataQuery of a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Query {
    pub id: String,
    pub body: QueryBody,
    /// Only dynamic labels (`${…}`) are sent; plain labels are applied when the results come back.
    pub label: Option<String>,
    /// Whether some widget draws it; queries only an expression needs are not returned.
    pub return_data: bool,
    /// The region to ask, when the dashboard names one (on AWS; the local cloud is one region).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The account a metric belongs to, for cross-account dashboards (on AWS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPlan {
    /// The call-wide id of the query that answers this row.
    pub query_id: String,
    /// The id the widget gave the row, if any.
    pub local_id: Option<String>,
    pub label: Option<String>,
    /// What to call the series when neither the row nor the answer names it.
    pub fallback_label: String,
    pub visible: bool,
    pub y_axis: Axis,
    pub color: Option<String>,
    pub unit: Option<&'static str>,
    pub period: i64,
    pub expression: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WidgetPlan {
    /// Index of the widget in the dashboard.
    pub widget: usize,
    pub series: Vec<SeriesPlan>,
    /// Rows that cannot be asked for (an expression naming an unknown id, an alarm not found).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub range: TimeRange,
    pub period_rule: PeriodRule,
    pub calls: Vec<Vec<Query>>,
    pub widgets: Vec<WidgetPlan>,
}

impl Plan {
    /// Metrics requested per refresh: what GetMetricData bills (expressions are free).
    pub fn metrics_requested(&self) -> usize {
        self.calls.iter().flatten().filter(|q| matches!(q.body, QueryBody::Metric(_))).count()
    }

    pub fn queries(&self) -> usize {
        self.calls.iter().map(Vec::len).sum()
    }

    /// The estimated GetMetricData cost of one refresh on AWS, in US dollars.
    pub fn cost_per_refresh_usd(&self) -> f64 {
        self.metrics_requested() as f64 * USD_PER_METRIC
    }

    /// The most data points one of the calls can answer: each returned query's points over the
    /// range (an expression's at the finest period of its call).
    pub fn datapoints_per_call(&self) -> i64 {
        self.calls.iter().map(|c| call_datapoints(c, self.range)).max().unwrap_or(0)
    }

    /// The finest period any query asks for (0 without metrics): how often new data can appear.
    pub fn finest_period(&self) -> i64 {
        self.calls
            .iter()
            .flatten()
            .filter_map(|q| match &q.body {
                QueryBody::Metric(m) => Some(m.period),
                QueryBody::Expression { .. } => None,
            })
            .min()
            .unwrap_or(0)
    }

    /// The estimated cost of refreshing every `every_secs` seconds for an hour.
    pub fn cost_per_hour_usd(&self, every_secs: u64) -> f64 {
        self.cost_per_refresh_usd() * (3600 / every_secs.max(1)) as f64
    }
}

/// Plans every metric widget of a dashboard.
pub fn plan(dashboard: &Dashboard, alarms: &AlarmBook, range: TimeRange, rule: PeriodRule) -> Plan {
    let widgets: Vec<(usize, &MetricWidget)> = dashboard.metric_widgets().collect();
    plan_widgets(&widgets, alarms, range, rule)
}

/// Plans the given metric widgets (index in the dashboard, widget).
pub fn plan_widgets(
    widgets: &[(usize, &MetricWidget)],
    alarms: &AlarmBook,
    range: TimeRange,
    rule: PeriodRule,
) -> Plan {
    let first = build(widgets, alarms, range, rule, 0);
    let most = first.datapoints_per_call();
    // A refresh is one call when it fits: with the same queries at a coarser period, every call
    // answers at most N × range / period points, so one re-plan at the step that makes that fit is
    // enough. A period the user fixed is kept; the call then pages with NextToken.
    if most <= MAX_DATAPOINTS_PER_CALL || matches!(rule, PeriodRule::Fixed(_)) {
        return first;
    }
    let returned = first.calls.iter().map(|c| c.iter().filter(|q| q.return_data).count()).max().unwrap_or(0);
    let needed = ceil_div(range.secs() * returned as i64, MAX_DATAPOINTS_PER_CALL);
    build(widgets, alarms, range, rule, period_for(range.secs(), needed, MAX_DATAPOINTS_PER_CALL))
}

fn build(
    widgets: &[(usize, &MetricWidget)],
    alarms: &AlarmBook,
    range: TimeRange,
    rule: PeriodRule,
    min_period: i64,
) -> Plan {
    let mut b = Builder { period_rule: Some(rule), range_secs: range.secs(), min_period, ..Builder::default() };
    let plans = widgets.iter().map(|(i, w)| b.widget(*i, w, alarms)).collect();
    let calls = pack(&b.queries, &b.units);
    Plan { range, period_rule: rule, calls, widgets: plans }
}

fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b.max(1)
}

/// The points a call can answer: each returned metric at its period, each returned expression at
/// the finest period of the call.
fn call_datapoints(call: &[Query], range: TimeRange) -> i64 {
    let periods = || {
        call.iter().filter_map(|q| match &q.body {
            QueryBody::Metric(m) => Some(m.period.max(1)),
            QueryBody::Expression { .. } => None,
        })
    };
    let finest = periods().min().unwrap_or(1);
    call.iter()
        .filter(|q| q.return_data)
        .map(|q| match &q.body {
            QueryBody::Metric(m) => ceil_div(range.secs(), m.period.max(1)),
            QueryBody::Expression { .. } => ceil_div(range.secs(), finest),
        })
        .sum()
}

/// Where a metric lives, when the dashboard says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Where {
    region: Option<String>,
    account_id: Option<String>,
}

#[derive(Default)]
struct Builder {
    period_rule: Option<PeriodRule>,
    range_secs: i64,
    /// No row asks for a finer period than this (0: none), so the refresh fits in one call.
    min_period: i64,
    queries: Vec<Query>,
    /// Metric, dynamic label, region and account → the query that asks for it.
    by_metric: HashMap<(MetricSpec, Option<String>, Where), usize>,
    /// Groups of query indexes that must share a call.
    units: Vec<Vec<usize>>,
}

/// A widget's row once its id is known.
struct Row<'a> {
    row: &'a MetricRow,
    local: String,
}

impl Builder {
    fn widget(&mut self, index: usize, w: &MetricWidget, alarms: &AlarmBook) -> WidgetPlan {
        let mut plan = WidgetPlan { widget: index, series: Vec::new(), problems: Vec::new() };
        let owned;
        let rows: &[MetricRow] = if w.metrics.is_empty() && !w.alarm_arns().is_empty() {
            owned = alarm_rows(w.alarm_arns(), alarms, &mut plan.problems);
            &owned
        } else {
            &w.metrics
        };
        let rows: Vec<Row> = rows
            .iter()
            .enumerate()
            .map(|(i, row)| Row { row, local: row.props().id.clone().unwrap_or_else(|| format!("_row{i}")) })
            .collect();
        let (slots, rename, metric_ids) = self.assign_ids(w, &rows);
        let deps = self.rewrite_expressions(&rows, &slots, &rename, &metric_ids, &mut plan.problems);
        let mut units: Vec<Vec<usize>> = Vec::new();
        for (r, q) in rows.iter().zip(&slots) {
            let Some(unit) = closure(*q, &deps) else { continue };
            if unit.iter().any(|u| self.queries[*u].region != self.queries[*q].region) {
                plan.problems.push(format!("{}: math cannot combine metrics of different regions", r.local));
                continue;
            }
            if r.row.visible() {
                self.queries[*q].return_data = true;
            }
            join(&mut units, unit);
            plan.series.push(self.series(w, r, *q));
        }
        self.units.extend(units);
        plan
    }

    /// Gives every row its query: metrics shared with earlier rows or widgets, expressions new ones.
    fn assign_ids(&mut self, w: &MetricWidget, rows: &[Row]) -> (Vec<usize>, HashMap<String, String>, Vec<String>) {
        let mut slots = Vec::with_capacity(rows.len());
        let mut rename = HashMap::new();
        let mut metric_ids = Vec::new();
        for r in rows {
            let q = match r.row {
                MetricRow::Metric { namespace, metric_name, dimensions, props } => {
                    metric_ids.push(r.local.clone());
                    let spec = self.spec(w, namespace, metric_name, dimensions, props);
                    self.metric_query(spec, dynamic_label(props), self.place(w, props))
                }
                MetricRow::Expression { props, .. } => {
                    self.queries.push(Query {
                        id: format!("e{}", self.queries.len() + 1),
                        body: QueryBody::Expression { expression: String::new() },
                        label: dynamic_label(props),
                        return_data: false,
                        region: self.place(w, props).region,
                        account_id: None,
                    });
                    self.queries.len() - 1
                }
            };
            rename.insert(r.local.clone(), self.queries[q].id.clone());
            slots.push(q);
        }
        (slots, rename, metric_ids)
    }

    /// Rewrites the widget's expressions into call-wide ids; returns what each query needs, with
    /// `None` for expressions that cannot run (an unknown id, or needing one that cannot).
    fn rewrite_expressions(
        &mut self,
        rows: &[Row],
        slots: &[usize],
        rename: &HashMap<String, String>,
        metric_ids: &[String],
        problems: &mut Vec<String>,
    ) -> HashMap<usize, Option<Vec<usize>>> {
        let scope = IdScope { rename, metric_ids };
        let by_id: HashMap<String, usize> = slots.iter().map(|q| (self.queries[*q].id.clone(), *q)).collect();
        let mut deps: HashMap<usize, Option<Vec<usize>>> = HashMap::new();
        for (r, q) in rows.iter().zip(slots) {
            let MetricRow::Expression { expression, .. } = r.row else {
                deps.insert(*q, Some(Vec::new()));
                continue;
            };
            match rewrite(expression, &scope) {
                Ok((text, refs)) => {
                    deps.insert(*q, Some(refs.iter().filter_map(|id| by_id.get(id).copied()).collect()));
                    self.queries[*q].body = QueryBody::Expression { expression: text };
                }
                Err(e) => {
                    problems.push(format!("{}: {e}", r.local));
                    deps.insert(*q, None);
                }
            }
        }
        loop {
            let broken: Vec<usize> = deps
                .iter()
                .filter(|(_, d)| d.as_ref().is_some_and(|d| d.iter().any(|x| deps.get(x).is_some_and(Option::is_none))))
                .map(|(q, _)| *q)
                .collect();
            if broken.is_empty() {
                break deps;
            }
            for q in broken {
                problems.push(format!("{}: refers to an expression that cannot run", self.queries[q].id));
                deps.insert(q, None);
            }
        }
    }

    fn spec(
        &self,
        w: &MetricWidget,
        namespace: &str,
        metric_name: &str,
        dimensions: &[(String, String)],
        props: &RenderProps,
    ) -> MetricSpec {
        let mut dims = dimensions.to_vec();
        dims.sort();
        MetricSpec {
            namespace: namespace.to_string(),
            metric_name: metric_name.to_string(),
            dimensions: dims,
            stat: props.stat.clone().unwrap_or_else(|| w.stat().to_string()),
            period: self.period(w, props),
        }
    }

    fn period(&self, w: &MetricWidget, props: &RenderProps) -> i64 {
        row_period(self.period_rule.unwrap_or(PeriodRule::Aws), self.range_secs, props.period, w.settings.period)
            .max(self.min_period)
    }

    /// The region and account a row names (its own, else its widget's). The local cloud keeps one
    /// metric store for every region and account, so locally neither splits or marks anything.
    fn place(&self, w: &MetricWidget, props: &RenderProps) -> Where {
        if self.period_rule == Some(PeriodRule::Local) {
            return Where::default();
        }
        Where {
            region: props.region.clone().or_else(|| w.settings.region.clone()),
            account_id: props.account_id.clone().or_else(|| w.settings.account_id.clone()),
        }
    }

    fn metric_query(&mut self, spec: MetricSpec, label: Option<String>, place: Where) -> usize {
        let key = (spec, label, place);
        if let Some(q) = self.by_metric.get(&key) {
            return *q;
        }
        let q = self.queries.len();
        let (spec, label, Where { region, account_id }) = key.clone();
        self.queries.push(Query {
            id: format!("m{}", q + 1),
            body: QueryBody::Metric(spec),
            label,
            return_data: false,
            region,
            account_id,
        });
        self.by_metric.insert(key, q);
        q
    }

    fn series(&self, w: &MetricWidget, r: &Row, q: usize) -> SeriesPlan {
        let props = r.row.props();
        let (fallback_label, unit, period) = match &self.queries[q].body {
            QueryBody::Metric(spec) => (spec.metric_name.clone(), unit_of(spec), spec.period),
            QueryBody::Expression { .. } => (r.local.clone(), None, self.period(w, props)),
        };
        SeriesPlan {
            query_id: self.queries[q].id.clone(),
            local_id: props.id.clone(),
            label: props.label.clone(),
            fallback_label,
            visible: r.row.visible(),
            y_axis: props.y_axis.unwrap_or_default(),
            color: props.color.clone(),
            unit,
            period,
            expression: matches!(r.row, MetricRow::Expression { .. }),
        }
    }
}

/// Adds a unit to a widget's units, merging those it shares a query with: an expression and the
/// metrics it reads must travel together, and so must two expressions reading the same metric.
fn join(units: &mut Vec<Vec<usize>>, mut unit: Vec<usize>) {
    let mut i = 0;
    while i < units.len() {
        if units[i].iter().any(|q| unit.contains(q)) {
            for q in units.swap_remove(i) {
                if !unit.contains(&q) {
                    unit.push(q);
                }
            }
        } else {
            i += 1;
        }
    }
    units.push(unit);
}

/// A query and everything it needs, transitively; `None` when any of it cannot run.
fn closure(q: usize, deps: &HashMap<usize, Option<Vec<usize>>>) -> Option<Vec<usize>> {
    let mut out = vec![q];
    let mut i = 0;
    while i < out.len() {
        for d in deps.get(&out[i])?.as_ref()? {
            if !out.contains(d) {
                out.push(*d);
            }
        }
        i += 1;
    }
    Some(out)
}

/// Labels with `${…}` are computed by GetMetricData, so they must travel with the query.
fn dynamic_label(props: &RenderProps) -> Option<String> {
    props.label.clone().filter(|l| l.contains("${"))
}

/// The rows of a widget that graphs an alarm: the alarm's metric, or its math queries.
fn alarm_rows(arns: &[String], alarms: &AlarmBook, problems: &mut Vec<String>) -> Vec<MetricRow> {
    let mut rows = Vec::new();
    for arn in arns {
        let Some(alarm) = lookup(alarms, arn) else {
            problems.push(format!("alarm {arn} was not found"));
            continue;
        };
        match &alarm.watches {
            AlarmWatches::Metric(m) => rows.push(MetricRow::Metric {
                namespace: m.namespace.clone(),
                metric_name: m.metric_name.clone(),
                dimensions: m.dimensions.clone(),
                props: RenderProps { stat: Some(m.stat.clone()), period: Some(m.period), ..RenderProps::default() },
            }),
            AlarmWatches::Math { queries } => {
                for q in queries {
                    let props = RenderProps {
                        id: Some(q.id.clone()),
                        label: q.label.clone(),
                        visible: Some(q.return_data),
                        stat: q.metric.as_ref().map(|m| m.stat.clone()),
                        period: q.metric.as_ref().map(|m| m.period),
                        ..RenderProps::default()
                    };
                    rows.push(match (&q.metric, &q.expression) {
                        (Some(m), _) => MetricRow::Metric {
                            namespace: m.namespace.clone(),
                            metric_name: m.metric_name.clone(),
                            dimensions: m.dimensions.clone(),
                            props,
                        },
                        (None, Some(e)) => MetricRow::Expression { expression: e.clone(), props },
                        (None, None) => continue,
                    });
                }
            }
            AlarmWatches::Alarms => {
                problems.push(format!("alarm {} is a composite alarm: no metric to draw", alarm.name))
            }
        }
    }
    rows
}

/// Packs the units into calls of ≤ 500 queries, first fit decreasing, a query shared by units in one call
/// counted once, each call asking one region. A unit larger than a call (an expression over more than
/// 499 metrics) cannot be asked for in one call on AWS either; it gets a call of its own and
/// GetMetricData says why.
fn pack(queries: &[Query], units: &[Vec<usize>]) -> Vec<Vec<Query>> {
    struct Call<'a> {
        region: Option<&'a str>,
        queries: Vec<usize>,
        seen: HashSet<usize>,
    }
    let mut calls: Vec<Call> = Vec::new();
    let mut order: Vec<&Vec<usize>> = units.iter().collect();
    // First fit, largest first: the big units place while there is room.
    order.sort_by_key(|u| std::cmp::Reverse(u.len()));
    for unit in order {
        let region = unit.first().and_then(|q| queries[*q].region.as_deref());
        let fits = calls.iter().position(|c| {
            c.region == region
                && c.queries.len() + unit.iter().filter(|q| !c.seen.contains(q)).count() <= MAX_QUERIES_PER_CALL
        });
        let i = fits.unwrap_or_else(|| {
            calls.push(Call { region, queries: Vec::new(), seen: HashSet::new() });
            calls.len() - 1
        });
        let call = &mut calls[i];
        for q in unit {
            if call.seen.insert(*q) {
                call.queries.push(*q);
            }
        }
    }
    calls.into_iter().map(|c| c.queries.into_iter().map(|q| queries[q].clone()).collect()).collect()
}

/// The region a planned call asks, when the dashboard named one.
pub fn call_region(call: &[Query]) -> Option<&str> {
    call.first().and_then(|q| q.region.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_953_600_000;

    fn dashboard(metrics: usize) -> Dashboard {
        let rows: Vec<serde_json::Value> =
            (0..metrics).map(|i| serde_json::json!(["Custom", format!("m{i}"), "Shard", format!("{i}")])).collect();
        let body = serde_json::json!({"widgets": [{"type": "metric", "properties": {"metrics": rows, "period": 60}}]});
        Dashboard::parse(&body.to_string()).expect("a dashboard")
    }

    #[test]
    fn the_period_coarsens_until_a_refresh_fits_in_one_call() {
        // 400 metrics over an hour at the local 10 s period would be 144,000 points: over the limit.
        let p = plan(&dashboard(400), &AlarmBook::new(), TimeRange::last(3600, NOW), PeriodRule::Local);
        assert_eq!(p.calls.len(), 1);
        assert_eq!(p.finest_period(), 60);
        assert_eq!(p.datapoints_per_call(), 400 * 60);
        // On AWS a day of the dashboard's 1-minute data for 400 metrics is 576,000 points: 15 minutes fit.
        let p = plan(&dashboard(400), &AlarmBook::new(), TimeRange::last(86_400, NOW), PeriodRule::Aws);
        assert_eq!(p.finest_period(), 900);
        assert!(p.datapoints_per_call() <= MAX_DATAPOINTS_PER_CALL);
        // Few metrics keep the dashboard's period.
        let p = plan(&dashboard(3), &AlarmBook::new(), TimeRange::last(86_400, NOW), PeriodRule::Aws);
        assert_eq!(p.finest_period(), 60);
    }

    #[test]
    fn a_fixed_period_is_kept_and_left_to_paging() {
        let p = plan(&dashboard(2), &AlarmBook::new(), TimeRange::last(86_400, NOW), PeriodRule::Fixed(1));
        assert_eq!(p.finest_period(), 1);
        assert_eq!(p.datapoints_per_call(), 2 * 86_400);
    }
}
