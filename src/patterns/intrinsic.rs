//! CloudFormation values as the catalogue reads them: literals and the intrinsic functions the
//! templates use (`!Ref`, `!Sub`, `!GetAtt`, `!Join`, `!Split`, `!If`), in short or long form, and
//! their resolution against a map of known values (pseudo parameters, parameters, resource names).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::json;
use serde_yaml::Value;

/// Names a value resolves against: `AWS::Region`, `AWS::StackName`, a parameter or resource logical id
/// (what `Ref` returns), or `Resource.Attribute` (what `GetAtt` returns).
pub type Values = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(String),
    Ref(String),
    GetAtt(String, String),
    /// `Fn::Sub`: the template string and its own variables (the list form).
    Sub(String, Vec<(String, Expr)>),
    Join(String, Vec<Expr>),
    Split(String, Box<Expr>),
    /// `Fn::If`: the condition name and both branches; resolution needs the condition's value.
    If(String, Box<Expr>, Box<Expr>),
    /// Any other function, kept by name: shown, never resolved.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("no value for {}", .0.join(", "))]
    Missing(Vec<String>),
    #[error("{0} cannot be resolved without deploying")]
    Unsupported(String),
    #[error("malformed Fn::Sub string: {0}")]
    BadSub(String),
}

/// Why a YAML node is not a value the catalogue understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExprError(pub String);

impl Expr {
    pub fn from_yaml(value: &Value) -> Result<Expr, ExprError> {
        match value {
            Value::String(s) => Ok(Expr::Literal(s.clone())),
            Value::Number(n) => Ok(Expr::Literal(n.to_string())),
            Value::Bool(b) => Ok(Expr::Literal(b.to_string())),
            Value::Tagged(t) => {
                let tag = t.tag.to_string();
                function(tag.trim_start_matches('!'), &t.value)
            }
            Value::Mapping(m) if m.len() == 1 => match m.iter().next() {
                Some((Value::String(k), v)) if k == "Ref" || k.starts_with("Fn::") => {
                    function(k.trim_start_matches("Fn::"), v)
                }
                _ => Err(ExprError("a mapping is not a scalar value".into())),
            },
            other => Err(ExprError(format!("expected a scalar or an intrinsic function, found {}", kind(other)))),
        }
    }

    /// The literal text, if the value is one.
    pub fn literal(&self) -> Option<&str> {
        match self {
            Expr::Literal(s) => Some(s),
            _ => None,
        }
    }

    pub fn resolve(&self, values: &Values) -> Result<String, ResolveError> {
        match self {
            Expr::Literal(s) => Ok(s.clone()),
            Expr::Ref(name) => lookup(values, name),
            Expr::GetAtt(res, attr) => lookup(values, &format!("{res}.{attr}")),
            Expr::Sub(text, vars) => {
                let mut all = values.clone();
                for (name, expr) in vars {
                    all.insert(name.clone(), expr.resolve(values)?);
                }
                substitute(text, &all)
            }
            Expr::Join(sep, items) => {
                let mut parts = Vec::new();
                for item in items {
                    parts.extend(item.resolve_list(values)?);
                }
                Ok(parts.join(sep))
            }
            Expr::Split(..) => Ok(self.resolve_list(values)?.join(",")),
            Expr::If(cond, ..) => Err(ResolveError::Unsupported(format!("Fn::If on condition {cond}"))),
            Expr::Other(name) => Err(ResolveError::Unsupported(format!("Fn::{name}"))),
        }
    }

    fn resolve_list(&self, values: &Values) -> Result<Vec<String>, ResolveError> {
        match self {
            Expr::Split(sep, source) => Ok(source.resolve(values)?.split(sep.as_str()).map(str::to_string).collect()),
            other => Ok(vec![other.resolve(values)?]),
        }
    }
}

impl Expr {
    /// The template's JSON form: a literal is a string, a function `{"Ref": …}` / `{"Fn::Sub": …}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Expr::Literal(s) => json!(s),
            Expr::Ref(n) => json!({ "Ref": n }),
            Expr::GetAtt(r, a) => json!({ "Fn::GetAtt": [r, a] }),
            Expr::Sub(s, vars) if vars.is_empty() => json!({ "Fn::Sub": s }),
            Expr::Sub(s, vars) => {
                let vars: serde_json::Map<String, serde_json::Value> =
                    vars.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
                json!({ "Fn::Sub": [s, vars] })
            }
            Expr::Join(sep, items) => json!({ "Fn::Join": [sep, items.iter().map(Expr::to_json).collect::<Vec<_>>()] }),
            Expr::Split(sep, src) => json!({ "Fn::Split": [sep, src.to_json()] }),
            Expr::If(c, a, b) => json!({ "Fn::If": [c, a.to_json(), b.to_json()] }),
            Expr::Other(n) => json!({ format!("Fn::{n}"): null }),
        }
    }
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl fmt::Display for Expr {
    /// The short form a template author would write.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(s) => write!(f, "{s}"),
            Expr::Ref(n) => write!(f, "!Ref {n}"),
            Expr::GetAtt(r, a) => write!(f, "!GetAtt {r}.{a}"),
            Expr::Sub(s, vars) if vars.is_empty() => write!(f, "!Sub '{s}'"),
            Expr::Sub(..) => write!(f, "!Sub [...]"),
            Expr::Join(sep, items) => {
                let items: Vec<String> = items.iter().map(|i| i.to_string()).collect();
                write!(f, "!Join ['{sep}', [{}]]", items.join(", "))
            }
            Expr::Split(sep, src) => write!(f, "!Split ['{sep}', {src}]"),
            Expr::If(c, a, b) => write!(f, "!If [{c}, {a}, {b}]"),
            Expr::Other(n) => write!(f, "!{n} ..."),
        }
    }
}

fn function(name: &str, arg: &Value) -> Result<Expr, ExprError> {
    let bad = |what: &str| ExprError(format!("Fn::{name}: {what}"));
    match name {
        "Ref" => Ok(Expr::Ref(string(arg).ok_or_else(|| bad("expected a logical id"))?)),
        "GetAtt" => match arg {
            Value::String(s) => {
                let (res, attr) = s.split_once('.').ok_or_else(|| bad("expected Resource.Attribute"))?;
                Ok(Expr::GetAtt(res.into(), attr.into()))
            }
            Value::Sequence(seq) if seq.len() == 2 => match (string(&seq[0]), string(&seq[1])) {
                (Some(r), Some(a)) => Ok(Expr::GetAtt(r, a)),
                _ => Err(bad("expected [Resource, Attribute]")),
            },
            _ => Err(bad("expected Resource.Attribute")),
        },
        "Sub" => match arg {
            Value::String(s) => Ok(Expr::Sub(s.clone(), Vec::new())),
            Value::Sequence(seq) if seq.len() == 2 => {
                let text = string(&seq[0]).ok_or_else(|| bad("expected the string first"))?;
                let Value::Mapping(m) = &seq[1] else { return Err(bad("expected a map of variables second")) };
                let mut vars = Vec::new();
                for (k, v) in m {
                    let k = string(k).ok_or_else(|| bad("variable names are strings"))?;
                    vars.push((k, Expr::from_yaml(v)?));
                }
                Ok(Expr::Sub(text, vars))
            }
            _ => Err(bad("expected a string or [string, variables]")),
        },
        "Join" => match arg {
            Value::Sequence(seq) if seq.len() == 2 => {
                let sep = string(&seq[0]).ok_or_else(|| bad("expected the delimiter first"))?;
                let items = match &seq[1] {
                    Value::Sequence(items) => items.iter().map(Expr::from_yaml).collect::<Result<_, _>>()?,
                    single => vec![Expr::from_yaml(single)?],
                };
                Ok(Expr::Join(sep, items))
            }
            _ => Err(bad("expected [delimiter, list]")),
        },
        "Split" => match arg {
            Value::Sequence(seq) if seq.len() == 2 => {
                let sep = string(&seq[0]).ok_or_else(|| bad("expected the delimiter first"))?;
                Ok(Expr::Split(sep, Box::new(Expr::from_yaml(&seq[1])?)))
            }
            _ => Err(bad("expected [delimiter, string]")),
        },
        "If" => match arg {
            Value::Sequence(seq) if seq.len() == 3 => {
                let cond = string(&seq[0]).ok_or_else(|| bad("expected the condition name first"))?;
                // Branches may be lists or maps (e.g. DesiredShardLevelMetrics); those stay opaque.
                let branch = |v: &Value| Expr::from_yaml(v).unwrap_or_else(|_| Expr::Other(kind(v).into()));
                Ok(Expr::If(cond, Box::new(branch(&seq[1])), Box::new(branch(&seq[2]))))
            }
            _ => Err(bad("expected [condition, then, else]")),
        },
        other => Ok(Expr::Other(other.to_string())),
    }
}

fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn lookup(values: &Values, name: &str) -> Result<String, ResolveError> {
    values.get(name).cloned().ok_or_else(|| ResolveError::Missing(vec![name.to_string()]))
}

/// The names a `Fn::Sub` string refers to (`${Name}`, `${Resource.Attr}`), in order of first use;
/// `${!Literal}` escapes are not references.
pub fn sub_names(text: &str) -> Result<Vec<String>, ResolveError> {
    let mut names = Vec::new();
    for piece in pieces(text)? {
        if let Piece::Var(name) = piece
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

/// `Fn::Sub` semantics: every `${Name}` replaced from `values`, `${!X}` written as `${X}`.
/// Every missing name is reported at once.
pub fn substitute(text: &str, values: &Values) -> Result<String, ResolveError> {
    let mut out = String::with_capacity(text.len());
    let mut missing: Vec<String> = Vec::new();
    for piece in pieces(text)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Escaped(t) => {
                out.push_str("${");
                out.push_str(t);
                out.push('}');
            }
            Piece::Var(name) => match values.get(name) {
                Some(v) => out.push_str(v),
                None if !missing.iter().any(|m| m == name) => missing.push(name.to_string()),
                None => {}
            },
        }
    }
    if missing.is_empty() { Ok(out) } else { Err(ResolveError::Missing(missing)) }
}

enum Piece<'a> {
    Text(&'a str),
    Escaped(&'a str),
    Var(&'a str),
}

fn pieces(text: &str) -> Result<Vec<Piece<'_>>, ResolveError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push(Piece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let end =
            after.find('}').ok_or_else(|| ResolveError::BadSub(format!("unclosed ${{ at {:.30}", &rest[start..])))?;
        let inner = &after[..end];
        match inner.strip_prefix('!') {
            Some(lit) => out.push(Piece::Escaped(lit)),
            None if inner.trim().is_empty() => return Err(ResolveError::BadSub("empty ${}".into())),
            None => out.push(Piece::Var(inner.trim())),
        }
        rest = &after[end + 1..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn parse(yaml: &str) -> Expr {
        Expr::from_yaml(&serde_yaml::from_str::<Value>(yaml).unwrap()).unwrap()
    }

    #[test]
    fn short_and_long_forms_parse_alike() {
        assert_eq!(parse("!Ref DataStream"), parse("{Ref: DataStream}"));
        assert_eq!(parse("!GetAtt Alarm.Arn"), parse("{'Fn::GetAtt': [Alarm, Arn]}"));
        assert_eq!(parse("!Sub 'x-${A}'"), parse("{'Fn::Sub': 'x-${A}'}"));
        assert_eq!(parse("60000"), Expr::Literal("60000".into()));
    }

    #[test]
    fn join_of_split_replaces_hyphens() {
        let e = parse("!Join ['_', !Split ['-', !Ref DataStream]]");
        assert_eq!(e.resolve(&values(&[("DataStream", "my-stack-stream")])).unwrap(), "my_stack_stream");
    }

    #[test]
    fn sub_uses_its_own_variables_and_reports_every_missing_name() {
        let e = parse("!Sub ['${App}/${AWS::Region}/${!Keep}', {App: !Ref Application}]");
        let v = values(&[("Application", "app-1"), ("AWS::Region", "eu-west-1")]);
        assert_eq!(e.resolve(&v).unwrap(), "app-1/eu-west-1/${Keep}");
        let err = substitute("${A} ${B.Arn} ${A}", &Values::new()).unwrap_err();
        assert_eq!(err, ResolveError::Missing(vec!["A".into(), "B.Arn".into()]));
    }

    #[test]
    fn sub_names_lists_references_once() {
        assert_eq!(sub_names("${A}${B.Arn}${!C}${A}").unwrap(), vec!["A", "B.Arn"]);
        assert!(matches!(sub_names("${A"), Err(ResolveError::BadSub(_))));
    }
}
