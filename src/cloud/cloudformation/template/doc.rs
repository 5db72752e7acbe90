//! A template body read into its sections, with YAML short-form tags rewritten to the long JSON form
//! (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`), so everything after
//! parsing deals with one form.

use serde_json::{Map, Number, Value};
use serde_yaml::Value as Yaml;

use super::model::{ParameterDecl, Policy, TemplateError};
use super::params;
use super::syntax::transform_error;

/// A template body larger than this is refused. AWS documents 51,200 bytes for `TemplateBody` and
/// 1 MB for a template given by `TemplateURL`; the engine accepts the larger, the API checks the body.
pub const MAX_BODY_BYTES: usize = 1_048_576;
/// Nesting deeper than this is refused before anything walks the tree recursively.
pub const MAX_DEPTH: usize = 64;
/// AWS's quotas per template.
pub const MAX_RESOURCES: usize = 500;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_MAPPINGS: usize = 200;

const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "CreationPolicy",
    "UpdatePolicy",
];

/// Short-form tags and the long name each stands for.
const TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("GetAtt", "Fn::GetAtt"),
    ("Sub", "Fn::Sub"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Not", "Fn::Not"),
    ("Join", "Fn::Join"),
    ("Split", "Fn::Split"),
    ("Select", "Fn::Select"),
    ("FindInMap", "Fn::FindInMap"),
    ("GetAZs", "Fn::GetAZs"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("ImportValue", "Fn::ImportValue"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
];

#[derive(Debug, Clone)]
pub struct Resource {
    pub logical_id: String,
    pub type_name: String,
    /// The `Properties` object (empty when the resource has none).
    pub properties: Value,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
    pub deletion_policy: Policy,
    pub update_replace_policy: Policy,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub key: String,
    pub value: Value,
    pub description: Option<Value>,
    pub export_name: Option<Value>,
    pub condition: Option<String>,
}

/// A parsed template, sections in template order.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub description: Option<String>,
    pub parameters: Vec<ParameterDecl>,
    pub mappings: Map<String, Value>,
    pub conditions: Vec<(String, Value)>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<Output>,
}

impl Doc {
    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    pub fn condition(&self, name: &str) -> Option<&Value> {
        self.conditions.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// Reads a YAML or JSON body.
pub fn parse(body: &str) -> Result<Doc, TemplateError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(TemplateError::new(format!("Template may not exceed {MAX_BODY_BYTES} bytes in size.")));
    }
    let root = read(body)?;
    let Yaml::Mapping(root) = root else { return Err(TemplateError::format("unsupported structure.")) };
    let mut sections = Vec::new();
    for (key, value) in &root {
        let name = key_string(key)?;
        if !SECTIONS.contains(&name.as_str()) {
            return Err(TemplateError::format(format!("Invalid template property or properties [{name}]")));
        }
        sections.push((name, value));
    }
    let section = |n: &str| sections.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
    if let Some(v) = section("AWSTemplateFormatVersion") {
        version(v)?;
    }
    if let Some(t) = section("Transform") {
        return Err(transform_refused(t));
    }
    // Rules assert things about parameter values, often through Fn::ValueOf and Fn::RefAll, which read
    // the account's EC2 resources; refusing the section is better than deploying what AWS would refuse.
    if section("Rules").is_some_and(|r| !r.is_null()) {
        return Err(TemplateError::format("the Rules section is not supported by the local cloud"));
    }
    let mut doc = Doc { description: section("Description").map(description).transpose()?, ..Doc::default() };
    if let Some(p) = section("Parameters") {
        doc.parameters = params::declarations(&entries(p, "Parameters")?)?;
    }
    if let Some(m) = section("Mappings") {
        doc.mappings = mappings(m)?;
    }
    if let Some(c) = section("Conditions") {
        doc.conditions = entries(c, "Conditions")?;
    }
    let resources = match section("Resources").filter(|r| !r.is_null()) {
        Some(r) => entries(r, "Resources")?,
        None => Vec::new(),
    };
    if resources.is_empty() {
        return Err(TemplateError::format("At least one Resources member must be defined."));
    }
    if resources.len() > MAX_RESOURCES {
        let n = resources.len();
        return Err(TemplateError::format(format!(
            "Number of resources, {n}, is greater than maximum allowed, {MAX_RESOURCES}"
        )));
    }
    for (id, body) in resources {
        let r = resource(&id, body, &doc)?;
        doc.resources.push(r);
    }
    let common: Vec<&str> = doc
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .filter(|id| doc.parameters.iter().any(|p| p.name == *id))
        .collect();
    if !common.is_empty() {
        return Err(TemplateError::template(format!(
            "all resources and parameters must have unique names. Common name(s):[{}]",
            common.join(", ")
        )));
    }
    if let Some(o) = section("Outputs") {
        doc.outputs = outputs(o, &doc)?;
    }
    Ok(doc)
}

fn read(body: &str) -> Result<Yaml, TemplateError> {
    if body.trim_start().starts_with('{') {
        serde_json::from_str::<Yaml>(body).map_err(|e| {
            TemplateError::format(format!("JSON not well-formed. (line {}, column {})", e.line(), e.column()))
        })
    } else {
        serde_yaml::from_str::<Yaml>(body).map_err(|e| match e.location() {
            Some(l) => {
                TemplateError::format(format!("YAML not well-formed. (line {}, column {})", l.line(), l.column()))
            }
            None => TemplateError::format(format!("YAML not well-formed. ({e})")),
        })
    }
}

fn version(v: &Yaml) -> Result<(), TemplateError> {
    match v {
        Yaml::String(s) if s == "2010-09-09" => Ok(()),
        _ => Err(TemplateError::format("unsupported value for AWSTemplateFormatVersion.")),
    }
}

/// AWS documents a template description of at most 1,024 bytes.
const MAX_DESCRIPTION_BYTES: usize = 1024;

fn description(v: &Yaml) -> Result<String, TemplateError> {
    let text = scalar_text(v).ok_or_else(|| TemplateError::format("Every Description member must be a string."))?;
    if text.len() > MAX_DESCRIPTION_BYTES {
        return Err(TemplateError::format(format!(
            "Description must be no longer than {MAX_DESCRIPTION_BYTES} bytes."
        )));
    }
    Ok(text)
}

/// Transforms (`AWS::Serverless-2016-10-31`, `AWS::LanguageExtensions`, macros) rewrite a template
/// before it is processed; the local cloud runs none, and says which one it was asked for.
fn transform_refused(t: &Yaml) -> TemplateError {
    let names: Vec<String> = match t {
        Yaml::Sequence(items) => items.iter().filter_map(transform_name).collect(),
        other => transform_name(other).into_iter().collect(),
    };
    transform_error(&names.join(", "))
}

fn transform_name(t: &Yaml) -> Option<String> {
    match t {
        Yaml::Mapping(m) => m.get("Name").and_then(scalar_text),
        other => scalar_text(other),
    }
}

/// A section's entries in order, as (name, long-form JSON).
fn entries(v: &Yaml, section: &str) -> Result<Vec<(String, Value)>, TemplateError> {
    match v {
        Yaml::Mapping(m) => m.iter().map(|(k, v)| Ok((key_string(k)?, to_json(v, 1)?))).collect(),
        _ => Err(TemplateError::format(format!("{section} must be an object"))),
    }
}

fn mappings(v: &Yaml) -> Result<Map<String, Value>, TemplateError> {
    let all = entries(v, "Mappings")?;
    if all.len() > MAX_MAPPINGS {
        return Err(TemplateError::format(format!("Mappings may not exceed {MAX_MAPPINGS} entries")));
    }
    let mut out = Map::new();
    for (name, map) in all {
        let Some(keys) = map.as_object().filter(|m| m.values().all(Value::is_object)) else {
            return Err(TemplateError::format(format!("Every Mappings member {name} must be a map")));
        };
        // Mappings hold literal values: no functions, no nested maps.
        let literal = |v: &Value| match v {
            Value::Array(items) => items.iter().all(|i| !i.is_object() && !i.is_array()),
            other => !other.is_object(),
        };
        if !keys.values().filter_map(Value::as_object).all(|attrs| attrs.values().all(literal)) {
            return Err(TemplateError::format("Every Mappings attribute must be a String or a List."));
        }
        out.insert(name, map);
    }
    Ok(out)
}

fn resource(id: &str, body: Value, doc: &Doc) -> Result<Resource, TemplateError> {
    if id.starts_with("Fn::ForEach::") {
        return Err(transform_error("AWS::LanguageExtensions (Fn::ForEach)"));
    }
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(TemplateError::format(format!("Resource name {id} is non alphanumeric.")));
    }
    let Value::Object(body) = body else {
        return Err(TemplateError::format(format!("[/Resources/{id}] Every Resources object must be an object")));
    };
    if let Some(bad) = body.keys().find(|k| !RESOURCE_ATTRIBUTES.contains(&k.as_str())) {
        return Err(TemplateError::format(format!("Invalid template resource property '{bad}'")));
    }
    let Some(Value::String(type_name)) = body.get("Type") else {
        return Err(TemplateError::format(format!(
            "[/Resources/{id}] Every Resources object must contain a Type member."
        )));
    };
    if !resource_type_shape(type_name) {
        return Err(TemplateError::format(format!("Unrecognized resource types: [{type_name}]")));
    }
    let properties = match body.get("Properties") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(_) => {
            return Err(TemplateError::format(format!("[/Resources/{id}/Properties] properties must be an object")));
        }
    };
    let depends_on = match body.get("DependsOn") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(|v| v.as_str().map(String::from)).collect()
        }
        Some(_) => {
            return Err(TemplateError::format(format!(
                "DependsOn must be a string or list of strings. (resource {id})"
            )));
        }
    };
    let condition = match body.get("Condition") {
        None => None,
        Some(Value::String(c)) => Some(known_condition(c, doc, &format!("resource {id}"))?),
        Some(_) => return Err(TemplateError::format(format!("[/Resources/{id}/Condition] must be a string"))),
    };
    Ok(Resource {
        logical_id: id.to_string(),
        type_name: type_name.clone(),
        properties,
        depends_on,
        condition,
        deletion_policy: policy(id, "DeletionPolicy", body.get("DeletionPolicy"))?,
        update_replace_policy: policy(id, "UpdateReplacePolicy", body.get("UpdateReplacePolicy"))?,
    })
}

/// `Vendor::Service::Resource` (AWS, Alexa, partners) or `Custom::Name`.
fn resource_type_shape(t: &str) -> bool {
    let parts: Vec<&str> = t.split("::").collect();
    let alnum = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match parts.as_slice() {
        ["Custom", name] => alnum(name),
        _ => (3..=4).contains(&parts.len()) && parts.iter().all(alnum),
    }
}

fn known_condition(name: &str, doc: &Doc, user: &str) -> Result<String, TemplateError> {
    match doc.condition(name) {
        Some(_) => Ok(name.to_string()),
        None => Err(TemplateError::format(format!("Unresolved condition dependency {name} in {user}"))),
    }
}

fn policy(id: &str, attribute: &str, v: Option<&Value>) -> Result<Policy, TemplateError> {
    match v.map(|v| v.as_str()) {
        None | Some(Some("Delete")) => Ok(Policy::Delete),
        // RetainExceptOnCreate keeps the resource everywhere a Policy is consulted after a create succeeded.
        Some(Some("Retain" | "RetainExceptOnCreate")) => Ok(Policy::Retain),
        Some(Some("Snapshot")) => Ok(Policy::Snapshot),
        Some(other) => {
            let shown = other.unwrap_or("(not a string)");
            Err(TemplateError::format(format!("Unrecognized {attribute} {shown} for resource {id}")))
        }
    }
}

fn outputs(v: &Yaml, doc: &Doc) -> Result<Vec<Output>, TemplateError> {
    let all = entries(v, "Outputs")?;
    if all.len() > MAX_OUTPUTS {
        return Err(TemplateError::format(format!(
            "Number of outputs, {}, is greater than maximum allowed, {MAX_OUTPUTS}",
            all.len()
        )));
    }
    let mut out = Vec::new();
    for (key, body) in all {
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(TemplateError::format(format!(
                "Output {key} is malformed. The Output name must be alphanumeric."
            )));
        }
        let Some(value) = body.get("Value") else {
            return Err(TemplateError::format(format!(
                "[/Outputs/{key}] Every Outputs member must contain a Value object"
            )));
        };
        let condition = match body.get("Condition") {
            None => None,
            Some(Value::String(c)) => Some(known_condition(c, doc, &format!("output {key}"))?),
            Some(_) => return Err(TemplateError::format(format!("[/Outputs/{key}/Condition] must be a string"))),
        };
        let export_name = body.get("Export").map(|e| e.get("Name").cloned().unwrap_or(Value::Null));
        out.push(Output {
            key,
            value: value.clone(),
            description: body.get("Description").cloned(),
            export_name,
            condition,
        });
    }
    Ok(out)
}

fn key_string(k: &Yaml) -> Result<String, TemplateError> {
    scalar_text(k).ok_or_else(|| TemplateError::format("YAML not well-formed. (a mapping key must be a scalar)"))
}

fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// YAML to long-form JSON, refusing nesting deeper than [`MAX_DEPTH`].
pub fn to_json(v: &Yaml, depth: usize) -> Result<Value, TemplateError> {
    if depth > MAX_DEPTH {
        return Err(TemplateError::format(format!("the template nests deeper than {MAX_DEPTH} levels")));
    }
    Ok(match v {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => number(n),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(|i| to_json(i, depth + 1)).collect::<Result<_, _>>()?),
        Yaml::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(key_string(k)?, to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(t) => tagged(&t.tag.to_string(), &t.value, depth)?,
    })
}

fn number(n: &serde_yaml::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        // NaN and infinities have no JSON number; CloudFormation would carry them as text.
        n.as_f64().and_then(Number::from_f64).map(Value::Number).unwrap_or_else(|| Value::String(n.to_string()))
    }
}

fn tagged(tag: &str, inner: &Yaml, depth: usize) -> Result<Value, TemplateError> {
    let short = tag.trim_start_matches('!');
    let Some((_, long)) = TAGS.iter().find(|(s, _)| *s == short) else {
        return Err(TemplateError::format(format!("YAML not well-formed. (unknown tag !{short})")));
    };
    let arg = match (short, inner) {
        // `!GetAtt A.B.C` names attribute `B.C` of `A`.
        ("GetAtt", Yaml::String(s)) => match s.split_once('.') {
            Some((a, b)) => Value::Array(vec![Value::String(a.into()), Value::String(b.into())]),
            None => Value::String(s.clone()),
        },
        _ => to_json(inner, depth + 1)?,
    };
    let mut m = Map::new();
    m.insert(long.to_string(), arg);
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_form() {
        let y: Yaml =
            serde_yaml::from_str("a: !GetAtt S.Arn\nb: !Ref X\nc: !Sub ['${A}', {A: !GetAtt [S, B.C]}]").unwrap();
        let j = to_json(&y, 0).unwrap();
        assert_eq!(j["a"], serde_json::json!({"Fn::GetAtt": ["S", "Arn"]}));
        assert_eq!(j["b"], serde_json::json!({"Ref": "X"}));
        assert_eq!(j["c"], serde_json::json!({"Fn::Sub": ["${A}", {"A": {"Fn::GetAtt": ["S", "B.C"]}}]}));
    }

    fn err(body: &str) -> String {
        parse(body).map(|_| panic!("{body} parsed")).unwrap_err().message
    }

    const R: &str = "Resources:\n  S: {Type: AWS::S3::Bucket}\n";

    #[test]
    fn structure_errors_in_aws_words() {
        assert_eq!(
            err(&format!("{R}Foo: 1\n")),
            "Template format error: Invalid template property or properties [Foo]"
        );
        assert_eq!(err("Description: x\n"), "Template format error: At least one Resources member must be defined.");
        assert_eq!(err("Resources: {}\n"), "Template format error: At least one Resources member must be defined.");
        assert_eq!(
            err("Resources:\n  S: {Properties: {}}\n"),
            "Template format error: [/Resources/S] Every Resources object must contain a Type member."
        );
        assert_eq!(
            err("Resources:\n  S: {Type: AWS::S3::Bucket, Bogus: 1}\n"),
            "Template format error: Invalid template resource property 'Bogus'"
        );
        assert_eq!(
            err("Resources:\n  my-bucket: {Type: AWS::S3::Bucket}\n"),
            "Template format error: Resource name my-bucket is non alphanumeric."
        );
        assert_eq!(
            err("Resources:\n  S: {Type: Bucket}\n"),
            "Template format error: Unrecognized resource types: [Bucket]"
        );
        assert_eq!(err("- a\n- b\n"), "Template format error: unsupported structure.");
        assert!(err("Resources: [\n").starts_with("Template format error: YAML not well-formed. (line"));
        assert!(err("{\"Resources\": }").starts_with("Template format error: JSON not well-formed. (line 1, column"));
        assert_eq!(
            err(&format!("AWSTemplateFormatVersion: '2011-01-01'\n{R}")),
            "Template format error: unsupported value for AWSTemplateFormatVersion."
        );
        assert!(parse(&format!("AWSTemplateFormatVersion: 2010-09-09\n{R}")).is_ok());
        assert!(err(&format!("Description: '{}'\n{R}", "d".repeat(1025))).contains("no longer than 1024 bytes"));
        assert_eq!(
            err(&format!("Parameters:\n  S: {{Type: String}}\n{R}")),
            "Template error: all resources and parameters must have unique names. Common name(s):[S]"
        );
        assert!(
            err(&format!("{R}Outputs:\n  O: {{Description: x}}\n"))
                .contains("Every Outputs member must contain a Value object")
        );
        assert!(
            err("Resources:\n  S: {Type: AWS::S3::Bucket, DeletionPolicy: Keep}\n")
                .contains("Unrecognized DeletionPolicy Keep")
        );
        assert!(
            err(&format!("{R}Mappings:\n  M: {{k: {{a: !Ref X}}}}\n"))
                .contains("Every Mappings attribute must be a String or a List.")
        );
        assert_eq!(
            err("Resources:\n  S: {Type: AWS::S3::Bucket, Condition: Nope}\n"),
            "Template format error: Unresolved condition dependency Nope in resource S"
        );
        assert!(
            err("Resources:\n  S: {Type: AWS::S3::Bucket, Properties: {A: !Bogus x}}\n").contains("unknown tag !Bogus")
        );
    }

    #[test]
    fn transforms_are_refused_naming_them() {
        assert_eq!(
            err(&format!("Transform: AWS::LanguageExtensions\n{R}")),
            "Template format error: Transform AWS::LanguageExtensions is not supported by the local cloud"
        );
        let both = err(&format!("Transform: [AWS::Serverless-2016-10-31, {{Name: MyMacro}}]\n{R}"));
        assert!(both.contains("AWS::Serverless-2016-10-31, MyMacro"), "{both}");
        assert!(err("Resources:\n  'Fn::ForEach::Topics': [x, [a], {}]\n").contains("AWS::LanguageExtensions"));
        let rules = format!("Rules:\n  R: {{Assertions: [{{Assert: !Equals [a, a]}}]}}\n{R}");
        assert_eq!(err(&rules), "Template format error: the Rules section is not supported by the local cloud");
    }

    #[test]
    fn size_depth_and_count_limits() {
        let big = format!("{R}Description: '{}'\n", "x".repeat(MAX_BODY_BYTES));
        assert_eq!(err(&big), "Template may not exceed 1048576 bytes in size.");
        let deep = format!(
            "Resources:\n  S:\n    Type: AWS::S3::Bucket\n    Properties: {{A: {}1{}}}\n",
            "[".repeat(70),
            "]".repeat(70)
        );
        assert!(err(&deep).contains("nests deeper than 64 levels"), "{}", err(&deep));
        let shallow = format!(
            "Resources:\n  S:\n    Type: AWS::S3::Bucket\n    Properties: {{A: {}1{}}}\n",
            "[".repeat(50),
            "]".repeat(50)
        );
        assert!(parse(&shallow).is_ok());
        let many: String = (0..=MAX_RESOURCES).map(|i| format!("  R{i}: {{Type: AWS::S3::Bucket}}\n")).collect();
        assert_eq!(
            err(&format!("Resources:\n{many}")),
            "Template format error: Number of resources, 501, is greater than maximum allowed, 500"
        );
    }

    #[test]
    fn json_templates_read_like_yaml_ones() {
        let body = r#"{"Resources": {"S": {"Type": "AWS::Kinesis::Stream", "DependsOn": ["T"], "DeletionPolicy": "Retain",
            "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}"}}}, "T": {"Type": "AWS::S3::Bucket"}}}"#;
        let d = parse(body).unwrap();
        assert_eq!(d.resources.iter().map(|r| r.logical_id.as_str()).collect::<Vec<_>>(), ["S", "T"]);
        assert_eq!(d.resources[0].depends_on, ["T"]);
        assert_eq!(d.resources[0].deletion_policy, Policy::Retain);
        assert_eq!(d.resources[0].properties, serde_json::json!({"Name": {"Fn::Sub": "${AWS::StackName}"}}));
    }

    #[test]
    fn alias_bombs_are_refused_without_expanding_them() {
        let mut body = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in
            ["a", "b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i", "j"])
        {
            let row = vec![format!("*{prev}"); 10].join(", ");
            body.push_str(&format!("{name}: &{name} [{row}]\n"));
        }
        body.push_str(R);
        assert!(err(&body).starts_with("Template format error:"), "{}", err(&body));
    }
}
