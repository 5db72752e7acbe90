//! Conditions: each evaluated once, from parameters and pseudo parameters only, in AWS's limits.

use std::collections::BTreeMap;

use serde_json::Value;

use super::doc::Doc;
use super::eval::Scope;
use super::model::{Pseudo, ResolvedParameters, TemplateError};
use super::syntax::{Block, call, text};

/// Conditions chained deeper than this are refused rather than recursed into.
const MAX_CONDITION_CHAIN: usize = 128;

/// Every condition's value.
pub fn evaluate(
    doc: &Doc,
    params: &ResolvedParameters,
    pseudo: &Pseudo,
) -> Result<BTreeMap<String, bool>, TemplateError> {
    let mut c = Conditions { doc, params, pseudo, memo: BTreeMap::new(), visiting: Vec::new() };
    for (name, _) in &doc.conditions {
        c.named(name)?;
    }
    Ok(c.memo)
}

struct Conditions<'a> {
    doc: &'a Doc,
    params: &'a ResolvedParameters,
    pseudo: &'a Pseudo,
    /// The conditions evaluated so far.
    memo: BTreeMap<String, bool>,
    visiting: Vec<String>,
}

impl Conditions<'_> {
    fn named(&mut self, name: &str) -> Result<bool, TemplateError> {
        if let Some(v) = self.memo.get(name) {
            return Ok(*v);
        }
        let Some(expr) = self.doc.condition(name) else {
            return Err(TemplateError::format(format!(
                "Unresolved condition dependencies [{name}] in the Conditions block of the template"
            )));
        };
        if let Some(start) = self.visiting.iter().position(|v| v == name) {
            let mut cycle = self.visiting[start..].to_vec();
            cycle.sort();
            return Err(TemplateError::template(format!(
                "Found circular condition dependency: [{}]",
                cycle.join(", ")
            )));
        }
        if self.visiting.len() > MAX_CONDITION_CHAIN {
            return Err(TemplateError::template(format!(
                "conditions may refer to one another at most {MAX_CONDITION_CHAIN} deep ({name})"
            )));
        }
        self.visiting.push(name.to_string());
        let v = self.expr(expr);
        self.visiting.pop();
        let v = v?;
        self.memo.insert(name.to_string(), v);
        Ok(v)
    }

    /// A value compared by Fn::Equals; the conditions its Fn::Ifs name are evaluated first.
    fn value(&mut self, v: &Value) -> Result<Value, TemplateError> {
        let mut named = Vec::new();
        if_conditions(v, &mut named);
        for c in named {
            if self.doc.condition(c).is_none() {
                return Err(TemplateError::template(format!("unresolved condition dependency {c} in Fn::If")));
            }
            self.named(c)?;
        }
        let scope = Scope {
            doc: self.doc,
            params: self.params,
            pseudo: self.pseudo,
            env: None,
            conditions: &self.memo,
            block: Block::Conditions,
        };
        Ok(scope.value(v)?.unwrap_or_default())
    }

    fn expr(&mut self, v: &Value) -> Result<bool, TemplateError> {
        let bad =
            || TemplateError::format("Conditions can only be boolean operations on parameters and other conditions");
        let Some((name, arg)) = call(v, Block::Conditions) else { return Err(bad()) };
        match name {
            "Fn::Equals" => {
                let usage =
                    || TemplateError::template("every Fn::Equals object requires a list of 2 string parameters.");
                let [a, b] =
                    arg.as_array().and_then(|a| <&[Value; 2]>::try_from(a.as_slice()).ok()).ok_or_else(usage)?;
                let a = self.value(a)?;
                let b = self.value(b)?;
                Ok(match (text(&a), text(&b)) {
                    (Some(a), Some(b)) => a == b,
                    _ => a == b,
                })
            }
            "Fn::And" | "Fn::Or" => {
                let items = arg.as_array().filter(|a| (2..=10).contains(&a.len())).ok_or_else(|| {
                    TemplateError::template(format!(
                        "every {name} object requires a list of at least 2 and at most 10 boolean parameters."
                    ))
                })?;
                let values: Vec<bool> = items.iter().map(|i| self.expr(i)).collect::<Result<_, _>>()?;
                Ok(if name == "Fn::And" { values.iter().all(|v| *v) } else { values.iter().any(|v| *v) })
            }
            "Fn::Not" => {
                let usage = || TemplateError::template("every Fn::Not object requires one boolean parameter.");
                let [inner] =
                    arg.as_array().and_then(|a| <&[Value; 1]>::try_from(a.as_slice()).ok()).ok_or_else(usage)?;
                Ok(!self.expr(inner)?)
            }
            "Condition" => match arg {
                Value::String(c) => self.named(c),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

/// The condition names of the Fn::Ifs in `v`.
fn if_conditions<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(args)) = m.get("Fn::If").filter(|_| m.len() == 1)
                && let Some(Value::String(c)) = args.first()
            {
                out.push(c);
            }
            m.values().for_each(|x| if_conditions(x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| if_conditions(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::cloudformation::template::doc;
    use crate::cloud::cloudformation::template::params;

    const HEAD: &str = "Parameters:\n  Env: {Type: String, Default: prod}\n  Names: {Type: CommaDelimitedList, Default: 'a,b,c'}\n\
                        Mappings:\n  Sizes: {prod: {Shards: 4}, dev: {Shards: 1}}\n\
                        Conditions:\n  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Not [!Condition IsProd]\n\
                        Resources:\n  Made: {Type: AWS::S3::Bucket}\n  Later: {Type: AWS::S3::Bucket}\n";

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

    fn condition(expr: &str) -> Result<bool, TemplateError> {
        let body = format!("{HEAD}  R: {{Type: AWS::S3::Bucket}}\n");
        let body = body.replace(
            "  IsDev: !Not [!Condition IsProd]\n",
            &format!("  IsDev: !Not [!Condition IsProd]\n  C: {expr}\n"),
        );
        let d = doc::parse(&body)?;
        let params = params::resolve(&d.parameters, &[], None)?;
        Ok(evaluate(&d, &params, &pseudo())?["C"])
    }

    #[test]
    fn condition_functions() {
        assert!(condition("!Equals [!Ref Env, prod]").unwrap());
        assert!(condition("!Equals ['4', !FindInMap [Sizes, prod, Shards]]").unwrap());
        assert!(condition("!Equals [!Ref AWS::Region, eu-west-1]").unwrap());
        assert!(condition("!And [!Condition IsProd, !Not [!Condition IsDev]]").unwrap());
        assert!(!condition("!Or [!Condition IsDev, !Equals [a, b]]").unwrap());
        assert!(condition("!Not [!Condition IsDev]").unwrap());
        let err = |e: &str| condition(e).unwrap_err().message;
        assert_eq!(
            err("!Equals [a]"),
            "Template error: every Fn::Equals object requires a list of 2 string parameters."
        );
        assert_eq!(
            err("!And [!Condition IsProd]"),
            "Template error: every Fn::And object requires a list of at least 2 and at most 10 boolean parameters."
        );
        let eleven = ["!Condition IsProd"; 11].join(", ");
        assert_eq!(
            err(&format!("!Or [{eleven}]")),
            "Template error: every Fn::Or object requires a list of at least 2 and at most 10 boolean parameters."
        );
        assert_eq!(
            err("!Not [!Condition IsProd, !Condition IsDev]"),
            "Template error: every Fn::Not object requires one boolean parameter."
        );
        assert_eq!(
            err("!Equals [!Ref Made, x]"),
            "Template format error: Unresolved dependencies [Made]. Cannot reference resources in the Conditions block of the template"
        );
        assert!(condition("!Equals [!If [IsProd, a, b], a]").unwrap());
        assert!(err("!Equals [!If [C, a, b], a]").contains("Found circular condition dependency: [C]"));
        assert!(err("!Equals [!If [Nope, a, b], a]").contains("unresolved condition dependency Nope in Fn::If"));
        assert!(err("!Equals [!GetAtt Made.Arn, x]").contains("Fn::GetAtt cannot be used in the Conditions block"));
        assert_eq!(err("!Condition C"), "Template error: Found circular condition dependency: [C]");
        assert_eq!(
            err("!Condition Nope"),
            "Template format error: Unresolved condition dependencies [Nope] in the Conditions block of the template"
        );
        assert_eq!(
            err("!Ref Env"),
            "Template format error: Conditions can only be boolean operations on parameters and other conditions"
        );
    }

    #[test]
    fn long_condition_chains_evaluate_and_longer_ones_are_refused() {
        let chain = |n: usize| {
            let mut body =
                String::from("Parameters:\n  P: {Type: String, Default: x}\nConditions:\n  C0: !Equals [!Ref P, x]\n");
            for i in 1..n {
                body.push_str(&format!("  C{i}: !Equals [!If [C{}, a, b], a]\n", i - 1));
            }
            body.push_str("Resources:\n  R: {Type: AWS::S3::Bucket}\n");
            let d = doc::parse(&body).unwrap();
            let params = params::resolve(&d.parameters, &[], None).unwrap();
            // Evaluate the last first, so the whole chain is walked at once.
            let mut c =
                Conditions { doc: &d, params: &params, pseudo: &pseudo(), memo: BTreeMap::new(), visiting: Vec::new() };
            c.named(&format!("C{}", n - 1))
        };
        assert_eq!(chain(MAX_CONDITION_CHAIN), Ok(true));
        assert!(chain(MAX_CONDITION_CHAIN + 5).unwrap_err().message.contains("at most 128 deep"));
    }
}
