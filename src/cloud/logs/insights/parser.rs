//! Tokens to a [`Query`]: commands split at top-level pipes, expressions by precedence
//! (`or` < `and` < `not` < comparisons, `like`, `in` < `+ -` < `* / %` < unary minus). Nesting is
//! bounded by [`MAX_DEPTH`], so no query can exhaust the stack.

use regex::{Regex, RegexBuilder};

use super::ast::{AggFn, Aggregate, BinOp, Command, Expr, Function, Named, Order, Pattern, Query};
use super::error::QueryError;
use super::lexer::{Tok, Token, lex};

/// The deepest nesting of parentheses, `not`s and unary minuses a query may have.
pub const MAX_DEPTH: usize = 64;
/// The largest `limit N`: the most rows a query returns.
pub const MAX_LIMIT: usize = 10_000;
/// A compiled regex may use at most this much memory.
const REGEX_SIZE: usize = 1 << 20;

pub fn parse(text: &str) -> Result<Query, QueryError> {
    let tokens = lex(text)?;
    let chars: Vec<char> = text.chars().collect();
    if tokens.is_empty() {
        return Err(QueryError::new("the query is empty", 0, chars.len()));
    }
    let mut commands = Vec::new();
    let mut from = 0;
    for (at, t) in tokens.iter().enumerate().chain(std::iter::once((tokens.len(), &tokens[tokens.len() - 1]))) {
        if at < tokens.len() && t.tok != Tok::Sym("|") {
            continue;
        }
        let part = &tokens[from..at];
        if part.is_empty() {
            let place = tokens.get(at).or(tokens.last()).map_or(0, |t| t.start);
            return Err(QueryError::new("expected a command between pipes", place, place + 1));
        }
        let mut p = Parser { toks: part, pos: 0, depth: 0, chars: &chars };
        commands.push(p.command()?);
        from = at + 1;
    }
    Ok(Query { commands })
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    depth: usize,
    chars: &'a [char],
}

impl Parser<'_> {
    fn command(&mut self) -> Result<Command, QueryError> {
        let first = &self.toks[0];
        let Tok::Ident(word) = &first.tok else {
            return Err(self.error_at(0, "expected a command (fields, filter, parse, stats, sort, limit, display)"));
        };
        self.pos = 1;
        let command = match word.to_ascii_lowercase().as_str() {
            "fields" => Command::Fields(self.list(Self::named)?),
            "display" => Command::Display(self.list(Self::field_name)?),
            "filter" => Command::Filter(self.expr()?),
            "parse" => self.parse_command()?,
            "stats" => self.stats()?,
            "sort" => Command::Sort(self.list(Self::sort_key)?),
            "limit" => Command::Limit(self.limit()?),
            other => return Err(self.error_at(0, format!("unknown or unsupported command '{other}'"))),
        };
        if self.pos < self.toks.len() {
            return Err(self.error_at(self.pos, "unexpected text after the command; a pipe (|) separates commands"));
        }
        Ok(command)
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T, QueryError>) -> Result<Vec<T>, QueryError> {
        let mut out = vec![item(self)?];
        while self.eat_sym(",") {
            out.push(item(self)?);
        }
        Ok(out)
    }

    fn named(&mut self) -> Result<Named, QueryError> {
        let from = self.pos;
        let expr = self.expr()?;
        let name = self.alias()?.unwrap_or_else(|| match &expr {
            Expr::Field(f) => f.clone(),
            _ => self.text(from, self.pos),
        });
        Ok(Named { expr, name })
    }

    fn alias(&mut self) -> Result<Option<String>, QueryError> {
        if self.eat_word("as") { self.field_name().map(Some) } else { Ok(None) }
    }

    fn field_name(&mut self) -> Result<String, QueryError> {
        match self.peek() {
            Some(Tok::Ident(n)) if !is_keyword(n) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            Some(Tok::Quoted(n)) => {
                let n = n.clone();
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.error_here("expected a field name")),
        }
    }

    fn sort_key(&mut self) -> Result<(Expr, Order), QueryError> {
        let expr = self.expr()?;
        let order = if self.eat_word("desc") {
            Order::Desc
        } else {
            self.eat_word("asc");
            Order::Asc
        };
        Ok((expr, order))
    }

    fn limit(&mut self) -> Result<usize, QueryError> {
        match self.peek() {
            Some(Tok::Num(n)) if n.fract() == 0.0 && (1.0..=MAX_LIMIT as f64).contains(n) => {
                let n = *n as usize;
                self.pos += 1;
                Ok(n)
            }
            _ => Err(self.error_here(format!("limit takes a whole number from 1 to {MAX_LIMIT}"))),
        }
    }

    /// `parse [field] "glob * text" as a, b` or `parse [field] /(?<a>…)/`; the field is `@message`
    /// when left out.
    fn parse_command(&mut self) -> Result<Command, QueryError> {
        let source = match self.peek() {
            Some(Tok::Str(_) | Tok::Regex(_)) => Expr::Field("@message".into()),
            _ => self.primary()?,
        };
        let at = self.pos;
        match self.peek().cloned() {
            Some(Tok::Str(glob)) => {
                self.pos += 1;
                if !self.eat_word("as") {
                    return Err(self.error_here("a parse pattern in quotes is followed by 'as' and the field names"));
                }
                let names = self.list(Self::field_name)?;
                let stars = glob.matches('*').count();
                if stars != names.len() {
                    return Err(self.error_at(
                        at,
                        format!(
                            "the pattern has {stars} wildcard(s) (*) but {} field name(s) follow 'as'",
                            names.len()
                        ),
                    ));
                }
                let pattern = self.regex(&glob_to_regex(&glob), at)?;
                Ok(Command::Parse { source, pattern, names })
            }
            Some(Tok::Regex(re)) => {
                self.pos += 1;
                let pattern = self.regex(&re, at)?;
                let names: Vec<String> = pattern.capture_names().flatten().map(str::to_string).collect();
                if names.is_empty() {
                    return Err(self.error_at(at, "a parse regex names what it extracts with groups like (?<name>…)"));
                }
                Ok(Command::Parse { source, pattern, names })
            }
            _ => Err(self.error_here("expected a parse pattern: a quoted glob or a /regex/")),
        }
    }

    fn stats(&mut self) -> Result<Command, QueryError> {
        let aggregates = self.list(Self::aggregate)?;
        let by = if self.eat_word("by") { self.list(Self::named)? } else { Vec::new() };
        Ok(Command::Stats { aggregates, by })
    }

    fn aggregate(&mut self) -> Result<Aggregate, QueryError> {
        let from = self.pos;
        let function = match self.peek() {
            Some(Tok::Ident(f)) => match f.to_ascii_lowercase().as_str() {
                "count" => AggFn::Count,
                "count_distinct" => AggFn::CountDistinct,
                "sum" => AggFn::Sum,
                "avg" => AggFn::Avg,
                "min" => AggFn::Min,
                "max" => AggFn::Max,
                other => return Err(self.error_here(format!("unknown or unsupported stats function '{other}'"))),
            },
            _ => return Err(self.error_here("expected a stats function such as count(*)")),
        };
        self.pos += 1;
        self.expect_sym("(")?;
        let arg = if function == AggFn::Count && self.eat_sym("*") { None } else { Some(self.expr()?) };
        self.expect_sym(")")?;
        let name = match self.alias()? {
            Some(n) => n,
            None => self.text(from, self.pos),
        };
        Ok(Aggregate { function, arg, name })
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_here(format!("the expression nests deeper than {MAX_DEPTH} levels")));
        }
        let out = self.or();
        self.depth -= 1;
        out
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = Expr::Binary(BinOp::Or, Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            left = Expr::Binary(BinOp::And, Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.eat_word("not") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error_here(format!("the expression nests deeper than {MAX_DEPTH} levels")));
            }
            let inner = self.not();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let negated = self.peek_word("not") && (self.peek_word_at(1, "like") || self.peek_word_at(1, "in"));
        if negated {
            self.pos += 1;
        }
        if self.eat_word("like") || (!negated && self.eat_sym("=~")) {
            let at = self.pos;
            let pattern = match self.peek().cloned() {
                Some(Tok::Str(s)) => Pattern::Text(s),
                Some(Tok::Regex(r)) => Pattern::Regex(self.regex(&r, at)?),
                _ => return Err(self.error_here("like takes a quoted string or a /regex/")),
            };
            self.pos += 1;
            return Ok(Expr::Like { value: Box::new(left), pattern, negated });
        }
        if self.eat_word("in") {
            self.expect_sym("[")?;
            let list = if self.peek() == Some(&Tok::Sym("]")) { Vec::new() } else { self.list(Self::additive)? };
            self.expect_sym("]")?;
            return Ok(Expr::In { value: Box::new(left), list, negated });
        }
        if negated {
            return Err(self.error_here("'not' here is followed by like or in"));
        }
        let op = match self.peek() {
            Some(Tok::Sym("=")) => BinOp::Eq,
            Some(Tok::Sym("!=")) => BinOp::Ne,
            Some(Tok::Sym("<")) => BinOp::Lt,
            Some(Tok::Sym("<=")) => BinOp::Le,
            Some(Tok::Sym(">")) => BinOp::Gt,
            Some(Tok::Sym(">=")) => BinOp::Ge,
            _ => return Ok(left),
        };
        self.pos += 1;
        Ok(Expr::Binary(op, Box::new(left), Box::new(self.additive()?)))
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym("+")) => BinOp::Add,
                Some(Tok::Sym("-")) => BinOp::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym("*")) => BinOp::Mul,
                Some(Tok::Sym("/")) => BinOp::Div,
                Some(Tok::Sym("%")) => BinOp::Mod,
                _ => return Ok(left),
            };
            self.pos += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.eat_sym("-") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error_here(format!("the expression nests deeper than {MAX_DEPTH} levels")));
            }
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let Some(tok) = self.peek().cloned() else { return Err(self.error_here("expected a value or a field")) };
        self.pos += 1;
        match tok {
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Quoted(f) => Ok(Expr::Field(f)),
            Tok::Sym("(") => {
                let inner = self.expr()?;
                self.expect_sym(")")?;
                Ok(inner)
            }
            Tok::Ident(name) if self.peek() == Some(&Tok::Sym("(")) => self.call(&name),
            Tok::Ident(name) if !is_keyword(&name) => Ok(Expr::Field(name)),
            _ => {
                self.pos -= 1;
                Err(self.error_here("expected a value or a field"))
            }
        }
    }

    fn call(&mut self, name: &str) -> Result<Expr, QueryError> {
        let at = self.pos - 1;
        self.pos += 1;
        if name.eq_ignore_ascii_case("bin") {
            let Some(Tok::Duration(ms)) = self.peek().cloned() else {
                return Err(self.error_here("bin takes a time span such as 5m, 30s or 1h"));
            };
            self.pos += 1;
            self.expect_sym(")")?;
            return Ok(Expr::Bin(ms));
        }
        let Some((function, arity)) = Function::by_name(name) else {
            return Err(self.error_at(at, format!("unknown or unsupported function '{name}'")));
        };
        let args = if self.peek() == Some(&Tok::Sym(")")) { Vec::new() } else { self.list(Self::expr)? };
        self.expect_sym(")")?;
        if !arity.contains(&args.len()) {
            return Err(self.error_at(at, format!("{name} takes {} to {} argument(s)", arity.start(), arity.end())));
        }
        Ok(Expr::Call(function, args))
    }

    fn regex(&self, pattern: &str, at: usize) -> Result<Regex, QueryError> {
        RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE)
            .build()
            .map_err(|e| self.error_at(at, format!("invalid regular expression: {}", first_line(&e.to_string()))))
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_word(&self, word: &str) -> bool {
        self.peek_word_at(0, word)
    }

    fn peek_word_at(&self, ahead: usize, word: &str) -> bool {
        matches!(self.toks.get(self.pos + ahead).map(|t| &t.tok), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let hit = self.peek_word(word);
        self.pos += usize::from(hit);
        hit
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Sym(s)) if *s == sym);
        self.pos += usize::from(hit);
        hit
    }

    fn expect_sym(&mut self, sym: &str) -> Result<(), QueryError> {
        if self.eat_sym(sym) { Ok(()) } else { Err(self.error_here(format!("expected '{sym}'"))) }
    }

    /// The query text of tokens `from..to`, as written.
    fn text(&self, from: usize, to: usize) -> String {
        let (Some(first), Some(last)) = (self.toks.get(from), self.toks.get(to.saturating_sub(1))) else {
            return String::new();
        };
        self.chars[first.start..last.end].iter().collect()
    }

    fn error_here(&self, message: impl Into<String>) -> QueryError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, at: usize, message: impl Into<String>) -> QueryError {
        match self.toks.get(at) {
            Some(t) => QueryError::new(message, t.start, t.end),
            None => {
                let end = self.toks.last().map_or(0, |t| t.end);
                QueryError::new(format!("{} (at the end of the command)", message.into()), end, end)
            }
        }
    }
}

fn is_keyword(word: &str) -> bool {
    ["and", "or", "not", "like", "in", "as", "by", "asc", "desc"].iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// A parse glob as a regex: the text matches literally anywhere in the value, each `*` captures as
/// little as it can, except a trailing `*`, which takes the rest of the value.
fn glob_to_regex(glob: &str) -> String {
    let parts: Vec<&str> = glob.split('*').collect();
    let mut re = String::from("(?s)");
    for (i, part) in parts.iter().enumerate() {
        re.push_str(&regex::escape(part));
        if i + 1 < parts.len() {
            re.push_str(if i + 2 == parts.len() && parts[i + 1].is_empty() { "(.*)" } else { "(.*?)" });
        }
    }
    re
}

fn first_line(s: &str) -> String {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(q: &str) -> QueryError {
        match parse(q) {
            Ok(parsed) => panic!("{q} parsed: {parsed:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_command_parses() {
        let q = parse(
            "fields @timestamp, latency * 2 as double # comment\n\
             | filter (level = 'error' or level in ['warn', \"fatal\"]) and not path like /health/ and latency >= 10\n\
             | parse @message \"user=* id=*\" as user, id | parse message /(?<code>\\d{3})/\n\
             | stats count(*) as n, avg(latency), max(latency) by user, bin(5m)\n\
             | sort n desc, user | limit 5 | display n, user",
        )
        .unwrap();
        assert_eq!(q.commands.len(), 8);
        let Command::Stats { aggregates, by } = &q.commands[4] else { panic!("stats") };
        let names: Vec<&str> =
            aggregates.iter().map(|a| a.name.as_str()).chain(by.iter().map(|b| b.name.as_str())).collect();
        assert_eq!(names, ["n", "avg(latency)", "max(latency)", "user", "bin(5m)"]);
        let Command::Fields(f) = &q.commands[0] else { panic!("fields") };
        assert_eq!(f[1].name, "double");
        let Command::Parse { names, .. } = &q.commands[3] else { panic!("parse") };
        assert_eq!(names, &["code"]);
    }

    #[test]
    fn glob_wildcards_are_lazy_except_a_trailing_one() {
        let re = Regex::new(&glob_to_regex(" to flink-taskmanager-*")).unwrap();
        assert_eq!(&re.captures("Deploying x to flink-taskmanager-2 now").unwrap()[1], "2 now");
        let re = Regex::new(&glob_to_regex("a=*, b=*;")).unwrap();
        let c = re.captures("x a=1, b=2; c=3;").unwrap();
        assert_eq!((&c[1], &c[2]), ("1", "2"));
    }

    #[test]
    fn malformed_queries_say_what_and_where() {
        assert_eq!(err("fields a |").message, "expected a command between pipes");
        let e = err("fields a | frobnicate b");
        assert_eq!((e.start, e.message.as_str()), (11, "unknown or unsupported command 'frobnicate'"));
        assert!(err("filter a = ").message.contains("expected a value"));
        assert!(err("filter (a = 1").message.contains("expected ')'"));
        assert!(err("parse @message \"a * b *\" as x").message.contains("2 wildcard(s)"));
        assert!(err("parse @message /(unnamed)/").message.contains("(?<name>"));
        assert!(err("filter a like /(/").message.contains("invalid regular expression"));
        assert!(err("limit 0").message.contains("1 to 10000"));
        assert!(err("limit 10001").message.contains("1 to 10000"));
        assert!(err("stats median(a)").message.contains("median"));
        assert!(err("fields a b").message.contains("pipe"));
        assert!(err("").message.contains("empty"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("filter {}a = 1{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(err(&deep).message.contains("nests deeper"));
        assert!(err(&format!("filter {} a = 1", "not ".repeat(MAX_DEPTH + 1))).message.contains("nests deeper"));
        assert!(err(&format!("fields {}1", "-".repeat(MAX_DEPTH + 1))).message.contains("nests deeper"));
        let fine = format!("filter {}a = 1{}", "(".repeat(10), ")".repeat(10));
        assert!(parse(&fine).is_ok());
    }
}
