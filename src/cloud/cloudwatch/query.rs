//! Answers metric data queries: MetricStat queries from the store, expressions with metric math.
//! Shared by GetMetricData and alarm evaluation.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::math::search::{self, Search};
use super::math::{self, Grid, Scope, Series, Val};
use super::model::{Metric, MetricDataQuery, MetricStat, QueryResult};
use super::store::agg::Agg;
use super::store::{HIGH_RES_MS, MetricStore};
use crate::cloud::error::ApiError;

pub const MAX_QUERIES: usize = 500;

/// Namespace, metric name and dimensions: a metric whatever the units of its datums.
type MetricIdentity = (String, String, Vec<(String, String)>);

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    Sum,
    Average,
    Minimum,
    Maximum,
    SampleCount,
    Percentile(f64),
}

impl Stat {
    pub fn parse(s: &str) -> Option<Stat> {
        Some(match s {
            "Sum" => Stat::Sum,
            "Average" => Stat::Average,
            "Minimum" => Stat::Minimum,
            "Maximum" => Stat::Maximum,
            "SampleCount" => Stat::SampleCount,
            _ => return parse_percentile(s).map(Stat::Percentile),
        })
    }

    pub fn needs_values(self) -> bool {
        matches!(self, Stat::Percentile(_))
    }

    pub fn of(self, agg: &Agg) -> Option<f64> {
        let v = match self {
            Stat::Sum => agg.sum,
            Stat::Average => agg.average()?,
            Stat::Minimum => agg.min,
            Stat::Maximum => agg.max,
            Stat::SampleCount => agg.count,
            Stat::Percentile(p) => agg.percentile(p)?,
        };
        v.is_finite().then_some(v)
    }
}

/// `pNN` or `pNN.NN`, 0–100.
pub fn parse_percentile(s: &str) -> Option<f64> {
    let digits = s.strip_prefix('p')?;
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let valid = !whole.is_empty() && whole.len() <= 3 && frac.len() <= 2 && (digits.contains('.') <= !frac.is_empty());
    let all_digits = whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    let p: f64 = digits.parse().ok()?;
    (valid && all_digits && (0.0..=100.0).contains(&p)).then_some(p)
}

pub fn valid_period(period: i64) -> bool {
    matches!(period, 1 | 5 | 10 | 30) || (period >= 60 && period % 60 == 0)
}

/// The first period start: sub-minute periods align to their own multiple, longer ones to the minute.
pub fn aligned_start(start_ms: i64, period_s: i64) -> i64 {
    let unit = if period_s < 60 { period_s * 1000 } else { 60_000 };
    start_ms.div_euclid(unit) * unit
}

/// Ids of the series holding `metric` (every unit, or only `unit`).
pub fn series_ids(store: &MetricStore, metric: &Metric, unit: Option<&str>) -> Vec<(u32, String)> {
    let mut dims: Vec<(String, String)> = metric.dimensions.iter().map(|d| (d.name.clone(), d.value.clone())).collect();
    dims.sort();
    let (ns, name) = (metric.namespace.as_deref().unwrap_or(""), metric.metric_name.as_deref().unwrap_or(""));
    store
        .series(|k| k.namespace == ns && k.name == name && k.dimensions == dims && unit.is_none_or(|u| k.unit == u))
        .into_iter()
        .map(|s| (s.id, s.key.unit))
        .collect()
}

/// Buckets of `ids` merged per period, keyed by period start. Sub-minute periods see only the
/// last three hours, as CloudWatch keeps 1-second detail no longer.
pub fn period_buckets(
    store: &MetricStore,
    ids: &[u32],
    start_ms: i64,
    end_ms: i64,
    period_s: i64,
    with_values: bool,
) -> BTreeMap<i64, Agg> {
    let first = aligned_start(start_ms, period_s);
    let period_ms = period_s * 1000;
    let from = if period_s < 60 { first.max(store.now_ms() - HIGH_RES_MS) } else { first };
    let mut out: BTreeMap<i64, Agg> = BTreeMap::new();
    store.scan(ids, from, end_ms, with_values, |ts, agg| {
        let bucket = first + (ts - first).div_euclid(period_ms) * period_ms;
        out.entry(bucket).or_insert_with(Agg::empty).merge(agg, with_values);
    });
    out
}

fn stat_series(store: &MetricStore, ms: &MetricStat, stat: Stat, start_ms: i64, end_ms: i64) -> Vec<(i64, f64)> {
    let ids: Vec<u32> = series_ids(store, &ms.metric, ms.unit.as_deref()).into_iter().map(|(id, _)| id).collect();
    if ids.is_empty() {
        return Vec::new();
    }
    period_buckets(store, &ids, start_ms, end_ms, ms.period, stat.needs_values())
        .iter()
        .filter_map(|(t, agg)| Some((*t, stat.of(agg)?)))
        .collect()
}

fn invalid(message: String) -> ApiError {
    ApiError::bad_request("InvalidParameterValue", message)
}

fn validate(queries: &[MetricDataQuery], start_ms: i64, end_ms: i64) -> Result<(), ApiError> {
    if queries.is_empty() {
        return Err(ApiError::bad_request("MissingParameter", "The parameter MetricDataQueries is required."));
    }
    if queries.len() > MAX_QUERIES {
        return Err(invalid(format!(
            "The collection MetricDataQueries must not have more than {MAX_QUERIES} members."
        )));
    }
    if start_ms >= end_ms {
        return Err(invalid("The parameter StartTime must be less than the parameter EndTime.".into()));
    }
    let mut seen = HashSet::new();
    for (i, q) in queries.iter().enumerate() {
        let at = format!("MetricDataQueries.member.{}", i + 1);
        let mut chars = q.id.chars();
        let id_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !id_ok || q.id.len() > 255 {
            return Err(invalid(format!(
                "The value {} for parameter {at}.Id is not matching the expected pattern ^[a-z][a-zA-Z0-9_]*$.",
                q.id
            )));
        }
        if !seen.insert(q.id.as_str()) {
            return Err(invalid(format!("The values for parameter id in MetricDataQueries are not unique: {}.", q.id)));
        }
        match (&q.metric_stat, &q.expression) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::bad_request(
                    "InvalidParameterCombination",
                    format!("Exactly one element of the {at}.MetricStat or the {at}.Expression must be present."),
                ));
            }
            (Some(ms), None) => {
                if !valid_period(ms.period) {
                    return Err(invalid(format!(
                        "The parameter {at}.MetricStat.Period must be 1, 5, 10, 30 or a multiple of 60."
                    )));
                }
                if Stat::parse(&ms.stat).is_none() {
                    return Err(invalid(format!(
                        "The value {} for parameter {at}.MetricStat.Stat is not a valid statistic.",
                        ms.stat
                    )));
                }
                if ms.metric.namespace.is_none() || ms.metric.metric_name.is_none() {
                    return Err(ApiError::bad_request(
                        "MissingParameter",
                        format!("The parameters {at}.MetricStat.Metric.Namespace and MetricName are required."),
                    ));
                }
            }
            (None, Some(_)) => {
                if q.period.is_some_and(|p| !valid_period(p)) {
                    return Err(invalid(format!(
                        "The parameter {at}.Period must be 1, 5, 10, 30 or a multiple of 60."
                    )));
                }
            }
        }
    }
    Ok(())
}

struct Evaluation<'a> {
    store: &'a MetricStore,
    queries: &'a [MetricDataQuery],
    start_ms: i64,
    end_ms: i64,
    done: HashMap<String, Val>,
    in_progress: Vec<String>,
    grid: Grid,
}

impl Evaluation<'_> {
    fn label(&self, q: &MetricDataQuery) -> String {
        q.label.clone().unwrap_or_else(|| match &q.metric_stat {
            Some(ms) => ms.metric.metric_name.clone().unwrap_or_default(),
            None => q.id.clone(),
        })
    }

    fn value_of(&mut self, q: &MetricDataQuery) -> Result<Val, String> {
        if let Some(v) = self.done.get(&q.id) {
            return Ok(v.clone());
        }
        let label = self.label(q);
        let v = match (&q.metric_stat, &q.expression) {
            (Some(ms), _) => {
                let stat = Stat::parse(&ms.stat).ok_or_else(|| format!("Invalid statistic {}", ms.stat))?;
                Val::Series(Series { label, points: stat_series(self.store, ms, stat, self.start_ms, self.end_ms) })
            }
            (None, Some(expr)) => {
                if self.in_progress.contains(&q.id) {
                    return Err(format!("Circular reference to {}", q.id));
                }
                self.in_progress.push(q.id.clone());
                let parsed = math::parse::parse(expr)?;
                let saved = self.grid;
                self.grid.period_ms = expression_period(q, self.queries) * 1000;
                self.grid.start_ms = aligned_start(self.start_ms, self.grid.period_ms / 1000);
                let v = math::eval(&parsed, self);
                self.grid = saved;
                self.in_progress.pop();
                relabel(v?, &label)
            }
            (None, None) => {
                return Err(format!("Query {} has neither MetricStat nor Expression", q.id));
            }
        };
        self.done.insert(q.id.clone(), v.clone());
        Ok(v)
    }
}

/// A single series named after its query keeps the query's label.
fn relabel(v: Val, label: &str) -> Val {
    match v {
        Val::Series(s) => Val::Series(Series { label: label.to_string(), points: s.points }),
        other => other,
    }
}

fn expression_period(q: &MetricDataQuery, queries: &[MetricDataQuery]) -> i64 {
    q.period.or_else(|| queries.iter().filter_map(|q| q.metric_stat.as_ref().map(|m| m.period)).min()).unwrap_or(60)
}

impl Scope for Evaluation<'_> {
    fn lookup(&mut self, id: &str) -> Result<Val, String> {
        let q = self.queries.iter().find(|q| q.id == id).ok_or_else(|| format!("Unrecognized identifier \"{id}\""))?;
        self.value_of(q)
    }

    fn metrics(&mut self) -> Result<Vec<(String, Series)>, String> {
        let mut out = Vec::new();
        for q in self.queries.iter().filter(|q| q.metric_stat.is_some()) {
            if let Val::Series(s) = self.value_of(q)? {
                out.push((q.id.clone(), s));
            }
        }
        Ok(out)
    }

    fn grid(&self) -> Grid {
        self.grid
    }

    fn search(&mut self, search: &Search, stat: &str, period_s: Option<i64>) -> Result<Vec<Series>, String> {
        let parsed = Stat::parse(stat).ok_or_else(|| format!("Invalid statistic {stat} in SEARCH"))?;
        let period_s = period_s.unwrap_or(self.grid.period_ms / 1000);
        if !valid_period(period_s) {
            return Err(format!("The period of SEARCH must be 1, 5, 10, 30 or a multiple of 60, not {period_s}"));
        }
        // One series per metric, whatever units its datums came with.
        let mut metrics: BTreeMap<MetricIdentity, Vec<u32>> = BTreeMap::new();
        for info in self.store.series(|k| search.matches(k)) {
            let k = info.key;
            metrics.entry((k.namespace, k.name, k.dimensions)).or_default().push(info.id);
        }
        let mut out = Vec::new();
        for ((_, name, dims), ids) in metrics.into_iter().take(search::MAX_RESULTS) {
            let buckets = period_buckets(self.store, &ids, self.start_ms, self.end_ms, period_s, parsed.needs_values());
            let points = buckets.iter().filter_map(|(t, agg)| Some((*t, parsed.of(agg)?))).collect();
            let mut label: Vec<&str> = dims.iter().map(|(_, v)| v.as_str()).collect();
            label.push(&name);
            out.push(Series { label: label.join(" "), points });
        }
        Ok(out)
    }
}

/// Answers every query (including `ReturnData: false` ones), values ascending in time at period starts.
/// An expression that returns several series (`METRICS()`, arrays) answers one result per series,
/// each with the query's id and the series' own label, as GetMetricData does.
pub fn run_queries(
    store: &MetricStore,
    queries: &[MetricDataQuery],
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<QueryResult>, ApiError> {
    validate(queries, start_ms, end_ms)?;
    let grid = Grid { start_ms, end_ms, period_ms: 60_000 };
    let mut ev = Evaluation { store, queries, start_ms, end_ms, done: HashMap::new(), in_progress: Vec::new(), grid };
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let label = ev.label(q);
        let v = ev
            .value_of(q)
            .map_err(|e| ApiError::bad_request("ValidationError", format!("Error in expression {}: {e}", q.id)))?;
        let period_s = q.metric_stat.as_ref().map(|m| m.period).unwrap_or_else(|| expression_period(q, queries));
        let grid = Grid { start_ms: aligned_start(start_ms, period_s), end_ms, period_ms: period_s * 1000 };
        for (label, points) in into_series(v, &q.id, label, grid)? {
            out.push(QueryResult {
                id: q.id.clone(),
                label,
                timestamps_ms: points.iter().map(|(t, _)| *t).collect(),
                values: points.iter().map(|(_, v)| *v).collect(),
                status_code: "Complete".to_string(),
                messages: Vec::new(),
            });
        }
    }
    Ok(out)
}

type LabelledPoints = (String, Vec<(i64, f64)>);

fn into_series(v: Val, id: &str, label: String, grid: Grid) -> Result<Vec<LabelledPoints>, ApiError> {
    match v {
        Val::Series(s) => Ok(vec![(label, s.points)]),
        Val::Scalar(x) if x.is_finite() => Ok(vec![(label, grid.timestamps().map(|t| (t, x)).collect())]),
        Val::Scalar(_) => Ok(vec![(label, Vec::new())]),
        Val::Array(mut a) if a.len() <= 1 => Ok(vec![(label, a.pop().map(|s| s.points).unwrap_or_default())]),
        Val::Array(a) => Ok(a.into_iter().map(|s| (s.label, s.points)).collect()),
        Val::Str(_) => Err(ApiError::bad_request(
            "ValidationError",
            format!("Error in expression {id}: a string is not a time series"),
        )),
    }
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
