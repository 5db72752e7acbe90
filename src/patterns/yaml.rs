//! Reading a template's YAML: the error that says where in the template, and the lookups every
//! section (parameters, outputs, alarms, dashboard) shares. It sits below the template and its
//! sections so that none of them imports another for these.

use serde_yaml::{Mapping, Value};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TemplateError {
    /// Where in the template, e.g. `Resources.IteratorAgeAlarm.Properties.Threshold`.
    pub path: String,
    pub message: String,
}

impl TemplateError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        TemplateError { path: path.into(), message: message.into() }
    }
}

/// `(logical id, body)` of every resource, in template order.
pub fn resource_entries(root: &Mapping) -> Result<Vec<(&str, &Value)>, TemplateError> {
    let Some(Value::Mapping(resources)) = get(root, "Resources") else {
        return Err(TemplateError::at("Resources", "missing or not a mapping"));
    };
    resources
        .iter()
        .map(|(k, v)| {
            k.as_str().map(|k| (k, v)).ok_or_else(|| TemplateError::at("Resources", "logical ids are strings"))
        })
        .collect()
}

/// The `Properties` of each resource of one type.
pub fn resources_of_type<'a>(root: &'a Mapping, type_name: &str) -> Result<Vec<(&'a str, &'a Mapping)>, TemplateError> {
    let mut out = Vec::new();
    for (id, body) in resource_entries(root)? {
        let Some(body) = body.as_mapping() else { continue };
        if get(body, "Type").and_then(scalar).as_deref() != Some(type_name) {
            continue;
        }
        let props = get(body, "Properties")
            .and_then(Value::as_mapping)
            .ok_or_else(|| TemplateError::at(format!("Resources.{id}"), "Properties are missing"))?;
        out.push((id, props));
    }
    Ok(out)
}

pub fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(key)
}

/// A scalar as text (YAML numbers and booleans rendered as CloudFormation sees them).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn string_list(v: Option<&Value>, here: &str) -> Result<Vec<String>, TemplateError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| scalar(i).ok_or_else(|| TemplateError::at(here, "expected a list of scalars")))
            .collect(),
        Some(_) => Err(TemplateError::at(here, "expected a list")),
    }
}
