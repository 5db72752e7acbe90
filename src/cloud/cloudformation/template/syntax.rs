//! The shape of expressions: which object is a function call, the pieces of an `Fn::Sub` string, the
//! pseudo parameters, and the errors every part of the engine words the same way.

use serde_json::Value;

use super::model::TemplateError;

/// Where an expression sits, which decides what it may reference and how errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    Conditions,
    Resources,
    Outputs,
}

impl Block {
    fn name(self) -> &'static str {
        match self {
            Block::Conditions => "Conditions",
            Block::Resources => "Resources",
            Block::Outputs => "Outputs",
        }
    }
}

pub fn unresolved(id: &str, block: Block) -> TemplateError {
    TemplateError::format(format!(
        "Unresolved resource dependencies [{id}] in the {} block of the template",
        block.name()
    ))
}

pub fn invalid_sub_attribute(id: &str, attr: &str) -> TemplateError {
    TemplateError::template(format!("instance of Fn::Sub references invalid resource attribute {id}.{attr}"))
}

pub fn undefined_get_att(id: &str) -> TemplateError {
    TemplateError::template(format!("instance of Fn::GetAtt references undefined resource {id}"))
}

pub fn is_pseudo(name: &str) -> bool {
    matches!(
        name,
        "AWS::AccountId"
            | "AWS::Region"
            | "AWS::StackName"
            | "AWS::StackId"
            | "AWS::Partition"
            | "AWS::URLSuffix"
            | "AWS::NotificationARNs"
            | "AWS::NoValue"
    )
}

/// A `${…}` piece of an `Fn::Sub` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubPart {
    Text(String),
    Var(String),
}

/// Splits an `Fn::Sub` string: `${Name}` and `${A.B}` are variables, `${!X}` is the text `${X}`,
/// and a `${` with no closing brace is text.
pub fn sub_parts(s: &str) -> Result<Vec<SubPart>, TemplateError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            text.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        if let Some(literal) = name.strip_prefix('!') {
            text.push_str("${");
            text.push_str(literal);
            text.push('}');
        } else {
            let name = name.trim();
            let ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.:".contains(c));
            if !ok {
                return Err(TemplateError::template(
                    "variable names in Fn::Sub syntax must contain only alphanumeric characters, underscores, \
                     periods, and colons",
                ));
            }
            if !text.is_empty() {
                parts.push(SubPart::Text(std::mem::take(&mut text)));
            }
            parts.push(SubPart::Var(name.to_string()));
        }
        rest = &after[end + 1..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(SubPart::Text(text));
    }
    Ok(parts)
}

/// The text of a scalar.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The name of an intrinsic function when `v` is a call of one.
pub fn call(v: &Value, block: Block) -> Option<(&str, &Value)> {
    let m = v.as_object().filter(|m| m.len() == 1)?;
    let (k, arg) = m.iter().next()?;
    let is_fn = k == "Ref" || k.starts_with("Fn::") || (k == "Condition" && block == Block::Conditions);
    is_fn.then_some((k.as_str(), arg))
}

/// Every function the engine evaluates.
const FUNCTIONS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Split",
    "Fn::Select",
    "Fn::If",
    "Fn::FindInMap",
    "Fn::GetAZs",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::ImportValue",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
];

/// The functions AWS lists when it meets one it does not know.
const SUPPORTED: &str = "[Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, \
                         Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Sub, Fn::Cidr]";

/// Why a call of `name` can never be evaluated, if it cannot: a transform's function or an unknown one.
pub fn unsupported(name: &str) -> Option<TemplateError> {
    match name {
        n if FUNCTIONS.contains(&n) => None,
        "Fn::Transform" => Some(transform_error("named by Fn::Transform (AWS::Include or a macro)")),
        "Fn::Length" | "Fn::ToJsonString" => {
            Some(transform_error(&format!("AWS::LanguageExtensions (needed by {name})")))
        }
        other => Some(TemplateError::template(format!(
            "Encountered unsupported function: {other} Supported functions are: {SUPPORTED}"
        ))),
    }
}

/// Every call in `v` can be evaluated, whichever branch a deployment takes.
pub fn check_functions(v: &Value, block: Block) -> Result<(), TemplateError> {
    if let Some((name, arg)) = call(v, block) {
        if let Some(e) = unsupported(name) {
            return Err(e);
        }
        return check_functions(arg, block);
    }
    match v {
        Value::Object(m) => m.values().try_for_each(|x| check_functions(x, block)),
        Value::Array(items) => items.iter().try_for_each(|x| check_functions(x, block)),
        _ => Ok(()),
    }
}

pub fn transform_error(name: &str) -> TemplateError {
    TemplateError::format(format!("Transform {name} is not supported by the local cloud"))
}
