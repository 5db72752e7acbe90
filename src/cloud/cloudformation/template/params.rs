//! Parameter declarations and the values a stack gets for them: defaults, UsePreviousValue and every
//! constraint, in CloudFormation's words.

use serde_json::Value;

use super::model::{ParamInput, ParameterDecl, ResolvedParameters, TemplateError};

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
                if !aws_shape(type_name, item) {
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

/// The shape of a value of an AWS-specific type; CloudFormation also checks the resource exists,
/// which a local cloud without EC2 cannot, so the shape is what is checked.
fn aws_shape(type_name: &str, value: &str) -> bool {
    let id = |prefix: &str| {
        value.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')).is_some_and(|hex| {
            (hex.len() == 8 || hex.len() == 17) && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
    };
    match type_name {
        "AWS::EC2::Subnet::Id" => id("subnet"),
        "AWS::EC2::VPC::Id" => id("vpc"),
        "AWS::EC2::SecurityGroup::Id" => id("sg"),
        "AWS::EC2::Image::Id" => id("ami"),
        "AWS::EC2::Instance::Id" => id("i"),
        "AWS::EC2::Volume::Id" => id("vol"),
        "AWS::EC2::AvailabilityZone::Name" => availability_zone(value),
        "AWS::EC2::KeyPair::KeyName" | "AWS::EC2::SecurityGroup::GroupName" => {
            !value.is_empty() && value.len() <= 255 && value.is_ascii()
        }
        "AWS::Route53::HostedZone::Id" => {
            (2..=32).contains(&value.len())
                && value.starts_with('Z')
                && value.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
        _ => !value.is_empty(),
    }
}

/// Region then a zone letter: `us-east-1a`, `us-gov-west-1b`, local zones `us-west-2-lax-1a`.
fn availability_zone(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let Some(last) = parts.last() else { return false };
    parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && last.len() >= 2
        && last.starts_with(|c: char| c.is_ascii_digit())
        && last.ends_with(|c: char| c.is_ascii_lowercase())
}
