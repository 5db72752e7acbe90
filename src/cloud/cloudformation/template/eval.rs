//! Intrinsic functions and conditions, evaluated against parameters, pseudo parameters and (for
//! properties and outputs) the resources already created.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::cidr;
use super::doc::{Doc, transform_error};
use super::model::{Env, Pseudo, ResolvedParameters, TemplateError};
use super::params;

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

const SUPPORTED: &str = "[Fn::Base64, Fn::GetAtt, Fn::GetAZs, Fn::ImportValue, Fn::Join, Fn::Split, Fn::FindInMap, \
                         Fn::Select, Ref, Fn::Equals, Fn::If, Fn::Not, Condition, Fn::And, Fn::Or, Fn::Sub, Fn::Cidr]";

pub fn unresolved(id: &str, block: Block) -> TemplateError {
    TemplateError::format(format!(
        "Unresolved resource dependencies [{id}] in the {} block of the template",
        block.name()
    ))
}

pub fn undefined_get_att(id: &str) -> TemplateError {
    TemplateError::template(format!("instance of Fn::GetAtt references undefined resource {id}"))
}

fn resource_in_conditions(id: &str) -> TemplateError {
    TemplateError::format(format!(
        "Unresolved dependencies [{id}]. Cannot reference resources in the Conditions block of the template"
    ))
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

/// Everything an expression can see.
pub struct Scope<'a> {
    pub doc: &'a Doc,
    pub params: &'a ResolvedParameters,
    pub pseudo: &'a Pseudo,
    /// The created resources; `None` where none may be referenced (Conditions).
    pub env: Option<&'a dyn Env>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub block: Block,
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

impl Scope<'_> {
    /// The value of an expression; `None` is `AWS::NoValue`, which removes the property or list item.
    pub fn value(&self, v: &Value) -> Result<Option<Value>, TemplateError> {
        if let Some((name, arg)) = call(v, self.block) {
            return self.function(name, arg);
        }
        Ok(Some(match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    if let Some(x) = self.value(v)? {
                        out.insert(k.clone(), x);
                    }
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    out.extend(self.value(v)?);
                }
                Value::Array(out)
            }
            other => other.clone(),
        }))
    }

    /// An argument, which must have a value.
    fn arg(&self, v: &Value, function: &str) -> Result<Value, TemplateError> {
        self.value(v)?
            .ok_or_else(|| TemplateError::template(format!("AWS::NoValue is not a valid argument of {function}")))
    }

    fn string_arg(&self, v: &Value, function: &str, usage: &str) -> Result<String, TemplateError> {
        text(&self.arg(v, function)?).ok_or_else(|| TemplateError::template(usage))
    }

    fn function(&self, name: &str, arg: &Value) -> Result<Option<Value>, TemplateError> {
        if self.block == Block::Conditions && matches!(name, "Fn::GetAtt" | "Fn::ImportValue") {
            return Err(TemplateError::template(format!(
                "{name} cannot be used in the Conditions block of the template"
            )));
        }
        let v = match name {
            "Ref" => return self.reference(arg),
            "Fn::If" => return self.fn_if(arg),
            "Fn::GetAtt" => self.get_att(arg)?,
            "Fn::Sub" => self.sub(arg)?,
            "Fn::Join" => self.join(arg)?,
            "Fn::Split" => self.split(arg)?,
            "Fn::Select" => self.select(arg)?,
            "Fn::FindInMap" => self.find_in_map(arg)?,
            "Fn::GetAZs" => self.get_azs(arg)?,
            "Fn::Base64" => {
                let s = self.string_arg(arg, name, "every Fn::Base64 object requires a string parameter")?;
                Value::String(base64::engine::general_purpose::STANDARD.encode(s))
            }
            "Fn::Cidr" => self.cidr(arg)?,
            "Fn::ImportValue" => self.import(arg)?,
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                return Err(TemplateError::template(format!(
                    "{name} can only be used in the Conditions block of the template or inside a condition"
                )));
            }
            "Fn::Transform" => return Err(transform_error("named by Fn::Transform (AWS::Include or a macro)")),
            "Fn::Length" | "Fn::ToJsonString" => {
                return Err(transform_error(&format!("AWS::LanguageExtensions (needed by {name})")));
            }
            other => {
                return Err(TemplateError::template(format!(
                    "Encountered unsupported function: {other} Supported functions are: {SUPPORTED}"
                )));
            }
        };
        Ok(Some(v))
    }

    fn reference(&self, arg: &Value) -> Result<Option<Value>, TemplateError> {
        let Value::String(name) = arg else {
            return Err(TemplateError::format("Every Ref object must have a single String value."));
        };
        let p = self.pseudo;
        let s = |x: &str| Ok(Some(Value::String(x.to_string())));
        match name.as_str() {
            "AWS::AccountId" => return s(&p.account_id),
            "AWS::Region" => return s(&p.region),
            "AWS::StackName" => return s(&p.stack_name),
            "AWS::StackId" => return s(&p.stack_id),
            "AWS::Partition" => return s(&p.partition),
            "AWS::URLSuffix" => return s(&p.url_suffix),
            "AWS::NotificationARNs" => {
                return Ok(Some(Value::Array(p.notification_arns.iter().cloned().map(Value::String).collect())));
            }
            "AWS::NoValue" => return Ok(None),
            _ => {}
        }
        if let Some(value) = self.params.get(name) {
            let list = self.params.type_of(name).is_some_and(params::is_list);
            return Ok(Some(if list {
                Value::Array(params::list(value).into_iter().map(|i| Value::String(i.into())).collect())
            } else {
                Value::String(value.to_string())
            }));
        }
        if self.doc.resource(name).is_none() {
            return Err(unresolved(name, self.block));
        }
        let Some(env) = self.env else { return Err(resource_in_conditions(name)) };
        match env.reference(name) {
            Some(r) => Ok(Some(Value::String(r))),
            None => Err(TemplateError::template(format!(
                "resource {name} has not been created, so Ref to it cannot be resolved"
            ))),
        }
    }

    fn get_att(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage =
            "every Fn::GetAtt object requires two non-empty parameters, the resource name and the resource attribute";
        let (id, attr) = match arg {
            Value::String(s) => s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())),
            Value::Array(items) if items.len() == 2 => match (&items[0], self.value(&items[1])?) {
                (Value::String(id), Some(Value::String(attr))) => Some((id.clone(), attr)),
                _ => None,
            },
            _ => None,
        }
        .filter(|(id, attr)| !id.is_empty() && !attr.is_empty())
        .ok_or_else(|| TemplateError::template(usage))?;
        self.attribute(&id, &attr)
    }

    fn attribute(&self, id: &str, attr: &str) -> Result<Value, TemplateError> {
        if self.doc.resource(id).is_none() {
            return Err(undefined_get_att(id));
        }
        let Some(env) = self.env else { return Err(resource_in_conditions(id)) };
        if let Some(v) = env.attribute(id, attr) {
            return Ok(v);
        }
        Err(TemplateError::template(match env.reference(id) {
            None => format!("resource {id} has not been created, so Fn::GetAtt {id}.{attr} cannot be resolved"),
            Some(_) => format!("resource {id} did not return attribute {attr} for Fn::GetAtt {id}.{attr}"),
        }))
    }

    fn sub(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage = TemplateError::template(
            "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first \
             argument, and an optional second argument to specify a mapping of values to replace in the string",
        );
        let (template, vars) = match arg {
            Value::String(s) => (s.clone(), None),
            Value::Array(items) if items.len() == 2 => match (&items[0], &items[1]) {
                (Value::String(s), Value::Object(vars)) => (s.clone(), Some(vars)),
                _ => return Err(usage),
            },
            _ => return Err(usage),
        };
        let mut out = String::new();
        for part in sub_parts(&template)? {
            match part {
                SubPart::Text(t) => out.push_str(&t),
                SubPart::Var(name) => out.push_str(&self.sub_var(&name, vars)?),
            }
        }
        Ok(Value::String(out))
    }

    fn sub_var(&self, name: &str, vars: Option<&Map<String, Value>>) -> Result<String, TemplateError> {
        let value = match vars.and_then(|v| v.get(name)) {
            Some(expr) => self.arg(expr, "Fn::Sub")?,
            None => match name.split_once('.') {
                Some((id, attr)) if !is_pseudo(name) && self.params.get(name).is_none() => self.attribute(id, attr)?,
                _ => self.reference(&Value::String(name.to_string()))?.unwrap_or_default(),
            },
        };
        text(&value).ok_or_else(|| {
            TemplateError::template(format!("variable {name} in Fn::Sub expression does not resolve to a string"))
        })
    }

    fn join(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage = "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings \
                     to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.";
        let Some([delim, list]) = arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 2]>::try_from(a).ok())
        else {
            return Err(TemplateError::template(usage));
        };
        let delim = self.string_arg(delim, "Fn::Join", usage)?;
        let Value::Array(items) = self.arg(list, "Fn::Join")? else { return Err(TemplateError::template(usage)) };
        let texts: Option<Vec<String>> = items.iter().map(text).collect();
        Ok(Value::String(texts.ok_or_else(|| TemplateError::template(usage))?.join(&delim)))
    }

    fn split(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage = "every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be \
                     split or a function that returns a string to be split.";
        let Some([delim, source]) = arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 2]>::try_from(a).ok())
        else {
            return Err(TemplateError::template(usage));
        };
        let delim = self.string_arg(delim, "Fn::Split", usage)?;
        let source = self.string_arg(source, "Fn::Split", usage)?;
        if delim.is_empty() {
            return Err(TemplateError::template(usage));
        }
        Ok(Value::Array(source.split(delim.as_str()).map(|s| Value::String(s.into())).collect()))
    }

    fn select(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage = "Fn::Select requires a list argument with two elements: an integer index and a list";
        let Some([index, list]) = arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 2]>::try_from(a).ok())
        else {
            return Err(TemplateError::template(usage));
        };
        let index = self.string_arg(index, "Fn::Select", usage)?;
        let Ok(i) = index.trim().parse::<usize>() else { return Err(TemplateError::template(usage)) };
        let Value::Array(items) = self.arg(list, "Fn::Select")? else { return Err(TemplateError::template(usage)) };
        items
            .get(i)
            .cloned()
            .ok_or_else(|| TemplateError::template(format!("Fn::Select cannot select nonexistent value at index {i}")))
    }

    fn fn_if(&self, arg: &Value) -> Result<Option<Value>, TemplateError> {
        let usage = "every Fn::If object requires three parameters: a condition name, a value if the condition is \
                     true and a value if it is false";
        let Some([cond, yes, no]) = arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 3]>::try_from(a).ok())
        else {
            return Err(TemplateError::template(usage));
        };
        let Value::String(cond) = cond else { return Err(TemplateError::template(usage)) };
        match self.conditions.get(cond) {
            Some(true) => self.value(yes),
            Some(false) => self.value(no),
            None => Err(TemplateError::template(format!("unresolved condition dependency {cond} in Fn::If"))),
        }
    }

    fn find_in_map(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage = "every Fn::FindInMap object requires three parameters, the map name, map key and the attribute \
                     for return value";
        let items = arg.as_array().ok_or_else(|| TemplateError::template(usage))?;
        if items.len() == 4 {
            return Err(transform_error("AWS::LanguageExtensions (needed by Fn::FindInMap's DefaultValue)"));
        }
        let [map, top, second] =
            <&[Value; 3]>::try_from(items.as_slice()).map_err(|_| TemplateError::template(usage))?;
        let map = self.string_arg(map, "Fn::FindInMap", usage)?;
        let top = self.string_arg(top, "Fn::FindInMap", usage)?;
        let second = self.string_arg(second, "Fn::FindInMap", usage)?;
        let found = self.doc.mappings.get(&map).and_then(|m| m.get(&top)).and_then(|m| m.get(&second));
        found
            .cloned()
            .ok_or_else(|| TemplateError::template(format!("Unable to get mapping for {map}::{top}::{second}")))
    }

    fn get_azs(&self, arg: &Value) -> Result<Value, TemplateError> {
        let region = self.string_arg(arg, "Fn::GetAZs", "Fn::GetAZs requires a region name or an empty string")?;
        let region = if region.is_empty() { self.pseudo.region.clone() } else { region };
        Ok(Value::Array(["a", "b", "c"].iter().map(|z| Value::String(format!("{region}{z}"))).collect()))
    }

    fn cidr(&self, arg: &Value) -> Result<Value, TemplateError> {
        let usage = "every Fn::Cidr object requires three parameters: an address block, the count of subnets and \
                     the number of subnet bits";
        let Some([block, count, bits]) =
            arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 3]>::try_from(a).ok())
        else {
            return Err(TemplateError::template(usage));
        };
        let block = self.string_arg(block, "Fn::Cidr", usage)?;
        let number = |v: &Value| -> Result<u64, TemplateError> {
            self.string_arg(v, "Fn::Cidr", usage)?.trim().parse::<u64>().map_err(|_| TemplateError::template(usage))
        };
        let nets = cidr::subnets(&block, number(count)?, number(bits)?).map_err(TemplateError::template)?;
        Ok(Value::Array(nets.into_iter().map(Value::String).collect()))
    }

    fn import(&self, arg: &Value) -> Result<Value, TemplateError> {
        let name = self.string_arg(arg, "Fn::ImportValue", "Fn::ImportValue requires the name of an export")?;
        let found = self.env.and_then(|e| e.import(&name));
        found.map(Value::String).ok_or_else(|| TemplateError::new(format!("No export named {name} found")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cloud::cloudformation::template::doc;
    use crate::cloud::cloudformation::template::model::ParamInput;

    struct Created;

    impl Env for Created {
        fn reference(&self, id: &str) -> Option<String> {
            (id == "Made").then(|| "made-physical".to_string())
        }
        fn attribute(&self, id: &str, name: &str) -> Option<Value> {
            match (id, name) {
                ("Made", "Arn") => Some(json!("arn:made")),
                ("Made", "Ids") => Some(json!(["x", "y"])),
                _ => None,
            }
        }
        fn import(&self, name: &str) -> Option<String> {
            (name == "shared-arn").then(|| "arn:shared".to_string())
        }
    }

    const HEAD: &str = "Parameters:\n  Env: {Type: String, Default: prod}\n  Names: {Type: CommaDelimitedList, Default: 'a,b,c'}\n\
                        Mappings:\n  Sizes: {prod: {Shards: 4}, dev: {Shards: 1}}\n\
                        Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Not [!Condition IsProd]\n\
                        Resources:\n  Made: {Type: AWS::S3::Bucket}\n  Later: {Type: AWS::S3::Bucket}\n";

    /// The value of `expr` (YAML) as a property of a resource in a small template.
    fn eval(expr: &str) -> Result<Option<Value>, TemplateError> {
        let body = format!("{HEAD}  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      V: {expr}\n");
        let d = doc::parse(&body)?;
        let params = super::params::resolve(&d.parameters, &[("Env".into(), ParamInput::Value("prod".into()))], None)?;
        let p = pseudo();
        let conditions = BTreeMap::from([("IsProd".to_string(), true), ("IsDev".to_string(), false)]);
        let scope = Scope {
            doc: &d,
            params: &params,
            pseudo: &p,
            env: Some(&Created),
            conditions: &conditions,
            block: Block::Resources,
        };
        let r = d.resource("R").unwrap();
        Ok(scope.value(&r.properties)?.and_then(|v| v.get("V").cloned()))
    }

    fn ok(expr: &str) -> Value {
        eval(expr).unwrap_or_else(|e| panic!("{expr}: {e}")).unwrap_or(json!("<no value>"))
    }

    fn fails(expr: &str) -> String {
        eval(expr).map(|v| panic!("{expr} gave {v:?}")).unwrap_err().message
    }

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            stack_name: "st".into(),
            stack_id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/st/1".into(),
            partition: "aws".into(),
            url_suffix: "amazonaws.com".into(),
            notification_arns: vec!["arn:n".into()],
        }
    }

    #[test]
    fn ref_of_parameters_pseudo_parameters_and_resources() {
        assert_eq!(ok("!Ref Env"), json!("prod"));
        assert_eq!(ok("!Ref Names"), json!(["a", "b", "c"]));
        assert_eq!(ok("!Ref Made"), json!("made-physical"));
        assert_eq!(ok("!Ref AWS::AccountId"), json!("123456789012"));
        assert_eq!(ok("!Ref AWS::Region"), json!("eu-west-1"));
        assert_eq!(ok("!Ref AWS::StackName"), json!("st"));
        assert_eq!(ok("!Ref AWS::StackId"), json!("arn:aws:cloudformation:eu-west-1:123456789012:stack/st/1"));
        assert_eq!(ok("!Ref AWS::Partition"), json!("aws"));
        assert_eq!(ok("!Ref AWS::URLSuffix"), json!("amazonaws.com"));
        assert_eq!(ok("!Ref AWS::NotificationARNs"), json!(["arn:n"]));
        assert_eq!(ok("[a, !Ref AWS::NoValue, b]"), json!(["a", "b"]));
        assert_eq!(ok("!Ref AWS::NoValue"), json!("<no value>"));
        assert_eq!(
            fails("!Ref Nope"),
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"
        );
        assert_eq!(fails("!Ref [Env]"), "Template format error: Every Ref object must have a single String value.");
        assert!(fails("!Ref Later").contains("resource Later has not been created"));
    }

    #[test]
    fn get_att_in_both_forms() {
        assert_eq!(ok("!GetAtt Made.Arn"), json!("arn:made"));
        assert_eq!(ok("!GetAtt [Made, Ids]"), json!(["x", "y"]));
        assert_eq!(ok("{'Fn::GetAtt': [Made, Arn]}"), json!("arn:made"));
        assert_eq!(
            fails("!GetAtt Made.Nope"),
            "Template error: resource Made did not return attribute Nope for Fn::GetAtt Made.Nope"
        );
        assert_eq!(
            fails("!GetAtt Later.Arn"),
            "Template error: resource Later has not been created, so Fn::GetAtt Later.Arn cannot be resolved"
        );
        assert_eq!(
            fails("!GetAtt Ghost.Arn"),
            "Template error: instance of Fn::GetAtt references undefined resource Ghost"
        );
        assert!(fails("!GetAtt Made").contains("every Fn::GetAtt object requires two non-empty parameters"));
    }

    #[test]
    fn sub_in_both_forms() {
        assert_eq!(
            ok("!Sub '${AWS::StackName}-${Env}-${Made}-${Made.Arn}-${!Literal}'"),
            json!("st-prod-made-physical-arn:made-${Literal}")
        );
        assert_eq!(ok("!Sub ['${X}/${Env}', {X: !GetAtt Made.Arn}]"), json!("arn:made/prod"));
        assert_eq!(ok("!Sub 'no ${ closing'"), json!("no ${ closing"));
        assert!(fails("!Sub '${Bad-Name}'").contains("variable names in Fn::Sub syntax"));
        assert!(fails("!Sub '${Names}'").contains("variable Names in Fn::Sub expression does not resolve to a string"));
        assert!(fails("!Sub [a, b, c]").contains("One or more Fn::Sub intrinsic functions"));
        assert!(fails("!Sub '${Nope}'").contains("Unresolved resource dependencies [Nope]"));
    }

    #[test]
    fn join_split_select() {
        assert_eq!(ok("!Join ['-', [a, !Ref Env, 3]]"), json!("a-prod-3"));
        assert_eq!(ok("!Join [',', !Ref Names]"), json!("a,b,c"));
        assert_eq!(ok("!Join ['', [a, !Ref AWS::NoValue, b]]"), json!("ab"));
        assert!(fails("!Join ['-', a]").starts_with("Template error: every Fn::Join object requires two parameters"));
        assert!(
            fails("!Join ['-', [[a]]]").starts_with("Template error: every Fn::Join object requires two parameters")
        );
        assert_eq!(ok("!Split [',', 'a,b,,c']"), json!(["a", "b", "", "c"]));
        assert!(fails("!Split [',']").starts_with("Template error: every Fn::Split object requires two parameters"));
        assert_eq!(ok("!Select [1, !Ref Names]"), json!("b"));
        assert_eq!(ok("!Select ['0', !Split ['/', 'x/y']]"), json!("x"));
        assert_eq!(
            fails("!Select [3, !Ref Names]"),
            "Template error: Fn::Select cannot select nonexistent value at index 3"
        );
        assert!(fails("!Select [-1, !Ref Names]").contains("Fn::Select requires"));
    }

    #[test]
    fn if_and_conditions() {
        assert_eq!(ok("!If [IsProd, big, small]"), json!("big"));
        assert_eq!(ok("!If [IsDev, big, !Ref AWS::NoValue]"), json!("<no value>"));
        assert_eq!(ok("{A: !If [IsDev, x, !Ref AWS::NoValue], B: 1}"), json!({"B": 1}));
        assert_eq!(fails("!If [Nope, a, b]"), "Template error: unresolved condition dependency Nope in Fn::If");
        assert!(fails("!If [IsProd, a]").contains("every Fn::If object requires three parameters"));
        assert!(fails("!Equals [a, a]").contains("Fn::Equals can only be used in the Conditions block"));
    }

    #[test]
    fn find_in_map_get_azs_base64_cidr_import() {
        assert_eq!(ok("!FindInMap [Sizes, !Ref Env, Shards]"), json!(4));
        assert_eq!(
            fails("!FindInMap [Sizes, test, Shards]"),
            "Template error: Unable to get mapping for Sizes::test::Shards"
        );
        assert!(fails("!FindInMap [Sizes, prod]").contains("every Fn::FindInMap object requires three parameters"));
        assert!(fails("!FindInMap [Sizes, test, Shards, {DefaultValue: 1}]").contains("AWS::LanguageExtensions"));
        assert_eq!(ok("!GetAZs ''"), json!(["eu-west-1a", "eu-west-1b", "eu-west-1c"]));
        assert_eq!(ok("!GetAZs us-east-2"), json!(["us-east-2a", "us-east-2b", "us-east-2c"]));
        assert_eq!(ok("!Select [0, !GetAZs {Ref: AWS::Region}]"), json!("eu-west-1a"));
        assert_eq!(ok("!Base64 hello"), json!("aGVsbG8="));
        assert!(fails("!Base64 [a]").contains("Fn::Base64"));
        assert_eq!(ok("!Cidr ['10.0.0.0/16', 2, 8]"), json!(["10.0.0.0/24", "10.0.1.0/24"]));
        assert!(fails("!Cidr ['10.0.0.0/24', 9, 5]").contains("holds 8"));
        assert!(fails("!Cidr ['10.0.0.0/24', 2]").contains("every Fn::Cidr object requires three parameters"));
        assert_eq!(ok("!ImportValue shared-arn"), json!("arn:shared"));
        assert_eq!(fails("!ImportValue other"), "No export named other found");
    }

    #[test]
    fn transforms_and_unknown_functions_are_refused_by_name() {
        assert!(fails("{'Fn::Transform': {Name: AWS::Include}}").contains("Fn::Transform"));
        assert!(fails("!Length [a]").contains("AWS::LanguageExtensions"));
        assert!(fails("{'Fn::ToJsonString': {}}").contains("AWS::LanguageExtensions"));
        assert!(fails("{'Fn::Nope': x}").starts_with("Template error: Encountered unsupported function: Fn::Nope"));
    }
}
