//! The values metric math works on (numbers, series, arrays of series, strings), what an expression
//! can refer to, and the arithmetic between values.

use super::parse::Op;
use super::search;
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    /// Ascending by timestamp.
    pub points: Vec<(i64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Scalar(f64),
    Series(Series),
    Array(Vec<Series>),
    Str(String),
}

/// The period grid expressions fill and broadcast onto.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    pub start_ms: i64,
    pub end_ms: i64,
    pub period_ms: i64,
}

impl Grid {
    pub fn timestamps(&self) -> impl Iterator<Item = i64> + '_ {
        (0..).map(|i| self.start_ms + i * self.period_ms).take_while(|t| *t < self.end_ms)
    }
}

/// What an expression can refer to.
pub trait Scope {
    /// The value of another query by id.
    fn lookup(&mut self, id: &str) -> Result<Val, String>;
    /// The metric (not expression) queries of the request, with their labels and ids.
    fn metrics(&mut self) -> Result<Vec<(String, Series)>, String>;
    fn grid(&self) -> Grid;
    /// The series every metric `search` finds, as `stat` over `period_s` (the expression's by default).
    fn search(&mut self, _search: &search::Search, _stat: &str, _period_s: Option<i64>) -> Result<Vec<Series>, String> {
        Err("SEARCH is not available here".into())
    }
}

pub fn map(v: Val, f: impl Fn(f64) -> f64 + Copy) -> Result<Val, String> {
    let series = |s: Series| Series {
        points: s.points.into_iter().map(|(t, x)| (t, f(x))).filter(|(_, x)| x.is_finite()).collect(),
        label: s.label,
    };
    Ok(match v {
        Val::Scalar(x) => Val::Scalar(f(x)),
        Val::Series(s) => Val::Series(series(s)),
        Val::Array(a) => Val::Array(a.into_iter().map(series).collect()),
        Val::Str(_) => return Err("A string cannot be used in arithmetic".into()),
    })
}

fn apply(op: Op, a: f64, b: f64) -> f64 {
    let truth = |c: bool| f64::from(c);
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
        Op::Pow => a.powf(b),
        Op::Eq => truth(a == b),
        Op::Ne => truth(a != b),
        Op::Lt => truth(a < b),
        Op::Le => truth(a <= b),
        Op::Gt => truth(a > b),
        Op::Ge => truth(a >= b),
        Op::And => truth(a != 0.0 && b != 0.0),
        Op::Or => truth(a != 0.0 || b != 0.0),
    }
}

/// Points of two series at the timestamps both hold.
fn zip(op: Op, a: &Series, b: &Series) -> Series {
    let (mut i, mut j, mut points) = (0, 0, Vec::with_capacity(a.points.len().min(b.points.len())));
    while i < a.points.len() && j < b.points.len() {
        let ((ta, va), (tb, vb)) = (a.points[i], b.points[j]);
        match ta.cmp(&tb) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                let v = apply(op, va, vb);
                if v.is_finite() {
                    points.push((ta, v));
                }
                i += 1;
                j += 1;
            }
        }
    }
    Series { label: a.label.clone(), points }
}

pub fn binary(op: Op, l: Val, r: Val) -> Result<Val, String> {
    use Val::*;
    Ok(match (l, r) {
        (Scalar(a), Scalar(b)) => Scalar(apply(op, a, b)),
        (Scalar(a), other) => map(other, move |b| apply(op, a, b))?,
        (other, Scalar(b)) => map(other, move |a| apply(op, a, b))?,
        (Series(a), Series(b)) => Series(zip(op, &a, &b)),
        (Array(v), Series(b)) => Array(v.iter().map(|a| zip(op, a, &b)).collect()),
        (Series(a), Array(v)) => Array(v.iter().map(|b| zip(op, &a, b)).collect()),
        (Array(x), Array(y)) if x.len() == y.len() => Array(x.iter().zip(&y).map(|(a, b)| zip(op, a, b)).collect()),
        (Array(_), Array(_)) => return Err("Arrays of different sizes cannot be combined".into()),
        (Str(_), _) | (_, Str(_)) => return Err("A string cannot be used in arithmetic".into()),
    })
}
