//! CloudWatch Logs filter patterns: terms (`ERROR`), quoted phrases (`"disk full"`), exclusions
//! (`-DEBUG`), alternatives (`?ERROR ?WARN`), and JSON patterns (`{ $.latency > 100 && $.level = "err*" }`).
//! Patterns are bounded at 1,024 characters (AWS's limit), which also bounds the parser's nesting.

use serde_json::Value;

pub const MAX_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    All,
    Terms { required: Vec<String>, excluded: Vec<String>, optional: Vec<String> },
    Json(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp { path: Vec<Step>, op: Op, value: Literal },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
}

impl Pattern {
    pub fn parse(source: &str) -> Result<Pattern, String> {
        if source.chars().count() > MAX_LEN {
            return Err(format!("the filter pattern is longer than {MAX_LEN} characters"));
        }
        let trimmed = source.trim();
        if trimmed.is_empty() {
            return Ok(Pattern::All);
        }
        if let Some(body) = trimmed.strip_prefix('{') {
            let body = body.strip_suffix('}').ok_or("a JSON filter pattern must end with '}'")?;
            let mut p = Parser { s: body.as_bytes(), i: 0 };
            let expr = p.or()?;
            p.skip_ws();
            if p.i != p.s.len() {
                return Err(format!("unexpected text at '{}'", &body[p.i..]));
            }
            return Ok(Pattern::Json(expr));
        }
        terms(trimmed)
    }

    pub fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Terms { required, excluded, optional } => {
                required.iter().all(|t| message.contains(t.as_str()))
                    && !excluded.iter().any(|t| message.contains(t.as_str()))
                    && (optional.is_empty() || optional.iter().any(|t| message.contains(t.as_str())))
            }
            Pattern::Json(expr) => serde_json::from_str::<Value>(message).is_ok_and(|v| eval(expr, &v)),
        }
    }
}

fn terms(source: &str) -> Result<Pattern, String> {
    let (mut required, mut excluded, mut optional) = (Vec::new(), Vec::new(), Vec::new());
    let mut chars = source.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let sink = match first {
            '-' => {
                chars.next();
                &mut excluded
            }
            '?' => {
                chars.next();
                &mut optional
            }
            _ => &mut required,
        };
        let mut term = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                term.push(c);
            }
            if !closed {
                return Err("a quoted term is not closed".into());
            }
        } else {
            while let Some(&c) = chars.peek().filter(|c| !c.is_whitespace()) {
                term.push(c);
                chars.next();
            }
        }
        if term.is_empty() {
            return Err(format!("an empty term after '{first}'"));
        }
        sink.push(term);
    }
    Ok(Pattern::Terms { required, excluded, optional })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.s[self.i..].starts_with(token.as_bytes()) {
            self.i += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.primary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err("a '(' is not closed".into());
            }
            return Ok(inner);
        }
        let path = self.selector()?;
        let op = self.op()?;
        let value = self.literal()?;
        if matches!(value, Literal::Text(_)) && !matches!(op, Op::Eq | Op::Ne) {
            return Err("only = and != compare text".into());
        }
        Ok(Expr::Cmp { path, op, value })
    }

    fn selector(&mut self) -> Result<Vec<Step>, String> {
        if !self.eat("$") {
            return Err("a JSON filter condition must start with a '$' selector".into());
        }
        let mut path = Vec::new();
        loop {
            match self.s.get(self.i) {
                Some(b'.') => {
                    self.i += 1;
                    let start = self.i;
                    while self.s.get(self.i).is_some_and(|c| c.is_ascii_alphanumeric() || b"_-@$".contains(c)) {
                        self.i += 1;
                    }
                    if start == self.i {
                        return Err("an empty property name in a selector".into());
                    }
                    path.push(Step::Key(String::from_utf8_lossy(&self.s[start..self.i]).into_owned()));
                }
                Some(b'[') => {
                    let end = self.s[self.i..].iter().position(|&c| c == b']').ok_or("a '[' is not closed")?;
                    let index = std::str::from_utf8(&self.s[self.i + 1..self.i + end])
                        .ok()
                        .and_then(|t| t.trim().parse().ok())
                        .ok_or("an array index must be a number")?;
                    path.push(Step::Index(index));
                    self.i += end + 1;
                }
                _ => return Ok(path),
            }
        }
    }

    fn op(&mut self) -> Result<Op, String> {
        for (token, op) in [("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("=", Op::Eq), ("<", Op::Lt), (">", Op::Gt)]
        {
            if self.eat(token) {
                return Ok(op);
            }
        }
        Err("expected one of = != < > <= >= after the selector".into())
    }

    fn literal(&mut self) -> Result<Literal, String> {
        self.skip_ws();
        if self.s.get(self.i) == Some(&b'"') {
            let end = self.s[self.i + 1..].iter().position(|&c| c == b'"').ok_or("a quoted value is not closed")?;
            let text = String::from_utf8_lossy(&self.s[self.i + 1..self.i + 1 + end]).into_owned();
            self.i += end + 2;
            return Ok(Literal::Text(text));
        }
        let start = self.i;
        while self.s.get(self.i).is_some_and(|c| !c.is_ascii_whitespace() && !b"()&|".contains(c)) {
            self.i += 1;
        }
        let word = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if word.is_empty() {
            return Err("a comparison needs a value".into());
        }
        Ok(word.parse::<f64>().map(Literal::Number).unwrap_or(Literal::Text(word)))
    }
}

fn eval(expr: &Expr, doc: &Value) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, doc) && eval(b, doc),
        Expr::Or(a, b) => eval(a, doc) || eval(b, doc),
        Expr::Cmp { path, op, value } => {
            let mut at = doc;
            for step in path {
                let next = match step {
                    Step::Key(k) => at.get(k.as_str()),
                    Step::Index(i) => at.get(*i),
                };
                let Some(next) = next else { return false };
                at = next;
            }
            compare(at, *op, value)
        }
    }
}

fn compare(found: &Value, op: Op, literal: &Literal) -> bool {
    match (literal, found) {
        (Literal::Number(want), Value::Number(n)) => {
            let Some(have) = n.as_f64() else { return false };
            match op {
                Op::Eq => have == *want,
                Op::Ne => have != *want,
                Op::Lt => have < *want,
                Op::Gt => have > *want,
                Op::Le => have <= *want,
                Op::Ge => have >= *want,
            }
        }
        (Literal::Number(_), Value::String(s)) => {
            let text = text_of(literal);
            match op {
                Op::Eq => *s == text,
                Op::Ne => *s != text,
                _ => false,
            }
        }
        (Literal::Text(want), found) => {
            let have = match found {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Null => "null".to_string(),
                Value::Number(n) => n.to_string(),
                _ => return false,
            };
            let hit = wildcard(want, &have);
            match op {
                Op::Eq => hit,
                Op::Ne => !hit,
                _ => false,
            }
        }
        _ => false,
    }
}

fn text_of(literal: &Literal) -> String {
    match literal {
        Literal::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        Literal::Number(n) => n.to_string(),
        Literal::Text(t) => t.clone(),
    }
}

/// `*` matches any run of characters; everything else matches itself.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(pattern: &str, messages: &[&str]) -> Vec<usize> {
        let p = Pattern::parse(pattern).unwrap();
        messages.iter().enumerate().filter(|(_, m)| p.matches(m)).map(|(i, _)| i).collect()
    }

    #[test]
    fn terms_phrases_exclusions_and_alternatives() {
        let msgs = ["ERROR disk full", "WARN disk slow", "ERROR timeout DEBUG", "INFO ok"];
        assert_eq!(hits("ERROR", &msgs), [0, 2]);
        assert_eq!(hits("\"disk full\"", &msgs), [0]);
        assert_eq!(hits("ERROR -DEBUG", &msgs), [0]);
        assert_eq!(hits("?WARN ?INFO", &msgs), [1, 3]);
        assert_eq!(hits("", &msgs), [0, 1, 2, 3]);
        assert_eq!(hits("error", &msgs), Vec::<usize>::new(), "terms are case sensitive");
    }

    #[test]
    fn json_patterns_compare_numbers_text_and_wildcards() {
        let msgs = [
            r#"{"level":"error","latency":250,"user":{"id":7},"tags":["a","b"]}"#,
            r#"{"level":"info","latency":20,"user":{"id":8},"tags":["c"]}"#,
            "not json",
        ];
        assert_eq!(hits(r#"{ $.level = "error" }"#, &msgs), [0]);
        assert_eq!(hits("{ $.level = err* }", &msgs), [0]);
        assert_eq!(hits("{ $.level != \"error\" }", &msgs), [1]);
        assert_eq!(hits("{ $.latency > 100 }", &msgs), [0]);
        assert_eq!(hits("{ $.latency <= 20 }", &msgs), [1]);
        assert_eq!(hits("{ $.latency >= 20 && $.user.id = 8 }", &msgs), [1]);
        assert_eq!(hits("{ ($.latency < 10 || $.tags[1] = \"b\") }", &msgs), [0]);
        assert_eq!(hits("{ $.missing = 1 }", &msgs), Vec::<usize>::new());
    }

    #[test]
    fn malformed_patterns_are_refused_with_a_reason() {
        for bad in ["{ $.a = 1", "{ a = 1 }", "{ $.a ~ 1 }", "\"open", "{ $.a < \"x\" }", "{ ($.a = 1 }"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        assert!(Pattern::parse(&"x".repeat(MAX_LEN + 1)).is_err());
    }
}
