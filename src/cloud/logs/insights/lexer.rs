//! Logs Insights query text to tokens, each with its character span so a parse error can name where
//! it is. `/` opens a regex where an operand is expected and divides after one, as in Logs Insights;
//! `#` starts a comment that runs to the end of the line.

use super::error::QueryError;

/// The longest query StartQuery accepts (the `queryString` constraint), checked again here so the
/// lexer is bounded on its own.
pub const MAX_QUERY_CHARS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A field or keyword: `@message`, `a.b`, `stats`, or a backquoted name.
    Ident(String),
    /// A backquoted name, never a keyword.
    Quoted(String),
    Str(String),
    Regex(String),
    Num(f64),
    /// A number with a unit, as `bin(5m)` takes: the span in milliseconds.
    Duration(i64),
    Sym(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

const SYMBOLS: [&str; 18] =
    ["!=", "<=", ">=", "=~", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%"];

pub fn lex(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(QueryError::new(
            format!("the query is {} characters long; the limit is {MAX_QUERY_CHARS}", chars.len()),
            MAX_QUERY_CHARS,
            chars.len(),
        ));
    }
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let tok = if c == '"' || c == '\'' {
            let (s, next) = quoted(&chars, i, c)?;
            i = next;
            Tok::Str(s)
        } else if c == '`' {
            let (s, next) = quoted(&chars, i, '`')?;
            i = next;
            Tok::Quoted(s)
        } else if c == '/' && expects_operand(&out) {
            let (s, next) = regex(&chars, i)?;
            i = next;
            Tok::Regex(s)
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let (tok, next) = number(&chars, i)?;
            i = next;
            tok
        } else if c == '@' || c == '_' || c.is_alphabetic() {
            while i < chars.len() && (chars[i].is_alphanumeric() || "@_.$".contains(chars[i])) {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else if let Some(sym) =
            SYMBOLS.iter().find(|s| s.chars().enumerate().all(|(k, sc)| chars.get(i + k) == Some(&sc)))
        {
            i += sym.chars().count();
            Tok::Sym(sym)
        } else {
            return Err(QueryError::new(format!("unexpected character '{c}'"), i, i + 1));
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// Whether the next token starts an operand, so a `/` there opens a regex rather than dividing.
fn expects_operand(before: &[Token]) -> bool {
    let command = before.iter().rposition(|t| t.tok == Tok::Sym("|")).map_or(0, |p| p + 1);
    // `parse <field> /(?<a>…)/`: the pattern comes right after the field.
    if let [Token { tok: Tok::Ident(word), .. }, _] = &before[command..]
        && word.eq_ignore_ascii_case("parse")
    {
        return true;
    }
    match before.last().map(|t| &t.tok) {
        None => true,
        Some(Tok::Sym(s)) => !matches!(*s, ")" | "]"),
        Some(Tok::Ident(word)) => {
            ["like", "and", "or", "not", "in", "filter", "parse", "by"].iter().any(|k| word.eq_ignore_ascii_case(k))
        }
        Some(_) => false,
    }
}

fn quoted(chars: &[char], open: usize, quote: char) -> Result<(String, usize), QueryError> {
    let mut s = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            c if c == quote => return Ok((s, i + 1)),
            '\\' if i + 1 < chars.len() => {
                let e = chars[i + 1];
                s.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::new(format!("unterminated string: no closing {quote}"), open, chars.len()))
}

/// A regex literal: everything up to the next unescaped `/`; `\/` stands for a slash.
fn regex(chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    let mut s = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '/' => return Ok((s, i + 1)),
            '\\' if chars.get(i + 1) == Some(&'/') => {
                s.push('/');
                i += 2;
            }
            '\\' if i + 1 < chars.len() => {
                s.push('\\');
                s.push(chars[i + 1]);
                i += 2;
            }
            c => {
                s.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::new("unterminated regular expression: no closing /", open, chars.len()))
}

fn number(chars: &[char], start: usize) -> Result<(Tok, usize), QueryError> {
    let mut i = start;
    while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
        i += 1;
    }
    let digits: String = chars[start..i].iter().collect();
    let value: f64 = digits.parse().map_err(|_| QueryError::new(format!("'{digits}' is not a number"), start, i))?;
    let unit_start = i;
    while i < chars.len() && chars[i].is_ascii_alphabetic() {
        i += 1;
    }
    if unit_start == i {
        return Ok((Tok::Num(value), i));
    }
    let unit: String = chars[unit_start..i].iter().collect();
    let ms = match unit.as_str() {
        "ms" => 1.0,
        "s" | "sec" | "second" | "seconds" => 1_000.0,
        "m" | "min" | "minute" | "minutes" => 60_000.0,
        "h" | "hr" | "hour" | "hours" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        "w" | "week" | "weeks" => 7.0 * 86_400_000.0,
        _ => return Err(QueryError::new(format!("unknown time unit '{unit}' in '{digits}{unit}'"), start, i)),
    };
    let span = value * ms;
    if !(1.0..=1e15).contains(&span) {
        return Err(QueryError::new(format!("'{digits}{unit}' is not a usable time span"), start, i));
    }
    Ok((Tok::Duration(span as i64), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(q: &str) -> Vec<Tok> {
        lex(q).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn slash_is_a_regex_where_an_operand_is_due_and_division_after_one() {
        assert_eq!(
            toks("filter a like /x\\/y/ | fields b / 2"),
            [
                Tok::Ident("filter".into()),
                Tok::Ident("a".into()),
                Tok::Ident("like".into()),
                Tok::Regex("x/y".into()),
                Tok::Sym("|"),
                Tok::Ident("fields".into()),
                Tok::Ident("b".into()),
                Tok::Sym("/"),
                Tok::Num(2.0),
            ]
        );
    }

    #[test]
    fn comments_strings_durations_and_spans() {
        let t = lex("# note\nstats count(*) by bin(5m) | filter x = 'its' | parse message /(?<a>\\d+)/").unwrap();
        assert_eq!(t[0].tok, Tok::Ident("stats".into()));
        assert_eq!(t[0].start, 7);
        assert!(t.iter().any(|t| t.tok == Tok::Duration(300_000)));
        assert!(t.iter().any(|t| t.tok == Tok::Str("its".into())));
        assert!(t.iter().any(|t| t.tok == Tok::Regex("(?<a>\\d+)".into())));
    }

    #[test]
    fn bad_input_is_an_error_with_its_place() {
        let e = lex("filter a = \"open").unwrap_err();
        assert_eq!((e.start, e.message.contains("unterminated")), (11, true));
        assert_eq!(lex("fields a ; b").unwrap_err().start, 9);
        assert!(lex("stats count(*) by bin(5parsecs)").is_err());
        assert!(lex(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
    }
}
