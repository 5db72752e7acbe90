//! A template's `Outputs`: what a deployment reports back (names, URLs, ARNs).

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::intrinsic::Expr;
use super::yaml::{TemplateError, get, scalar};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    pub key: String,
    pub description: Option<String>,
    pub value: Expr,
    /// `Export.Name`, when the stack exports the value for cross-stack imports.
    pub export: Option<Expr>,
}

pub fn parse(root: &Mapping) -> Result<Vec<Output>, TemplateError> {
    let Some(outputs) = get(root, "Outputs") else { return Ok(Vec::new()) };
    let Value::Mapping(outputs) = outputs else { return Err(TemplateError::at("Outputs", "expected a mapping")) };
    let mut out = Vec::new();
    for (key, body) in outputs {
        let key = key.as_str().ok_or_else(|| TemplateError::at("Outputs", "output keys are strings"))?;
        let here = format!("Outputs.{key}");
        let body = body.as_mapping().ok_or_else(|| TemplateError::at(&here, "expected a mapping"))?;
        let expr =
            |v: &Value, what: &str| Expr::from_yaml(v).map_err(|e| TemplateError::at(format!("{here}.{what}"), e.0));
        let value = get(body, "Value").ok_or_else(|| TemplateError::at(&here, "Value is missing"))?;
        let export = match get(body, "Export") {
            None => None,
            Some(Value::Mapping(e)) => {
                let name = get(e, "Name").ok_or_else(|| TemplateError::at(&here, "Export.Name is missing"))?;
                Some(expr(name, "Export.Name")?)
            }
            Some(_) => return Err(TemplateError::at(&here, "Export is not a mapping")),
        };
        out.push(Output {
            key: key.to_string(),
            description: get(body, "Description").and_then(scalar),
            value: expr(value, "Value")?,
            export,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_value_description_and_export() {
        let root: Mapping = serde_yaml::from_str(
            "Outputs:\n  A:\n    Description: d\n    Value: !Ref X\n    Export:\n      Name: !Sub '${AWS::StackName}-a'\n  B:\n    Value: !GetAtt F.Arn\n",
        )
        .unwrap();
        let outs = parse(&root).unwrap();
        assert_eq!(outs[0].key, "A");
        assert_eq!(outs[0].description.as_deref(), Some("d"));
        assert_eq!(outs[0].value, Expr::Ref("X".into()));
        assert_eq!(outs[0].export, Some(Expr::Sub("${AWS::StackName}-a".into(), vec![])));
        assert_eq!(outs[1].value, Expr::GetAtt("F".into(), "Arn".into()));
    }
}
