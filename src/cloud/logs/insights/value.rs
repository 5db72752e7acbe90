//! The values a query computes with. Log data is text, so a comparison is numeric when both sides
//! read as numbers and textual otherwise; times stay numbers (milliseconds) until they are shown.

use std::cmp::Ordering;

use time::OffsetDateTime;
use time::macros::format_description;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    /// Milliseconds since the epoch, shown as `2024-01-31 12:00:00.000` as Logs Insights shows them.
    Time(i64),
    Bool(bool),
}

impl Value {
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Time(t) => Some(*t as f64),
            Value::Str(s) => s.trim().parse().ok().filter(|n: &f64| n.is_finite()),
            Value::Bool(_) => None,
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Time(_) => true,
        }
    }

    pub fn render(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Num(n) => render_number(*n),
            Value::Time(ms) => render_time(*ms),
            Value::Bool(b) => b.to_string(),
        }
    }

    /// Numbers (and times) by value when both sides are numeric, else text; `None` never happens
    /// for two present values, so sorting and comparisons agree.
    pub fn compare(&self, other: &Value) -> Ordering {
        match (self.number(), other.number()) {
            (Some(a), Some(b)) => a.total_cmp(&b),
            _ => self.render().cmp(&other.render()),
        }
    }
}

pub fn render_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

pub fn render_time(ms: i64) -> String {
    let at =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"))
        .unwrap_or_else(|_| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_and_text_by_text() {
        assert_eq!(Value::Str("10".into()).compare(&Value::Num(9.0)), Ordering::Greater);
        assert_eq!(Value::Str("b".into()).compare(&Value::Str("ab".into())), Ordering::Greater);
        assert_eq!(Value::Num(2.5).render(), "2.5");
        assert_eq!(Value::Num(3.0).render(), "3");
        assert_eq!(Value::Time(1_700_000_000_123).render(), "2023-11-14 22:13:20.123");
    }
}
