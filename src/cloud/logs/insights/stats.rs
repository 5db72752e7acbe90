//! `stats … by …`: rows grouped by the `by` values (groups in the order they first appear), one
//! output row per group with the group's values first, then each aggregate. A row that lacks a `by`
//! field falls into the group where that field is empty, and the output row leaves it out.

use std::collections::{HashMap, HashSet};

use super::ast::{AggFn, Aggregate, Named};
use super::eval::eval;
use super::record::Row;
use super::value::Value;

/// The most groups one `stats` keeps; rows of further groups are left out of the result.
pub const MAX_GROUPS: usize = 100_000;

#[derive(Default, Clone)]
struct Acc {
    count: u64,
    numbers: u64,
    sum: f64,
    min: Option<Value>,
    max: Option<Value>,
    distinct: HashSet<String>,
}

pub fn aggregate(rows: Vec<Row>, aggregates: &[Aggregate], by: &[Named]) -> Vec<Row> {
    let mut order: Vec<(Vec<Option<Value>>, Vec<Acc>)> = Vec::new();
    let mut index: HashMap<Vec<Option<String>>, usize> = HashMap::new();
    for row in &rows {
        let keys: Vec<Option<Value>> = by.iter().map(|b| eval(&b.expr, row)).collect();
        let text: Vec<Option<String>> = keys.iter().map(|k| k.as_ref().map(Value::render)).collect();
        let slot = match index.get(&text) {
            Some(i) => *i,
            None if order.len() < MAX_GROUPS => {
                index.insert(text, order.len());
                order.push((keys, vec![Acc::default(); aggregates.len()]));
                order.len() - 1
            }
            None => continue,
        };
        for (agg, acc) in aggregates.iter().zip(order[slot].1.iter_mut()) {
            add(agg, acc, row);
        }
    }
    if order.is_empty() && by.is_empty() {
        // Without `by`, stats over no rows still answers: a count of 0.
        order.push((Vec::new(), vec![Acc::default(); aggregates.len()]));
    }
    order
        .into_iter()
        .map(|(keys, accs)| {
            let mut out = Row::new();
            for (b, k) in by.iter().zip(keys) {
                if let Some(k) = k {
                    out.insert(b.name.clone(), k);
                }
            }
            for (agg, acc) in aggregates.iter().zip(accs) {
                if let Some(v) = result(agg.function, acc) {
                    out.insert(agg.name.clone(), v);
                }
            }
            out
        })
        .collect()
}

fn add(agg: &Aggregate, acc: &mut Acc, row: &Row) {
    let Some(arg) = &agg.arg else {
        acc.count += 1;
        return;
    };
    let Some(v) = eval(arg, row) else { return };
    acc.count += 1;
    if agg.function == AggFn::CountDistinct {
        acc.distinct.insert(v.render());
    }
    if let Some(n) = v.number() {
        acc.numbers += 1;
        acc.sum += n;
    }
    if acc.min.as_ref().is_none_or(|m| v.compare(m).is_lt()) {
        acc.min = Some(v.clone());
    }
    if acc.max.as_ref().is_none_or(|m| v.compare(m).is_gt()) {
        acc.max = Some(v);
    }
}

fn result(function: AggFn, acc: Acc) -> Option<Value> {
    match function {
        AggFn::Count => Some(Value::Num(acc.count as f64)),
        AggFn::CountDistinct => Some(Value::Num(acc.distinct.len() as f64)),
        AggFn::Sum => (acc.numbers > 0).then_some(Value::Num(acc.sum)),
        AggFn::Avg => (acc.numbers > 0).then(|| Value::Num(acc.sum / acc.numbers as f64)),
        AggFn::Min => acc.min,
        AggFn::Max => acc.max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::logs::insights::ast::Command;
    use crate::cloud::logs::insights::parser::parse;

    fn rows() -> Vec<Row> {
        [("a", 1.0, 60_000), ("b", 4.0, 61_000), ("a", 5.0, 125_000)]
            .into_iter()
            .map(|(k, n, t)| {
                Row::from([
                    ("k".to_string(), Value::Str(k.into())),
                    ("n".to_string(), Value::Num(n)),
                    ("@timestamp".to_string(), Value::Time(t)),
                ])
            })
            .collect()
    }

    fn run(q: &str) -> Vec<Vec<(String, String)>> {
        let parsed = parse(q).unwrap();
        let Command::Stats { aggregates, by } = &parsed.commands[0] else { panic!("stats") };
        aggregate(rows(), aggregates, by)
            .into_iter()
            .map(|r| r.into_iter().map(|(k, v)| (k, v.render())).collect())
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn aggregates_by_field_and_by_bin() {
        assert_eq!(
            run("stats count(*) as c, sum(n), avg(n), min(n), max(n), count_distinct(n) by k"),
            [
                pairs(&[
                    ("avg(n)", "3"),
                    ("c", "2"),
                    ("count_distinct(n)", "2"),
                    ("k", "a"),
                    ("max(n)", "5"),
                    ("min(n)", "1"),
                    ("sum(n)", "6")
                ]),
                pairs(&[
                    ("avg(n)", "4"),
                    ("c", "1"),
                    ("count_distinct(n)", "1"),
                    ("k", "b"),
                    ("max(n)", "4"),
                    ("min(n)", "4"),
                    ("sum(n)", "4")
                ]),
            ]
        );
        let by_minute = run("stats count(k) by bin(1m)");
        assert_eq!(by_minute.len(), 2);
        assert_eq!(by_minute[0], pairs(&[("bin(1m)", "1970-01-01 00:01:00.000"), ("count(k)", "2")]));
        assert_eq!(run("stats count(nothing)"), [pairs(&[("count(nothing)", "0")])]);
    }
}
