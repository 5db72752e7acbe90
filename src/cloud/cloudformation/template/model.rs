//! The engine's public vocabulary: what the stack service hands in and gets back.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Value, json};

/// A template error, worded as CloudFormation's `ValidationError` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
}

impl TemplateError {
    pub fn new(message: impl Into<String>) -> Self {
        TemplateError { message: message.into() }
    }

    /// "Template format error: …": the template's structure is wrong.
    pub fn format(detail: impl fmt::Display) -> Self {
        TemplateError::new(format!("Template format error: {detail}"))
    }

    /// "Template error: …": a function is used wrongly or cannot be evaluated.
    pub fn template(detail: impl fmt::Display) -> Self {
        TemplateError::new(format!("Template error: {detail}"))
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TemplateError {}

/// One entry of the template's `Parameters` section.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDecl {
    pub name: String,
    pub type_name: String,
    pub default: Option<String>,
    pub no_echo: bool,
    pub description: Option<String>,
    pub allowed_values: Vec<String>,
    pub constraint_description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
}

/// A parameter value as a CreateStack/UpdateStack call gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamInput {
    Value(String),
    UsePrevious,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Resolved {
    name: String,
    value: String,
    type_name: String,
    no_echo: bool,
}

/// Parameter values after defaults and constraints, in declaration order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResolvedParameters {
    values: Vec<Resolved>,
}

/// What DescribeStacks shows for a NoEcho parameter.
pub const MASK: &str = "****";

impl ResolvedParameters {
    pub fn push(&mut self, name: &str, value: String, type_name: &str, no_echo: bool) {
        self.values.push(Resolved { name: name.into(), value, type_name: type_name.into(), no_echo });
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).map(|r| r.value.as_str())
    }

    /// The declared type of a resolved parameter (`Ref` of a list type is a list).
    pub fn type_of(&self, name: &str) -> Option<&str> {
        self.find(name).map(|r| r.type_name.as_str())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|r| r.name.as_str())
    }

    fn find(&self, name: &str) -> Option<&Resolved> {
        self.values.iter().find(|r| r.name == name)
    }

    /// (name, value as DescribeStacks shows it: "****" for NoEcho)
    pub fn masked(&self) -> Vec<(String, String)> {
        let shown = |r: &Resolved| if r.no_echo { MASK.to_string() } else { r.value.clone() };
        self.values.iter().map(|r| (r.name.clone(), shown(r))).collect()
    }

    /// Serializable, so the stack service can persist and reload them.
    pub fn to_json(&self) -> Value {
        let items: Vec<Value> = self
            .values
            .iter()
            .map(|r| json!({"name": r.name, "value": r.value, "type": r.type_name, "no_echo": r.no_echo}))
            .collect();
        Value::Array(items)
    }

    pub fn from_json(v: &Value) -> Option<Self> {
        let mut out = ResolvedParameters::default();
        for item in v.as_array()? {
            let name = item.get("name")?.as_str()?;
            let value = item.get("value")?.as_str()?;
            let type_name = item.get("type")?.as_str()?;
            let no_echo = item.get("no_echo")?.as_bool()?;
            out.push(name, value.to_string(), type_name, no_echo);
        }
        Some(out)
    }
}

/// The pseudo parameters of one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudo {
    pub region: String,
    pub account_id: String,
    pub stack_name: String,
    pub stack_id: String,
    /// "aws"
    pub partition: String,
    /// "amazonaws.com"
    pub url_suffix: String,
    pub notification_arns: Vec<String>,
}

/// `DeletionPolicy` / `UpdateReplacePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Delete,
    Retain,
    Snapshot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedResource {
    pub logical_id: String,
    pub type_name: String,
    /// DependsOn plus implicit dependencies (Ref, Fn::GetAtt, Fn::Sub references to resources).
    pub depends_on: BTreeSet<String>,
    pub deletion_policy: Policy,
    pub update_replace_policy: Policy,
}

/// The resources a deployment includes (Conditions evaluated), in template order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub resources: Vec<PlannedResource>,
}

/// What created resources give later ones.
pub trait Env {
    /// What `Ref` of a created resource returns.
    fn reference(&self, logical_id: &str) -> Option<String>;
    /// `Fn::GetAtt` of a created resource.
    fn attribute(&self, logical_id: &str, name: &str) -> Option<Value>;
    /// The value of another stack's export, for `Fn::ImportValue`.
    fn import(&self, _name: &str) -> Option<String> {
        None
    }
}

/// An `Env` in which nothing exists yet.
pub struct NoResources;

impl Env for NoResources {
    fn reference(&self, _: &str) -> Option<String> {
        None
    }
    fn attribute(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputValue {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}
