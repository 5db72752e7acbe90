//! Renames the query ids a metric math expression refers to. Widgets each have their own id space
//! (two widgets may both say `m1`), while one GetMetricData call has one; so every widget-local id
//! becomes a call-wide one and the expressions are rewritten to match. `METRICS()` — "every metric
//! in the request" — would see the other widgets' metrics once widgets share a call, so it becomes
//! the explicit list of the widget's own metric ids.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewriteError {
    #[error("the expression refers to \"{0}\", which is no id in this widget")]
    UnknownId(String),
    #[error("unterminated string in the expression")]
    Unterminated,
}

/// The widget's ids, local → global, and its metric (non-expression) ids in row order.
pub struct IdScope<'a> {
    pub rename: &'a HashMap<String, String>,
    pub metric_ids: &'a [String],
}

/// The expression with every id renamed; also returns the global ids it refers to.
pub fn rewrite(expression: &str, scope: &IdScope<'_>) -> Result<(String, Vec<String>), RewriteError> {
    let mut out = String::with_capacity(expression.len());
    let mut refs: Vec<String> = Vec::new();
    let mut rest = expression;
    while let Some(c) = rest.chars().next() {
        if c == '"' || c == '\'' {
            let close = rest[1..].find(c).ok_or(RewriteError::Unterminated)?;
            out.push_str(&rest[..close + 2]);
            rest = &rest[close + 2..];
        } else if c.is_alphabetic() || c == '_' {
            let end = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_')).unwrap_or(rest.len());
            let word = &rest[..end];
            rest = &rest[end..];
            if word == "METRICS"
                && let Some((filter, after)) = metrics_call(rest)
            {
                let ids = metrics_of(scope, filter.as_deref());
                out.push_str(&list(&ids));
                refs.extend(ids);
                rest = after;
            } else if let Some(global) = scope.rename.get(word) {
                out.push_str(global);
                refs.push(global.clone());
            } else if word.starts_with(|ch: char| ch.is_lowercase()) {
                return Err(RewriteError::UnknownId(word.to_string()));
            } else {
                out.push_str(word);
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    refs.sort();
    refs.dedup();
    Ok((out, refs))
}

/// After `METRICS`: `()` or `('filter')`, returning the filter and what follows the call.
fn metrics_call(rest: &str) -> Option<(Option<String>, &str)> {
    let inner = rest.trim_start().strip_prefix('(')?;
    let close = inner.find(')')?;
    let arg = inner[..close].trim();
    let filter = if arg.is_empty() { None } else { Some(arg.trim_matches(|c| c == '"' || c == '\'').to_string()) };
    Some((filter, &inner[close + 1..]))
}

/// `METRICS('x')` keeps the metrics whose (widget-local) id contains `x`.
fn metrics_of(scope: &IdScope<'_>, filter: Option<&str>) -> Vec<String> {
    scope
        .metric_ids
        .iter()
        .filter(|local| filter.is_none_or(|f| local.contains(f)))
        .filter_map(|local| scope.rename.get(local).cloned())
        .collect()
}

fn list(ids: &[String]) -> String {
    match ids {
        [one] => one.clone(),
        _ => format!("[{}]", ids.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn renames_ids_outside_strings() {
        let rename = scope_of(&[("errors", "q1"), ("invocations", "q2")]);
        let metric_ids = vec!["errors".to_string(), "invocations".to_string()];
        let scope = IdScope { rename: &rename, metric_ids: &metric_ids };
        let (e, refs) = rewrite("100 - 100 * errors / MAX([errors, invocations])", &scope).unwrap();
        assert_eq!(e, "100 - 100 * q1 / MAX([q1, q2])");
        assert_eq!(refs, vec!["q1", "q2"]);
        let (e, _) = rewrite("SEARCH('{AWS/Kinesis} errors', 'Sum', 60)", &scope).unwrap();
        assert_eq!(e, "SEARCH('{AWS/Kinesis} errors', 'Sum', 60)");
    }

    #[test]
    fn metrics_becomes_the_widgets_own_list() {
        let rename = scope_of(&[("m1", "q7"), ("m2", "q8"), ("e1", "q9")]);
        let metric_ids = vec!["m1".to_string(), "m2".to_string()];
        let scope = IdScope { rename: &rename, metric_ids: &metric_ids };
        assert_eq!(rewrite("RATE(METRICS()) * 60", &scope).unwrap().0, "RATE([q7, q8]) * 60");
        assert_eq!(rewrite("SUM(METRICS('2'))", &scope).unwrap().0, "SUM(q8)");
        assert_eq!(rewrite("FILL(e1, REPEAT)", &scope).unwrap().0, "FILL(q9, REPEAT)");
        assert_eq!(rewrite("m3 + 1", &scope), Err(RewriteError::UnknownId("m3".into())));
    }
}
