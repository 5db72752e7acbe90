//! Runs a parsed mapping template against one request, as API Gateway's Velocity does.
//!
//! | rule | behaviour |
//! |---|---|
//! | a null reference | written as it was in the template (`$a.b`), or nothing when quiet (`$!a.b`) |
//! | strings, numbers, booleans | written as they are; lists as `[a, b]`, maps as `{k=v}` (Java's `toString`) |
//! | `#if` | false for null and `false`, true for anything else |
//! | `==` between different types | compares their written forms, as Velocity 1.7 does |
//! | `#foreach` over a map | its values; over null, nothing; `$foreach.hasNext`, `.index`, `.count`, `$velocityCount` |
//! | `$input.path(x)` / `$input.json(x)` | the JSONPath's value / its JSON text (`""` when it finds nothing) |
//!
//! Work is bounded: at most [`MAX_STEPS`] loop iterations and [`MAX_OUTPUT`] bytes of output.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::jsonpath;
use super::parse::{Expr, Node, Op, Ref, Seg};
use super::util;
pub use super::value::{EvalError, written};

pub const MAX_STEPS: usize = 1_000_000;
pub const MAX_OUTPUT: usize = 10 * 1024 * 1024;

/// What a template can see of the request.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub body: String,
    /// `path`, `querystring` and `header` maps of strings.
    pub params: Value,
    pub context: Value,
    pub stage_variables: Value,
}

pub struct Evaluator<'r> {
    request: &'r Request,
    body_json: Option<Value>,
    vars: HashMap<String, Value>,
    out: String,
    steps: usize,
}

/// Renders `nodes` for `request`.
pub fn render(nodes: &[Node], request: &Request) -> Result<String, EvalError> {
    let mut e = Evaluator { request, body_json: None, vars: HashMap::new(), out: String::new(), steps: 0 };
    e.nodes(nodes)?;
    Ok(e.out)
}

fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

fn template_err(message: impl Into<String>) -> EvalError {
    EvalError::Template(message.into())
}

impl<'r> Evaluator<'r> {
    fn nodes(&mut self, nodes: &[Node]) -> Result<(), EvalError> {
        for node in nodes {
            self.node(node)?;
            if self.out.len() > MAX_OUTPUT {
                return Err(template_err(format!("the output is larger than {MAX_OUTPUT} bytes")));
            }
        }
        Ok(())
    }

    fn node(&mut self, node: &Node) -> Result<(), EvalError> {
        match node {
            Node::Text(t) => self.out.push_str(t),
            Node::Ref { reference, quiet, source } => match self.reference(reference)? {
                Value::Null if *quiet => {}
                Value::Null => self.out.push_str(source),
                v => self.out.push_str(&written(&v)),
            },
            Node::Set(target, value) => {
                let v = self.expr(value)?;
                self.assign(target, v)?;
            }
            Node::If { branches, otherwise } => {
                for (cond, body) in branches {
                    if truthy(&self.expr(cond)?) {
                        return self.nodes(body);
                    }
                }
                self.nodes(otherwise)?;
            }
            Node::Foreach { var, over, body } => self.foreach(var, over, body)?,
        }
        Ok(())
    }

    fn foreach(&mut self, var: &str, over: &Expr, body: &[Node]) -> Result<(), EvalError> {
        let items = match self.expr(over)? {
            Value::Array(a) => a,
            Value::Object(o) => o.into_iter().map(|(_, v)| v).collect(),
            _ => return Ok(()),
        };
        let saved = (self.vars.remove(var), self.vars.remove("foreach"), self.vars.remove("velocityCount"));
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(template_err(format!("more than {MAX_STEPS} loop iterations")));
            }
            let state = serde_json::json!({
                "hasNext": i + 1 < n, "index": i, "count": i + 1, "first": i == 0, "last": i + 1 == n,
            });
            self.vars.insert("foreach".into(), state);
            self.vars.insert("velocityCount".into(), Value::from(i + 1));
            self.vars.insert(var.to_string(), item);
            self.nodes(body)?;
        }
        for (name, old) in [(var, saved.0), ("foreach", saved.1), ("velocityCount", saved.2)] {
            match old {
                Some(v) => self.vars.insert(name.to_string(), v),
                None => self.vars.remove(name),
            };
        }
        Ok(())
    }

    fn assign(&mut self, target: &Ref, value: Value) -> Result<(), EvalError> {
        let Some((last, path)) = target.chain.split_last() else {
            self.vars.insert(target.root.clone(), value);
            return Ok(());
        };
        let mut slot = self.vars.get_mut(&target.root);
        for seg in path {
            slot = match (seg, slot) {
                (Seg::Prop(name), Some(Value::Object(o))) => o.get_mut(name),
                _ => None,
            };
        }
        match (last, slot) {
            (Seg::Prop(name), Some(Value::Object(o))) => {
                o.insert(name.clone(), value);
                Ok(())
            }
            _ => Err(template_err(format!("#set cannot assign to ${}", target.root))),
        }
    }

    fn body_json(&mut self) -> Result<&Value, EvalError> {
        if self.body_json.is_none() {
            let body = self.request.body.trim();
            let parsed = if body.is_empty() {
                Value::Object(Map::new())
            } else {
                serde_json::from_str(body).map_err(|e| EvalError::Body(e.to_string()))?
            };
            self.body_json = Some(parsed);
        }
        Ok(self.body_json.get_or_insert(Value::Null))
    }

    fn reference(&mut self, r: &Ref) -> Result<Value, EvalError> {
        let (mut value, rest) = match (r.root.as_str(), r.chain.first()) {
            (name, _) if self.vars.contains_key(name) => (self.vars[name].clone(), &r.chain[..]),
            ("input", Some(seg)) => (self.input(seg)?, &r.chain[1..]),
            ("util", Some(Seg::Call(name, args))) => {
                let args = self.args(args)?;
                (util::call(name, &args)?, &r.chain[1..])
            }
            ("context", _) => (self.request.context.clone(), &r.chain[..]),
            ("stageVariables", _) => (self.request.stage_variables.clone(), &r.chain[..]),
            _ => return Ok(Value::Null),
        };
        for seg in rest {
            value = match seg {
                Seg::Prop(name) => property(&value, name),
                Seg::Index(i) => {
                    let i = self.expr(i)?;
                    index(&value, &i)
                }
                Seg::Call(name, args) => {
                    let args = self.args(args)?;
                    method(&value, name, &args)?
                }
            };
            if value.is_null() {
                break;
            }
        }
        Ok(value)
    }

    fn input(&mut self, seg: &Seg) -> Result<Value, EvalError> {
        match seg {
            Seg::Prop(p) if p == "body" => Ok(Value::String(self.request.body.clone())),
            Seg::Call(name, args) => {
                let args = self.args(args)?;
                let path = args.first().map(written).unwrap_or_default();
                match name.as_str() {
                    "path" => {
                        Ok(jsonpath::select(self.body_json()?, &path).map_err(template_err)?.unwrap_or(Value::Null))
                    }
                    "json" => {
                        let found = jsonpath::select(self.body_json()?, &path).map_err(template_err)?;
                        Ok(Value::String(found.map(|v| v.to_string()).unwrap_or_default()))
                    }
                    "params" if args.is_empty() => Ok(self.request.params.clone()),
                    "params" => Ok(self.param(&path)),
                    _ => Err(template_err(format!("$input.{name}() is not a function of $input"))),
                }
            }
            _ => Ok(Value::Null),
        }
    }

    /// `$input.params(x)`: a path parameter, else a query string parameter, else a header.
    fn param(&self, name: &str) -> Value {
        for section in ["path", "querystring"] {
            if let Some(v) = self.request.params.get(section).and_then(|s| s.get(name)) {
                return v.clone();
            }
        }
        let headers = self.request.params.get("header").and_then(Value::as_object);
        headers
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::String(String::new()))
    }

    fn args(&mut self, args: &[Expr]) -> Result<Vec<Value>, EvalError> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn expr(&mut self, e: &Expr) -> Result<Value, EvalError> {
        Ok(match e {
            Expr::Lit(v) => v.clone(),
            Expr::Interpolated(nodes) => {
                let saved = std::mem::take(&mut self.out);
                let rendered = self.nodes(nodes);
                let text = std::mem::replace(&mut self.out, saved);
                rendered?;
                Value::String(text)
            }
            Expr::Ref(r) => self.reference(r)?,
            Expr::List(items) => Value::Array(self.args(items)?),
            Expr::Range(a, b) => {
                let (a, b) = (self.expr(a)?.as_i64(), self.expr(b)?.as_i64());
                let (Some(a), Some(b)) = (a, b) else { return Ok(Value::Null) };
                if a.abs_diff(b) > 100_000 {
                    return Err(template_err("a range of more than 100000 numbers"));
                }
                if a <= b { (a..=b).map(Value::from).collect() } else { (b..=a).rev().map(Value::from).collect() }
            }
            Expr::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    let k = written(&self.expr(k)?);
                    m.insert(k, self.expr(v)?);
                }
                Value::Object(m)
            }
            Expr::Not(inner) => Value::Bool(!truthy(&self.expr(inner)?)),
            Expr::Neg(inner) => arith(Op::Sub, &Value::from(0), &self.expr(inner)?),
            Expr::Binary(Op::And, a, b) => Value::Bool(truthy(&self.expr(a)?) && truthy(&self.expr(b)?)),
            Expr::Binary(Op::Or, a, b) => Value::Bool(truthy(&self.expr(a)?) || truthy(&self.expr(b)?)),
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                binary(*op, &a, &b)
            }
        })
    }
}

fn property(v: &Value, name: &str) -> Value {
    match v {
        Value::Object(o) => o.get(name).cloned().unwrap_or(Value::Null),
        // Velocity reads `$x.empty` as `isEmpty()` and `$list.size` not at all; strings and lists have
        // no other properties the templates use.
        _ if name == "empty" => method(v, "isEmpty", &[]).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn index(v: &Value, i: &Value) -> Value {
    match (v, i) {
        (Value::Array(a), Value::Number(n)) => {
            n.as_u64().and_then(|n| a.get(n as usize)).cloned().unwrap_or(Value::Null)
        }
        (Value::Object(o), key) => o.get(&written(key)).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn binary(op: Op, a: &Value, b: &Value) -> Value {
    match op {
        Op::Eq => Value::Bool(equal(a, b)),
        Op::Ne => Value::Bool(!equal(a, b)),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ord = match (a, b) {
                (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
                _ => number(a).zip(number(b)).and_then(|(x, y)| x.partial_cmp(&y)),
            };
            let Some(ord) = ord else { return Value::Bool(false) };
            Value::Bool(match op {
                Op::Lt => ord.is_lt(),
                Op::Le => ord.is_le(),
                Op::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        _ => arith(op, a, b),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => number(a) == number(b),
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => written(a) == written(b),
    }
}

/// Integer arithmetic stays integral (Velocity's `/` on integers truncates); anything with a
/// fraction is a double; a non-number operand makes the result null.
fn arith(op: Op, a: &Value, b: &Value) -> Value {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        let r = match op {
            Op::Add => x.checked_add(y),
            Op::Sub => x.checked_sub(y),
            Op::Mul => x.checked_mul(y),
            Op::Div => x.checked_div(y),
            Op::Mod => x.checked_rem(y),
            _ => None,
        };
        return r.map(Value::from).unwrap_or(Value::Null);
    }
    let (Some(x), Some(y)) = (number(a), number(b)) else { return Value::Null };
    let r = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::Div if y != 0.0 => x / y,
        Op::Mod if y != 0.0 => x % y,
        _ => return Value::Null,
    };
    serde_json::Number::from_f64(r).map(Value::Number).unwrap_or(Value::Null)
}

fn arg_str(args: &[Value], i: usize) -> String {
    args.get(i).map(written).unwrap_or_default()
}

fn arg_usize(args: &[Value], i: usize) -> Option<usize> {
    args.get(i).and_then(Value::as_u64).map(|n| n as usize)
}

/// The Java methods the templates call on strings, lists and maps.
fn method(v: &Value, name: &str, args: &[Value]) -> Result<Value, EvalError> {
    let unknown = || template_err(format!("no method {name}() on {}", written(v)));
    Ok(match (v, name) {
        (_, "toString") => Value::String(written(v)),
        (_, "equals") => Value::Bool(args.first().is_some_and(|a| equal(v, a))),
        (Value::Array(a), "size") => Value::from(a.len()),
        (Value::Object(o), "size") => Value::from(o.len()),
        (Value::Array(a), "isEmpty") => Value::Bool(a.is_empty()),
        (Value::Object(o), "isEmpty") => Value::Bool(o.is_empty()),
        (Value::String(s), "isEmpty") => Value::Bool(s.is_empty()),
        (Value::Array(a), "get") => arg_usize(args, 0).and_then(|i| a.get(i)).cloned().unwrap_or(Value::Null),
        (Value::Object(o), "get") => o.get(&arg_str(args, 0)).cloned().unwrap_or(Value::Null),
        (Value::Array(a), "contains") => Value::Bool(args.first().is_some_and(|x| a.iter().any(|y| equal(x, y)))),
        (Value::Object(o), "containsKey") => Value::Bool(o.contains_key(&arg_str(args, 0))),
        (Value::Object(o), "keySet") => Value::Array(o.keys().cloned().map(Value::String).collect()),
        (Value::Object(o), "values") => Value::Array(o.values().cloned().collect()),
        (Value::String(s), _) => string_method(s, name, args).ok_or_else(unknown)?,
        _ => return Err(unknown()),
    })
}

fn string_method(s: &str, name: &str, args: &[Value]) -> Option<Value> {
    let a0 = arg_str(args, 0);
    let chars: Vec<char> = s.chars().collect();
    let slice = |from: usize, to: usize| -> Value {
        if from > to || to > chars.len() {
            return Value::Null;
        }
        Value::String(chars[from..to].iter().collect())
    };
    Some(match name {
        "length" => Value::from(chars.len()),
        "toUpperCase" => Value::String(s.to_uppercase()),
        "toLowerCase" => Value::String(s.to_lowercase()),
        "trim" => Value::String(s.trim().to_string()),
        "contains" => Value::Bool(s.contains(&a0)),
        "startsWith" => Value::Bool(s.starts_with(&a0)),
        "endsWith" => Value::Bool(s.ends_with(&a0)),
        "indexOf" => Value::from(s.find(&a0).map(|b| s[..b].chars().count() as i64).unwrap_or(-1)),
        "substring" => slice(arg_usize(args, 0)?, arg_usize(args, 1).unwrap_or(chars.len())),
        "replace" => Value::String(s.replace(&a0, &arg_str(args, 1))),
        "replaceAll" => {
            let re = regex::Regex::new(&a0).ok()?;
            Value::String(re.replace_all(s, java_replacement(&arg_str(args, 1)).as_str()).into_owned())
        }
        "matches" => Value::Bool(regex::Regex::new(&format!("^(?:{a0})$")).ok()?.is_match(s)),
        "split" => {
            let re = regex::Regex::new(&a0).ok()?;
            let mut parts: Vec<&str> = re.split(s).collect();
            // Java drops trailing empty strings.
            while parts.len() > 1 && parts.last() == Some(&"") {
                parts.pop();
            }
            Value::Array(parts.into_iter().map(|p| Value::String(p.to_string())).collect())
        }
        _ => return None,
    })
}

/// Java writes groups in a replacement as `$1`; the regex crate as `${1}`.
fn java_replacement(r: &str) -> String {
    regex::Regex::new(r"\$(\d+)").map(|re| re.replace_all(r, "$${$1}").into_owned()).unwrap_or_else(|_| r.to_string())
}
