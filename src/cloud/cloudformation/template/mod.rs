//! The CloudFormation template engine: pure code (no I/O, no clock, no services) that reads a template,
//! resolves its parameters, plans which resources a deployment includes in what order, and resolves
//! each resource's properties and the stack's outputs against what has been created.
//!
//! `doc` reads the body (YAML short-form tags become the long JSON form), `params` the parameters and
//! their constraints (`aws_types` the shapes of AWS-specific types, shared with `patterns::validate`),
//! `conditions` the Conditions, `syntax` the shape of expressions, `eval` the intrinsic functions, `plan`
//! the dependencies, `cidr` the arithmetic of `Fn::Cidr`; this file is the API the stack service uses.
//! Every error is worded as CloudFormation's `ValidationError` message for the same mistake.

pub mod aws_types;
mod cidr;
mod conditions;
mod doc;
mod eval;
mod model;
mod params;
mod plan;
mod syntax;

use serde_json::Value;

pub use model::{
    Env, MASK, NoResources, OutputValue, ParamInput, ParameterDecl, Plan, PlannedResource, Policy, Pseudo,
    ResolvedParameters, TemplateError,
};

use crate::cloud::resource_provider::Properties;
use doc::Doc;
use eval::Scope;
use syntax::Block;

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
    /// 64 levels. Checked as ValidateTemplate checks it, before any parameter has a value: the
    /// structure, every function's name, every reference's target.
    pub fn parse(body: &str) -> Result<Template, TemplateError> {
        let doc = doc::parse(body)?;
        plan::check_template(&doc)?;
        Ok(Template { text: body.to_string(), doc })
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
            return Err(syntax::unresolved(logical_id, Block::Resources));
        };
        let conditions = conditions::evaluate(&self.doc, params, pseudo)?;
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
        let conditions = conditions::evaluate(&self.doc, params, pseudo)?;
        let scope =
            Scope { doc: &self.doc, params, pseudo, env: Some(env), conditions: &conditions, block: Block::Outputs };
        let mut out = Vec::new();
        for o in &self.doc.outputs {
            if o.condition.as_ref().is_some_and(|c| !conditions.get(c).copied().unwrap_or(false)) {
                continue;
            }
            // AWS's words, with the "Value field" naming whichever field it was.
            let string = |v: &Value, field: &str| -> Result<String, TemplateError> {
                match scope.value(v)? {
                    Some(Value::String(s)) => Ok(s),
                    Some(Value::Number(n)) => Ok(n.to_string()),
                    Some(Value::Bool(b)) => Ok(b.to_string()),
                    Some(Value::Object(_)) => Err(TemplateError::format(format!(
                        "The {field} field of every Outputs member must evaluate to a String and not a Map."
                    ))),
                    _ => Err(TemplateError::format(format!(
                        "The {field} field of every Outputs member must evaluate to a String."
                    ))),
                }
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

    /// The attributes of the types this crate's providers return; others are not checked.
    fn known_attributes(type_name: &str) -> Option<&'static [&'static str]> {
        match type_name {
            "AWS::Kinesis::Stream" => Some(&["Arn"]),
            "AWS::IAM::Role" => Some(&["Arn", "RoleId"]),
            _ => None,
        }
    }

    /// Created resources that return any attribute asked for (outputs read many).
    struct AnyAttribute<'a>(&'a Created);

    impl Env for AnyAttribute<'_> {
        fn reference(&self, id: &str) -> Option<String> {
            self.0.reference(id)
        }
        fn attribute(&self, id: &str, name: &str) -> Option<Value> {
            self.0.reference(id).map(|r| json!(format!("{r}.{name}")))
        }
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
            let plan = t.plan(&params, &pseudo(), &known_attributes).unwrap_or_else(|e| panic!("{id}: {e}"));
            let declared: Vec<&str> = t.doc.resources.iter().map(|r| r.logical_id.as_str()).collect();
            let planned: Vec<&str> = plan.resources.iter().map(|r| r.logical_id.as_str()).collect();
            let excluded: Vec<&&str> = declared.iter().filter(|d| !planned.contains(d)).collect();
            for e in &excluded {
                assert!(t.doc.resource(e).unwrap().condition.is_some(), "{id}: {e} left out without a condition");
            }
            assert!(planned.len() > 5, "{id}: {planned:?}");
            for r in &t.doc.resources {
                let Some(p) = plan.resources.iter().find(|p| p.logical_id == r.logical_id) else {
                    assert!(r.condition.is_some(), "{id}: {} left out though it has no Condition", r.logical_id);
                    continue;
                };
                for d in &r.depends_on {
                    assert!(p.depends_on.contains(d), "{id}: {} lost DependsOn {d}", r.logical_id);
                }
            }
            // Creating in an order that respects every dependency, each resource's properties resolve.
            let mut created = Created::default();
            let mut left: Vec<&PlannedResource> = plan.resources.iter().collect();
            while !left.is_empty() {
                let ready = left.iter().position(|r| r.depends_on.iter().all(|d| created.0.contains_key(d)));
                let r = left.remove(ready.unwrap_or_else(|| panic!("{id}: no order for {left:?}")));
                t.resolve_properties(&r.logical_id, &params, &pseudo(), &created)
                    .unwrap_or_else(|e| panic!("{id}: {}: {e}", r.logical_id));
                created =
                    created.with(&r.logical_id, json!({"Arn": "arn:x", "RootResourceId": "root", "QueueName": "q"}));
            }
            let outputs =
                t.resolve_outputs(&params, &pseudo(), &AnyAttribute(&created)).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(!outputs.is_empty(), "{id}");
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

    #[test]
    fn parse_checks_what_validate_template_checks_before_parameters_have_values() {
        let err = |body: &str| Template::parse(body).unwrap_err().message;
        let head = "Parameters:\n  P: {Type: String}\nResources:\n";
        assert!(Template::parse(&format!("{head}  S: {{Type: AWS::S3::Bucket, Properties: {{A: !Ref P}}}}\n")).is_ok());
        assert_eq!(
            err(&format!("{head}  S: {{Type: AWS::S3::Bucket, Properties: {{A: !Ref Q}}}}\n")),
            "Template format error: Unresolved resource dependencies [Q] in the Resources block of the template"
        );
        assert_eq!(
            err(&format!("{head}  S: {{Type: AWS::S3::Bucket}}\nOutputs:\n  O: {{Value: !Ref Q}}\n")),
            "Template format error: Unresolved resource dependencies [Q] in the Outputs block of the template"
        );
        assert!(
            err(&format!("{head}  S: {{Type: AWS::S3::Bucket, Properties: {{A: {{'Fn::Nope': x}}}}}}\n"))
                .starts_with("Template error: Encountered unsupported function: Fn::Nope Supported functions are: [")
        );
        assert!(
            err(&format!("{head}  S: {{Type: AWS::S3::Bucket, Properties: {{A: !Length [a]}}}}\n"))
                .contains("AWS::LanguageExtensions")
        );
    }

    #[test]
    fn resource_types_and_capabilities() {
        let t = |r: &str| Template::parse(&format!("Resources:\n{r}")).unwrap();
        let plain =
            t("  S: {Type: AWS::Kinesis::Stream}\n  T: {Type: AWS::Kinesis::Stream}\n  B: {Type: AWS::S3::Bucket}\n");
        assert_eq!(plain.resource_types(), ["AWS::Kinesis::Stream", "AWS::S3::Bucket"]);
        assert!(plain.required_capabilities().is_empty());
        let iam = t("  R: {Type: AWS::IAM::Role, Properties: {AssumeRolePolicyDocument: {}}}\n");
        assert_eq!(iam.required_capabilities(), ["CAPABILITY_IAM"]);
        let named = t("  R: {Type: AWS::IAM::Role, Properties: {RoleName: x}}\n  P: {Type: AWS::IAM::Policy}\n");
        assert_eq!(named.required_capabilities(), ["CAPABILITY_NAMED_IAM"]);
        assert_eq!(
            named.text(),
            "Resources:\n  R: {Type: AWS::IAM::Role, Properties: {RoleName: x}}\n  P: {Type: AWS::IAM::Policy}\n"
        );
    }

    #[test]
    fn outputs_follow_their_conditions_and_must_be_strings() {
        let t = Template::parse(
            "Parameters:\n  On: {Type: String, Default: 'no'}\n  L: {Type: CommaDelimitedList, Default: 'a,b'}\n\
             Conditions:\n  Enabled: !Equals [!Ref On, 'yes']\n\
             Resources:\n  S: {Type: AWS::Kinesis::Stream}\n\
             Outputs:\n  A: {Value: !Ref S, Description: the stream}\n  B: {Value: x, Condition: Enabled}\n  C: {Value: !Ref L}\n",
        )
        .unwrap();
        let params = t.resolve_parameters(&[], None).unwrap();
        let env = Created::default().with("S", json!({}));
        let err = t.resolve_outputs(&params, &pseudo(), &env).unwrap_err();
        assert_eq!(
            err.message,
            "Template format error: The Value field of every Outputs member must evaluate to a String."
        );
        for (value, message) in [
            (
                "{A: b}",
                "Template format error: The Value field of every Outputs member must evaluate to a String and not a Map.",
            ),
            (
                "!Ref AWS::NoValue",
                "Template format error: The Value field of every Outputs member must evaluate to a String.",
            ),
            (
                "!If [Enabled, x, !Ref AWS::NoValue]",
                "Template format error: The Value field of every Outputs member must evaluate to a String.",
            ),
        ] {
            let t = Template::parse(&t.text().replace("  C: {Value: !Ref L}\n", &format!("  C: {{Value: {value}}}\n")))
                .unwrap();
            assert_eq!(t.resolve_outputs(&params, &pseudo(), &env).unwrap_err().message, message, "{value}");
        }
        let t = Template::parse(&t.text().replace("  C: {Value: !Ref L}\n", "")).unwrap();
        let outputs = t.resolve_outputs(&params, &pseudo(), &env).unwrap();
        assert_eq!(
            outputs,
            [OutputValue {
                key: "A".into(),
                value: "S-physical".into(),
                description: Some("the stream".into()),
                export_name: None
            }]
        );
    }

    mod random {
        use proptest::prelude::*;
        use proptest::sample::select;

        use super::*;

        /// Names a template may reference: resources R0..R3, parameters P0 and P1, then names that do not
        /// resolve in some place or other.
        const IDS: &[&str] = &["R0", "R1", "R2", "R3", "P0", "P1", "Ghost", "R9", "AWS::Region", "AWS::NoValue"];
        const CONDS: &[&str] = &["C0", "C1", "C2", "Nope"];

        /// Mostly names that resolve without a cycle (resources declared before resource `index`,
        /// parameters), now and then any name at all.
        fn id(index: usize) -> impl Strategy<Value = &'static str> {
            prop_oneof![40 => resource_id(index), 10 => select(&IDS[4..6]), 1 => select(IDS)]
        }

        fn resource_id(index: usize) -> impl Strategy<Value = &'static str> {
            let earlier = IDS[..index.clamp(1, 4)].to_vec();
            prop_oneof![60 => select(earlier), 1 => select(IDS)]
        }

        fn condition_name() -> impl Strategy<Value = &'static str> {
            prop_oneof![40 => select(&CONDS[..3]), 1 => Just("Nope")]
        }

        fn expr(index: usize) -> impl Strategy<Value = Value> {
            // Resource 0 has no earlier resource to name, so it names resources only rarely.
            let names = if index == 0 { 1 } else { 20 };
            let leaf = prop::strategy::Union::new_weighted(vec![
                (40, "[a-z]{0,3}".prop_map(Value::String).boxed()),
                (10, (0i64..4).prop_map(|n| json!(n)).boxed()),
                (10, select(&IDS[4..6]).prop_map(|t| json!({"Ref": t})).boxed()),
                (names, id(index).prop_map(|t| json!({"Ref": t})).boxed()),
                (
                    names,
                    (resource_id(index), prop_oneof![30 => Just("Arn"), 1 => Just("Bad")])
                        .prop_map(|(t, a)| json!({"Fn::GetAtt": [t, a]}))
                        .boxed(),
                ),
                (
                    names.div_ceil(2),
                    (id(index), resource_id(index))
                        .prop_map(|(a, b)| json!({"Fn::Sub": format!("x${{{a}}}-${{{b}.Arn}}${{!y}}")}))
                        .boxed(),
                ),
                (
                    5,
                    prop_oneof![10 => select(&["P0", "AWS::Region"][..]), 1 => Just("R0")]
                        .prop_map(|t| json!({"Fn::ImportValue": {"Fn::Sub": format!("${{{t}}}")}}))
                        .boxed(),
                ),
                (5, Just(json!({"Fn::GetAZs": ""})).boxed()),
            ]);
            leaf.prop_recursive(2, 8, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                    (condition_name(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| json!({"Fn::If": [c, a, b]})),
                    inner.clone().prop_map(|v| json!({"Fn::Join": ["-", [v, "z"]]})),
                    (0u8..3, inner.clone()).prop_map(|(i, v)| json!({"Fn::Select": [i, v]})),
                    inner.clone().prop_map(|v| json!({"Fn::Split": [",", v]})),
                    inner.prop_map(|v| json!({"K": v})),
                ]
            })
        }

        /// Condition `index`, which mostly refers only to conditions declared before it.
        fn condition(index: usize) -> impl Strategy<Value = Value> {
            // C0 has no earlier condition to name, so it names one now and then (a cycle, or Nope).
            let earlier = if index == 0 { CONDS.to_vec() } else { CONDS[..index].to_vec() };
            let named = prop_oneof![20 => select(earlier), 1 => select(CONDS)];
            let nesting = if index == 0 { 1 } else { 10 };
            let value = prop_oneof![20 => select(&["P0", "P1", "AWS::Region"][..]), 1 => select(IDS)];
            prop_oneof![
                40 => (value, "[a-z0-9]{0,2}").prop_map(|(p, v)| json!({"Fn::Equals": [{"Ref": p}, v]})),
                nesting => named.clone().prop_map(|c| json!({"Fn::Not": [{"Condition": c}]})),
                nesting => (named.clone(), named.clone()).prop_map(|(a, b)| json!({"Fn::And": [{"Condition": a}, {"Condition": b}]})),
                nesting => (named, prop_oneof![20 => 2usize..=10, 1 => Just(1usize), 1 => Just(11usize)])
                    .prop_map(|(a, n)| json!({"Fn::Or": vec![json!({"Condition": a}); n]})),
            ]
        }

        fn parameter() -> impl Strategy<Value = Value> {
            let types = prop_oneof![
                20 => Just("String"),
                1 => select(&["Number", "CommaDelimitedList", "List<Number>", "AWS::EC2::VPC::Id"][..])
            ];
            let default = prop_oneof![10 => "[0-9]{1,4}".prop_map(Some), 1 => proptest::option::of("[a-z0-9,]{0,4}")];
            let min = prop_oneof![10 => Just(None), 1 => (0u8..4).prop_map(Some)];
            (types, default, any::<bool>(), min).prop_map(|(t, default, no_echo, min)| {
                let mut p = json!({"Type": t, "NoEcho": no_echo});
                if let Some(d) = default {
                    p["Default"] = json!(d);
                }
                if let Some(m) = min {
                    p[if t == "String" { "MinLength" } else { "MinValue" }] = json!(m);
                }
                p
            })
        }

        fn resource(index: usize) -> impl Strategy<Value = Value> {
            let types = select(&["AWS::Kinesis::Stream", "AWS::S3::Bucket"][..]);
            let depends = prop::collection::vec(resource_id(index), 0..2);
            let condition = prop_oneof![6 => Just(None), 1 => condition_name().prop_map(Some)];
            (types, expr(index), expr(index), depends, condition).prop_map(|(t, a, b, d, c)| {
                let mut r = json!({"Type": t, "Properties": {"A": a, "B": b}, "DependsOn": d});
                if let Some(c) = c {
                    r["Condition"] = json!(c);
                }
                r
            })
        }

        fn template() -> impl Strategy<Value = Value> {
            (
                prop::collection::vec(parameter(), 2),
                (condition(0), condition(1), condition(2)).prop_map(|(a, b, c)| vec![a, b, c]),
                (resource(0), resource(1), resource(2), resource(3)).prop_map(|(a, b, c, d)| vec![a, b, c, d]),
                expr(4),
            )
                .prop_map(|(params, conds, resources, output)| {
                    let mut t = json!({"Parameters": {}, "Conditions": {}, "Resources": {}, "Outputs": {"O": {"Value": output}}});
                    for (i, p) in params.into_iter().enumerate() {
                        t["Parameters"][format!("P{i}")] = p;
                    }
                    for (i, c) in conds.into_iter().enumerate() {
                        t["Conditions"][format!("C{i}")] = c;
                    }
                    for (i, r) in resources.into_iter().enumerate() {
                        t["Resources"][format!("R{i}")] = r;
                    }
                    t
                })
        }

        /// Every resource exists with every attribute, so resolution fails only on the template itself.
        struct Everything;

        impl Env for Everything {
            fn reference(&self, id: &str) -> Option<String> {
                Some(format!("{id}-physical"))
            }
            fn attribute(&self, id: &str, name: &str) -> Option<Value> {
                Some(json!(format!("{id}.{name}")))
            }
        }

        fn stream_attributes(t: &str) -> Option<&'static [&'static str]> {
            (t == "AWS::Kinesis::Stream").then_some(&["Arn"][..])
        }

        /// Whether the plan's resources can be ordered so each comes after what it depends on.
        fn orderable(plan: &Plan) -> bool {
            let mut done: Vec<&str> = Vec::new();
            while done.len() < plan.resources.len() {
                let next = plan.resources.iter().find(|r| {
                    !done.contains(&r.logical_id.as_str()) && r.depends_on.iter().all(|d| done.contains(&d.as_str()))
                });
                match next {
                    Some(r) => done.push(&r.logical_id),
                    None => return false,
                }
            }
            true
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..Default::default() })]

            /// Random templates end in a Plan or a TemplateError, never a panic; a Plan names only
            /// planned resources as dependencies and can be ordered; its resources resolve or fail cleanly.
            #[test]
            fn random_templates_plan_or_fail_cleanly(
                t in template(),
                values in prop::collection::vec(prop_oneof![3 => Just(None), 1 => "[a-z0-9,]{0,4}".prop_map(Some)], 2),
                yaml in any::<bool>(),
            ) {
                let body = if yaml { serde_yaml::to_string(&t).unwrap() } else { t.to_string() };
                let template = match Template::parse(&body) {
                    Ok(template) => template,
                    Err(e) => { prop_assert!(!e.message.is_empty()); return Ok(()); }
                };
                let given: Vec<(String, ParamInput)> = values.into_iter().enumerate()
                    .filter_map(|(i, v)| v.map(|v| (format!("P{i}"), ParamInput::Value(v)))).collect();
                let Ok(params) = template.resolve_parameters(&given, None) else { return Ok(()) };
                let Ok(plan) = template.plan(&params, &pseudo(), &stream_attributes) else { return Ok(()) };
                let planned: Vec<&str> = plan.resources.iter().map(|r| r.logical_id.as_str()).collect();
                for r in &plan.resources {
                    prop_assert!(r.depends_on.iter().all(|d| planned.contains(&d.as_str())), "{:?}", plan);
                    let _ = template.resolve_properties(&r.logical_id, &params, &pseudo(), &Everything);
                }
                prop_assert!(orderable(&plan), "{:?}", plan);
                let _ = template.resolve_outputs(&params, &pseudo(), &Everything);
            }

            /// Arbitrary text never panics the parser.
            #[test]
            fn arbitrary_bodies_never_panic(body in "\\PC{0,200}") {
                let _ = Template::parse(&body);
            }
        }
    }
}
