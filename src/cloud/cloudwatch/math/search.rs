//! SEARCH expressions: `{Namespace, Dim1, Dim2} terms`. The optional schema picks metrics of one
//! namespace whose dimension names are exactly the ones listed. Terms are joined by AND unless joined
//! by OR, may be negated with NOT and grouped with parentheses. A bare term matches, ignoring case,
//! part of the metric's name, namespace, or a dimension's name or value; a quoted term must equal one
//! of them. `MetricName=…`, `Namespace=…` and `DimensionName=…` look at that field only.

use super::parse::MAX_DEPTH;
use crate::cloud::cloudwatch::storage::SeriesKey;

/// At most this many series answer one SEARCH, as on CloudWatch.
pub const MAX_RESULTS: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    schema: Option<(String, Vec<String>)>,
    term: Term,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    All,
    And(Vec<Term>),
    Or(Vec<Term>),
    Not(Box<Term>),
    Word { field: Option<String>, text: String, exact: bool },
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String, bool),
    Eq,
    Open,
    Close,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '=' | '(' | ')' => {
                chars.next();
                out.push(match c {
                    '=' => Tok::Eq,
                    '(' => Tok::Open,
                    _ => Tok::Close,
                });
            }
            '"' => {
                chars.next();
                let text: String = chars.by_ref().take_while(|ch| *ch != '"').collect();
                out.push(Tok::Word(text, true));
            }
            _ => {
                let mut text = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '=' | '(' | ')' | '"') {
                        break;
                    }
                    text.push(ch);
                    chars.next();
                }
                out.push(Tok::Word(text, false));
            }
        }
    }
    Ok(out)
}

impl Search {
    pub fn parse(text: &str) -> Result<Search, String> {
        let text = text.trim();
        let (schema, rest) = match text.strip_prefix('{') {
            Some(inner) => {
                let close = inner.find('}').ok_or("The search schema has no closing '}'")?;
                let mut parts = inner[..close].split(',').map(|p| p.trim().trim_matches('"').to_string());
                let namespace = parts.next().filter(|n| !n.is_empty()).ok_or("The search schema names no namespace")?;
                (Some((namespace, parts.filter(|p| !p.is_empty()).collect())), &inner[close + 1..])
            }
            None => (None, text),
        };
        let toks = lex(rest)?;
        let mut p = Parser { toks, pos: 0, depth: 0 };
        let term = if p.toks.is_empty() { Term::All } else { p.or()? };
        if p.pos < p.toks.len() {
            return Err("Unexpected ')' in the search".into());
        }
        if schema.is_none() && term == Term::All {
            return Err("A search needs a schema or a search term".into());
        }
        Ok(Search { schema, term })
    }

    pub fn matches(&self, key: &SeriesKey) -> bool {
        if let Some((namespace, dims)) = &self.schema {
            let mut names: Vec<&str> = key.dimensions.iter().map(|(n, _)| n.as_str()).collect();
            let mut wanted: Vec<&str> = dims.iter().map(String::as_str).collect();
            names.sort_unstable();
            wanted.sort_unstable();
            if &key.namespace != namespace || names != wanted {
                return false;
            }
        }
        self.term.matches(key)
    }
}

impl Term {
    fn matches(&self, key: &SeriesKey) -> bool {
        match self {
            Term::All => true,
            Term::And(terms) => terms.iter().all(|t| t.matches(key)),
            Term::Or(terms) => terms.iter().any(|t| t.matches(key)),
            Term::Not(t) => !t.matches(key),
            Term::Word { field, text, exact } => {
                let hit = |candidate: &str| {
                    if *exact { candidate == text } else { candidate.to_lowercase().contains(&text.to_lowercase()) }
                };
                match field.as_deref() {
                    Some("MetricName") => hit(&key.name),
                    Some("Namespace") => hit(&key.namespace),
                    Some(dim) => key.dimensions.iter().any(|(n, v)| n == dim && hit(v)),
                    None => {
                        hit(&key.name) || hit(&key.namespace) || key.dimensions.iter().any(|(n, v)| hit(n) || hit(v))
                    }
                }
            }
        }
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Levels of `NOT` and `(` entered, bounded by [`MAX_DEPTH`] so a client cannot exhaust the stack.
    depth: usize,
}

impl Parser {
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        if self.depth >= MAX_DEPTH {
            return Err(format!("The search is nested more than {MAX_DEPTH} levels deep"));
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(w, false)) if w == word)
    }

    fn or(&mut self) -> Result<Term, String> {
        let mut terms = vec![self.and()?];
        while self.keyword("OR") {
            self.pos += 1;
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Term::Or(terms) })
    }

    fn and(&mut self) -> Result<Term, String> {
        let mut terms = vec![self.unary()?];
        loop {
            if self.keyword("AND") {
                self.pos += 1;
            } else if self.keyword("OR") || matches!(self.toks.get(self.pos), None | Some(Tok::Close)) {
                break;
            }
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 { terms.remove(0) } else { Term::And(terms) })
    }

    fn unary(&mut self) -> Result<Term, String> {
        if self.keyword("NOT") {
            self.pos += 1;
            return Ok(Term::Not(Box::new(self.nested(Self::unary)?)));
        }
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Open) => {
                self.pos += 1;
                self.nested(|p| {
                    let inner = p.or()?;
                    if p.toks.get(p.pos) != Some(&Tok::Close) {
                        return Err("A '(' in the search is not closed".into());
                    }
                    p.pos += 1;
                    Ok(inner)
                })
            }
            Some(Tok::Word(text, exact)) => {
                self.pos += 1;
                if !exact && self.toks.get(self.pos) == Some(&Tok::Eq) {
                    let Some(Tok::Word(value, value_exact)) = self.toks.get(self.pos + 1).cloned() else {
                        return Err(format!("{text}= has no value in the search"));
                    };
                    self.pos += 2;
                    return Ok(Term::Word { field: Some(text), text: value, exact: value_exact });
                }
                Ok(Term::Word { field: None, text, exact })
            }
            Some(Tok::Eq) => Err("An '=' in the search has no field name before it".into()),
            Some(Tok::Close) | None => Err("The search ends where a term was expected".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(namespace: &str, name: &str, dims: &[(&str, &str)]) -> SeriesKey {
        SeriesKey {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: dims.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            unit: "Count".into(),
        }
    }

    #[test]
    fn schemas_terms_fields_and_logic() {
        let a = key("AWS/Kinesis", "IncomingRecords", &[("StreamName", "orders")]);
        let b = key("AWS/Kinesis", "IncomingRecords", &[("StreamName", "orders"), ("ShardId", "shardId-0")]);
        let c = key("AWS/Kinesis", "IncomingBytes", &[("StreamName", "clicks")]);
        let d = key("AWS/Lambda", "Errors", &[("FunctionName", "orders-consumer")]);
        let found = |s: &str| {
            let search = Search::parse(s).unwrap();
            [&a, &b, &c, &d]
                .iter()
                .filter(|k| search.matches(k))
                .map(|k| k.name.clone() + "/" + &k.dimensions[0].1)
                .collect::<Vec<_>>()
        };
        assert_eq!(found("{AWS/Kinesis,StreamName} MetricName=\"IncomingRecords\""), ["IncomingRecords/orders"]);
        assert_eq!(found("{AWS/Kinesis, StreamName}"), ["IncomingRecords/orders", "IncomingBytes/clicks"]);
        assert_eq!(found("orders"), ["IncomingRecords/orders", "IncomingRecords/orders", "Errors/orders-consumer"]);
        assert_eq!(
            found("\"orders\""),
            ["IncomingRecords/orders", "IncomingRecords/orders"],
            "quoted terms match whole names"
        );
        assert_eq!(found("{AWS/Kinesis,StreamName} incoming NOT clicks"), ["IncomingRecords/orders"]);
        assert_eq!(
            found("Errors OR (MetricName=Bytes AND StreamName=click)"),
            ["IncomingBytes/clicks", "Errors/orders-consumer"]
        );
        assert_eq!(found("FunctionName=\"orders-consumer\""), ["Errors/orders-consumer"]);
    }

    #[test]
    fn malformed_searches_say_why() {
        for bad in ["", "{", "{}", "{AWS/Kinesis} (a", "a )", "= x", "MetricName="] {
            assert!(Search::parse(bad).is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn nesting_in_a_search_is_bounded() {
        let deep = |n: usize| [format!("{}a{}", "(".repeat(n), ")".repeat(n)), format!("{}a", "NOT ".repeat(n))];
        for s in deep(MAX_DEPTH + 1) {
            assert!(Search::parse(&s).unwrap_err().contains("nested"), "{s}");
        }
        for s in deep(MAX_DEPTH - 1) {
            assert!(Search::parse(&s).is_ok(), "{s}");
        }
        assert!(Search::parse(&"(".repeat(1 << 20)).is_err(), "a megabyte of brackets is refused, not a crash");
    }
}
