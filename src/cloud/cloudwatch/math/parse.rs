//! The metric math grammar: numbers, strings, query ids, function calls, `[a, b]` arrays,
//! `+ - * / ^`, comparisons (`== != < <= > >=`) and logic (`AND`/`&&`, `OR`/`||`, `NOT`/`!`).
//! Precedence, loosest first: OR, AND, comparison, `+ -`, `* /`, `^` (right-associative), unary.
//!
//! Input comes from clients, so the parser bounds what it takes: an expression longer than
//! CloudWatch's 2,048 characters is refused before it is read, and every construct that makes the
//! parser recurse (brackets, calls, arrays, unary operators, powers) counts towards [`MAX_DEPTH`];
//! the tree it builds is bounded the same way, so evaluating it cannot exhaust the stack either.

/// CloudWatch's limit on `Expression` (the service model's length constraint on MetricDataQuery).
pub const MAX_EXPRESSION_CHARS: usize = 2048;
/// How deeply an expression may nest.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Str(String),
    /// A query id or a bare keyword such as `REPEAT`.
    Name(String),
    Call(String, Vec<Expr>),
    Array(Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
}

impl Expr {
    /// Whether the expression calls the function `name` anywhere.
    /// How many levels of operators and calls the tree has (an operand alone has none), counted
    /// without recursion so that a tree of any shape can be measured.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 0)];
        while let Some((e, d)) = todo.pop() {
            deepest = deepest.max(d);
            match e {
                Expr::Number(_) | Expr::Str(_) | Expr::Name(_) => {}
                Expr::Call(_, items) | Expr::Array(items) => todo.extend(items.iter().map(|i| (i, d + 1))),
                Expr::Neg(inner) | Expr::Not(inner) => todo.push((inner, d + 1)),
                Expr::Binary(_, l, r) => todo.extend([(&**l, d + 1), (&**r, d + 1)]),
            }
        }
        deepest
    }

    pub fn calls(&self, name: &str) -> bool {
        match self {
            Expr::Number(_) | Expr::Str(_) | Expr::Name(_) => false,
            Expr::Call(f, args) => f.eq_ignore_ascii_case(name) || args.iter().any(|a| a.calls(name)),
            Expr::Array(items) => items.iter().any(|a| a.calls(name)),
            Expr::Neg(e) | Expr::Not(e) => e.calls(name),
            Expr::Binary(_, l, r) => l.calls(name) || r.calls(name),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ident(String),
    Sym(&'static str),
}

const SYMBOLS: [&str; 19] =
    ["==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "^", "(", ")", "[", "]", ",", "<", ">", "!"];

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c.is_ascii_digit() || c == '.' {
            let end = rest.find(|ch: char| !(ch.is_ascii_digit() || ch == '.')).unwrap_or(rest.len());
            let mut end = end;
            if rest[end..].starts_with(['e', 'E']) {
                let exp = &rest[end + 1..];
                let sign = usize::from(exp.starts_with(['+', '-']));
                let digits = exp[sign..].find(|ch: char| !ch.is_ascii_digit()).unwrap_or(exp.len() - sign);
                if digits > 0 {
                    end += 1 + sign + digits;
                }
            }
            let n = rest[..end].parse::<f64>().map_err(|_| format!("Invalid number \"{}\"", &rest[..end]))?;
            out.push(Tok::Num(n));
            rest = &rest[end..];
        } else if c == '"' || c == '\'' {
            let close = rest[1..].find(c).ok_or("Unterminated string")?;
            out.push(Tok::Str(rest[1..1 + close].to_string()));
            rest = &rest[close + 2..];
        } else if c.is_alphabetic() || c == '_' {
            let end = rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_')).unwrap_or(rest.len());
            out.push(Tok::Ident(rest[..end].to_string()));
            rest = &rest[end..];
        } else if let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            out.push(Tok::Sym(sym));
            rest = &rest[sym.len()..];
        } else {
            return Err(format!("Unrecognized character '{c}'"));
        }
    }
    Ok(out)
}

pub fn parse(src: &str) -> Result<Expr, String> {
    if src.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(format!("The expression is longer than {MAX_EXPRESSION_CHARS} characters"));
    }
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err("Empty expression".into());
    }
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let e = p.or()?;
    if let Some(t) = p.toks.get(p.pos) {
        return Err(format!("Unexpected token {}", show(t)));
    }
    // Chains such as `a + b + c` are built by loops, not recursion, yet still deepen the tree.
    if e.depth() > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(e)
}

fn too_deep() -> String {
    format!("The expression is nested more than {MAX_DEPTH} levels deep")
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Num(n) => n.to_string(),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Ident(s) => s.clone(),
        Tok::Sym(s) => (*s).to_string(),
    }
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Levels of recursion entered, bounded by [`MAX_DEPTH`].
    depth: usize,
}

impl Parser {
    /// Runs `f` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, String>) -> Result<T, String> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep());
        }
        self.depth += 1;
        let out = f(self);
        self.depth -= 1;
        out
    }

    fn peek_sym(&self, options: &[&str]) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Sym(s)) if options.contains(s) => Some(s),
            _ => None,
        }
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(word))
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.peek_sym(&[sym]).is_some() {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("Expected '{sym}'"))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_sym(&["||"]).is_some() || self.peek_word("OR") {
            self.pos += 1;
            left = Expr::Binary(Op::Or, Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.cmp()?;
        while self.peek_sym(&["&&"]).is_some() || self.peek_word("AND") {
            self.pos += 1;
            left = Expr::Binary(Op::And, Box::new(left), Box::new(self.cmp()?));
        }
        Ok(left)
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let left = self.add()?;
        let Some(sym) = self.peek_sym(&["==", "!=", "<", "<=", ">", ">="]) else {
            return Ok(left);
        };
        self.pos += 1;
        let op = match sym {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            _ => Op::Ge,
        };
        Ok(Expr::Binary(op, Box::new(left), Box::new(self.add()?)))
    }

    fn add(&mut self) -> Result<Expr, String> {
        let mut left = self.mul()?;
        while let Some(sym) = self.peek_sym(&["+", "-"]) {
            self.pos += 1;
            let op = if sym == "+" { Op::Add } else { Op::Sub };
            left = Expr::Binary(op, Box::new(left), Box::new(self.mul()?));
        }
        Ok(left)
    }

    fn mul(&mut self) -> Result<Expr, String> {
        let mut left = self.pow()?;
        while let Some(sym) = self.peek_sym(&["*", "/"]) {
            self.pos += 1;
            let op = if sym == "*" { Op::Mul } else { Op::Div };
            left = Expr::Binary(op, Box::new(left), Box::new(self.pow()?));
        }
        Ok(left)
    }

    fn pow(&mut self) -> Result<Expr, String> {
        let base = self.unary()?;
        if self.peek_sym(&["^"]).is_some() {
            self.pos += 1;
            let exponent = self.nested(Self::pow)?;
            return Ok(Expr::Binary(Op::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_sym(&["-"]).is_some() {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.nested(Self::unary)?)));
        }
        if self.peek_sym(&["!"]).is_some() || self.peek_word("NOT") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.nested(Self::unary)?)));
        }
        self.primary()
    }

    fn list(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let mut items = Vec::new();
        if self.peek_sym(&[close]).is_some() {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(self.or()?);
            if self.peek_sym(&[","]).is_some() {
                self.pos += 1;
                continue;
            }
            self.expect(close)?;
            return Ok(items);
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let tok = self.toks.get(self.pos).cloned().ok_or("Unexpected end of expression")?;
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Number(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Sym("(") => self.nested(|p| {
                let e = p.or()?;
                p.expect(")")?;
                Ok(e)
            }),
            Tok::Sym("[") => Ok(Expr::Array(self.nested(|p| p.list("]"))?)),
            Tok::Ident(name) if self.peek_sym(&["("]).is_some() => {
                self.pos += 1;
                Ok(Expr::Call(name.to_ascii_uppercase(), self.nested(|p| p.list(")"))?))
            }
            Tok::Ident(name) => Ok(Expr::Name(name)),
            other => Err(format!("Unexpected token {}", show(&other))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_calls() {
        let e = parse("100 - 100 * errors / MAX([errors, invocations])").unwrap();
        let Expr::Binary(Op::Sub, l, r) = e else { panic!("not a subtraction") };
        assert_eq!(*l, Expr::Number(100.0));
        let Expr::Binary(Op::Div, _, call) = *r else { panic!("not a division") };
        assert!(matches!(*call, Expr::Call(ref f, ref args) if f == "MAX" && matches!(args[0], Expr::Array(_))));
        assert!(parse("RATE(METRICS()) * 60").is_ok());
        assert!(parse("METRICS(\"m1\") * 100").is_ok());
        assert!(parse("IF(m1 > 2 AND m2 <= 3 || !m3, m1, 0)").is_ok());
        assert_eq!(
            parse("2^3^2").unwrap(),
            Expr::Binary(
                Op::Pow,
                Box::new(Expr::Number(2.0)),
                Box::new(Expr::Binary(Op::Pow, Box::new(Expr::Number(3.0)), Box::new(Expr::Number(2.0))))
            )
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse("m1 +").unwrap_err().contains("end"));
        assert!(parse("m1 $ 2").unwrap_err().contains('$'));
        assert!(parse("(m1").unwrap_err().contains(')'));
        assert!(parse("").is_err());
    }

    /// `n` levels of each construct that recurses, around `m1`.
    fn nested_forms(n: usize) -> Vec<String> {
        vec![
            format!("{}m1{}", "(".repeat(n), ")".repeat(n)),
            format!("{}m1{}", "ABS(".repeat(n), ")".repeat(n)),
            format!("{}m1{}", "[".repeat(n), "]".repeat(n)),
            format!("{}m1", "-".repeat(n)),
            format!("{}m1", "NOT ".repeat(n)),
            format!("{}2", "2^".repeat(n)),
            std::iter::repeat_n("m1", n + 1).collect::<Vec<_>>().join("+"),
        ]
    }

    #[test]
    fn nesting_is_bounded_through_every_path() {
        for (deep, shallow) in nested_forms(MAX_DEPTH + 1).into_iter().zip(nested_forms(MAX_DEPTH)) {
            assert_eq!(parse(&deep).unwrap_err(), too_deep(), "{deep}");
            assert!(parse(&shallow).is_ok(), "{shallow}");
        }
    }

    #[test]
    fn length_is_bounded_before_lexing() {
        let at_limit = format!("m1{}", " ".repeat(MAX_EXPRESSION_CHARS - 2));
        assert!(parse(&at_limit).is_ok());
        let over = format!("{at_limit} ");
        assert!(parse(&over).unwrap_err().contains("2048 characters"));
        assert!(parse(&"(".repeat(2 << 20)).unwrap_err().contains("2048 characters"));
    }
}
