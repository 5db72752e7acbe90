//! Runs a parsed query over the events it reads, command by command, and shapes the result as
//! GetQueryResults returns it: each row a list of `{field, value}` in the order the query named
//! the fields, `@ptr` last on rows that are events (not on `stats` rows).
//!
//! | the query has        | the rows show                                         |
//! |----------------------|-------------------------------------------------------|
//! | `display a, b`       | exactly `a`, `b`                                      |
//! | `stats … by …`       | the `by` fields, then the aggregates                  |
//! | `fields` / `parse`   | the fields they name, in the order named              |
//! | none of these        | `@timestamp`, `@message`                              |
//!
//! A field a row lacks is left out of that row. Rows come newest first unless the query sorts.

use super::ast::{Command, Order, Query};
use super::eval::{eval, truthy};
use super::record::{Row, SourceEvent};
use super::stats::aggregate;
use super::value::Value;

/// How often (in rows) a running query looks whether it was stopped.
const CHECK_EVERY: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub rows: Vec<Vec<(String, String)>>,
    pub records_matched: u64,
    pub records_scanned: u64,
    pub bytes_scanned: u64,
}

/// Why a query ended without a result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Halt {
    Stopped,
    TimedOut,
}

/// Runs `query` over `events`, returning at most `limit` rows; `halt` is asked now and then
/// whether to give up.
pub fn execute(
    query: &Query,
    events: &[SourceEvent],
    account: &str,
    limit: usize,
    halt: &dyn Fn() -> Option<Halt>,
) -> Result<Outcome, Halt> {
    let mut rows: Vec<Row> = Vec::with_capacity(events.len());
    let mut bytes = 0u64;
    for (i, e) in events.iter().enumerate() {
        check(i, halt)?;
        bytes += e.message.len() as u64;
        rows.push(e.row(account));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(time_of(r)));
    let scanned = rows.len() as u64;
    let mut matched = scanned;
    let mut shown: Vec<String> = Vec::new();
    let mut display: Option<Vec<String>> = None;
    let mut aggregated = false;
    for command in &query.commands {
        if let Some(h) = halt() {
            return Err(h);
        }
        match command {
            Command::Fields(list) => {
                for (i, row) in rows.iter_mut().enumerate() {
                    check(i, halt)?;
                    for named in list {
                        match eval(&named.expr, row) {
                            Some(v) => row.insert(named.name.clone(), v),
                            None => row.remove(&named.name),
                        };
                    }
                }
                show(&mut shown, list.iter().map(|n| n.name.as_str()));
            }
            Command::Display(list) => display = Some(list.clone()),
            Command::Filter(expr) => {
                let mut i: usize = 0;
                let mut stop = None;
                rows.retain(|row| {
                    i += 1;
                    if stop.is_none() && i.is_multiple_of(CHECK_EVERY) {
                        stop = halt();
                    }
                    stop.is_none() && truthy(expr, row)
                });
                if let Some(h) = stop {
                    return Err(h);
                }
                if !aggregated {
                    matched = rows.len() as u64;
                }
            }
            Command::Parse { source, pattern, names } => {
                for (i, row) in rows.iter_mut().enumerate() {
                    check(i, halt)?;
                    let Some(text) = eval(source, row).map(|v| v.render()) else { continue };
                    let Some(caps) = pattern.captures(&text) else { continue };
                    for (k, name) in names.iter().enumerate() {
                        let group = caps.name(name).or_else(|| caps.get(k + 1));
                        if let Some(m) = group {
                            row.insert(name.clone(), Value::Str(m.as_str().to_string()));
                        }
                    }
                }
                show(&mut shown, names.iter().map(String::as_str));
            }
            Command::Stats { aggregates, by } => {
                if !aggregated {
                    matched = rows.len() as u64;
                }
                rows = aggregate(std::mem::take(&mut rows), aggregates, by);
                aggregated = true;
                shown = by.iter().map(|b| b.name.clone()).chain(aggregates.iter().map(|a| a.name.clone())).collect();
            }
            Command::Sort(keys) => {
                let mut keyed: Vec<(Vec<Option<Value>>, Row)> =
                    rows.drain(..).map(|r| (keys.iter().map(|(e, _)| eval(e, &r)).collect(), r)).collect();
                keyed.sort_by(|(a, _), (b, _)| {
                    for (i, (_, order)) in keys.iter().enumerate() {
                        // A row without the key sorts after every row with it, either way.
                        let o = match (&a[i], &b[i]) {
                            (Some(x), Some(y)) if *order == Order::Desc => y.compare(x),
                            (Some(x), Some(y)) => x.compare(y),
                            (Some(_), None) => std::cmp::Ordering::Less,
                            (None, Some(_)) => std::cmp::Ordering::Greater,
                            (None, None) => std::cmp::Ordering::Equal,
                        };
                        if o.is_ne() {
                            return o;
                        }
                    }
                    std::cmp::Ordering::Equal
                });
                rows = keyed.into_iter().map(|(_, r)| r).collect();
            }
            Command::Limit(n) => rows.truncate(*n),
        }
    }
    rows.truncate(limit);
    let columns = match display {
        Some(d) => d,
        None if shown.is_empty() && !aggregated => vec!["@timestamp".into(), "@message".into()],
        None => shown,
    };
    let rows = rows
        .iter()
        .map(|row| {
            let mut out: Vec<(String, String)> =
                columns.iter().filter_map(|c| row.get(c).map(|v| (c.clone(), v.render()))).collect();
            if !aggregated && let Some(p) = row.get("@ptr") {
                out.push(("@ptr".into(), p.render()));
            }
            out
        })
        .collect();
    Ok(Outcome { rows, records_matched: matched, records_scanned: scanned, bytes_scanned: bytes })
}

fn check(i: usize, halt: &dyn Fn() -> Option<Halt>) -> Result<(), Halt> {
    match i.is_multiple_of(CHECK_EVERY).then(halt).flatten() {
        Some(h) => Err(h),
        None => Ok(()),
    }
}

fn time_of(row: &Row) -> i64 {
    match row.get("@timestamp") {
        Some(Value::Time(t)) => *t,
        _ => 0,
    }
}

fn show<'a>(shown: &mut Vec<String>, names: impl Iterator<Item = &'a str>) {
    for n in names {
        if n != "@ptr" && !shown.iter().any(|s| s == n) {
            shown.push(n.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::logs::insights::parser::parse;

    fn events() -> Vec<SourceEvent> {
        ["plain text", r#"{"level":"warn","ms":30}"#, r#"{"level":"error","ms":7}"#, r#"{"level":"warn"}"#]
            .iter()
            .enumerate()
            .map(|(i, m)| SourceEvent {
                group: "g".into(),
                stream: "s".into(),
                timestamp: i as i64 * 1000,
                seq: i as u64,
                message: m.to_string(),
                ingestion_ms: 0,
            })
            .collect()
    }

    fn run(q: &str, limit: usize) -> Outcome {
        execute(&parse(q).unwrap(), &events(), "1", limit, &|| None).unwrap()
    }

    fn fields(o: &Outcome) -> Vec<Vec<&str>> {
        o.rows.iter().map(|r| r.iter().map(|(f, _)| f.as_str()).collect()).collect()
    }

    #[test]
    fn default_columns_are_timestamp_and_message_newest_first_with_the_pointer() {
        let o = run("filter @message like 'level'", 10);
        assert_eq!(fields(&o)[0], ["@timestamp", "@message", "@ptr"]);
        assert_eq!(o.rows[0][1].1, r#"{"level":"warn"}"#);
        assert_eq!((o.records_scanned, o.records_matched, o.rows.len()), (4, 3, 3));
    }

    #[test]
    fn sort_puts_rows_without_the_key_last_and_limits_cut() {
        let o = run("fields ms | sort ms desc", 10);
        let ms: Vec<Option<&str>> =
            o.rows.iter().map(|r| r.iter().find(|(f, _)| f == "ms").map(|(_, v)| v.as_str())).collect();
        assert_eq!(ms, [Some("30"), Some("7"), None, None]);
        assert_eq!(run("fields ms | sort ms asc | limit 1", 10).rows[0][0], ("ms".to_string(), "7".to_string()));
        assert_eq!(run("fields ms", 2).rows.len(), 2, "the StartQuery limit caps the rows too");
    }

    #[test]
    fn display_chooses_the_columns_and_stats_rows_have_no_pointer() {
        assert_eq!(fields(&run("fields level, ms | display ms", 10))[1], ["ms", "@ptr"]);
        let o = run("stats count(*) as n by level | sort n desc", 10);
        assert_eq!(fields(&o), [vec!["level", "n"], vec!["level", "n"], vec!["n"]]);
        assert_eq!(o.records_matched, 4);
    }

    #[test]
    fn a_stopped_query_halts() {
        let halted = execute(&parse("fields a").unwrap(), &events(), "1", 10, &|| Some(Halt::Stopped));
        assert_eq!(halted, Err(Halt::Stopped));
    }
}
