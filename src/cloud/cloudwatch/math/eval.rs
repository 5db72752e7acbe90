//! The metric math evaluator and its functions: METRICS, RATE, DIFF, DIFF_TIME, RUNNING_SUM, EPOCH,
//! MAX, MIN, SUM, AVG, FILL, IF, SEARCH, PERIOD, DATAPOINT_COUNT, METRIC_COUNT, FIRST, LAST,
//! REMOVE_EMPTY, TIME_SERIES and the single-value ones (ABS, CEIL, FLOOR, SQRT, LOG, LOG10).

use std::collections::BTreeMap;

use super::parse::Expr;
use super::value::{Scope, Series, Val, binary, map};

pub fn eval(expr: &Expr, scope: &mut dyn Scope) -> Result<Val, String> {
    match expr {
        Expr::Number(n) => Ok(Val::Scalar(*n)),
        Expr::Str(s) => Ok(Val::Str(s.clone())),
        Expr::Name(id) => scope.lookup(id),
        Expr::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match eval(item, scope)? {
                    Val::Series(s) => out.push(s),
                    Val::Array(v) => out.extend(v),
                    _ => return Err("Arrays can only hold time series".into()),
                }
            }
            Ok(Val::Array(out))
        }
        Expr::Neg(inner) => map(eval(inner, scope)?, |v| -v),
        Expr::Not(inner) => map(eval(inner, scope)?, |v| f64::from(v == 0.0)),
        Expr::Binary(op, l, r) => binary(*op, eval(l, scope)?, eval(r, scope)?),
        Expr::Call(name, args) => call(name, args, scope),
    }
}

pub fn call(name: &str, args: &[Expr], scope: &mut dyn Scope) -> Result<Val, String> {
    let arity = |n: std::ops::RangeInclusive<usize>| {
        if n.contains(&args.len()) {
            Ok(())
        } else {
            Err(format!("Function {name} takes {} arguments, {} given", describe(&n), args.len()))
        }
    };
    match name {
        "METRICS" => {
            arity(0..=1)?;
            let filter = match args.first() {
                Some(a) => match eval(a, scope)? {
                    Val::Str(s) => Some(s),
                    _ => return Err("METRICS takes a string argument".into()),
                },
                None => None,
            };
            let all = scope.metrics()?;
            let picked = all
                .into_iter()
                .filter(|(id, s)| {
                    filter.as_ref().is_none_or(|f| s.label.contains(f.as_str()) || id.contains(f.as_str()))
                })
                .map(|(_, s)| s)
                .collect();
            Ok(Val::Array(picked))
        }
        "RATE" | "DIFF" => {
            arity(1..=1)?;
            let rate = name == "RATE";
            per_series(eval(&args[0], scope)?, name, |s| differences(s, rate))
        }
        "MAX" | "MIN" | "SUM" | "AVG" => {
            arity(1..=1)?;
            reduce(name, eval(&args[0], scope)?)
        }
        "FILL" => {
            arity(2..=2)?;
            let target = eval(&args[0], scope)?;
            let how = match &args[1] {
                Expr::Name(k) if k.eq_ignore_ascii_case("REPEAT") => Fill::Repeat,
                Expr::Name(k) if k.eq_ignore_ascii_case("LINEAR") => Fill::Linear,
                other => match eval(other, scope)? {
                    Val::Scalar(v) => Fill::Value(v),
                    _ => {
                        return Err("FILL takes a number, REPEAT or LINEAR as its second argument".into());
                    }
                },
            };
            let grid: Vec<i64> = scope.grid().timestamps().collect();
            per_series(target, name, |s| fill(s, &grid, how))
        }
        "IF" => {
            arity(2..=3)?;
            let cond = eval(&args[0], scope)?;
            let then = eval(&args[1], scope)?;
            let otherwise = match args.get(2) {
                Some(e) => Some(eval(e, scope)?),
                None => None,
            };
            if_else(cond, then, otherwise, &scope.grid().timestamps().collect::<Vec<_>>())
        }
        "DIFF_TIME" | "RUNNING_SUM" | "EPOCH" => {
            arity(1..=1)?;
            let f = match name {
                "DIFF_TIME" => diff_time,
                "RUNNING_SUM" => running_sum,
                _ => epoch,
            };
            per_series(eval(&args[0], scope)?, name, f)
        }
        "PERIOD" => {
            arity(1..=1)?;
            match eval(&args[0], scope)? {
                Val::Series(_) | Val::Array(_) => Ok(Val::Scalar(scope.grid().period_ms as f64 / 1000.0)),
                _ => Err("PERIOD takes a metric".into()),
            }
        }
        "DATAPOINT_COUNT" => {
            arity(1..=1)?;
            match eval(&args[0], scope)? {
                Val::Series(s) => Ok(Val::Scalar(s.points.len() as f64)),
                _ => Err("DATAPOINT_COUNT takes a time series".into()),
            }
        }
        "METRIC_COUNT" | "FIRST" | "LAST" | "REMOVE_EMPTY" => {
            arity(1..=1)?;
            let series = match eval(&args[0], scope)? {
                Val::Array(a) => a,
                Val::Series(s) => vec![s],
                _ => return Err(format!("{name} takes an array of time series")),
            };
            Ok(match name {
                "METRIC_COUNT" => Val::Scalar(series.len() as f64),
                "REMOVE_EMPTY" => Val::Array(series.into_iter().filter(|s| !s.points.is_empty()).collect()),
                "FIRST" => series.into_iter().next().map_or(Val::Array(Vec::new()), Val::Series),
                _ => series.into_iter().last().map_or(Val::Array(Vec::new()), Val::Series),
            })
        }
        "TIME_SERIES" => {
            arity(1..=1)?;
            match eval(&args[0], scope)? {
                Val::Scalar(x) => {
                    let points = scope.grid().timestamps().map(|t| (t, x)).collect();
                    Ok(Val::Series(Series { label: String::new(), points }))
                }
                v @ (Val::Series(_) | Val::Array(_)) => Ok(v),
                Val::Str(_) => Err("TIME_SERIES takes a number or a time series".into()),
            }
        }
        "SEARCH" => {
            arity(2..=3)?;
            let (Val::Str(text), Val::Str(stat)) = (eval(&args[0], scope)?, eval(&args[1], scope)?) else {
                return Err("SEARCH takes a search string and a statistic".into());
            };
            let period = match args.get(2).map(|a| eval(a, scope)).transpose()? {
                None => None,
                Some(Val::Scalar(p)) if p >= 1.0 => Some(p as i64),
                Some(_) => return Err("The period of SEARCH is a number of seconds".into()),
            };
            let search = super::search::Search::parse(&text)?;
            Ok(Val::Array(scope.search(&search, &stat, period)?))
        }
        "ABS" => one(args, scope, f64::abs),
        "CEIL" => one(args, scope, f64::ceil),
        "FLOOR" => one(args, scope, f64::floor),
        "SQRT" => one(args, scope, f64::sqrt),
        "LOG" => one(args, scope, f64::ln),
        "LOG10" => one(args, scope, f64::log10),
        _ => Err(format!("Unknown function {name}")),
    }
}

fn describe(n: &std::ops::RangeInclusive<usize>) -> String {
    if n.start() == n.end() { n.start().to_string() } else { format!("{} to {}", n.start(), n.end()) }
}

fn one(args: &[Expr], scope: &mut dyn Scope, f: fn(f64) -> f64) -> Result<Val, String> {
    let [arg] = args else {
        return Err("This function takes 1 argument".into());
    };
    map(eval(arg, scope)?, f)
}

fn per_series(v: Val, name: &str, f: impl Fn(Series) -> Series) -> Result<Val, String> {
    match v {
        Val::Series(s) => Ok(Val::Series(f(s))),
        Val::Array(a) => Ok(Val::Array(a.into_iter().map(f).collect())),
        _ => Err(format!("{name} takes a time series or an array of time series")),
    }
}

/// DIFF: change from the previous point; RATE: that change per second.
fn differences(s: Series, per_second: bool) -> Series {
    let points = s
        .points
        .windows(2)
        .map(|w| {
            let ((t0, v0), (t1, v1)) = (w[0], w[1]);
            let d = v1 - v0;
            (t1, if per_second { d / ((t1 - t0) as f64 / 1000.0) } else { d })
        })
        .collect();
    Series { label: s.label, points }
}

/// DIFF_TIME: seconds since the previous point.
fn diff_time(s: Series) -> Series {
    let points = s.points.windows(2).map(|w| (w[1].0, (w[1].0 - w[0].0) as f64 / 1000.0)).collect();
    Series { label: s.label, points }
}

fn running_sum(s: Series) -> Series {
    let mut total = 0.0;
    let points = s
        .points
        .into_iter()
        .map(|(t, x)| {
            total += x;
            (t, total)
        })
        .collect();
    Series { label: s.label, points }
}

/// EPOCH: each point's time, in seconds since 1970.
fn epoch(s: Series) -> Series {
    Series { label: s.label, points: s.points.into_iter().map(|(t, _)| (t, (t / 1000) as f64)).collect() }
}

/// A series reduces to one number; an array to one series holding, per timestamp, the
/// statistic over the series that have a point there.
fn reduce(name: &str, v: Val) -> Result<Val, String> {
    let stat = |xs: &[f64]| -> f64 {
        match name {
            "MAX" => xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            "MIN" => xs.iter().copied().fold(f64::INFINITY, f64::min),
            "SUM" => xs.iter().sum(),
            _ => xs.iter().sum::<f64>() / xs.len() as f64,
        }
    };
    match v {
        Val::Series(s) => {
            let xs: Vec<f64> = s.points.iter().map(|(_, x)| *x).collect();
            Ok(if xs.is_empty() {
                Val::Series(Series { label: s.label, points: Vec::new() })
            } else {
                Val::Scalar(stat(&xs))
            })
        }
        Val::Array(a) => {
            let mut by_time: BTreeMap<i64, Vec<f64>> = BTreeMap::new();
            for s in &a {
                for (t, x) in &s.points {
                    by_time.entry(*t).or_default().push(*x);
                }
            }
            let label = a.first().map(|s| s.label.clone()).unwrap_or_default();
            Ok(Val::Series(Series { label, points: by_time.into_iter().map(|(t, xs)| (t, stat(&xs))).collect() }))
        }
        Val::Scalar(x) => Ok(Val::Scalar(x)),
        Val::Str(_) => Err(format!("{name} takes a time series or an array of time series")),
    }
}

#[derive(Clone, Copy)]
enum Fill {
    Value(f64),
    Repeat,
    Linear,
}

fn fill(s: Series, grid: &[i64], how: Fill) -> Series {
    if s.points.is_empty() {
        let points = match how {
            Fill::Value(v) => grid.iter().map(|t| (*t, v)).collect(),
            _ => Vec::new(),
        };
        return Series { label: s.label, points };
    }
    let known: BTreeMap<i64, f64> = s.points.iter().copied().collect();
    let points = grid
        .iter()
        .map(|&t| {
            if let Some(v) = known.get(&t) {
                return (t, *v);
            }
            let before = known.range(..t).next_back();
            let after = known.range(t..).next();
            let v = match (how, before, after) {
                (Fill::Value(v), _, _) => v,
                (Fill::Repeat, Some((_, b)), _) => *b,
                (Fill::Linear, Some((tb, b)), Some((ta, a))) => b + (a - b) * (t - tb) as f64 / (ta - tb) as f64,
                (_, Some((_, b)), None) => *b,
                (_, None, Some((_, a))) => *a,
                (_, None, None) => f64::NAN,
            };
            (t, v)
        })
        .filter(|(_, v)| v.is_finite())
        .collect();
    Series { label: s.label, points }
}

fn value_at(v: &Val, t: i64) -> Option<f64> {
    match v {
        Val::Scalar(x) => Some(*x),
        Val::Series(s) => s.points.binary_search_by_key(&t, |(pt, _)| *pt).ok().map(|i| s.points[i].1),
        _ => None,
    }
}

/// IF(cond, a[, b]): per timestamp of the condition, `a` where it is non-zero, else `b`
/// (or no point when `b` is absent).
fn if_else(cond: Val, then: Val, otherwise: Option<Val>, grid: &[i64]) -> Result<Val, String> {
    for v in [Some(&cond), Some(&then), otherwise.as_ref()].into_iter().flatten() {
        if matches!(v, Val::Array(_) | Val::Str(_)) {
            return Err("IF takes time series or numbers".into());
        }
    }
    let label = match (&cond, &then) {
        (Val::Series(s), _) | (_, Val::Series(s)) => s.label.clone(),
        _ => String::new(),
    };
    let times: Vec<i64> = match &cond {
        Val::Series(s) => s.points.iter().map(|(t, _)| *t).collect(),
        _ => grid.to_vec(),
    };
    let points = times
        .into_iter()
        .filter_map(|t| {
            let c = value_at(&cond, t)?;
            let chosen = if c != 0.0 { Some(&then) } else { otherwise.as_ref() };
            Some((t, value_at(chosen?, t)?))
        })
        .collect();
    Ok(Val::Series(Series { label, points }))
}
