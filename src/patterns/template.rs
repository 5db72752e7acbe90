//! One CloudFormation template, read with its short-form tags: the declarations the console shows and
//! checks. The original text is kept as it is; it is what goes to CloudFormation.

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::alarms::{self, Alarm};
use super::dashboard::{self, Dashboard};
use super::outputs::{self, Output};
use super::parameters::{self, Parameter};

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

#[derive(Debug, Clone, Serialize)]
pub struct Template {
    #[serde(skip)]
    pub text: &'static str,
    pub description: Option<String>,
    pub parameters: Vec<Parameter>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
    pub alarms: Vec<Alarm>,
    pub dashboard: Option<Dashboard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub logical_id: String,
    #[serde(rename = "type")]
    pub type_name: String,
}

impl Template {
    pub fn parse(text: &'static str) -> Result<Template, TemplateError> {
        let root: Value = serde_yaml::from_str(text).map_err(|e| TemplateError::at("(document)", e.to_string()))?;
        let Value::Mapping(root) = root else { return Err(TemplateError::at("(document)", "expected a mapping")) };
        let resources = resources(&root)?;
        Ok(Template {
            text,
            description: get(&root, "Description").and_then(scalar),
            parameters: parameters::parse(&root)?,
            outputs: outputs::parse(&root)?,
            alarms: alarms::parse(&root)?,
            dashboard: dashboard::parse(&root)?,
            resources,
        })
    }

    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name)
    }
}

fn resources(root: &Mapping) -> Result<Vec<Resource>, TemplateError> {
    let mut out = Vec::new();
    for (id, body) in resource_entries(root)? {
        let type_name = body
            .as_mapping()
            .and_then(|b| get(b, "Type"))
            .and_then(scalar)
            .ok_or_else(|| TemplateError::at(format!("Resources.{id}"), "Type is missing"))?;
        out.push(Resource { logical_id: id.to_string(), type_name });
    }
    Ok(out)
}

/// `(logical id, body)` of every resource, in template order.
pub(super) fn resource_entries(root: &Mapping) -> Result<Vec<(&str, &Value)>, TemplateError> {
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
pub(super) fn resources_of_type<'a>(
    root: &'a Mapping,
    type_name: &str,
) -> Result<Vec<(&'a str, &'a Mapping)>, TemplateError> {
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

pub(super) fn get<'a>(map: &'a Mapping, key: &str) -> Option<&'a Value> {
    map.get(key)
}

/// A scalar as text (YAML numbers and booleans rendered as CloudFormation sees them).
pub(super) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn string_list(v: Option<&Value>, here: &str) -> Result<Vec<String>, TemplateError> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|i| scalar(i).ok_or_else(|| TemplateError::at(here, "expected a list of scalars")))
            .collect(),
        Some(_) => Err(TemplateError::at(here, "expected a list")),
    }
}
