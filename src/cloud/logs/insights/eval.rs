//! An expression's value for one row. A field the row lacks has no value; a comparison with no
//! value on either side is false, as a filter on a field an event lacks drops that event.

use super::ast::{BinOp, Expr, Function, Pattern};
use super::record::Row;
use super::value::Value;

pub fn eval(expr: &Expr, row: &Row) -> Option<Value> {
    match expr {
        Expr::Field(name) => row.get(name).cloned(),
        Expr::Str(s) => Some(Value::Str(s.clone())),
        Expr::Num(n) => Some(Value::Num(*n)),
        Expr::Not(inner) => Some(Value::Bool(!truthy(inner, row))),
        Expr::Neg(inner) => eval(inner, row)?.number().map(|n| Value::Num(-n)),
        Expr::Binary(op, l, r) => binary(*op, l, r, row),
        Expr::Like { value, pattern, negated } => {
            let hit = eval(value, row).is_some_and(|v| {
                let text = v.render();
                match pattern {
                    Pattern::Text(t) => text.contains(t.as_str()),
                    Pattern::Regex(re) => re.is_match(&text),
                }
            });
            Some(Value::Bool(hit != *negated))
        }
        Expr::In { value, list, negated } => {
            let hit = eval(value, row)
                .is_some_and(|v| list.iter().filter_map(|e| eval(e, row)).any(|item| v.compare(&item).is_eq()));
            Some(Value::Bool(hit != *negated))
        }
        Expr::Bin(span) => match row.get("@timestamp") {
            Some(Value::Time(t)) => Some(Value::Time(t.div_euclid(*span) * span)),
            _ => None,
        },
        Expr::Call(function, args) => call(*function, args, row),
    }
}

pub fn truthy(expr: &Expr, row: &Row) -> bool {
    eval(expr, row).is_some_and(|v| v.truthy())
}

fn binary(op: BinOp, l: &Expr, r: &Expr, row: &Row) -> Option<Value> {
    let compare = |test: fn(std::cmp::Ordering) -> bool| match (eval(l, row), eval(r, row)) {
        (Some(a), Some(b)) => Some(Value::Bool(test(a.compare(&b)))),
        _ => Some(Value::Bool(false)),
    };
    let arithmetic = |f: fn(f64, f64) -> f64| {
        let (a, b) = (eval(l, row)?.number()?, eval(r, row)?.number()?);
        Some(f(a, b)).filter(|n| n.is_finite()).map(Value::Num)
    };
    match op {
        BinOp::Eq => compare(|o| o.is_eq()),
        BinOp::Ne => compare(|o| o.is_ne()),
        BinOp::Lt => compare(|o| o.is_lt()),
        BinOp::Le => compare(|o| o.is_le()),
        BinOp::Gt => compare(|o| o.is_gt()),
        BinOp::Ge => compare(|o| o.is_ge()),
        BinOp::And => Some(Value::Bool(truthy(l, row) && truthy(r, row))),
        BinOp::Or => Some(Value::Bool(truthy(l, row) || truthy(r, row))),
        BinOp::Add => arithmetic(|a, b| a + b),
        BinOp::Sub => arithmetic(|a, b| a - b),
        BinOp::Mul => arithmetic(|a, b| a * b),
        BinOp::Div => arithmetic(|a, b| a / b),
        BinOp::Mod => arithmetic(|a, b| a % b),
    }
}

fn call(function: Function, args: &[Expr], row: &Row) -> Option<Value> {
    let text = |i: usize| args.get(i).and_then(|a| eval(a, row)).map(|v| v.render());
    let number = |i: usize| args.get(i).and_then(|a| eval(a, row)).and_then(|v| v.number());
    match function {
        Function::IsPresent => Some(Value::Bool(args.first().and_then(|a| eval(a, row)).is_some())),
        Function::IsEmpty => Some(Value::Bool(text(0).is_none_or(|t| t.is_empty()))),
        Function::StrLen => text(0).map(|t| Value::Num(t.chars().count() as f64)),
        Function::ToLower => text(0).map(|t| Value::Str(t.to_lowercase())),
        Function::ToUpper => text(0).map(|t| Value::Str(t.to_uppercase())),
        Function::Concat => Some(Value::Str((0..args.len()).filter_map(text).collect())),
        Function::Abs => number(0).map(|n| Value::Num(n.abs())),
        Function::Floor => number(0).map(|n| Value::Num(n.floor())),
        Function::Ceil => number(0).map(|n| Value::Num(n.ceil())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::logs::insights::ast::Command;
    use crate::cloud::logs::insights::parser::parse;

    fn row() -> Row {
        let mut r = Row::new();
        r.insert("level".into(), Value::Str("error".into()));
        r.insert("latency".into(), Value::Num(250.0));
        r.insert("path".into(), Value::Str("/orders/7".into()));
        r.insert("@timestamp".into(), Value::Time(3_725_000));
        r
    }

    fn keeps(filter: &str) -> bool {
        let q = parse(&format!("filter {filter}")).unwrap();
        let Command::Filter(e) = &q.commands[0] else { panic!("a filter") };
        truthy(e, &row())
    }

    #[test]
    fn comparisons_like_in_and_logic() {
        assert!(keeps("latency > 100 and latency <= 250 and latency != 1"));
        assert!(keeps("latency = '250'"));
        assert!(!keeps("latency < 100"));
        assert!(keeps("level = 'error' or nothing = 1"));
        assert!(!keeps("nothing = 1"));
        assert!(!keeps("nothing != 1"), "a field the event lacks compares false either way");
        assert!(keeps("path like '/orders'"));
        assert!(keeps("path like /orders\\/\\d+$/"));
        assert!(keeps("path =~ /ORD/ or path like /(?i)ORD/"));
        assert!(keeps("path not like /health/"));
        assert!(keeps("not (level = 'info')"));
        assert!(keeps("level in ['warn', 'error']"));
        assert!(keeps("level not in ['warn']"));
        assert!(keeps("latency in [100, 250]"));
        assert!(keeps("latency * 2 - 100 = 400 and latency / 5 % 7 = 1"));
        assert!(keeps("ispresent(level) and not ispresent(nothing) and strlen(level) = 5"));
        assert!(keeps("toupper(level) = 'ERROR' and concat(level, '!') = 'error!'"));
    }

    #[test]
    fn bin_rounds_the_timestamp_down() {
        assert_eq!(eval(&Expr::Bin(60_000), &row()), Some(Value::Time(3_720_000)));
    }
}
