//! A template's parameter declarations, with the group and label `AWS::CloudFormation::Interface`
//! gives each, in the order the interface presents them.

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::yaml::{TemplateError, get, scalar, string_list};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parameter {
    pub name: String,
    /// The declared `Type`, verbatim (`Number`, `List<AWS::EC2::Subnet::Id>`, …).
    #[serde(rename = "type")]
    pub type_name: String,
    pub default: Option<String>,
    pub allowed_values: Vec<String>,
    pub allowed_pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub constraint_description: Option<String>,
    pub description: Option<String>,
    pub no_echo: bool,
    pub group: Option<String>,
    pub label: Option<String>,
}

impl Parameter {
    pub fn required(&self) -> bool {
        self.default.is_none()
    }

    pub fn kind(&self) -> ParamKind<'_> {
        ParamKind::of(&self.type_name)
    }
}

/// How CloudFormation checks a value of a parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind<'a> {
    String,
    Number,
    NumberList,
    CommaDelimitedList,
    /// An AWS-specific type such as `AWS::EC2::Subnet::Id` (the payload), one value or a list.
    Aws {
        type_name: &'a str,
        list: bool,
    },
    /// `AWS::SSM::Parameter::Value<…>` and `AWS::SSM::Parameter::Name`: the value is a parameter name.
    SsmParameterName,
    Unknown(&'a str),
}

impl<'a> ParamKind<'a> {
    pub fn of(type_name: &'a str) -> ParamKind<'a> {
        match type_name {
            "String" => ParamKind::String,
            "Number" => ParamKind::Number,
            "List<Number>" => ParamKind::NumberList,
            "CommaDelimitedList" => ParamKind::CommaDelimitedList,
            "AWS::SSM::Parameter::Name" => ParamKind::SsmParameterName,
            t if t.starts_with("AWS::SSM::Parameter::Value<") => ParamKind::SsmParameterName,
            t => match t.strip_prefix("List<").and_then(|r| r.strip_suffix('>')) {
                Some(inner) if inner.starts_with("AWS::") => ParamKind::Aws { type_name: inner, list: true },
                _ if t.starts_with("AWS::") => ParamKind::Aws { type_name: t, list: false },
                _ => ParamKind::Unknown(t),
            },
        }
    }
}

/// Reads `Parameters` and the interface metadata of a parsed template.
pub fn parse(root: &Mapping) -> Result<Vec<Parameter>, TemplateError> {
    let Some(params) = get(root, "Parameters") else { return Ok(Vec::new()) };
    let Value::Mapping(params) = params else { return Err(TemplateError::at("Parameters", "expected a mapping")) };
    let interface =
        get(root, "Metadata").and_then(|m| m.as_mapping()).and_then(|m| get(m, "AWS::CloudFormation::Interface"));
    let (groups, labels) = interface_of(interface)?;

    let mut declared = Vec::new();
    for (name, decl) in params {
        let name = name.as_str().ok_or_else(|| TemplateError::at("Parameters", "parameter names are strings"))?;
        let mut p = declaration(name, decl)?;
        p.label = labels.iter().find(|(n, _)| n == name).map(|(_, l)| l.clone());
        p.group = groups.iter().find(|(_, members)| members.iter().any(|m| m == name)).map(|(g, _)| g.clone());
        declared.push(p);
    }
    for (group, members) in &groups {
        if let Some(unknown) = members.iter().find(|m| !declared.iter().any(|p| &p.name == *m)) {
            return Err(TemplateError::at(
                "Metadata.AWS::CloudFormation::Interface",
                format!("group {group:?} lists {unknown}, which is not a parameter"),
            ));
        }
    }
    // The interface's order first (what the console shows), then any parameter outside every group.
    let mut ordered = Vec::with_capacity(declared.len());
    for (_, members) in &groups {
        for m in members {
            if let Some(i) = declared.iter().position(|p| &p.name == m) {
                ordered.push(declared.remove(i));
            }
        }
    }
    ordered.append(&mut declared);
    Ok(ordered)
}

type Groups = Vec<(String, Vec<String>)>;
type Labels = Vec<(String, String)>;

fn interface_of(interface: Option<&Value>) -> Result<(Groups, Labels), TemplateError> {
    let here = "Metadata.AWS::CloudFormation::Interface";
    let Some(Value::Mapping(iface)) = interface else { return Ok((Vec::new(), Vec::new())) };
    let mut groups = Vec::new();
    if let Some(list) = get(iface, "ParameterGroups") {
        let list = list.as_sequence().ok_or_else(|| TemplateError::at(here, "ParameterGroups is not a list"))?;
        for g in list {
            let g = g.as_mapping().ok_or_else(|| TemplateError::at(here, "a parameter group is not a mapping"))?;
            let label = get(g, "Label").and_then(|l| l.as_mapping()).and_then(|l| get(l, "default")).and_then(scalar);
            let members = string_list(get(g, "Parameters"), here)?;
            groups.push((label.unwrap_or_default(), members));
        }
    }
    let mut labels = Vec::new();
    if let Some(Value::Mapping(map)) = get(iface, "ParameterLabels") {
        for (name, label) in map {
            let text = label.as_mapping().and_then(|l| get(l, "default")).and_then(scalar);
            if let (Some(name), Some(text)) = (name.as_str(), text) {
                labels.push((name.to_string(), text));
            }
        }
    }
    Ok((groups, labels))
}

fn declaration(name: &str, decl: &Value) -> Result<Parameter, TemplateError> {
    let here = format!("Parameters.{name}");
    let decl = decl.as_mapping().ok_or_else(|| TemplateError::at(&here, "expected a mapping"))?;
    let field = |key: &str| get(decl, key).and_then(scalar);
    let number = |key: &str| -> Result<Option<f64>, TemplateError> {
        field(key)
            .map(|s| s.parse::<f64>().map_err(|_| TemplateError::at(&here, format!("{key} {s:?} is not a number"))))
            .transpose()
    };
    let length = |key: &str| -> Result<Option<u64>, TemplateError> {
        field(key)
            .map(|s| s.parse::<u64>().map_err(|_| TemplateError::at(&here, format!("{key} {s:?} is not a length"))))
            .transpose()
    };
    let type_name = field("Type").ok_or_else(|| TemplateError::at(&here, "Type is missing"))?;
    Ok(Parameter {
        name: name.to_string(),
        type_name,
        default: field("Default"),
        allowed_values: string_list(get(decl, "AllowedValues"), &here)?,
        allowed_pattern: field("AllowedPattern"),
        min_length: length("MinLength")?,
        max_length: length("MaxLength")?,
        min_value: number("MinValue")?,
        max_value: number("MaxValue")?,
        constraint_description: field("ConstraintDescription"),
        description: field("Description"),
        no_echo: field("NoEcho").is_some_and(|v| v == "true"),
        group: None,
        label: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_declared_types() {
        assert_eq!(ParamKind::of("Number"), ParamKind::Number);
        assert_eq!(ParamKind::of("List<Number>"), ParamKind::NumberList);
        assert_eq!(
            ParamKind::of("List<AWS::EC2::Subnet::Id>"),
            ParamKind::Aws { type_name: "AWS::EC2::Subnet::Id", list: true }
        );
        assert_eq!(ParamKind::of("AWS::EC2::VPC::Id"), ParamKind::Aws { type_name: "AWS::EC2::VPC::Id", list: false });
        assert_eq!(ParamKind::of("AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"), ParamKind::SsmParameterName);
    }

    #[test]
    fn interface_order_then_ungrouped() {
        let root: Mapping = serde_yaml::from_str(
            "Metadata:\n  AWS::CloudFormation::Interface:\n    ParameterGroups:\n      - Label: {default: G}\n        Parameters: [B]\n    ParameterLabels:\n      B: {default: Bee}\nParameters:\n  A: {Type: String}\n  B: {Type: Number, Default: 2, MinValue: 1}\n",
        )
        .unwrap();
        let ps = parse(&root).unwrap();
        assert_eq!(ps.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["B", "A"]);
        assert_eq!(ps[0].group.as_deref(), Some("G"));
        assert_eq!(ps[0].label.as_deref(), Some("Bee"));
        assert_eq!(ps[0].default.as_deref(), Some("2"));
        assert_eq!(ps[0].min_value, Some(1.0));
        assert!(ps[1].required());
    }
}
