//! One CloudFormation template, read with its short-form tags: the declarations the console shows and
//! checks. The original text is kept as it is; it is what goes to CloudFormation.

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::alarms::{self, Alarm};
use super::dashboard::{self, Dashboard};
use super::outputs::{self, Output};
use super::parameters::{self, Parameter};
use super::yaml::{TemplateError, get, resource_entries, scalar};

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
