//! The JSONPath API Gateway's `$input.json(x)` and `$input.path(x)` take: `$`, `.name`, `['name']`,
//! `[n]` (negative from the end), `.*` and `[*]` (every member, making the result a list), and `..name`
//! (every `name` at any depth). A path that finds nothing is `None`; a malformed path is an error.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Name(String),
    Index(i64),
    Wildcard,
    Deep(String),
}

const MAX_PATH: usize = 4096;

fn steps(path: &str) -> Result<Vec<Step>, String> {
    if path.len() > MAX_PATH {
        return Err(format!("a JSONPath longer than {MAX_PATH} characters"));
    }
    let path = path.trim();
    let rest = path.strip_prefix('$').ok_or_else(|| format!("the JSONPath {path} does not start with $"))?;
    let b = rest.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let name_end = |from: usize| from + b[from..].iter().take_while(|c| !matches!(c, b'.' | b'[')).count();
    while i < b.len() {
        match b[i] {
            b'.' if b.get(i + 1) == Some(&b'.') => {
                let end = name_end(i + 2);
                out.push(Step::Deep(rest[i + 2..end].to_string()));
                i = end;
            }
            b'.' => {
                let end = name_end(i + 1);
                let name = &rest[i + 1..end];
                out.push(if name == "*" { Step::Wildcard } else { Step::Name(name.to_string()) });
                i = end;
            }
            b'[' => {
                let close = rest[i..].find(']').map(|n| i + n).ok_or_else(|| format!("unclosed [ in {path}"))?;
                let inner = rest[i + 1..close].trim();
                let quoted = inner
                    .strip_prefix('\'')
                    .and_then(|s| s.strip_suffix('\''))
                    .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')));
                out.push(match quoted {
                    Some(name) => Step::Name(name.to_string()),
                    None if inner == "*" => Step::Wildcard,
                    None => Step::Index(inner.parse().map_err(|_| format!("[{inner}] is not an index in {path}"))?),
                });
                i = close + 1;
            }
            _ => return Err(format!("unexpected {} in the JSONPath {path}", b[i] as char)),
        }
    }
    Ok(out)
}

/// Evaluates `path` against `root`.
pub fn select(root: &Value, path: &str) -> Result<Option<Value>, String> {
    let steps = steps(path)?;
    let mut current: Vec<&Value> = vec![root];
    let mut many = false;
    for step in &steps {
        let mut next = Vec::new();
        for v in current {
            match step {
                Step::Name(n) => next.extend(v.get(n.as_str())),
                Step::Index(i) => {
                    if let Value::Array(a) = v {
                        let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                        next.extend(usize::try_from(idx).ok().and_then(|i| a.get(i)));
                    }
                }
                Step::Wildcard => match v {
                    Value::Array(a) => next.extend(a.iter()),
                    Value::Object(o) => next.extend(o.values()),
                    _ => {}
                },
                Step::Deep(n) => deep(v, n, &mut next),
            }
        }
        many |= matches!(step, Step::Wildcard | Step::Deep(_));
        current = next;
    }
    Ok(match (many, current.as_slice()) {
        (true, found) => Some(Value::Array(found.iter().map(|v| (*v).clone()).collect())),
        (false, [one]) => Some((*one).clone()),
        (false, _) => None,
    })
}

fn deep<'v>(v: &'v Value, name: &str, out: &mut Vec<&'v Value>) {
    match v {
        Value::Object(o) => {
            if let Some(found) = o.get(name) {
                out.push(found);
            }
            for child in o.values() {
                deep(child, name, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| deep(c, name, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_select_members_elements_and_lists() {
        let doc = json!({"records": [{"data": "a", "k": 1}, {"data": "b", "k": 2}], "x y": {"z": true}});
        assert_eq!(select(&doc, "$").unwrap(), Some(doc.clone()));
        assert_eq!(select(&doc, "$.records[1].data").unwrap(), Some(json!("b")));
        assert_eq!(select(&doc, "$.records[-1].k").unwrap(), Some(json!(2)));
        assert_eq!(select(&doc, "$['x y'].z").unwrap(), Some(json!(true)));
        assert_eq!(select(&doc, "$.records[*].data").unwrap(), Some(json!(["a", "b"])));
        assert_eq!(select(&doc, "$..k").unwrap(), Some(json!([1, 2])));
        assert_eq!(select(&doc, "$.missing").unwrap(), None);
        assert_eq!(select(&doc, "$.records[9]").unwrap(), None);
        assert!(select(&doc, "records").is_err());
        assert!(select(&doc, "$.records[x]").is_err());
    }
}
