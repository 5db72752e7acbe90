//! Answers metric data queries: MetricStat queries from the store, expressions with metric math.
//! Shared by GetMetricData and alarm evaluation.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::math::parse::{MAX_DEPTH, MAX_EXPRESSION_CHARS};
use super::math::search::{self, Search};
use super::math::{self, Grid, Scope, Series, Val};
use super::model::{Metric, MetricDataQuery, MetricStat, QueryResult};
use super::stat::Stat;
use super::storage::agg::Agg;
use super::storage::{HIGH_RES_MS, MetricStore};
use crate::cloud::error::ApiError;

pub const MAX_QUERIES: usize = 500;

/// Namespace, metric name and dimensions: a metric whatever the units of its datums.
type MetricIdentity = (String, String, Vec<(String, String)>);

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
            (None, Some(expr)) => {
                // Checked before anything reads the expression, which may be megabytes long.
                if expr.chars().count() > MAX_EXPRESSION_CHARS {
                    return Err(ApiError::bad_request(
                        "ValidationError",
                        format!(
                            "1 validation error detected: Value at '{at}.Expression' failed to satisfy constraint: \
                             Member must have length less than or equal to {MAX_EXPRESSION_CHARS}"
                        ),
                    ));
                }
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
    /// Nesting of the expressions being evaluated, each counting its own depth (at least one): an
    /// expression evaluates the ones it refers to inside itself, so a chain of references nests as
    /// deeply as one long expression would, and is bounded the same way.
    depth: usize,
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
                let parsed = math::parse::parse(expr)?;
                let weight = parsed.depth().max(1);
                if self.depth + weight > MAX_DEPTH {
                    return Err(format!(
                        "The expression is nested more than {MAX_DEPTH} levels deep, counting the expressions it refers to"
                    ));
                }
                self.in_progress.push(q.id.clone());
                self.depth += weight;
                let saved = self.grid;
                self.grid.period_ms = expression_period(q, self.queries) * 1000;
                self.grid.start_ms = aligned_start(self.start_ms, self.grid.period_ms / 1000);
                let v = math::eval(&parsed, self);
                self.grid = saved;
                self.in_progress.pop();
                self.depth -= weight;
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
    let mut ev =
        Evaluation { store, queries, start_ms, end_ms, done: HashMap::new(), in_progress: Vec::new(), depth: 0, grid };
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
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::cloud::cloudwatch::model::Dimension;
    use crate::cloud::cloudwatch::storage::{Observation, SeriesKey};

    /// 2026-01-01T00:00:00Z, a whole hour.
    const T0: i64 = 1_767_225_600_000;

    struct Fixture {
        _dir: tempfile::TempDir,
        now: Arc<AtomicI64>,
        store: Arc<MetricStore>,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicI64::new(T0 + 3_600_000));
        let n = now.clone();
        let store = MetricStore::open(dir.path(), Arc::new(move || n.load(Ordering::SeqCst))).unwrap();
        Fixture { _dir: dir, now, store }
    }

    fn key(name: &str, unit: &str) -> SeriesKey {
        SeriesKey {
            namespace: "App".into(),
            name: name.into(),
            dimensions: vec![("Host".into(), "a".into())],
            unit: unit.into(),
        }
    }

    fn put(store: &MetricStore, name: &str, ts: i64, agg: Agg, high_resolution: bool) {
        store.ingest(vec![Observation { key: key(name, "Count"), timestamp_ms: ts, agg, high_resolution }]);
    }

    fn stat_query(id: &str, name: &str, period: i64, stat: &str) -> MetricDataQuery {
        let dimensions = vec![Dimension { name: "Host".into(), value: "a".into() }];
        let metric = Metric { namespace: Some("App".into()), metric_name: Some(name.into()), dimensions };
        MetricDataQuery::of_metric(id, metric, period, stat)
    }

    fn expr_query(id: &str, expression: &str) -> MetricDataQuery {
        MetricDataQuery::of_expression(id, expression)
    }

    #[test]
    fn statistics_per_period_at_period_starts() {
        let f = fixture();
        for (i, v) in [1.0, 2.0, 3.0, 4.0, 10.0, 20.0].into_iter().enumerate() {
            put(&f.store, "Latency", T0 + 1_000 * i as i64 + 500, Agg::value(v), true);
        }
        let run = |period, stat: &str| {
            let r = run_queries(&f.store, &[stat_query("a", "Latency", period, stat)], T0, T0 + 60_000).unwrap();
            r[0].timestamps_ms.iter().map(|t| t - T0).zip(r[0].values.iter().copied()).collect::<Vec<_>>()
        };
        assert_eq!(run(60, "Sum"), vec![(0, 40.0)]);
        assert_eq!(run(60, "SampleCount"), vec![(0, 6.0)]);
        assert_eq!(run(60, "Average"), vec![(0, 40.0 / 6.0)]);
        assert_eq!(run(60, "Minimum"), vec![(0, 1.0)]);
        assert_eq!(run(60, "Maximum"), vec![(0, 20.0)]);
        assert_eq!(run(60, "p50"), vec![(0, 3.0)]);
        assert_eq!(run(60, "p99.9"), vec![(0, 20.0)]);
        assert_eq!(run(5, "Sum"), vec![(0, 1.0 + 2.0 + 3.0 + 4.0 + 10.0), (5_000, 20.0)]);
        assert_eq!(run(1, "Maximum")[3], (3_000, 4.0));
        assert_eq!(run(30, "Sum"), vec![(0, 40.0)]);
    }

    #[test]
    fn start_is_aligned_to_the_period() {
        let f = fixture();
        for s in 0..120 {
            put(&f.store, "Hits", T0 + s * 1_000, Agg::value(1.0), true);
        }
        let r = run_queries(&f.store, &[stat_query("a", "Hits", 10, "Sum")], T0 + 23_000, T0 + 60_000).unwrap();
        assert_eq!(r[0].timestamps_ms.first(), Some(&(T0 + 20_000)), "10-second periods start on a 10-second boundary");
        assert_eq!(r[0].values, vec![10.0, 10.0, 10.0, 10.0]);
        let r = run_queries(&f.store, &[stat_query("a", "Hits", 60, "Sum")], T0 + 23_000, T0 + 120_000).unwrap();
        assert_eq!(r[0].timestamps_ms, vec![T0, T0 + 60_000], "longer periods start on the minute");
        assert_eq!(r[0].values, vec![60.0, 60.0]);
    }

    #[test]
    fn standard_resolution_lands_on_the_minute() {
        let f = fixture();
        put(&f.store, "Std", T0 + 42_000, Agg::value(5.0), false);
        put(&f.store, "Std", T0 + 61_000, Agg::stats(2.0, 6.0, 1.0, 5.0), false);
        let r = run_queries(&f.store, &[stat_query("a", "Std", 60, "Average")], T0, T0 + 120_000).unwrap();
        assert_eq!(r[0].timestamps_ms, vec![T0, T0 + 60_000]);
        assert_eq!(r[0].values, vec![5.0, 3.0]);
        let r = run_queries(&f.store, &[stat_query("a", "Std", 60, "p50")], T0, T0 + 120_000).unwrap();
        assert_eq!(r[0].values, vec![5.0], "statistic sets answer no percentile");
    }

    #[test]
    fn expressions_reference_queries_and_hidden_ones_are_answered_too() {
        let f = fixture();
        for m in 0..3 {
            put(&f.store, "Errors", T0 + m * 60_000, Agg::value(m as f64), true);
            put(&f.store, "Invocations", T0 + m * 60_000, Agg::value(10.0), true);
        }
        let mut e = stat_query("errors", "Errors", 60, "Sum");
        e.return_data = Some(false);
        let queries = vec![
            e,
            stat_query("invocations", "Invocations", 60, "Sum"),
            expr_query("rate", "100 - 100 * errors / MAX([errors, invocations])"),
        ];
        let r = run_queries(&f.store, &queries, T0, T0 + 180_000).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[2].label, "rate");
        assert_eq!(r[2].values, vec![100.0, 90.0, 80.0]);
        assert_eq!(r[2].timestamps_ms, vec![T0, T0 + 60_000, T0 + 120_000]);
        let scalar = run_queries(&f.store, &[expr_query("c", "2 * 21")], T0, T0 + 180_000).unwrap();
        assert_eq!(scalar[0].values, vec![42.0; 3], "a number is drawn across the period grid");
    }

    #[test]
    fn an_expression_of_several_series_answers_one_result_per_series() {
        let f = fixture();
        for m in 0..2 {
            put(&f.store, "Errors", T0 + m * 60_000, Agg::value(1.0), true);
            put(&f.store, "Invocations", T0 + m * 60_000, Agg::value(10.0), true);
        }
        let mut errors = stat_query("errors", "Errors", 60, "Sum");
        errors.return_data = Some(false);
        let mut invocations = stat_query("invocations", "Invocations", 60, "Sum");
        invocations.label = Some("Calls".into());
        invocations.return_data = Some(false);
        let queries =
            vec![errors, invocations, expr_query("doubled", "2 * METRICS()"), expr_query("total", "SUM(METRICS())")];
        let r = run_queries(&f.store, &queries, T0, T0 + 120_000).unwrap();
        let doubled: Vec<(&str, &[f64])> =
            r.iter().filter(|r| r.id == "doubled").map(|r| (r.label.as_str(), r.values.as_slice())).collect();
        assert_eq!(doubled, vec![("Errors", &[2.0, 2.0][..]), ("Calls", &[20.0, 20.0][..])]);
        let total: Vec<&QueryResult> = r.iter().filter(|r| r.id == "total").collect();
        assert_eq!(total.len(), 1, "a reduced array is one series");
        assert_eq!((total[0].label.as_str(), total[0].values.as_slice()), ("total", &[11.0, 11.0][..]));
    }

    #[test]
    fn query_validation_follows_cloudwatch() {
        let f = fixture();
        let err = |q: Vec<MetricDataQuery>| run_queries(&f.store, &q, T0, T0 + 60_000).unwrap_err();
        assert_eq!(err(vec![stat_query("a", "X", 7, "Sum")]).code, "InvalidParameterValue");
        assert_eq!(err(vec![stat_query("a", "X", 60, "Median")]).code, "InvalidParameterValue");
        assert_eq!(err(vec![stat_query("A", "X", 60, "Sum")]).code, "InvalidParameterValue");
        assert_eq!(
            err(vec![stat_query("a", "X", 60, "Sum"), stat_query("a", "X", 60, "Sum")]).code,
            "InvalidParameterValue"
        );
        assert_eq!(err(vec![expr_query("a", "a + 1")]).code, "ValidationError");
        assert_eq!(err(vec![expr_query("a", "b +")]).code, "ValidationError");
        assert_eq!(err((0..501).map(|i| expr_query(&format!("q{i}"), "1")).collect()).code, "InvalidParameterValue");
        assert!(run_queries(&f.store, &[expr_query("a", "1")], T0, T0).is_err());
    }

    #[test]
    fn one_second_data_rolls_up_after_three_hours_and_survives_a_reopen() {
        let f = fixture();
        for s in 0..120 {
            put(&f.store, "Hits", T0 + s * 1_000, Agg::value(s as f64), true);
        }
        f.store.maintain(true);
        let sum = |store: &MetricStore, period| {
            run_queries(store, &[stat_query("a", "Hits", period, "Sum")], T0, T0 + 120_000).unwrap()[0].values.clone()
        };
        assert_eq!(sum(&f.store, 60), vec![(0..60).sum::<i64>() as f64, (60..120).sum::<i64>() as f64]);
        f.now.store(T0 + 4 * 3_600_000, Ordering::SeqCst);
        f.store.maintain(true);
        assert_eq!(sum(&f.store, 60).len(), 2, "minute rollups stay after three hours");
        assert!(sum(&f.store, 10).is_empty(), "10-second detail is gone after three hours");
        let p = run_queries(&f.store, &[stat_query("a", "Hits", 60, "p50")], T0, T0 + 60_000).unwrap();
        assert_eq!(p[0].values, vec![29.0], "the rollup keeps the distribution");
        let n = f.now.clone();
        let reopened = MetricStore::open(f._dir.path(), Arc::new(move || n.load(Ordering::SeqCst))).unwrap();
        assert_eq!(sum(&reopened, 60), vec![1770.0, 5370.0]);
        f.now.store(T0 + 16 * 86_400_000, Ordering::SeqCst);
        reopened.maintain(true);
        assert!(sum(&reopened, 60).is_empty(), "nothing is kept past fifteen days");
    }

    #[test]
    fn a_clock_set_back_makes_its_last_three_hours_one_second_data_again() {
        let f = fixture();
        f.now.store(T0 + 24 * 3_600_000, Ordering::SeqCst);
        f.store.maintain(true);
        f.now.store(T0 + 120_000, Ordering::SeqCst);
        for s in 0..120 {
            put(&f.store, "Hits", T0 + s * 1_000, Agg::value(1.0), true);
        }
        let q = stat_query("a", "Hits", 1, "Sum");
        assert_eq!(run_queries(&f.store, &[q], T0, T0 + 120_000).unwrap()[0].values.len(), 120);
    }

    #[test]
    fn units_are_kept_per_datum() {
        let f = fixture();
        f.store.ingest(vec![
            Observation { key: key("Size", "Bytes"), timestamp_ms: T0, agg: Agg::value(100.0), high_resolution: true },
            Observation {
                key: key("Size", "Kilobytes"),
                timestamp_ms: T0,
                agg: Agg::value(1.0),
                high_resolution: true,
            },
        ]);
        let mut q = stat_query("a", "Size", 60, "Sum");
        let all = run_queries(&f.store, std::slice::from_ref(&q), T0, T0 + 60_000).unwrap();
        assert_eq!(all[0].values, vec![101.0]);
        q.metric_stat.as_mut().unwrap().unit = Some("Bytes".into());
        let bytes = run_queries(&f.store, &[q], T0, T0 + 60_000).unwrap();
        assert_eq!(bytes[0].values, vec![100.0]);
    }

    /// What GetMetricData should answer, computed directly: the datums of each period, by statistic.
    /// Standard-resolution datums count at their minute, as CloudWatch stores them.
    fn direct(datums: &[(i64, f64, bool)], period: i64, stat: &str) -> Vec<(i64, f64)> {
        let mut buckets: std::collections::BTreeMap<i64, Vec<f64>> = std::collections::BTreeMap::new();
        for &(sec, v, high_resolution) in datums {
            let at = if high_resolution { sec } else { sec - sec % 60 };
            buckets.entry(T0 + (at - at % period) * 1000).or_default().push(v);
        }
        buckets
            .into_iter()
            .map(|(t, mut vs)| {
                vs.sort_by(f64::total_cmp);
                let n = vs.len() as f64;
                let value = match stat {
                    "Sum" => vs.iter().sum(),
                    "SampleCount" => n,
                    "Average" => vs.iter().sum::<f64>() / n,
                    "Minimum" => vs[0],
                    "Maximum" => vs[vs.len() - 1],
                    p => {
                        // Nearest rank: the smallest value with at least p % of the samples at or below it.
                        let p: f64 = p[1..].parse().unwrap();
                        let rank = ((p / 100.0 * n).ceil() as usize).max(1);
                        vs[rank - 1]
                    }
                };
                (t, value)
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 32, failure_persistence: None, ..Default::default() })]

        /// Any datums, any period: every statistic equals the direct computation (percentiles within the
        /// sketch's 1 % once a period holds more than 64 distinct values).
        #[test]
        fn statistics_match_a_direct_computation(
            datums in proptest::collection::vec((0i64..3600, -1000i32..1000, proptest::bool::ANY), 1..400),
            period in proptest::sample::select(vec![1i64, 5, 10, 30, 60, 300]),
        ) {
            let datums: Vec<(i64, f64, bool)> = datums.into_iter().map(|(s, v, h)| (s, f64::from(v) / 8.0, h)).collect();
            let f = fixture();
            for &(sec, v, high_resolution) in &datums {
                put(&f.store, "M", T0 + sec * 1000, Agg::value(v), high_resolution);
            }
            for stat in ["Sum", "SampleCount", "Average", "Minimum", "Maximum", "p50", "p90", "p99"] {
                let r = run_queries(&f.store, &[stat_query("a", "M", period, stat)], T0, T0 + 3_600_000).unwrap();
                let got: Vec<(i64, f64)> = r[0].timestamps_ms.iter().copied().zip(r[0].values.iter().copied()).collect();
                let want = direct(&datums, period, stat);
                proptest::prop_assert_eq!(got.len(), want.len(), "{} at {} s: periods with data", stat, period);
                for ((t, g), (wt, w)) in got.iter().zip(&want) {
                    proptest::prop_assert_eq!(t, wt);
                    let tolerance = if stat.starts_with('p') { w.abs() * 0.01 + 1e-9 } else { w.abs() * 1e-9 + 1e-9 };
                    proptest::prop_assert!((g - w).abs() <= tolerance, "{} at {} s, the period from {}: got {}, want {}", stat, period, t, g, w);
                }
            }
        }
    }
}
