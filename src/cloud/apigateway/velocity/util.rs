//! `$util`: the functions API Gateway documents for mapping templates, with the Java behaviour they
//! wrap (`escapeJavaScript` is Apache Commons Lang's, `urlEncode` is `java.net.URLEncoder` in UTF-8).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::value::{EvalError, written};

pub fn call(name: &str, args: &[Value]) -> Result<Value, EvalError> {
    let arg = args.first().map(written).unwrap_or_default();
    Ok(Value::String(match name {
        "escapeJavaScript" => escape_javascript(&arg),
        "base64Encode" => STANDARD.encode(arg.as_bytes()),
        "base64Decode" => {
            let bytes =
                STANDARD.decode(arg.trim()).map_err(|e| EvalError::Template(format!("$util.base64Decode: {e}")))?;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        "urlEncode" => url_encode(&arg),
        "urlDecode" => url_decode(&arg),
        "parseJson" => {
            return serde_json::from_str(&arg)
                .map_err(|e| EvalError::Template(format!("$util.parseJson could not parse its argument: {e}")));
        }
        other => return Err(EvalError::Template(format!("$util.{other}() is not a function of $util"))),
    }))
}

/// Commons Lang's `StringEscapeUtils.escapeJavaScript`: quotes, backslash and `/` escaped, control
/// characters as `\b \t \n \f \r` or `\u00XX`, and everything past ASCII as `\uXXXX` (UTF-16 units).
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{:04X}", u));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` kept, space as `+`, the rest `%XX`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte; a malformed escape is kept.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}
