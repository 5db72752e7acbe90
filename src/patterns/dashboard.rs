//! A template's `AWS::CloudWatch::Dashboard`: its body is a `Fn::Sub` over a JSON string, rendered here
//! with the names of one deployment.

use serde::Serialize;
use serde_yaml::Mapping;

use super::intrinsic::{self, Expr, ResolveError, Values};
use super::yaml::{TemplateError, get, resources_of_type};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    pub logical_id: String,
    pub name: Option<Expr>,
    /// The `Fn::Sub` string, as written.
    pub body: String,
    /// The `Fn::Sub` variables of the list form (`App: !Ref Application`).
    #[serde(serialize_with = "variables_json")]
    pub variables: Vec<(String, Expr)>,
}

fn variables_json<S: serde::Serializer>(vars: &[(String, Expr)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(vars.len()))?;
    for (k, v) in vars {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// One widget, as a person would look for it on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Widget {
    #[serde(rename = "type")]
    pub kind: String,
    /// The title, or the markdown of a text widget.
    pub title: String,
}

impl Dashboard {
    /// The body with every `${…}` replaced: `values` holds pseudo parameters (`AWS::Region`,
    /// `AWS::StackName`, …), what `Ref` of a resource or parameter returns, and `Resource.Attr`.
    pub fn render(&self, values: &Values) -> Result<String, ResolveError> {
        Expr::Sub(self.body.clone(), self.variables.clone()).resolve(values)
    }

    /// Every name the body needs from outside (its own variables excluded, theirs included).
    pub fn names(&self) -> Result<Vec<String>, ResolveError> {
        let mut names: Vec<String> = intrinsic::sub_names(&self.body)?
            .into_iter()
            .filter(|n| !self.variables.iter().any(|(v, _)| v == n))
            .collect();
        for (_, expr) in &self.variables {
            for n in expr_names(expr)? {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        Ok(names)
    }

    /// The widgets in body order; the body rendered with each name standing for itself.
    pub fn widgets(&self) -> Result<Vec<Widget>, DashboardError> {
        let placeholders: Values = self.names()?.into_iter().map(|n| (n.clone(), n)).collect();
        let body: serde_json::Value = serde_json::from_str(&self.render(&placeholders)?)?;
        let widgets = body.get("widgets").and_then(|w| w.as_array()).ok_or(DashboardError::NoWidgets)?;
        Ok(widgets
            .iter()
            .map(|w| {
                let props = w.get("properties");
                let title = props.and_then(|p| p.get("title").or_else(|| p.get("markdown")));
                Widget {
                    kind: w.get("type").and_then(|t| t.as_str()).unwrap_or("?").to_string(),
                    title: title.and_then(|t| t.as_str()).unwrap_or_default().to_string(),
                }
            })
            .collect())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error("the dashboard body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the dashboard body has no widgets list")]
    NoWidgets,
}

fn expr_names(expr: &Expr) -> Result<Vec<String>, ResolveError> {
    Ok(match expr {
        Expr::Literal(_) | Expr::Other(_) => Vec::new(),
        Expr::Ref(n) => vec![n.clone()],
        Expr::GetAtt(r, a) => vec![format!("{r}.{a}")],
        Expr::Sub(text, vars) => {
            let mut names: Vec<String> =
                intrinsic::sub_names(text)?.into_iter().filter(|n| !vars.iter().any(|(v, _)| v == n)).collect();
            for (_, e) in vars {
                names.extend(expr_names(e)?);
            }
            names
        }
        Expr::Join(_, items) => items.iter().map(expr_names).collect::<Result<Vec<_>, _>>()?.concat(),
        Expr::Split(_, src) => expr_names(src)?,
        Expr::If(_, a, b) => [expr_names(a)?, expr_names(b)?].concat(),
    })
}

/// The template's dashboard; a template holds at most one.
pub fn parse(root: &Mapping) -> Result<Option<Dashboard>, TemplateError> {
    let mut found = resources_of_type(root, "AWS::CloudWatch::Dashboard")?;
    if found.len() > 1 {
        return Err(TemplateError::at("Resources", "more than one AWS::CloudWatch::Dashboard"));
    }
    let Some((id, props)) = found.pop() else { return Ok(None) };
    let here = format!("Resources.{id}.Properties");
    let expr = |key: &str| {
        get(props, key)
            .map(|v| Expr::from_yaml(v).map_err(|e| TemplateError::at(format!("{here}.{key}"), e.0)))
            .transpose()
    };
    let (body, variables) = match expr("DashboardBody")? {
        Some(Expr::Sub(text, vars)) => (text, vars),
        Some(Expr::Literal(text)) => (text.replace("${", "${!"), Vec::new()),
        Some(_) => return Err(TemplateError::at(&here, "DashboardBody must be a string or a Fn::Sub string")),
        None => return Err(TemplateError::at(&here, "DashboardBody is missing")),
    };
    Ok(Some(Dashboard { logical_id: id.to_string(), name: expr("DashboardName")?, body, variables }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dashboard() -> Dashboard {
        let root: Mapping = serde_yaml::from_str(
            r##"
Resources:
  D:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardName: !Sub '${AWS::StackName}-dashboard'
      DashboardBody: !Sub
        - '{"widgets":[{"type":"text","properties":{"markdown":"# ${AWS::StackName}"}},{"type":"metric","properties":{"title":"T","region":"${AWS::Region}","metrics":[["N","M","F","${Fn}"]],"annotations":{"alarms":["${A.Arn}"]}}}]}'
        - Fn: !Ref Function
"##,
        )
        .unwrap();
        parse(&root).unwrap().unwrap()
    }

    #[test]
    fn names_exclude_local_variables_and_include_theirs() {
        assert_eq!(dashboard().names().unwrap(), ["AWS::StackName", "AWS::Region", "A.Arn", "Function"]);
    }

    #[test]
    fn renders_with_values_and_reports_missing_ones() {
        let d = dashboard();
        let mut v: Values = [("AWS::StackName", "s"), ("AWS::Region", "eu-west-1"), ("Function", "f")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(d.render(&v).unwrap_err(), ResolveError::Missing(vec!["A.Arn".into()]));
        v.insert("A.Arn".into(), "arn:a".into());
        let body: serde_json::Value = serde_json::from_str(&d.render(&v).unwrap()).unwrap();
        assert_eq!(body["widgets"][1]["properties"]["metrics"][0][3], "f");
        assert_eq!(d.widgets().unwrap()[0], Widget { kind: "text".into(), title: "# AWS::StackName".into() });
    }
}
