//! Parameter declarations and the values a stack gets for them: defaults, UsePreviousValue and every
//! constraint, in CloudFormation's words.

use serde_json::Value;

use super::aws_types;
use super::model::{MASK, ParamInput, ParameterDecl, ResolvedParameters, TemplateError};

/// AWS's quota on parameters per template.
pub const MAX_PARAMETERS: usize = 200;

const ATTRIBUTES: &[&str] = &[
    "Type",
    "Default",
    "NoEcho",
    "Description",
    "AllowedValues",
    "AllowedPattern",
    "ConstraintDescription",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
];

/// How a parameter type is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    String,
    Number,
    NumberList,
    CommaDelimitedList,
    /// `AWS::EC2::Subnet::Id` and the like, alone or as `List<…>`.
    Aws {
        type_name: &'a str,
        list: bool,
    },
}

fn kind(type_name: &str) -> Result<Kind<'_>, TemplateError> {
    Ok(match type_name {
        "String" => Kind::String,
        "Number" => Kind::Number,
        "List<Number>" => Kind::NumberList,
        "CommaDelimitedList" => Kind::CommaDelimitedList,
        t if t.starts_with("AWS::SSM::Parameter::") => {
            return Err(TemplateError::new(format!(
                "Parameter type {t} is an SSM parameter type, which the local cloud does not support: it has no \
                 Systems Manager Parameter Store to read the value from"
            )));
        }
        t => match t.strip_prefix("List<").and_then(|r| r.strip_suffix('>')) {
            Some(inner) if aws_type(inner) => Kind::Aws { type_name: inner, list: true },
            _ if aws_type(t) => Kind::Aws { type_name: t, list: false },
            _ => return Err(TemplateError::format(format!("Unrecognized parameter type: {t}"))),
        },
    })
}

fn aws_type(t: &str) -> bool {
    t.starts_with("AWS::") && t.split("::").count() >= 3
}

/// Whether `Ref` of a parameter of this type is a list.
pub fn is_list(type_name: &str) -> bool {
    matches!(kind(type_name), Ok(Kind::NumberList | Kind::CommaDelimitedList | Kind::Aws { list: true, .. }))
}

/// The `Parameters` section, in declaration order.
pub fn declarations(entries: &[(String, Value)]) -> Result<Vec<ParameterDecl>, TemplateError> {
    if entries.len() > MAX_PARAMETERS {
        return Err(TemplateError::format(format!(
            "Parameter count {} is greater than max allowed {MAX_PARAMETERS}",
            entries.len()
        )));
    }
    entries.iter().map(|(name, body)| declaration(name, body)).collect()
}

fn declaration(name: &str, body: &Value) -> Result<ParameterDecl, TemplateError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(TemplateError::format(format!("Parameter name {name} is non alphanumeric.")));
    }
    let Value::Object(body) = body else {
        return Err(TemplateError::format(format!("Parameter {name} must be an object")));
    };
    if let Some(bad) = body.keys().find(|k| !ATTRIBUTES.contains(&k.as_str())) {
        return Err(TemplateError::format(format!("Invalid template parameter property '{bad}'")));
    }
    let Some(type_name) = body.get("Type").and_then(text) else {
        return Err(TemplateError::format(format!("Every Parameters object must contain a Type member. ({name})")));
    };
    kind(&type_name)?;
    let allowed_values = match body.get("AllowedValues") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            items.iter().map(|v| text(v).ok_or_else(|| bad_attr(name, "AllowedValues"))).collect::<Result<_, _>>()?
        }
        Some(_) => return Err(bad_attr(name, "AllowedValues")),
    };
    let unsigned = |k: &str| -> Result<Option<u64>, TemplateError> {
        body.get(k)
            .map(|v| text(v).and_then(|t| t.trim().parse::<u64>().ok()).ok_or_else(|| bad_attr(name, k)))
            .transpose()
    };
    let float = |k: &str| -> Result<Option<f64>, TemplateError> {
        body.get(k).map(|v| text(v).and_then(|t| number(&t)).ok_or_else(|| bad_attr(name, k))).transpose()
    };
    let no_echo = match body.get("NoEcho") {
        None => false,
        Some(v) => matches!(text(v).as_deref(), Some("true" | "True" | "TRUE")),
    };
    Ok(ParameterDecl {
        name: name.to_string(),
        type_name,
        default: body
            .get("Default")
            .map(|v| text(v).or_else(|| list_text(v)).ok_or_else(|| bad_attr(name, "Default")))
            .transpose()?,
        no_echo,
        description: body.get("Description").and_then(text),
        allowed_values,
        constraint_description: body.get("ConstraintDescription").and_then(text),
        allowed_pattern: body.get("AllowedPattern").and_then(text),
        min_length: unsigned("MinLength")?,
        max_length: unsigned("MaxLength")?,
        min_value: float("MinValue")?,
        max_value: float("MaxValue")?,
    })
}

fn bad_attr(name: &str, attribute: &str) -> TemplateError {
    TemplateError::format(format!("Invalid {attribute} of parameter {name}"))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A YAML list given as a list type's default: CloudFormation reads it as the comma-joined text.
fn list_text(v: &Value) -> Option<String> {
    let items: Option<Vec<String>> = v.as_array()?.iter().map(text).collect();
    items.map(|i| i.join(","))
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The values a stack gets: given values, else the previous value when asked, else the default.
pub fn resolve(
    decls: &[ParameterDecl],
    given: &[(String, ParamInput)],
    previous: Option<&ResolvedParameters>,
) -> Result<ResolvedParameters, TemplateError> {
    let unknown: Vec<&str> =
        given.iter().map(|(n, _)| n.as_str()).filter(|n| !decls.iter().any(|d| d.name == *n)).collect();
    if !unknown.is_empty() {
        return Err(TemplateError::new(format!("Parameters: [{}] do not exist in the template", unknown.join(", "))));
    }
    let mut out = ResolvedParameters::default();
    let mut missing = Vec::new();
    for d in decls {
        let value = match given.iter().rev().find(|(n, _)| *n == d.name).map(|(_, v)| v) {
            Some(ParamInput::Value(v)) => Some(v.clone()),
            Some(ParamInput::UsePrevious) => match previous.and_then(|p| p.get(&d.name)) {
                Some(v) => Some(v.to_string()),
                None => {
                    return Err(TemplateError::new(format!(
                        "Invalid input for parameter key {}. Cannot specify usePreviousValue as true for a \
                         parameter key not in the previous template",
                        d.name
                    )));
                }
            },
            None => d.default.clone(),
        };
        match value {
            Some(v) => {
                check(d, &v)?;
                out.push(&d.name, v, &d.type_name, d.no_echo);
            }
            None => missing.push(d.name.as_str()),
        }
    }
    if !missing.is_empty() {
        return Err(TemplateError::new(format!("Parameters: [{}] must have values", missing.join(", "))));
    }
    Ok(out)
}

/// The first constraint `value` breaks, in CloudFormation's words; the declaration's
/// `ConstraintDescription` replaces the default wording.
pub fn check(d: &ParameterDecl, value: &str) -> Result<(), TemplateError> {
    let Err(default) = violation(d, value) else { return Ok(()) };
    match d.constraint_description.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(cd) if default.replaceable => {
            Err(TemplateError::new(format!("Parameter {} failed to satisfy constraint: {cd}", d.name)))
        }
        _ => Err(TemplateError::new(default.message)),
    }
}

struct Violation {
    message: String,
    /// Constraint failures show the ConstraintDescription; type and shape failures keep their wording.
    replaceable: bool,
}

fn violation(d: &ParameterDecl, value: &str) -> Result<(), Violation> {
    let n = &d.name;
    let constraint = |message: String| Violation { message, replaceable: true };
    let kind = kind(&d.type_name).map_err(|e| Violation { message: e.message, replaceable: false })?;
    match kind {
        Kind::String => {
            let len = value.chars().count() as u64;
            if let Some(min) = d.min_length.filter(|m| len < *m) {
                return Err(constraint(format!("Parameter '{n}' must contain at least {min} characters")));
            }
            if let Some(max) = d.max_length.filter(|m| len > *m) {
                return Err(constraint(format!("Parameter '{n}' must contain at most {max} characters")));
            }
            allowed(d, value)?;
            pattern(d, value)
        }
        Kind::Number => number_rules(d, value),
        Kind::NumberList => list(value).into_iter().try_for_each(|item| number_rules(d, item)),
        Kind::CommaDelimitedList => list(value).into_iter().try_for_each(|item| {
            allowed(d, item)?;
            pattern(d, item)
        }),
        Kind::Aws { type_name, list: is_list } => {
            let items = if is_list { list(value) } else { vec![value] };
            for item in items {
                if aws_types::shape_problem(type_name, item).is_some() {
                    let item = if d.no_echo { MASK } else { item };
                    return Err(Violation {
                        message: format!(
                            "Parameter validation failed: parameter value {item} for parameter name {n} does not exist"
                        ),
                        replaceable: false,
                    });
                }
                allowed(d, item)?;
            }
            Ok(())
        }
    }
}

fn number_rules(d: &ParameterDecl, value: &str) -> Result<(), Violation> {
    let n = &d.name;
    let Some(x) = number(value) else {
        return Err(Violation { message: format!("Parameter '{n}' must be a number"), replaceable: true });
    };
    if let Some(min) = d.min_value.filter(|m| x < *m) {
        let message = format!("Parameter '{n}' must be a number not less than {}", show(min));
        return Err(Violation { message, replaceable: true });
    }
    if let Some(max) = d.max_value.filter(|m| x > *m) {
        let message = format!("Parameter '{n}' must be a number not greater than {}", show(max));
        return Err(Violation { message, replaceable: true });
    }
    allowed(d, value)
}

fn allowed(d: &ParameterDecl, value: &str) -> Result<(), Violation> {
    if d.allowed_values.is_empty() || d.allowed_values.iter().any(|a| a == value) {
        return Ok(());
    }
    Err(Violation { message: format!("Parameter '{}' must be one of AllowedValues", d.name), replaceable: true })
}

/// CloudFormation matches `AllowedPattern` against the whole value, as if anchored at both ends.
fn pattern(d: &ParameterDecl, value: &str) -> Result<(), Violation> {
    let Some(p) = &d.allowed_pattern else { return Ok(()) };
    match regex::Regex::new(&format!("^(?:{p})$")) {
        Ok(re) if re.is_match(value) => Ok(()),
        Ok(_) => {
            Err(Violation { message: format!("Parameter '{}' must match pattern {p}", d.name), replaceable: true })
        }
        Err(_) => Err(Violation {
            message: format!(
                "Template format error: AllowedPattern {p} of parameter {} is not a valid regular expression",
                d.name
            ),
            replaceable: false,
        }),
    }
}

/// List members as CloudFormation reads them: comma-separated, trimmed; an empty value is an empty list.
pub fn list(value: &str) -> Vec<&str> {
    if value.trim().is_empty() { Vec::new() } else { value.split(',').map(str::trim).collect() }
}

fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decl(body: Value) -> ParameterDecl {
        declaration("P", &body).unwrap()
    }

    fn err(d: &ParameterDecl, value: &str) -> String {
        check(d, value).unwrap_err().message
    }

    #[test]
    fn string_lengths_values_and_anchored_patterns() {
        let d = decl(json!({"Type": "String", "MinLength": 3, "MaxLength": "5"}));
        assert_eq!(err(&d, "ab"), "Parameter 'P' must contain at least 3 characters");
        assert_eq!(err(&d, "abcdef"), "Parameter 'P' must contain at most 5 characters");
        assert!(check(&d, "abc").is_ok() && check(&d, "abcde").is_ok());
        let d = decl(json!({"Type": "String", "AllowedValues": ["a", "b"]}));
        assert_eq!(err(&d, "c"), "Parameter 'P' must be one of AllowedValues");
        assert!(check(&d, "b").is_ok());
        // CloudFormation matches the whole value, so `[a-z]+` refuses "abc1" though it finds "abc" in it.
        let d = decl(json!({"Type": "String", "AllowedPattern": "[a-z]+"}));
        assert_eq!(err(&d, "abc1"), "Parameter 'P' must match pattern [a-z]+");
        assert!(check(&d, "abc").is_ok());
        let d = decl(json!({"Type": "String", "AllowedPattern": "a|b"}));
        assert!(check(&d, "a").is_ok() && check(&d, "ab").is_err());
    }

    #[test]
    fn numbers_and_number_lists() {
        let d = decl(json!({"Type": "Number", "MinValue": 1, "MaxValue": 10}));
        assert_eq!(err(&d, "x"), "Parameter 'P' must be a number");
        assert_eq!(err(&d, "0"), "Parameter 'P' must be a number not less than 1");
        assert_eq!(err(&d, "10.5"), "Parameter 'P' must be a number not greater than 10");
        assert!(check(&d, "1").is_ok() && check(&d, "2.5").is_ok() && check(&d, "NaN").is_err());
        let d = decl(json!({"Type": "List<Number>", "MaxValue": 3}));
        assert!(check(&d, "1, 2,3").is_ok() && check(&d, "").is_ok());
        assert_eq!(err(&d, "1,x"), "Parameter 'P' must be a number");
        assert_eq!(err(&d, "1,4"), "Parameter 'P' must be a number not greater than 3");
        let d = decl(json!({"Type": "CommaDelimitedList", "AllowedValues": ["a", "b"]}));
        assert!(check(&d, "a, b").is_ok());
        assert_eq!(err(&d, "a,c"), "Parameter 'P' must be one of AllowedValues");
    }

    #[test]
    fn constraint_description_replaces_the_constraint_messages() {
        let d = decl(json!({"Type": "Number", "MinValue": 1, "ConstraintDescription": "must be at least one"}));
        assert_eq!(err(&d, "0"), "Parameter P failed to satisfy constraint: must be at least one");
        assert_eq!(err(&d, "x"), "Parameter P failed to satisfy constraint: must be at least one");
        let d = decl(json!({"Type": "String", "AllowedPattern": "[a-z]*", "ConstraintDescription": "lower case"}));
        assert_eq!(err(&d, "A"), "Parameter P failed to satisfy constraint: lower case");
    }

    #[test]
    fn aws_specific_types_are_checked_for_shape_and_ssm_types_refused() {
        let d = decl(json!({"Type": "List<AWS::EC2::Subnet::Id>"}));
        assert!(check(&d, "subnet-12345678,subnet-0123456789abcdef0").is_ok());
        assert_eq!(
            err(&d, "subnet-12345678,vpc-12345678"),
            "Parameter validation failed: parameter value vpc-12345678 for parameter name P does not exist"
        );
        let secret = decl(json!({"Type": "AWS::EC2::VPC::Id", "NoEcho": true}));
        assert_eq!(
            err(&secret, "hunter2"),
            "Parameter validation failed: parameter value **** for parameter name P does not exist"
        );
        assert!(is_list("List<AWS::EC2::Subnet::Id>") && is_list("CommaDelimitedList") && !is_list("String"));
        let ssm = declaration("P", &json!({"Type": "AWS::SSM::Parameter::Value<String>"})).unwrap_err();
        assert!(ssm.message.contains("AWS::SSM::Parameter::Value<String>"), "{ssm}");
        assert!(ssm.message.contains("SSM parameter type"), "{ssm}");
        let bad = declaration("P", &json!({"Type": "Strin"})).unwrap_err();
        assert_eq!(bad.message, "Template format error: Unrecognized parameter type: Strin");
    }

    #[test]
    fn resolve_fills_defaults_and_previous_values_and_names_what_is_wrong() {
        let decls = declarations(&[
            ("A".into(), json!({"Type": "String"})),
            ("B".into(), json!({"Type": "String", "Default": "b"})),
            ("C".into(), json!({"Type": "String", "NoEcho": true})),
        ])
        .unwrap();
        let v = |s: &str| ParamInput::Value(s.to_string());
        let missing = resolve(&decls, &[], None).unwrap_err();
        assert_eq!(missing.message, "Parameters: [A, C] must have values");
        let unknown = resolve(&decls, &[("X".into(), v("1")), ("Y".into(), v("2"))], None).unwrap_err();
        assert_eq!(unknown.message, "Parameters: [X, Y] do not exist in the template");
        let first = resolve(&decls, &[("A".into(), v("a")), ("C".into(), v("secret"))], None).unwrap();
        assert_eq!(first.get("B"), Some("b"));
        assert_eq!(first.masked(), [("A".into(), "a".into()), ("B".into(), "b".into()), ("C".into(), "****".into())]);
        assert_eq!(ResolvedParameters::from_json(&first.to_json()), Some(first.clone()));
        let again = resolve(
            &decls,
            &[("A".into(), ParamInput::UsePrevious), ("C".into(), ParamInput::UsePrevious)],
            Some(&first),
        );
        assert_eq!(again.unwrap().get("C"), Some("secret"));
        let no_previous = resolve(&decls, &[("A".into(), ParamInput::UsePrevious)], None).unwrap_err();
        assert!(no_previous.message.starts_with("Invalid input for parameter key A."), "{no_previous}");
    }

    #[test]
    fn declarations_refuse_unknown_attributes_and_bad_names() {
        let e = declaration("P", &json!({"Type": "String", "Defualt": "x"})).unwrap_err();
        assert_eq!(e.message, "Template format error: Invalid template parameter property 'Defualt'");
        let e = declaration("my-param", &json!({"Type": "String"})).unwrap_err();
        assert_eq!(e.message, "Template format error: Parameter name my-param is non alphanumeric.");
        let list_default = decl(json!({"Type": "CommaDelimitedList", "Default": ["a", "b"]}));
        assert_eq!(list_default.default.as_deref(), Some("a,b"));
    }
}
