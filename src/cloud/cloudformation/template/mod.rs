//! The CloudFormation template engine: pure code (no I/O, no clock, no services) that reads a template,
//! resolves its parameters, plans which resources a deployment includes in what order, and resolves
//! each resource's properties and the stack's outputs against what has been created.
//!
//! `doc` reads the body (YAML short-form tags become the long JSON form), `params` the parameters and
//! their constraints, `eval` the intrinsic functions and conditions, `plan` the dependencies, `cidr`
//! the arithmetic of `Fn::Cidr`; this file is the API the stack service uses.

pub mod aws_types;
mod cidr;
mod doc;
mod eval;
mod model;
mod params;
mod plan;

use serde_json::Value;

pub use model::{
    Env, MASK, NoResources, OutputValue, ParamInput, ParameterDecl, Plan, PlannedResource, Policy, Pseudo,
    ResolvedParameters, TemplateError,
};

use crate::cloud::resource_provider::Properties;
use doc::Doc;
use eval::{Block, Scope};

/// A parsed template; keeps the original text for GetTemplate.
#[derive(Debug, Clone)]
pub struct Template {
    text: String,
    doc: Doc,
}

/// IAM resource types, and the property that gives each a custom name (CAPABILITY_NAMED_IAM).
const IAM_TYPES: &[(&str, Option<&str>)] = &[
    ("AWS::IAM::AccessKey", None),
    ("AWS::IAM::Group", Some("GroupName")),
    ("AWS::IAM::InstanceProfile", Some("InstanceProfileName")),
    ("AWS::IAM::ManagedPolicy", Some("ManagedPolicyName")),
    ("AWS::IAM::Policy", None),
    ("AWS::IAM::Role", Some("RoleName")),
    ("AWS::IAM::User", Some("UserName")),
    ("AWS::IAM::UserToGroupAddition", None),
];

impl Template {
    /// YAML (with short-form tags) or JSON. Bounded: a body of at most 1 MB (AWS documents 51,200
    /// bytes for TemplateBody, 1 MB for TemplateURL; the API checks the former) and nesting of at most
    /// 64 levels.
    pub fn parse(body: &str) -> Result<Template, TemplateError> {
        Ok(Template { text: body.to_string(), doc: doc::parse(body)? })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn description(&self) -> Option<&str> {
        self.doc.description.as_deref()
    }

    pub fn parameters(&self) -> &[ParameterDecl] {
        &self.doc.parameters
    }

    /// Every resource type the template declares (GetTemplateSummary's ResourceTypes), first
    /// appearance order, each once.
    pub fn resource_types(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.doc.resources {
            if !out.contains(&r.type_name) {
                out.push(r.type_name.clone());
            }
        }
        out
    }

    /// CAPABILITY_IAM when the template declares IAM resources, CAPABILITY_NAMED_IAM when one of them
    /// has a custom name.
    pub fn required_capabilities(&self) -> Vec<String> {
        let mut iam = false;
        let mut named = false;
        for r in &self.doc.resources {
            let Some((_, name_property)) = IAM_TYPES.iter().find(|(t, _)| *t == r.type_name) else { continue };
            iam = true;
            named |= name_property.is_some_and(|p| r.properties.get(p).is_some());
        }
        match (iam, named) {
            (_, true) => vec!["CAPABILITY_NAMED_IAM".to_string()],
            (true, false) => vec!["CAPABILITY_IAM".to_string()],
            _ => Vec::new(),
        }
    }

    pub fn resolve_parameters(
        &self,
        given: &[(String, ParamInput)],
        previous: Option<&ResolvedParameters>,
    ) -> Result<ResolvedParameters, TemplateError> {
        params::resolve(&self.doc.parameters, given, previous)
    }

    /// Conditions evaluated; Ref/GetAtt targets checked (a GetAtt of a type in `attributes_of` must name
    /// one of its attributes; unknown types are not checked here); cycles refused.
    pub fn plan(
        &self,
        params: &ResolvedParameters,
        pseudo: &Pseudo,
        attributes_of: &dyn Fn(&str) -> Option<&'static [&'static str]>,
    ) -> Result<Plan, TemplateError> {
        plan::plan(&self.doc, params, pseudo, attributes_of)
    }

    /// A resource's properties with every intrinsic resolved and AWS::NoValue removed.
    pub fn resolve_properties(
        &self,
        logical_id: &str,
        params: &ResolvedParameters,
        pseudo: &Pseudo,
        env: &dyn Env,
    ) -> Result<Properties, TemplateError> {
        let Some(resource) = self.doc.resource(logical_id) else {
            return Err(eval::unresolved(logical_id, Block::Resources));
        };
        let conditions = eval::conditions(&self.doc, params, pseudo)?;
        let scope =
            Scope { doc: &self.doc, params, pseudo, env: Some(env), conditions: &conditions, block: Block::Resources };
        match scope.value(&resource.properties)? {
            Some(Value::Object(props)) => Ok(props),
            _ => Ok(Properties::new()),
        }
    }

    /// The outputs whose Condition holds, resolved, in template order.
    pub fn resolve_outputs(
        &self,
        params: &ResolvedParameters,
        pseudo: &Pseudo,
        env: &dyn Env,
    ) -> Result<Vec<OutputValue>, TemplateError> {
        let conditions = eval::conditions(&self.doc, params, pseudo)?;
        let scope =
            Scope { doc: &self.doc, params, pseudo, env: Some(env), conditions: &conditions, block: Block::Outputs };
        let mut out = Vec::new();
        for o in &self.doc.outputs {
            if o.condition.as_ref().is_some_and(|c| !conditions.get(c).copied().unwrap_or(false)) {
                continue;
            }
            let string = |v: &Value, what: &str| -> Result<String, TemplateError> {
                let resolved = scope.value(v)?.unwrap_or_default();
                eval::text(&resolved).ok_or_else(|| {
                    TemplateError::format(format!("The {what} of output {} must resolve to a string", o.key))
                })
            };
            out.push(OutputValue {
                key: o.key.clone(),
                value: string(&o.value, "Value")?,
                description: o.description.as_ref().map(|d| string(d, "Description")).transpose()?,
                export_name: o.export_name.as_ref().map(|e| string(e, "Export Name")).transpose()?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            stack_name: "demo".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/demo/1".into(),
            partition: "aws".into(),
            url_suffix: "amazonaws.com".into(),
            notification_arns: vec![],
        }
    }

    /// Created resources: `Ref` is `<id>-physical`, attributes as given.
    #[derive(Default)]
    struct Created(BTreeMap<String, serde_json::Map<String, Value>>);

    impl Created {
        fn with(mut self, id: &str, attrs: Value) -> Self {
            self.0.insert(id.into(), attrs.as_object().cloned().unwrap_or_default());
            self
        }
    }

    impl Env for Created {
        fn reference(&self, id: &str) -> Option<String> {
            self.0.contains_key(id).then(|| format!("{id}-physical"))
        }
        fn attribute(&self, id: &str, name: &str) -> Option<Value> {
            self.0.get(id)?.get(name).cloned()
        }
    }

    fn no_attributes(_: &str) -> Option<&'static [&'static str]> {
        None
    }

    const PATTERNS: &[(&str, &str)] = &[
        ("apigw-kds-lambda", include_str!("../../../../templates/apigw-kds-lambda.yaml")),
        ("kds-kda-apigw", include_str!("../../../../templates/kds-kda-apigw.yaml")),
        ("kds-kdf-s3", include_str!("../../../../templates/kds-kdf-s3.yaml")),
        ("kpl-kds-kda", include_str!("../../../../templates/kpl-kds-kda.yaml")),
    ];

    #[test]
    fn the_bundled_patterns_parse_resolve_and_plan_in_dependency_order() {
        for (id, body) in PATTERNS {
            let t = Template::parse(body).unwrap_or_else(|e| panic!("{id}: {e}"));
            let mut given = Vec::new();
            for p in t.parameters().iter().filter(|p| p.default.is_none()) {
                let value = match p.name.as_str() {
                    "ApiKeyValue" => "k".repeat(24),
                    "ApplicationCodeBucket" => "code-bucket".into(),
                    other => panic!("{id}: no test value for required parameter {other}"),
                };
                given.push((p.name.clone(), ParamInput::Value(value)));
            }
            let params = t.resolve_parameters(&given, None).unwrap_or_else(|e| panic!("{id}: {e}"));
            if *id == "kds-kda-apigw" {
                assert!(params.masked().contains(&("ApiKeyValue".to_string(), MASK.to_string())));
            }
            let plan = t.plan(&params, &pseudo(), &no_attributes).unwrap_or_else(|e| panic!("{id}: {e}"));
            let declared: Vec<&str> = t.doc.resources.iter().map(|r| r.logical_id.as_str()).collect();
            let planned: Vec<&str> = plan.resources.iter().map(|r| r.logical_id.as_str()).collect();
            let excluded: Vec<&&str> = declared.iter().filter(|d| !planned.contains(d)).collect();
            for e in &excluded {
                assert!(t.doc.resource(e).unwrap().condition.is_some(), "{id}: {e} left out without a condition");
            }
            assert!(planned.len() > 5, "{id}: {planned:?}");
            for r in &t.doc.resources {
                let Some(p) = plan.resources.iter().find(|p| p.logical_id == r.logical_id) else { continue };
                for d in &r.depends_on {
                    assert!(p.depends_on.contains(d), "{id}: {} lost DependsOn {d}", r.logical_id);
                }
            }
        }
    }

    #[test]
    fn ref_getatt_and_sub_resolve_against_created_resources() {
        let t = Template::parse(
            "Parameters:\n  Shards: {Type: Number, Default: 2}\n\
             Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties: {ShardCount: !Ref Shards, Name: !Sub '${AWS::StackName}-s'}\n\
             \x20 C:\n    Type: AWS::Kinesis::StreamConsumer\n    Properties:\n      StreamARN: !GetAtt S.Arn\n      ConsumerName: !Sub '${S}-${S.Arn}-${!Literal}'\n\
             Outputs:\n  Arn: {Value: !GetAtt C.ConsumerARN, Export: {Name: !Sub '${AWS::StackName}-arn'}}\n",
        )
        .unwrap();
        let params = t.resolve_parameters(&[], None).unwrap();
        let plan = t.plan(&params, &pseudo(), &no_attributes).unwrap();
        assert_eq!(plan.resources[1].depends_on.iter().collect::<Vec<_>>(), ["S"]);
        let env = Created::default().with("S", json!({"Arn": "arn:s"})).with("C", json!({"ConsumerARN": "arn:c"}));
        let s = t.resolve_properties("S", &params, &pseudo(), &env).unwrap();
        assert_eq!(Value::Object(s), json!({"ShardCount": "2", "Name": "demo-s"}));
        let c = t.resolve_properties("C", &params, &pseudo(), &env).unwrap();
        assert_eq!(Value::Object(c), json!({"StreamARN": "arn:s", "ConsumerName": "S-physical-arn:s-${Literal}"}));
        let outputs = t.resolve_outputs(&params, &pseudo(), &env).unwrap();
        assert_eq!(outputs[0].value, "arn:c");
        assert_eq!(outputs[0].export_name.as_deref(), Some("demo-arn"));
        let missing = t.resolve_properties("C", &params, &pseudo(), &Created::default()).unwrap_err();
        assert_eq!(missing.message, "Template error: resource S has not been created, so Ref to it cannot be resolved");
        let no_arn =
            t.resolve_properties("C", &params, &pseudo(), &Created::default().with("S", json!({}))).unwrap_err();
        assert_eq!(no_arn.message, "Template error: resource S did not return attribute Arn for Fn::GetAtt S.Arn");
    }
}
