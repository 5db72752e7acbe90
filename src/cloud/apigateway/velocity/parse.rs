//! The Velocity subset API Gateway's mapping templates use, parsed into a tree. Bounded: a template
//! longer than [`MAX_LEN`] or nested deeper than [`MAX_DEPTH`] (directives and expressions together)
//! is refused, so no template can exhaust the host.
//!
//! | construct | form |
//! |---|---|
//! | reference | `$a`, `$!a`, `${a}`, `$!{a}`, then `.prop`, `.method(args)`, `[index]` |
//! | directives | `#set($a = e)`, `#if(e)` `#elseif(e)` `#else` `#end`, `#foreach($x in e)` `#end`, `#{else}`, `#{end}` |
//! | comments | `## to the end of the line`, `#* block *#` |
//! | expressions | literals (`'single'`, `"double with $refs"`, numbers, `true`, `false`, `null`), `[a, b]`, `[1..3]`, `{k: v}`, `!` `-` `*` `/` `%` `+` `-` `<` `<=` `>` `>=` `==` `!=` `&&` `\|\|` and their word forms `not` `lt` `le` `gt` `ge` `eq` `ne` `and` `or` |
//!
//! A `#` or `$` that starts nothing above is text, as in Velocity.

pub const MAX_LEN: usize = 300 * 1024;
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    /// A reference written in the text; `source` is how it was written, output when it is null.
    Ref {
        reference: Ref,
        quiet: bool,
        source: String,
    },
    Set(Ref, Expr),
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Vec<Node>,
    },
    Foreach {
        var: String,
        over: Expr,
        body: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub root: String,
    pub chain: Vec<Seg>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    Prop(String),
    Call(String, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(serde_json::Value),
    /// A double-quoted string: its references are evaluated.
    Interpolated(Vec<Node>),
    Ref(Ref),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid mapping template: {message} (at character {at})")]
pub struct ParseError {
    pub message: String,
    pub at: usize,
}

/// Parses a whole template.
pub fn parse(template: &str) -> Result<Vec<Node>, ParseError> {
    if template.len() > MAX_LEN {
        return Err(ParseError { message: format!("the template is longer than {MAX_LEN} bytes"), at: 0 });
    }
    let mut p = Parser { s: template.as_bytes(), src: template, pos: 0, depth: 0 };
    let (nodes, end) = p.block()?;
    match end {
        Closer::Eof => Ok(nodes),
        other => Err(p.err(format!("{} without a matching #if or #foreach", other.name()))),
    }
}

/// What ended a block of nodes.
enum Closer {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

impl Closer {
    fn name(&self) -> &'static str {
        match self {
            Closer::Eof => "the end of the template",
            Closer::End => "#end",
            Closer::Else => "#else",
            Closer::ElseIf(_) => "#elseif",
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    pos: usize,
    depth: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'a> Parser<'a> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError { message: message.into(), at: self.pos }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.pos + n).copied()
    }

    fn starts(&self, lit: &str) -> bool {
        self.s[self.pos..].starts_with(lit.as_bytes())
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Text, references and directives up to `#end`, `#else`, `#elseif` or the end.
    fn block(&mut self) -> Result<(Vec<Node>, Closer), ParseError> {
        self.enter()?;
        let mut nodes = Vec::new();
        let mut text = String::new();
        let end = loop {
            let Some(b) = self.peek() else { break Closer::Eof };
            if b == b'$' {
                if let Some(node) = self.text_reference()? {
                    flush(&mut text, &mut nodes);
                    nodes.push(node);
                    continue;
                }
            } else if b == b'#' {
                match self.directive()? {
                    Directive::Node(node) => {
                        flush(&mut text, &mut nodes);
                        nodes.push(node);
                        continue;
                    }
                    Directive::End(end) => {
                        flush(&mut text, &mut nodes);
                        break end;
                    }
                    Directive::Comment => continue,
                    Directive::None => {}
                }
            }
            // Plain text up to the next `$` or `#` (a char boundary: both are ASCII).
            let start = self.pos;
            self.pos += 1;
            while let Some(c) = self.peek() {
                if c == b'$' || c == b'#' {
                    break;
                }
                self.pos += 1;
            }
            text.push_str(&self.src[start..self.pos]);
        };
        flush(&mut text, &mut nodes);
        self.leave();
        Ok((nodes, end))
    }

    /// A reference in text, or `None` (and nothing consumed) when the `$` starts none.
    fn text_reference(&mut self) -> Result<Option<Node>, ParseError> {
        let start = self.pos;
        let mut i = 1;
        let quiet = self.peek_at(i) == Some(b'!');
        if quiet {
            i += 1;
        }
        let braced = self.peek_at(i) == Some(b'{');
        if braced {
            i += 1;
        }
        if !self.peek_at(i).is_some_and(is_ident_start) {
            return Ok(None);
        }
        self.pos += i;
        let reference = self.reference_body(!braced)?;
        if braced {
            if self.peek() != Some(b'}') {
                return Err(self.err("a ${...} reference is not closed with }"));
            }
            self.pos += 1;
        }
        let source = self.src[start..self.pos].to_string();
        Ok(Some(Node::Ref { reference, quiet, source }))
    }

    /// The name and its chain; in text (`in_text`), a `.` not followed by a name ends the reference.
    fn reference_body(&mut self, in_text: bool) -> Result<Ref, ParseError> {
        let root = self.ident().ok_or_else(|| self.err("expected a name after $"))?;
        let mut chain = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.peek_at(1).is_some_and(is_ident_start) => {
                    self.pos += 1;
                    let name = self.ident().unwrap_or_default();
                    if self.peek() == Some(b'(') {
                        self.pos += 1;
                        let args = self.args(b')')?;
                        chain.push(Seg::Call(name, args));
                    } else {
                        chain.push(Seg::Prop(name));
                    }
                }
                Some(b'[') if !in_text || self.peek_at(1).is_some_and(|b| b != b']') => {
                    self.pos += 1;
                    self.enter()?;
                    let index = self.expr()?;
                    self.leave();
                    self.ws();
                    if self.peek() != Some(b']') {
                        return Err(self.err("an index is not closed with ]"));
                    }
                    self.pos += 1;
                    chain.push(Seg::Index(index));
                }
                _ => break,
            }
            if chain.len() > 256 {
                return Err(self.err("a reference chain longer than 256 steps"));
            }
        }
        Ok(Ref { root, chain })
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        // A trailing `-` belongs to the text (`$a-` in `"$a-$b"`), as Velocity reads it.
        while self.pos > start + 1 && self.s[self.pos - 1] == b'-' {
            self.pos -= 1;
        }
        Some(self.src[start..self.pos].to_string())
    }

    /// Comma-separated expressions up to `close`.
    fn args(&mut self, close: u8) -> Result<Vec<Expr>, ParseError> {
        self.enter()?;
        let mut out = Vec::new();
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            self.leave();
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err(format!("expected , or {}", close as char))),
            }
        }
        self.leave();
        Ok(out)
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }
}

enum Directive {
    Node(Node),
    End(Closer),
    Comment,
    None,
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}

impl<'a> Parser<'a> {
    fn directive(&mut self) -> Result<Directive, ParseError> {
        if self.starts("##") {
            while self.peek().is_some_and(|b| b != b'\n') {
                self.pos += 1;
            }
            return Ok(Directive::Comment);
        }
        if self.starts("#*") {
            let Some(end) = self.src[self.pos + 2..].find("*#") else {
                return Err(self.err("a #* comment is not closed with *#"));
            };
            self.pos += 2 + end + 2;
            return Ok(Directive::Comment);
        }
        let braced = self.peek_at(1) == Some(b'{');
        let name_at = self.pos + if braced { 2 } else { 1 };
        let name_len = self.s[name_at..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let name = &self.src[name_at..name_at + name_len];
        let after = name_at + name_len;
        if braced && self.s.get(after) != Some(&b'}') {
            return Ok(Directive::None);
        }
        let after = if braced { after + 1 } else { after };
        match name {
            "end" | "else" => {
                self.pos = after;
                Ok(Directive::End(if name == "end" { Closer::End } else { Closer::Else }))
            }
            "set" | "if" | "elseif" | "foreach" => {
                self.pos = after;
                self.ws_inline();
                if self.peek() != Some(b'(') {
                    return Err(self.err(format!("#{name} needs its arguments in parentheses")));
                }
                self.pos += 1;
                match name {
                    "set" => self.set().map(Directive::Node),
                    "if" => self.if_chain().map(Directive::Node),
                    "elseif" => {
                        let cond = self.condition()?;
                        Ok(Directive::End(Closer::ElseIf(cond)))
                    }
                    _ => self.foreach().map(Directive::Node),
                }
            }
            _ => Ok(Directive::None),
        }
    }

    fn ws_inline(&mut self) {
        while self.peek().is_some_and(|b| b == b' ' || b == b'\t') {
            self.pos += 1;
        }
    }

    /// `#set($a.b = e)`; the newline after it is dropped, as Velocity does.
    fn set(&mut self) -> Result<Node, ParseError> {
        self.ws();
        if self.peek() != Some(b'$') {
            return Err(self.err("#set needs a reference to assign"));
        }
        self.pos += 1;
        if self.peek() == Some(b'!') {
            self.pos += 1;
        }
        let braced = self.peek() == Some(b'{');
        if braced {
            self.pos += 1;
        }
        let target = self.reference_body(false)?;
        if braced {
            if self.peek() != Some(b'}') {
                return Err(self.err("a ${...} reference is not closed with }"));
            }
            self.pos += 1;
        }
        self.ws();
        if self.peek() != Some(b'=') {
            return Err(self.err("#set needs ="));
        }
        self.pos += 1;
        let value = self.expr()?;
        self.close_paren("#set")?;
        self.eat_newline();
        Ok(Node::Set(target, value))
    }

    fn close_paren(&mut self, what: &str) -> Result<(), ParseError> {
        self.ws();
        if self.peek() != Some(b')') {
            return Err(self.err(format!("{what} is not closed with )")));
        }
        self.pos += 1;
        Ok(())
    }

    fn eat_newline(&mut self) {
        let save = self.pos;
        self.ws_inline();
        if self.starts("\r\n") {
            self.pos += 2;
        } else if self.peek() == Some(b'\n') {
            self.pos += 1;
        } else {
            self.pos = save;
        }
    }

    fn condition(&mut self) -> Result<Expr, ParseError> {
        let cond = self.expr()?;
        self.close_paren("a condition")?;
        Ok(cond)
    }

    fn if_chain(&mut self) -> Result<Node, ParseError> {
        let mut cond = self.condition()?;
        let mut branches = Vec::new();
        loop {
            let (body, end) = self.block()?;
            branches.push((cond, body));
            match end {
                Closer::ElseIf(next) => cond = next,
                Closer::Else => {
                    let (otherwise, end) = self.block()?;
                    if !matches!(end, Closer::End) {
                        return Err(self.err(format!("#else ended by {} instead of #end", end.name())));
                    }
                    return Ok(Node::If { branches, otherwise });
                }
                Closer::End => return Ok(Node::If { branches, otherwise: Vec::new() }),
                Closer::Eof => return Err(self.err("#if without #end")),
            }
        }
    }

    fn foreach(&mut self) -> Result<Node, ParseError> {
        self.ws();
        if self.peek() != Some(b'$') {
            return Err(self.err("#foreach needs a loop variable"));
        }
        self.pos += 1;
        let braced = self.peek() == Some(b'{');
        if braced {
            self.pos += 1;
        }
        let var = self.ident().ok_or_else(|| self.err("#foreach needs a loop variable"))?;
        if braced {
            if self.peek() != Some(b'}') {
                return Err(self.err("a ${...} reference is not closed with }"));
            }
            self.pos += 1;
        }
        self.ws();
        if !self.starts("in") {
            return Err(self.err("#foreach needs `in`"));
        }
        self.pos += 2;
        let over = self.expr()?;
        self.close_paren("#foreach")?;
        let (body, end) = self.block()?;
        if !matches!(end, Closer::End) {
            return Err(self.err(format!("#foreach ended by {} instead of #end", end.name())));
        }
        Ok(Node::Foreach { var, over, body })
    }
}

/// Expressions, lowest precedence first.
impl<'a> Parser<'a> {
    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.binary(0);
        self.leave();
        e
    }

    /// Precedence climbing over the binary operators' levels.
    fn binary(&mut self, level: usize) -> Result<Expr, ParseError> {
        const LEVELS: [&[(&str, Op)]; 5] = [
            &[("||", Op::Or), ("or", Op::Or)],
            &[("&&", Op::And), ("and", Op::And)],
            &[("==", Op::Eq), ("!=", Op::Ne), ("eq", Op::Eq), ("ne", Op::Ne)],
            &[
                ("<=", Op::Le),
                (">=", Op::Ge),
                ("<", Op::Lt),
                (">", Op::Gt),
                ("le", Op::Le),
                ("ge", Op::Ge),
                ("lt", Op::Lt),
                ("gt", Op::Gt),
            ],
            &[("+", Op::Add), ("-", Op::Sub)],
        ];
        if level == LEVELS.len() {
            return self.multiplicative();
        }
        let mut left = self.binary(level + 1)?;
        'outer: loop {
            self.ws();
            for (token, op) in LEVELS[level] {
                if self.starts(token) && self.operator_ends(token) {
                    self.pos += token.len();
                    self.enter()?;
                    let right = self.binary(level + 1)?;
                    self.leave();
                    left = Expr::Binary(*op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    /// A word operator (`and`) must not be the start of a longer word.
    fn operator_ends(&self, token: &str) -> bool {
        !token.as_bytes()[0].is_ascii_alphabetic() || !self.s.get(self.pos + token.len()).is_some_and(|b| is_ident(*b))
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some(b'*') => Op::Mul,
                Some(b'/') => Op::Div,
                Some(b'%') => Op::Mod,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        self.enter()?;
        let e = if self.peek() == Some(b'!') && self.peek_at(1) != Some(b'=') {
            self.pos += 1;
            Expr::Not(Box::new(self.unary()?))
        } else if self.starts("not") && self.operator_ends("not") {
            self.pos += 3;
            Expr::Not(Box::new(self.unary()?))
        } else if self.peek() == Some(b'-') && !self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            Expr::Neg(Box::new(self.unary()?))
        } else {
            self.primary()?
        };
        self.leave();
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        match self.peek() {
            Some(b'(') => {
                self.pos += 1;
                let e = self.expr()?;
                self.close_paren("a parenthesis")?;
                Ok(e)
            }
            Some(b'$') => {
                self.pos += 1;
                if self.peek() == Some(b'!') {
                    self.pos += 1;
                }
                let braced = self.peek() == Some(b'{');
                if braced {
                    self.pos += 1;
                }
                let r = self.reference_body(false)?;
                if braced {
                    if self.peek() != Some(b'}') {
                        return Err(self.err("a ${...} reference is not closed with }"));
                    }
                    self.pos += 1;
                }
                Ok(Expr::Ref(r))
            }
            Some(q @ (b'\'' | b'"')) => self.string(q),
            Some(b'[') => {
                self.pos += 1;
                self.list()
            }
            Some(b'{') => {
                self.pos += 1;
                self.map()
            }
            Some(b) if b.is_ascii_digit() || b == b'-' => self.number(),
            Some(b) if is_ident_start(b) => {
                let word = self.ident().unwrap_or_default();
                match word.as_str() {
                    "true" => Ok(Expr::Lit(true.into())),
                    "false" => Ok(Expr::Lit(false.into())),
                    "null" => Ok(Expr::Lit(serde_json::Value::Null)),
                    _ => Err(self.err(format!("unexpected word {word} in an expression"))),
                }
            }
            Some(b) => Err(self.err(format!("unexpected {} in an expression", b as char))),
            None => Err(self.err("the template ends inside an expression")),
        }
    }

    fn string(&mut self, quote: u8) -> Result<Expr, ParseError> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.err("a string is not closed")),
                // Velocity doubles a quote to escape it inside a string of the same quotes.
                Some(c) if c == quote && self.peek_at(1) == Some(quote) => self.pos += 2,
                Some(c) if c == quote => break,
                Some(_) => self.pos += 1,
            }
        }
        let doubled = [quote, quote];
        let raw = self.src[start..self.pos].replace(
            std::str::from_utf8(&doubled).unwrap_or_default(),
            std::str::from_utf8(&doubled[..1]).unwrap_or_default(),
        );
        self.pos += 1;
        if quote == b'\'' || !raw.contains(['$', '#']) {
            return Ok(Expr::Lit(serde_json::Value::String(raw)));
        }
        let mut inner = Parser { s: raw.as_bytes(), src: &raw, pos: 0, depth: self.depth };
        let (nodes, end) = inner.block().map_err(|e| ParseError { at: start + e.at, ..e })?;
        if !matches!(end, Closer::Eof) {
            return Err(self.err("a directive ends inside a string"));
        }
        Ok(Expr::Interpolated(nodes))
    }

    fn list(&mut self) -> Result<Expr, ParseError> {
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Expr::List(Vec::new()));
        }
        let first = self.expr()?;
        self.ws();
        if self.starts("..") {
            self.pos += 2;
            let last = self.expr()?;
            self.ws();
            if self.peek() != Some(b']') {
                return Err(self.err("a range is not closed with ]"));
            }
            self.pos += 1;
            return Ok(Expr::Range(Box::new(first), Box::new(last)));
        }
        let mut items = vec![first];
        loop {
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    items.push(self.expr()?);
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Expr::List(items));
                }
                _ => return Err(self.err("expected , or ] in a list")),
            }
        }
    }

    fn map(&mut self) -> Result<Expr, ParseError> {
        let mut entries = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Expr::Map(entries));
        }
        loop {
            let key = self.expr()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected : in a map"));
            }
            self.pos += 1;
            let value = self.expr()?;
            entries.push((key, value));
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Expr::Map(entries));
                }
                _ => return Err(self.err("expected , or } in a map")),
            }
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let is_float = self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit());
        if is_float {
            self.pos += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let text = &self.src[start..self.pos];
        let value = if is_float {
            text.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(serde_json::Value::Number)
        } else {
            text.parse::<i64>().ok().map(serde_json::Value::from)
        };
        value.map(Expr::Lit).ok_or_else(|| self.err(format!("{text} is not a number")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_references_and_directives_parse_into_a_tree() {
        let nodes = parse("a $b.c('x') #if($d == 1)y#elseif(!$e)z#{else}w#end$!f").unwrap();
        assert_eq!(nodes.len(), 5, "{nodes:#?}");
        assert!(matches!(&nodes[1], Node::Ref { source, quiet: false, .. } if source == "$b.c('x')"));
        assert!(matches!(&nodes[3], Node::If { branches, otherwise } if branches.len() == 2 && otherwise.len() == 1));
        assert!(matches!(&nodes[4], Node::Ref { quiet: true, .. }));
    }

    #[test]
    fn lone_dollars_and_hashes_are_text() {
        assert_eq!(parse("$ 5 # x $.a #nope").unwrap(), vec![Node::Text("$ 5 # x $.a #nope".into())]);
    }

    #[test]
    fn bad_templates_are_refused_with_a_position() {
        for bad in ["#if($a)", "#end", "#set($a 1)", "${a", "#foreach($a $b)#end", "#if($a)#else#elseif($b)#end", "#*"]
        {
            let e = parse(bad).unwrap_err();
            assert!(e.to_string().starts_with("Invalid mapping template:"), "{bad}: {e}");
        }
    }

    #[test]
    fn length_and_depth_are_bounded() {
        let deep = format!("#set($a = {}1{})", "(".repeat(200), ")".repeat(200));
        assert!(parse(&deep).unwrap_err().message.contains("nesting deeper"));
        let nested = "#if(true)".repeat(100) + &"#end".repeat(100);
        assert!(parse(&nested).unwrap_err().message.contains("nesting deeper"));
        assert!(parse(&"x".repeat(MAX_LEN + 1)).unwrap_err().message.contains("longer than"));
    }
}
