//! Intrinsic functions, evaluated against parameters, pseudo parameters, Mappings, the Conditions'
//! values and (for properties and outputs) the resources already created.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::cidr;
use super::doc::Doc;
use super::model::{Env, Pseudo, ResolvedParameters, TemplateError};
use super::params;
use super::syntax::{
    Block, SubPart, call, invalid_sub_attribute, is_pseudo, sub_parts, text, transform_error, undefined_get_att,
    unresolved, unsupported,
};

fn resource_in_conditions(id: &str) -> TemplateError {
    TemplateError::format(format!(
        "Unresolved dependencies [{id}]. Cannot reference resources in the Conditions block of the template"
    ))
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
                let s = self.string_arg(arg, name, "every Fn::Base64 object must have a String-typed value.")?;
                Value::String(base64::engine::general_purpose::STANDARD.encode(s))
            }
            "Fn::Cidr" => self.cidr(arg)?,
            "Fn::ImportValue" => self.import(arg)?,
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
                return Err(TemplateError::template(format!(
                    "{name} can only be used in the Conditions block of the template or inside a condition"
                )));
            }
            other => {
                return Err(unsupported(other)
                    .unwrap_or_else(|| TemplateError::template(format!("{other} cannot be used here"))));
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
        let key_ok = |k: &String| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if vars.is_some_and(|v| !v.keys().all(key_ok)) {
            return Err(TemplateError::template(
                "every key of the context object of every Fn::Sub object must contain only alphanumeric characters \
                 and underscores",
            ));
        }
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
            Some(expr) => {
                let value = self.arg(expr, "Fn::Sub")?;
                return text(&value).ok_or_else(|| {
                    TemplateError::template(
                        "every value of the context object of every Fn::Sub object must be a string or a function \
                         that returns a string",
                    )
                });
            }
            None => match name.split_once('.') {
                Some((id, attr)) if !is_pseudo(name) && self.params.get(name).is_none() => {
                    if self.doc.resource(id).is_none() {
                        return Err(invalid_sub_attribute(id, attr));
                    }
                    self.attribute(id, attr)?
                }
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
        let bad_index = "Fn::Select requires a list argument with a valid index value as its first element";
        let Some([index, list]) = arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 2]>::try_from(a).ok())
        else {
            return Err(TemplateError::template(usage));
        };
        let index = self.string_arg(index, "Fn::Select", bad_index)?;
        let Ok(i) = index.trim().parse::<usize>() else { return Err(TemplateError::template(bad_index)) };
        let Value::Array(items) = self.arg(list, "Fn::Select")? else { return Err(TemplateError::template(usage)) };
        items
            .get(i)
            .cloned()
            .ok_or_else(|| TemplateError::template(format!("Fn::Select cannot select nonexistent value at index {i}")))
    }

    fn fn_if(&self, arg: &Value) -> Result<Option<Value>, TemplateError> {
        let first =
            || TemplateError::template("Fn::If requires a list argument with the first element being a condition");
        let Some(Value::String(cond)) = arg.as_array().and_then(|a| a.first()) else { return Err(first()) };
        let Some([_, yes, no]) = arg.as_array().map(Vec::as_slice).and_then(|a| <&[Value; 3]>::try_from(a).ok()) else {
            return Err(TemplateError::template("Fn::If requires a list argument with three elements"));
        };
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
        let Some(mapping) = self.doc.mappings.get(&map) else {
            return Err(TemplateError::template(format!(
                "Mapping named '{map}' is not present in the 'Mappings' section of template"
            )));
        };
        let found = mapping.get(&top).and_then(|m| m.get(&second));
        found
            .cloned()
            .ok_or_else(|| TemplateError::template(format!("Unable to get mapping for {map}::{top}::{second}")))
    }

    fn get_azs(&self, arg: &Value) -> Result<Value, TemplateError> {
        let region = self.string_arg(arg, "Fn::GetAZs", "every Fn::GetAZs object must have a String-typed value.")?;
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
        assert!(fails("!Sub ['${a-b}', {a-b: x}]").contains("every key of the context object of every Fn::Sub object"));
        assert!(fails("!Sub '${Nope}'").contains("Unresolved resource dependencies [Nope]"));
        assert_eq!(
            fails("!Sub '${Nope.Arn}'"),
            "Template error: instance of Fn::Sub references invalid resource attribute Nope.Arn"
        );
        assert_eq!(
            fails("!Sub ['${X}', {X: !Ref Names}]"),
            "Template error: every value of the context object of every Fn::Sub object must be a string or a function that returns a string"
        );
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
        assert_eq!(
            fails("!Select [-1, !Ref Names]"),
            "Template error: Fn::Select requires a list argument with a valid index value as its first element"
        );
        assert_eq!(
            fails("!Select [0, x]"),
            "Template error: Fn::Select requires a list argument with two elements: an integer index and a list"
        );
    }

    #[test]
    fn if_and_conditions() {
        assert_eq!(ok("!If [IsProd, big, small]"), json!("big"));
        assert_eq!(ok("!If [IsDev, big, !Ref AWS::NoValue]"), json!("<no value>"));
        assert_eq!(ok("{A: !If [IsDev, x, !Ref AWS::NoValue], B: 1}"), json!({"B": 1}));
        assert_eq!(fails("!If [Nope, a, b]"), "Template error: unresolved condition dependency Nope in Fn::If");
        assert_eq!(fails("!If [IsProd, a]"), "Template error: Fn::If requires a list argument with three elements");
        assert_eq!(
            fails("!If [[IsProd], a, b]"),
            "Template error: Fn::If requires a list argument with the first element being a condition"
        );
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
        assert_eq!(
            fails("!FindInMap [Nope, prod, Shards]"),
            "Template error: Mapping named 'Nope' is not present in the 'Mappings' section of template"
        );
        assert!(fails("!FindInMap [Sizes, test, Shards, {DefaultValue: 1}]").contains("AWS::LanguageExtensions"));
        assert_eq!(ok("!GetAZs ''"), json!(["eu-west-1a", "eu-west-1b", "eu-west-1c"]));
        assert_eq!(ok("!GetAZs us-east-2"), json!(["us-east-2a", "us-east-2b", "us-east-2c"]));
        assert_eq!(ok("!Select [0, !GetAZs {Ref: AWS::Region}]"), json!("eu-west-1a"));
        assert_eq!(ok("!Base64 hello"), json!("aGVsbG8="));
        assert_eq!(fails("!Base64 [a]"), "Template error: every Fn::Base64 object must have a String-typed value.");
        assert_eq!(fails("!GetAZs [a]"), "Template error: every Fn::GetAZs object must have a String-typed value.");
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
