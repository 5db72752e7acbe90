//! Which resources a deployment includes and what each waits for: Conditions evaluated, references
//! checked, cycles refused.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::conditions;
use super::doc::{Doc, Resource};
use super::model::{Plan, PlannedResource, Pseudo, ResolvedParameters, TemplateError};
use super::syntax::{self, Block, SubPart};

/// What one `Ref`, `Fn::GetAtt` or `${…}` names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub id: String,
    /// The attribute of a `Fn::GetAtt` when it is written literally.
    pub attribute: Option<String>,
    /// Written as `${A.B}` in an `Fn::Sub` rather than as an `Fn::GetAtt`.
    pub in_sub: bool,
}

/// The names an expression references. With `conditions`, only the branch of each `Fn::If` the
/// deployment takes is followed; without, every branch is.
pub fn targets(
    v: &Value,
    conditions: Option<&BTreeMap<String, bool>>,
    out: &mut Vec<Target>,
) -> Result<(), TemplateError> {
    let target = |id: &str, attribute: Option<&str>| Target {
        id: id.to_string(),
        attribute: attribute.map(String::from),
        in_sub: false,
    };
    if let Some((name, arg)) = syntax::call(v, Block::Resources) {
        match (name, arg) {
            ("Ref", Value::String(id)) => out.push(target(id, None)),
            ("Fn::GetAtt", Value::String(s)) => {
                if let Some((id, attr)) = s.split_once('.') {
                    out.push(target(id, Some(attr)));
                }
            }
            ("Fn::GetAtt", Value::Array(items)) if items.len() == 2 => {
                if let Value::String(id) = &items[0] {
                    out.push(target(id, items[1].as_str()));
                }
                targets(&items[1], conditions, out)?;
            }
            ("Fn::Sub", _) => sub_targets(arg, conditions, out)?,
            ("Fn::If", Value::Array(items)) if items.len() == 3 && conditions.is_some() => {
                let Value::String(c) = &items[0] else { return Ok(()) };
                match conditions.and_then(|m| m.get(c)) {
                    Some(true) => targets(&items[1], conditions, out)?,
                    Some(false) => targets(&items[2], conditions, out)?,
                    None => {
                        return Err(TemplateError::template(format!("unresolved condition dependency {c} in Fn::If")));
                    }
                }
            }
            _ => targets(arg, conditions, out)?,
        }
        return Ok(());
    }
    match v {
        Value::Object(m) => m.values().try_for_each(|x| targets(x, conditions, out)),
        Value::Array(items) => items.iter().try_for_each(|x| targets(x, conditions, out)),
        _ => Ok(()),
    }
}

fn sub_targets(
    arg: &Value,
    conditions: Option<&BTreeMap<String, bool>>,
    out: &mut Vec<Target>,
) -> Result<(), TemplateError> {
    let (s, vars) = match arg {
        Value::String(s) => (s, None),
        Value::Array(items) if items.len() == 2 => match (&items[0], &items[1]) {
            (Value::String(s), Value::Object(vars)) => (s, Some(vars)),
            _ => return Ok(()),
        },
        _ => return Ok(()),
    };
    if let Some(vars) = vars {
        vars.values().try_for_each(|x| targets(x, conditions, out))?;
    }
    for part in syntax::sub_parts(s)? {
        let SubPart::Var(name) = part else { continue };
        if vars.is_some_and(|v| v.contains_key(&name)) || syntax::is_pseudo(&name) {
            continue;
        }
        match name.split_once('.') {
            Some((id, attr)) => out.push(Target { id: id.into(), attribute: Some(attr.into()), in_sub: true }),
            None => out.push(Target { id: name, attribute: None, in_sub: true }),
        }
    }
    Ok(())
}

/// What holds whatever the parameters: every function is one the engine evaluates, every reference
/// names something (whichever branch a deployment takes), no Fn::ImportValue depends on a resource.
pub fn check_template(doc: &Doc) -> Result<(), TemplateError> {
    let known =
        |id: &str| syntax::is_pseudo(id) || doc.parameters.iter().any(|p| p.name == id) || doc.resource(id).is_some();
    for r in &doc.resources {
        syntax::check_functions(&r.properties, Block::Resources)?;
    }
    for o in &doc.outputs {
        for v in [Some(&o.value), o.export_name.as_ref(), o.description.as_ref()].into_iter().flatten() {
            syntax::check_functions(v, Block::Outputs)?;
        }
    }
    for r in &doc.resources {
        let mut all = Vec::new();
        targets(&r.properties, None, &mut all)?;
        all.extend(r.depends_on.iter().map(|d| Target { id: d.clone(), attribute: None, in_sub: false }));
        if let Some(bad) = all.iter().find(|t| t.attribute.is_some() && doc.resource(&t.id).is_none()) {
            return Err(undefined_attribute_target(bad));
        }
        if let Some(bad) = all.iter().find(|t| !known(&t.id)) {
            return Err(syntax::unresolved(&bad.id, Block::Resources));
        }
        if let Some(d) = r.depends_on.iter().find(|d| doc.resource(d).is_none()) {
            return Err(syntax::unresolved(d, Block::Resources));
        }
    }
    for r in &doc.resources {
        imports_stand_alone(doc, &r.properties)?;
    }
    for o in &doc.outputs {
        imports_stand_alone(doc, &o.value)?;
    }
    check_output_references(doc, &known)
}

/// The resources to deploy, in template order, each with what it waits for.
pub fn plan(
    doc: &Doc,
    params: &ResolvedParameters,
    pseudo: &Pseudo,
    attributes_of: &dyn Fn(&str) -> Option<&'static [&'static str]>,
) -> Result<Plan, TemplateError> {
    check_template(doc)?;
    let conditions = conditions::evaluate(doc, params, pseudo)?;
    let holds = |c: &Option<String>| c.as_ref().is_none_or(|c| conditions.get(c).copied().unwrap_or(false));
    let included: Vec<&Resource> = doc.resources.iter().filter(|r| holds(&r.condition)).collect();
    let is_included = |id: &str| included.iter().any(|r| r.logical_id == id);
    let mut resources = Vec::new();
    for r in &included {
        let mut found = Vec::new();
        targets(&r.properties, Some(&conditions), &mut found)?;
        let mut depends_on: BTreeSet<String> = r.depends_on.iter().cloned().collect();
        for t in found.iter().filter(|t| doc.resource(&t.id).is_some()) {
            check_attribute(doc, t, attributes_of)?;
            depends_on.insert(t.id.clone());
        }
        if let Some(missing) = depends_on.iter().find(|d| !is_included(d)) {
            return Err(syntax::unresolved(missing, Block::Resources));
        }
        resources.push(PlannedResource {
            logical_id: r.logical_id.clone(),
            type_name: r.type_name.clone(),
            depends_on,
            deletion_policy: r.deletion_policy,
            update_replace_policy: r.update_replace_policy,
        });
    }
    check_outputs(doc, &conditions, &is_included, attributes_of)?;
    refuse_cycles(&resources)?;
    Ok(Plan { resources })
}

/// An export's name is fixed before the stack creates anything, so `Fn::ImportValue` may not depend
/// on a resource, another import or `Fn::GetAZs`.
fn imports_stand_alone(doc: &Doc, v: &Value) -> Result<(), TemplateError> {
    let refused = || {
        TemplateError::template(
            "the attribute in Fn::ImportValue must not depend on any resources, imported values, or Fn::GetAZs",
        )
    };
    let nested = |arg: &Value| -> Result<bool, TemplateError> {
        let text = arg.to_string();
        let mut found = Vec::new();
        targets(arg, None, &mut found)?;
        Ok(found.iter().any(|t| doc.resource(&t.id).is_some())
            || text.contains("\"Fn::ImportValue\"")
            || text.contains("\"Fn::GetAZs\""))
    };
    match syntax::call(v, Block::Resources) {
        Some(("Fn::ImportValue", arg)) if nested(arg)? => Err(refused()),
        Some((_, arg)) => imports_stand_alone(doc, arg),
        None => match v {
            Value::Object(m) => m.values().try_for_each(|x| imports_stand_alone(doc, x)),
            Value::Array(items) => items.iter().try_for_each(|x| imports_stand_alone(doc, x)),
            _ => Ok(()),
        },
    }
}

fn check_output_references(doc: &Doc, known: &dyn Fn(&str) -> bool) -> Result<(), TemplateError> {
    for o in &doc.outputs {
        let mut all = Vec::new();
        for v in [Some(&o.value), o.export_name.as_ref(), o.description.as_ref()].into_iter().flatten() {
            targets(v, None, &mut all)?;
        }
        if let Some(bad) = all.iter().find(|t| t.attribute.is_some() && doc.resource(&t.id).is_none()) {
            return Err(undefined_attribute_target(bad));
        }
        if let Some(bad) = all.iter().find(|t| !known(&t.id)) {
            return Err(syntax::unresolved(&bad.id, Block::Outputs));
        }
    }
    Ok(())
}

fn check_outputs(
    doc: &Doc,
    conditions: &BTreeMap<String, bool>,
    is_included: &dyn Fn(&str) -> bool,
    attributes_of: &dyn Fn(&str) -> Option<&'static [&'static str]>,
) -> Result<(), TemplateError> {
    for o in &doc.outputs {
        if o.condition.as_ref().is_some_and(|c| !conditions.get(c).copied().unwrap_or(false)) {
            continue;
        }
        let mut taken = Vec::new();
        for v in [Some(&o.value), o.export_name.as_ref(), o.description.as_ref()].into_iter().flatten() {
            targets(v, Some(conditions), &mut taken)?;
        }
        for t in taken.iter().filter(|t| doc.resource(&t.id).is_some()) {
            if !is_included(&t.id) {
                return Err(syntax::unresolved(&t.id, Block::Outputs));
            }
            check_attribute(doc, t, attributes_of)?;
        }
    }
    Ok(())
}

fn undefined_attribute_target(t: &Target) -> TemplateError {
    match (&t.attribute, t.in_sub) {
        (Some(attr), true) => syntax::invalid_sub_attribute(&t.id, attr),
        _ => syntax::undefined_get_att(&t.id),
    }
}

fn check_attribute(
    doc: &Doc,
    t: &Target,
    attributes_of: &dyn Fn(&str) -> Option<&'static [&'static str]>,
) -> Result<(), TemplateError> {
    let (Some(attr), Some(r)) = (&t.attribute, doc.resource(&t.id)) else { return Ok(()) };
    match attributes_of(&r.type_name) {
        Some(known) if !known.contains(&attr.as_str()) => Err(TemplateError::template(format!(
            "resource {} does not support attribute type {attr} in Fn::GetAtt",
            t.id
        ))),
        _ => Ok(()),
    }
}

/// Removes resources with nothing left to wait for until none can be removed; what remains waits on a
/// cycle (or on something that does), and AWS names all of it.
fn refuse_cycles(resources: &[PlannedResource]) -> Result<(), TemplateError> {
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> =
        resources.iter().map(|r| (r.logical_id.as_str(), r.depends_on.iter().map(String::as_str).collect())).collect();
    loop {
        let ready: Vec<&str> = waiting.iter().filter(|(_, deps)| deps.is_empty()).map(|(id, _)| *id).collect();
        if ready.is_empty() {
            break;
        }
        for id in ready {
            waiting.remove(id);
            for deps in waiting.values_mut() {
                deps.remove(id);
            }
        }
    }
    if waiting.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = waiting.keys().copied().collect();
    Err(TemplateError::new(format!("Circular dependency between resources: [{}]", names.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::cloudformation::template::{doc, params};

    fn pseudo() -> Pseudo {
        Pseudo {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            stack_name: "s".into(),
            stack_id: "arn:aws:cloudformation:us-east-1:000000000000:stack/s/1".into(),
            partition: "aws".into(),
            url_suffix: "amazonaws.com".into(),
            notification_arns: vec![],
        }
    }

    fn attributes(type_name: &str) -> Option<&'static [&'static str]> {
        (type_name == "AWS::Kinesis::Stream").then_some(&["Arn"][..])
    }

    const HEAD: &str =
        "Parameters:\n  On: {Type: String, Default: 'no'}\nConditions:\n  Enabled: !Equals [!Ref On, 'yes']\n";

    fn run(resources: &str) -> Result<Plan, TemplateError> {
        let d = doc::parse(&format!("{HEAD}Resources:\n{resources}"))?;
        let p = params::resolve(&d.parameters, &[], None)?;
        plan(&d, &p, &pseudo(), &attributes)
    }

    fn deps(plan: &Plan, id: &str) -> Vec<String> {
        let r = plan.resources.iter().find(|r| r.logical_id == id).unwrap_or_else(|| panic!("{id} not planned"));
        r.depends_on.iter().cloned().collect()
    }

    #[test]
    fn explicit_and_implicit_dependencies() {
        let plan = run("  A: {Type: AWS::Kinesis::Stream}\n  B: {Type: AWS::S3::Bucket, DependsOn: A}\n\
                        \x20 C: {Type: AWS::S3::Bucket, DependsOn: [A, B]}\n\
                        \x20 D: {Type: AWS::S3::Bucket, Properties: {X: !Ref A, Y: !GetAtt [B, Arn], Z: !Sub '${C.Arn}', W: !Sub '${!A}${On}${AWS::Region}'}}\n\
                        \x20 E: {Type: AWS::S3::Bucket, Properties: {X: !Sub ['${V}', {V: !Ref D}]}}\n")
        .unwrap();
        let order: Vec<&str> = plan.resources.iter().map(|r| r.logical_id.as_str()).collect();
        assert_eq!(order, ["A", "B", "C", "D", "E"]);
        assert!(deps(&plan, "A").is_empty());
        assert_eq!(deps(&plan, "B"), ["A"]);
        assert_eq!(deps(&plan, "C"), ["A", "B"]);
        assert_eq!(deps(&plan, "D"), ["A", "B", "C"]);
        assert_eq!(deps(&plan, "E"), ["D"]);
    }

    #[test]
    fn unknown_targets_are_unresolved_dependencies() {
        let msg = |r: &str| run(r).unwrap_err().message;
        let unresolved =
            "Template format error: Unresolved resource dependencies [Ghost] in the Resources block of the template";
        assert_eq!(msg("  A: {Type: AWS::S3::Bucket, DependsOn: Ghost}\n"), unresolved);
        assert_eq!(msg("  A: {Type: AWS::S3::Bucket, Properties: {X: !Ref Ghost}}\n"), unresolved);
        assert_eq!(
            msg("  A: {Type: AWS::S3::Bucket, Properties: {X: !GetAtt Ghost.Arn}}\n"),
            "Template error: instance of Fn::GetAtt references undefined resource Ghost"
        );
        assert_eq!(msg("  A: {Type: AWS::S3::Bucket, Properties: {X: !Sub 'x-${Ghost}'}}\n"), unresolved);
        assert_eq!(
            msg("  A: {Type: AWS::S3::Bucket, Properties: {X: !Sub 'x-${Ghost.Arn}'}}\n"),
            "Template error: instance of Fn::Sub references invalid resource attribute Ghost.Arn"
        );
        // Checked on every branch, whichever one this deployment takes.
        assert_eq!(msg("  A: {Type: AWS::S3::Bucket, Properties: {X: !If [Enabled, !Ref Ghost, y]}}\n"), unresolved);
    }

    #[test]
    fn cycles_are_refused_naming_every_resource_left_waiting() {
        let msg = |r: &str| run(r).unwrap_err().message;
        assert_eq!(
            msg(
                "  B: {Type: AWS::S3::Bucket, DependsOn: A}\n  A: {Type: AWS::S3::Bucket, Properties: {X: !Ref B}}\n  Free: {Type: AWS::S3::Bucket}\n"
            ),
            "Circular dependency between resources: [A, B]"
        );
        assert_eq!(
            msg(
                "  A: {Type: AWS::S3::Bucket, DependsOn: B}\n  B: {Type: AWS::S3::Bucket, DependsOn: A}\n  C: {Type: AWS::S3::Bucket, DependsOn: A}\n"
            ),
            "Circular dependency between resources: [A, B, C]"
        );
        assert_eq!(
            msg("  A: {Type: AWS::S3::Bucket, Properties: {X: !GetAtt A.Arn}}\n"),
            "Circular dependency between resources: [A]"
        );
    }

    #[test]
    fn resources_whose_condition_is_false_are_left_out() {
        let plan = run("  Opt: {Type: AWS::S3::Bucket, Condition: Enabled}\n\
                        \x20 Keep: {Type: AWS::S3::Bucket, Properties: {X: !If [Enabled, !Ref Opt, !Ref AWS::NoValue]}}\n")
        .unwrap();
        assert_eq!(plan.resources.len(), 1);
        assert!(deps(&plan, "Keep").is_empty());
        let refused = run(
            "  Opt: {Type: AWS::S3::Bucket, Condition: Enabled}\n  Keep: {Type: AWS::S3::Bucket, Properties: {X: !Ref Opt}}\n",
        );
        assert_eq!(
            refused.unwrap_err().message,
            "Template format error: Unresolved resource dependencies [Opt] in the Resources block of the template"
        );
        let depends = run(
            "  Opt: {Type: AWS::S3::Bucket, Condition: Enabled}\n  Keep: {Type: AWS::S3::Bucket, DependsOn: Opt}\n",
        );
        assert!(depends.unwrap_err().message.contains("[Opt]"));
    }

    #[test]
    fn get_att_names_an_attribute_of_known_types() {
        let ok = run(
            "  S: {Type: AWS::Kinesis::Stream}\n  B: {Type: AWS::S3::Bucket, Properties: {X: !GetAtt S.Arn, Y: !GetAtt B2.Whatever}}\n  B2: {Type: AWS::S3::Bucket}\n",
        );
        assert!(ok.is_ok(), "{ok:?}");
        let bad =
            run("  S: {Type: AWS::Kinesis::Stream}\n  B: {Type: AWS::S3::Bucket, Properties: {X: !Sub '${S.Foo}'}}\n");
        assert_eq!(
            bad.unwrap_err().message,
            "Template error: resource S does not support attribute type Foo in Fn::GetAtt"
        );
    }

    #[test]
    fn outputs_are_checked_against_included_resources() {
        let with_outputs = |outputs: &str| -> Result<Plan, TemplateError> {
            let body = format!(
                "{HEAD}Resources:\n  Opt: {{Type: AWS::Kinesis::Stream, Condition: Enabled}}\n  S: {{Type: AWS::Kinesis::Stream}}\nOutputs:\n{outputs}"
            );
            let d = doc::parse(&body)?;
            let p = params::resolve(&d.parameters, &[], None)?;
            plan(&d, &p, &pseudo(), &attributes)
        };
        assert!(with_outputs("  A: {Value: !GetAtt S.Arn}\n  B: {Value: !Ref Opt, Condition: Enabled}\n").is_ok());
        let bad = with_outputs("  B: {Value: !Ref Opt}\n").unwrap_err();
        assert_eq!(
            bad.message,
            "Template format error: Unresolved resource dependencies [Opt] in the Outputs block of the template"
        );
        let ghost = with_outputs("  B: {Value: !Ref Ghost, Condition: Enabled}\n").unwrap_err();
        assert!(ghost.message.contains("[Ghost] in the Outputs block"), "{ghost}");
        let attr = with_outputs("  B: {Value: !GetAtt S.Nope}\n").unwrap_err();
        assert!(attr.message.contains("does not support attribute type Nope"), "{attr}");
    }

    #[test]
    fn import_value_may_not_depend_on_resources() {
        let bad = run(
            "  S: {Type: AWS::S3::Bucket}\n  B: {Type: AWS::S3::Bucket, Properties: {X: !ImportValue {'Fn::Sub': '${S}-arn'}}}\n",
        );
        assert!(bad.unwrap_err().message.contains("Fn::ImportValue must not depend on any resources"));
        let ok =
            run("  B: {Type: AWS::S3::Bucket, Properties: {X: !ImportValue {'Fn::Sub': '${AWS::StackName}-arn'}}}\n");
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[test]
    fn a_chain_of_the_most_resources_allowed_plans() {
        let mut body = String::from("  R0: {Type: AWS::S3::Bucket}\n");
        for i in 1..doc::MAX_RESOURCES {
            body.push_str(&format!(
                "  R{i}: {{Type: AWS::S3::Bucket, Properties: {{A: !Ref R{}, B: !Sub '${{R0.Arn}}'}}}}\n",
                i - 1
            ));
        }
        let plan = run(&body).unwrap();
        assert_eq!(plan.resources.len(), doc::MAX_RESOURCES);
        assert_eq!(deps(&plan, "R499"), ["R0", "R498"]);
    }
}
