//! The subset of Java's DateTimeFormatter patterns Firehose prefixes use, evaluated in an IANA time zone
//! from the tz database bundled with `jiff` (results do not depend on the machine's zoneinfo).
//!
//! Supported letters: `y`/`u` (year; `yy` two digits), `M` (month: `M`, `MM`, `MMM` Aug, `MMMM` August),
//! `d`, `D` (day of year), `H`, `m`, `s`, `S` (fraction), `E` (Mon / Monday), `a` (AM/PM), `h` (clock hour
//! 1–12); text in single quotes is literal (`''` is a quote), other non-letters are literal. Any other
//! letter, or too many of one, is refused as Java refuses it.

use jiff::tz::TimeZone;

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(Vec<Token>);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// An instant in a zone, broken into the fields patterns print.
pub struct Instant(jiff::civil::DateTime);

impl Instant {
    /// An unknown zone falls back to UTC; CreateDeliveryStream has refused it already.
    pub fn new(timestamp_ms: i64, time_zone: &str) -> Instant {
        let ts = jiff::Timestamp::from_millisecond(timestamp_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let tz = zone(time_zone).unwrap_or(TimeZone::UTC);
        Instant(tz.to_datetime(ts))
    }

    pub fn year(&self) -> i16 {
        self.0.year()
    }
}

/// The zone for a CustomTimeZone name: "UTC" or an IANA name in the bundled tz database.
pub fn zone(name: &str) -> Option<TimeZone> {
    if name == "UTC" {
        return Some(TimeZone::UTC);
    }
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    jiff::tz::db().get(name).ok()
}

/// Most letters Java accepts for each supported field.
fn max_count(letter: char) -> Option<usize> {
    match letter {
        'y' | 'u' => Some(9),
        'M' => Some(4),
        'd' | 'H' | 'm' | 's' | 'h' => Some(2),
        'D' => Some(3),
        'S' => Some(9),
        'E' => Some(4),
        'a' => Some(1),
        _ => None,
    }
}

pub fn compile(pattern: &str) -> Result<Pattern, String> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                literal.push('\'');
                continue;
            }
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted text".to_string()),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        literal.push('\'');
                    }
                    Some('\'') => break,
                    Some(q) => literal.push(q),
                }
            }
        } else if c.is_ascii_alphabetic() {
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            let max = max_count(c).ok_or_else(|| format!("unsupported pattern letter '{c}'"))?;
            if count > max {
                return Err(format!("too many pattern letters: '{c}'"));
            }
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal)));
            }
            tokens.push(Token::Field(c, count));
        } else if matches!(c, '[' | ']' | '{' | '}' | '#') {
            return Err(format!("reserved pattern character '{c}'"));
        } else {
            literal.push(c);
        }
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal));
    }
    Ok(Pattern(tokens))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

impl Pattern {
    pub fn format(&self, at: &Instant, out: &mut String) {
        use std::fmt::Write;
        let t = &at.0;
        for token in &self.0 {
            let (letter, n) = match token {
                Token::Literal(s) => {
                    out.push_str(s);
                    continue;
                }
                Token::Field(letter, n) => (*letter, *n),
            };
            let num = |out: &mut String, v: i64| {
                let _ = write!(out, "{v:0n$}");
            };
            match letter {
                'y' | 'u' if n == 2 => num(out, i64::from(t.year()).rem_euclid(100)),
                'y' | 'u' => num(out, i64::from(t.year())),
                'M' if n >= 3 => {
                    let name = MONTHS[(t.month() as usize).saturating_sub(1) % 12];
                    out.push_str(if n == 3 { &name[..3] } else { name });
                }
                'M' => num(out, i64::from(t.month())),
                'd' => num(out, i64::from(t.day())),
                'D' => num(out, i64::from(t.day_of_year())),
                'H' => num(out, i64::from(t.hour())),
                'h' => num(out, i64::from((t.hour() + 11) % 12 + 1)),
                'm' => num(out, i64::from(t.minute())),
                's' => num(out, i64::from(t.second())),
                'S' => {
                    let nanos = format!("{:09}", t.subsec_nanosecond());
                    out.push_str(&nanos[..n.min(9)]);
                }
                'E' => {
                    let name = DAYS[t.weekday().to_monday_zero_offset() as usize % 7];
                    out.push_str(if n == 4 { name } else { &name[..3] });
                }
                'a' => out.push_str(if t.hour() < 12 { "AM" } else { "PM" }),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(p: &str, ms: i64, tz: &str) -> String {
        let mut s = String::new();
        compile(p).unwrap().format(&Instant::new(ms, tz), &mut s);
        s
    }

    #[test]
    fn fields_and_literals() {
        // 2018-08-27T10:30:05.123Z, a Monday.
        let ms = 1_535_365_805_123;
        assert_eq!(fmt("yyyy/MM/dd/HH/", ms, "UTC"), "2018/08/27/10/");
        assert_eq!(fmt("yy-M-d H:m:s", ms, "UTC"), "18-8-27 10:30:5");
        assert_eq!(fmt("DDD", ms, "UTC"), "239");
        assert_eq!(fmt("MMM MMMM EEE EEEE", ms, "UTC"), "Aug August Mon Monday");
        assert_eq!(fmt("hh a SSS", ms, "UTC"), "10 AM 123");
        assert_eq!(fmt("yyyy'-'MM'-'dd", ms, "UTC"), "2018-08-27");
        assert_eq!(fmt("'year='yyyy''", ms, "UTC"), "year=2018'");
        assert_eq!(fmt("HH", ms, "Asia/Kolkata"), "16");
    }

    #[test]
    fn refuses_what_java_refuses() {
        for bad in ["yyyy/qq", "ddd", "HHH", "'open", "yyyy[MM]", "MMMMM", "x"] {
            assert!(compile(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_come_from_the_bundled_database() {
        assert!(zone("Europe/Paris").is_some());
        assert!(zone("UTC").is_some());
        assert!(zone("Europe/Atlantis").is_none());
        assert!(zone("../../etc/passwd").is_none());
    }
}
