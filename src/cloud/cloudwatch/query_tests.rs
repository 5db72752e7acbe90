use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::*;
use crate::cloud::cloudwatch::model::Dimension;
use crate::cloud::cloudwatch::store::{Observation, SeriesKey};

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
fn units_are_kept_per_datum() {
    let f = fixture();
    f.store.ingest(vec![
        Observation { key: key("Size", "Bytes"), timestamp_ms: T0, agg: Agg::value(100.0), high_resolution: true },
        Observation { key: key("Size", "Kilobytes"), timestamp_ms: T0, agg: Agg::value(1.0), high_resolution: true },
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
