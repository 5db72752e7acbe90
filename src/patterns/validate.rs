//! Checks parameter values against a template's declarations the way CloudFormation does before it
//! creates anything, so a wrong value is reported without deploying.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::aws_types;
use super::parameters::{ParamKind, Parameter};

/// The rule a value breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    UnknownParameter,
    /// The same parameter given twice with different values.
    Duplicate,
    Required,
    Number,
    MinValue,
    MaxValue,
    AllowedValues,
    AllowedPattern,
    MinLength,
    MaxLength,
    /// An AWS-specific type (`AWS::EC2::Subnet::Id`, …) whose value has the wrong shape.
    Type,
    /// The template's own declaration cannot be applied (e.g. a pattern this regex engine rejects).
    Declaration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub parameter: String,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.parameter, self.message)
    }
}

/// Every problem of `given` (parameter name → value) against `declared`; when there is none, the
/// values the stack would get (defaults filled in).
pub fn validate(
    declared: &[Parameter],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<Problem>> {
    let mut problems = Vec::new();
    for name in given.keys().filter(|n| !declared.iter().any(|p| &p.name == *n)) {
        problems.push(unknown(name, declared));
    }
    let mut values = BTreeMap::new();
    for p in declared {
        match given.get(&p.name).or(p.default.as_ref()) {
            Some(v) => {
                problems.extend(check(p, v));
                values.insert(p.name.clone(), v.clone());
            }
            None => problems.push(problem(p, Rule::Required, "a value is required; the template has no default")),
        }
    }
    if problems.is_empty() { Ok(values) } else { Err(problems) }
}

/// As [`validate`], for values given as a list (command-line flags): a name given twice with two
/// different values is a problem rather than a silent override.
pub fn validate_pairs(
    declared: &[Parameter],
    given: &[(String, String)],
) -> Result<BTreeMap<String, String>, Vec<Problem>> {
    let mut map = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, value) in given {
        match map.insert(name.clone(), value.clone()) {
            Some(before) if &before != value && !problems.iter().any(|p: &Problem| &p.parameter == name) => {
                let message = "given more than once with different values".to_string();
                problems.push(Problem { parameter: name.clone(), rule: Rule::Duplicate, message });
            }
            _ => {}
        }
    }
    match validate(declared, &map) {
        Ok(values) if problems.is_empty() => Ok(values),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// The problems of one value of `p`.
pub fn check(p: &Parameter, value: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    match p.kind() {
        ParamKind::String | ParamKind::Unknown(_) => string_rules(p, value, &mut out),
        ParamKind::Number => number_rules(p, value, &mut out),
        ParamKind::NumberList => {
            for item in list(value) {
                if number(item).is_none() {
                    out.push(problem(p, Rule::Number, format!("{} in the list is not a number", shown(p, item))));
                } else {
                    allowed_values(p, item, &mut out);
                }
            }
        }
        ParamKind::CommaDelimitedList => {
            for item in list(value) {
                allowed_values(p, item, &mut out);
                allowed_pattern(p, item, &mut out);
            }
        }
        ParamKind::Aws { type_name, list: is_list } => {
            let items = if is_list { list(value) } else { vec![value] };
            for item in items {
                if let Some(shape) = aws_types::shape_problem(type_name, item) {
                    out.push(problem(p, Rule::Type, format!("{} is not {shape}", shown(p, item))));
                }
                allowed_values(p, item, &mut out);
            }
        }
        ParamKind::SsmParameterName => {
            if let Some(shape) = aws_types::ssm_name_problem(value) {
                out.push(problem(p, Rule::Type, format!("{} is not {shape}", shown(p, value))));
            }
        }
    }
    out
}

fn string_rules(p: &Parameter, value: &str, out: &mut Vec<Problem>) {
    let len = value.chars().count() as u64;
    if let Some(min) = p.min_length.filter(|m| len < *m) {
        let what = format!("{} is {len} characters, shorter than the minimum length {min}", shown(p, value));
        out.push(problem(p, Rule::MinLength, what));
    }
    if let Some(max) = p.max_length.filter(|m| len > *m) {
        let what = format!("{} is {len} characters, longer than the maximum length {max}", shown(p, value));
        out.push(problem(p, Rule::MaxLength, what));
    }
    allowed_values(p, value, out);
    allowed_pattern(p, value, out);
}

fn number_rules(p: &Parameter, value: &str, out: &mut Vec<Problem>) {
    let Some(n) = number(value) else {
        out.push(problem(p, Rule::Number, format!("{} is not a number", shown(p, value))));
        return;
    };
    if let Some(min) = p.min_value.filter(|m| n < *m) {
        out.push(problem(p, Rule::MinValue, format!("{} is below the minimum {}", shown(p, value), num(min))));
    }
    if let Some(max) = p.max_value.filter(|m| n > *m) {
        out.push(problem(p, Rule::MaxValue, format!("{} is above the maximum {}", shown(p, value), num(max))));
    }
    allowed_values(p, value, out);
}

fn allowed_values(p: &Parameter, value: &str, out: &mut Vec<Problem>) {
    if !p.allowed_values.is_empty() && !p.allowed_values.iter().any(|a| a == value) {
        let what = format!("{} is not one of {}", shown(p, value), p.allowed_values.join(", "));
        out.push(problem(p, Rule::AllowedValues, what));
    }
}

/// CloudFormation matches `AllowedPattern` against the whole value.
fn allowed_pattern(p: &Parameter, value: &str, out: &mut Vec<Problem>) {
    let Some(pattern) = &p.allowed_pattern else { return };
    match regex::Regex::new(&format!("^(?:{pattern})$")) {
        Ok(re) if re.is_match(value) => {}
        Ok(_) => {
            let what = format!("{} does not match the pattern {pattern}", shown(p, value));
            out.push(problem(p, Rule::AllowedPattern, what));
        }
        Err(e) => {
            let what = format!("the template's AllowedPattern {pattern} cannot be checked: {e}");
            out.push(Problem { parameter: p.name.clone(), rule: Rule::Declaration, message: what });
        }
    }
}

fn unknown(name: &str, declared: &[Parameter]) -> Problem {
    let close = declared.iter().find(|p| p.name.eq_ignore_ascii_case(name));
    let message = match close {
        Some(p) => format!("unknown parameter; did you mean {}?", p.name),
        None => {
            let names: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
            format!("unknown parameter; the parameters are {}", names.join(", "))
        }
    };
    Problem { parameter: name.to_string(), rule: Rule::UnknownParameter, message }
}

/// A problem of `p`, with the template's `ConstraintDescription` when it has one.
fn problem(p: &Parameter, rule: Rule, what: impl Into<String>) -> Problem {
    let mut message = what.into();
    if let Some(cd) = p.constraint_description.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        let cd = cd.trim_end_matches('.');
        let mut chars = cd.chars();
        let lowered: String = chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default();
        message = format!("{message} ({lowered})");
    }
    Problem { parameter: p.name.clone(), rule, message }
}

/// The value as the message shows it; a `NoEcho` value never appears.
fn shown(p: &Parameter, value: &str) -> String {
    if p.no_echo {
        "the value (hidden: NoEcho)".into()
    } else if matches!(p.kind(), ParamKind::Number | ParamKind::NumberList) && number(value).is_some() {
        value.to_string()
    } else {
        format!("{value:?}")
    }
}

fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// List members as CloudFormation reads them: comma-separated, trimmed; an empty value is an empty list.
fn list(value: &str) -> Vec<&str> {
    if value.trim().is_empty() { Vec::new() } else { value.split(',').map(str::trim).collect() }
}

fn num(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(yaml: &str) -> Parameter {
        let root: serde_yaml::Mapping = serde_yaml::from_str(&format!("Parameters:\n  P: {yaml}\n")).unwrap();
        super::super::parameters::parse(&root).unwrap().remove(0)
    }

    fn messages(p: &Parameter, v: &str) -> Vec<String> {
        check(p, v).iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn number_bounds_carry_the_constraint_description() {
        let p = param("{Type: Number, MinValue: 1, MaxValue: 200, ConstraintDescription: Must be between 1 and 200.}");
        assert_eq!(messages(&p, "0"), ["P: 0 is below the minimum 1 (must be between 1 and 200)"]);
        assert_eq!(messages(&p, "201"), ["P: 201 is above the maximum 200 (must be between 1 and 200)"]);
        assert_eq!(messages(&p, "two"), ["P: \"two\" is not a number (must be between 1 and 200)"]);
        assert!(messages(&p, "1").is_empty() && messages(&p, "200").is_empty() && messages(&p, "2.5").is_empty());
        assert_eq!(check(&p, "NaN")[0].rule, Rule::Number);
    }

    #[test]
    fn string_pattern_is_a_full_match() {
        let p = param("{Type: String, AllowedPattern: '[a-z]+'}");
        assert!(check(&p, "abc").is_empty());
        assert_eq!(messages(&p, "abc1"), ["P: \"abc1\" does not match the pattern [a-z]+"]);
        let bad = param("{Type: String, AllowedPattern: '(?<=a)b'}");
        assert_eq!(check(&bad, "b")[0].rule, Rule::Declaration);
    }

    #[test]
    fn lengths_and_no_echo() {
        let p = param("{Type: String, NoEcho: true, MinLength: 3, MaxLength: 4}");
        assert_eq!(
            messages(&p, "secret"),
            ["P: the value (hidden: NoEcho) is 6 characters, longer than the maximum length 4"]
        );
        assert_eq!(check(&p, "ab")[0].rule, Rule::MinLength);
        assert!(check(&p, "abc").is_empty());
    }

    #[test]
    fn lists_check_each_member() {
        let n = param("{Type: List<Number>}");
        assert!(check(&n, "1, 2,3").is_empty() && check(&n, "").is_empty());
        assert_eq!(messages(&n, "1,x"), ["P: \"x\" in the list is not a number"]);
        let c = param("{Type: CommaDelimitedList, AllowedValues: [a, b]}");
        assert!(check(&c, "a,b").is_empty());
        assert_eq!(check(&c, "a,c")[0].rule, Rule::AllowedValues);
        let s = param("{Type: 'List<AWS::EC2::Subnet::Id>'}");
        assert!(check(&s, "subnet-12345678,subnet-0123456789abcdef0").is_empty());
        assert_eq!(check(&s, "subnet-12345678,vpc-12345678")[0].rule, Rule::Type);
    }
}
