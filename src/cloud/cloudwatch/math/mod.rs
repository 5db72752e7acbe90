//! Metric math: evaluates an expression over the time series of a GetMetricData request.
//!
//! Series are sparse (only timestamps with data); arithmetic between two series keeps the
//! timestamps both have, a scalar applies to every point, an array applies element-wise.
//!
//! `value` holds the values and their arithmetic, `eval` the evaluator and its functions, `parse`
//! the grammar, `search` the SEARCH expressions; each depends only on the ones below it.

mod eval;
pub mod parse;
pub mod search;
mod value;

pub use self::eval::eval;
pub use self::value::{Grid, Scope, Series, Val, binary, map};

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct TestScope {
        series: HashMap<String, Series>,
        grid: Grid,
    }

    fn s(label: &str, points: &[(i64, f64)]) -> Series {
        Series { label: label.into(), points: points.to_vec() }
    }

    impl Scope for TestScope {
        fn lookup(&mut self, id: &str) -> Result<Val, String> {
            self.series.get(id).cloned().map(Val::Series).ok_or_else(|| format!("Unrecognized identifier \"{id}\""))
        }
        fn metrics(&mut self) -> Result<Vec<(String, Series)>, String> {
            let mut all: Vec<_> = self.series.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            all.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(all)
        }
        fn grid(&self) -> Grid {
            self.grid
        }
    }

    fn scope() -> TestScope {
        let mut series = HashMap::new();
        series.insert("m1".into(), s("Errors", &[(0, 1.0), (60_000, 2.0), (180_000, 4.0)]));
        series.insert("m2".into(), s("Invocations", &[(0, 10.0), (60_000, 20.0), (120_000, 30.0), (180_000, 8.0)]));
        TestScope { series, grid: Grid { start_ms: 0, end_ms: 240_000, period_ms: 60_000 } }
    }

    fn run(expr: &str) -> Val {
        eval(&parse::parse(expr).unwrap(), &mut scope()).unwrap()
    }

    fn points(expr: &str) -> Vec<(i64, f64)> {
        match run(expr) {
            Val::Series(s) => s.points,
            other => panic!("{expr} gave {other:?}"),
        }
    }

    #[test]
    fn arithmetic_broadcasts_scalars_and_intersects_series() {
        assert_eq!(run("1 + 2 * 3 ^ 2"), Val::Scalar(19.0));
        assert_eq!(points("m1 * 100"), vec![(0, 100.0), (60_000, 200.0), (180_000, 400.0)]);
        assert_eq!(points("100 - m1"), vec![(0, 99.0), (60_000, 98.0), (180_000, 96.0)]);
        assert_eq!(points("m2 / m1"), vec![(0, 10.0), (60_000, 10.0), (180_000, 2.0)]);
        assert_eq!(points("-m1 + m2"), vec![(0, 9.0), (60_000, 18.0), (180_000, 4.0)]);
        assert_eq!(points("m1 ^ 2"), vec![(0, 1.0), (60_000, 4.0), (180_000, 16.0)]);
        assert_eq!(points("100*(m1/m2)"), vec![(0, 10.0), (60_000, 10.0), (180_000, 50.0)]);
        assert_eq!(points("(m1 * 100)/60000")[0], (0, 1.0 / 600.0));
        assert_eq!(points("m2 - m1"), vec![(0, 9.0), (60_000, 18.0), (180_000, 4.0)]);
        assert_eq!(points("m1 / 0"), vec![], "division by zero gives no points");
    }

    #[test]
    fn metrics_selects_all_or_by_label() {
        let Val::Array(all) = run("METRICS()") else { panic!("not an array") };
        assert_eq!(all.len(), 2);
        let Val::Array(some) = run("METRICS(\"Invoc\")") else { panic!("not an array") };
        assert_eq!(some.iter().map(|s| s.label.as_str()).collect::<Vec<_>>(), vec!["Invocations"]);
        let Val::Array(by_id) = run("METRICS(\"m1\") * 100") else { panic!("not an array") };
        assert_eq!(by_id[0].points[0], (0, 100.0));
    }

    #[test]
    fn rate_and_diff() {
        assert_eq!(points("DIFF(m2)"), vec![(60_000, 10.0), (120_000, 10.0), (180_000, -22.0)]);
        assert_eq!(points("RATE(m1)"), vec![(60_000, 1.0 / 60.0), (180_000, 2.0 / 120.0)]);
        let Val::Array(rates) = run("RATE(METRICS()) * 60") else { panic!("not an array") };
        assert_eq!(rates[0].points, vec![(60_000, 1.0), (180_000, 1.0)]);
    }

    #[test]
    fn reductions_over_a_series_and_an_array() {
        assert_eq!(run("MAX(m2)"), Val::Scalar(30.0));
        assert_eq!(run("MIN(m2)"), Val::Scalar(8.0));
        assert_eq!(run("SUM(m1)"), Val::Scalar(7.0));
        assert_eq!(run("AVG(m2)"), Val::Scalar(17.0));
        assert_eq!(points("MAX([m1, m2])"), vec![(0, 10.0), (60_000, 20.0), (120_000, 30.0), (180_000, 8.0)]);
        assert_eq!(points("MIN([m1, m2])"), vec![(0, 1.0), (60_000, 2.0), (120_000, 30.0), (180_000, 4.0)]);
        assert_eq!(points("SUM(METRICS())")[0], (0, 11.0));
        assert_eq!(points("AVG([m1, m2])")[0], (0, 5.5));
        let success = points("100 - 100 * m1 / MAX([m1, m2])");
        assert_eq!(success, vec![(0, 90.0), (60_000, 90.0), (180_000, 50.0)], "m1 has no point at 120 s");
    }

    #[test]
    fn fill_with_a_value_repeat_and_linear() {
        assert_eq!(points("FILL(m1, 0)"), vec![(0, 1.0), (60_000, 2.0), (120_000, 0.0), (180_000, 4.0)]);
        assert_eq!(points("FILL(m1, REPEAT)")[2], (120_000, 2.0));
        assert_eq!(points("FILL(m1, LINEAR)")[2], (120_000, 3.0));
    }

    #[test]
    fn if_with_comparisons_and_logic() {
        assert_eq!(points("IF(m2 > 15, m2, 0)"), vec![(0, 0.0), (60_000, 20.0), (120_000, 30.0), (180_000, 0.0)]);
        assert_eq!(points("IF(m2 > 15, m2)"), vec![(60_000, 20.0), (120_000, 30.0)]);
        assert_eq!(
            points("IF(m2 >= 20 AND m2 <= 20, 1, 0)"),
            vec![(0, 0.0), (60_000, 1.0), (120_000, 0.0), (180_000, 0.0)]
        );
        assert_eq!(
            points("IF(m2 < 10 || m2 == 30, 1, 0)"),
            vec![(0, 0.0), (60_000, 0.0), (120_000, 1.0), (180_000, 1.0)]
        );
        assert_eq!(points("IF(!(m2 != 10), m2, m1)"), vec![(0, 10.0), (60_000, 2.0), (180_000, 4.0)]);
        assert_eq!(points("m1 - m2 < 0"), vec![(0, 1.0), (60_000, 1.0), (180_000, 1.0)]);
    }

    #[test]
    fn errors_are_explained() {
        let err = |e: &str| eval(&parse::parse(e).unwrap(), &mut scope()).unwrap_err();
        assert!(err("m9 + 1").contains("m9"));
        assert!(err("NOPE(m1)").contains("NOPE"));
        assert!(err("FILL(m1)").contains("FILL"));
        assert!(err("RATE(3)").contains("RATE"));
    }

    #[test]
    fn time_and_count_functions() {
        assert_eq!(run("PERIOD(m1)"), Val::Scalar(60.0));
        assert_eq!(
            points("m2 / PERIOD(m2)"),
            vec![(0, 10.0 / 60.0), (60_000, 20.0 / 60.0), (120_000, 0.5), (180_000, 8.0 / 60.0)]
        );
        assert_eq!(points("DIFF_TIME(m1)"), vec![(60_000, 60.0), (180_000, 120.0)]);
        assert_eq!(points("RUNNING_SUM(m1)"), vec![(0, 1.0), (60_000, 3.0), (180_000, 7.0)]);
        assert_eq!(points("EPOCH(m1)"), vec![(0, 0.0), (60_000, 60.0), (180_000, 180.0)]);
        assert_eq!(run("DATAPOINT_COUNT(m2)"), Val::Scalar(4.0));
        assert_eq!(points("TIME_SERIES(7)"), vec![(0, 7.0), (60_000, 7.0), (120_000, 7.0), (180_000, 7.0)]);
    }

    #[test]
    fn array_functions() {
        assert_eq!(run("METRIC_COUNT(METRICS())"), Val::Scalar(2.0));
        assert_eq!(points("FIRST(METRICS())"), points("m1"));
        assert_eq!(points("LAST(METRICS())"), points("m2"));
        let mut sc = scope();
        sc.series.insert("m3".into(), s("Empty", &[]));
        let kept = eval(&parse::parse("REMOVE_EMPTY(METRICS())").unwrap(), &mut sc).unwrap();
        assert!(matches!(kept, Val::Array(a) if a.len() == 2), "the empty series is gone");
        assert!(eval(&parse::parse("PERIOD(3)").unwrap(), &mut scope()).is_err());
    }
}
