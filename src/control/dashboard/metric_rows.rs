//! One row of a metric widget's `metrics` array: `[Namespace, MetricName, DimName, DimValue, …,
//! {rendering properties}]`, or `[{"expression": …, "id": …}]`. In a row after the first, `"."`
//! stands for the string at the same position in the previous row and `"..."` for as many of the
//! previous row's strings, from that position on, as make the row as long as the previous one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::axis::Axis;

/// The rendering-properties object that may end a row.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenderProps {
    pub id: Option<String>,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub stat: Option<String>,
    pub period: Option<i64>,
    pub region: Option<String>,
    pub account_id: Option<String>,
    pub y_axis: Option<Axis>,
    pub color: Option<String>,
    pub visible: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MetricRow {
    Metric {
        namespace: String,
        metric_name: String,
        /// Name and value pairs in the order written.
        dimensions: Vec<(String, String)>,
        props: RenderProps,
    },
    Expression {
        expression: String,
        props: RenderProps,
    },
}

impl MetricRow {
    pub fn props(&self) -> &RenderProps {
        match self {
            MetricRow::Metric { props, .. } | MetricRow::Expression { props, .. } => props,
        }
    }

    /// Drawn unless `visible: false`.
    pub fn visible(&self) -> bool {
        self.props().visible != Some(false)
    }
}

/// Reads a `metrics` array, expanding the shorthands.
pub fn parse_rows(rows: &Value) -> Result<Vec<MetricRow>, String> {
    let Value::Array(rows) = rows else { return Err("`metrics` must be an array of arrays".into()) };
    let mut out = Vec::with_capacity(rows.len());
    let mut previous: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Value::Array(items) = row else { return Err(format!("metrics[{i}] must be an array")) };
        let (strings, props) = split_row(items).map_err(|e| format!("metrics[{i}]: {e}"))?;
        if let Some(expression) = props.expression.clone() {
            if !strings.is_empty() {
                return Err(format!("metrics[{i}]: an expression row holds only its properties object"));
            }
            out.push(MetricRow::Expression { expression, props });
            continue;
        }
        let full = expand(&strings, &previous).map_err(|e| format!("metrics[{i}]: {e}"))?;
        out.push(metric_row(&full, props).map_err(|e| format!("metrics[{i}]: {e}"))?);
        previous = full;
    }
    Ok(out)
}

fn split_row(items: &[Value]) -> Result<(Vec<String>, RenderProps), String> {
    let (last, head) = match items.split_last() {
        Some((Value::Object(o), head)) => (Some(o), head),
        _ => (None, items),
    };
    let strings = head
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(format!("expected a string, found {other}")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let props = match last {
        Some(o) => serde_json::from_value(Value::Object(o.clone())).map_err(|e| e.to_string())?,
        None => RenderProps::default(),
    };
    Ok((strings, props))
}

fn expand(strings: &[String], previous: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(previous.len().max(strings.len()));
    for (pos, s) in strings.iter().enumerate() {
        match s.as_str() {
            "..." => {
                let after = strings.len() - pos - 1;
                let until = previous.len().checked_sub(after).filter(|u| *u >= out.len());
                let Some(until) = until else {
                    return Err("\"...\" has no previous row long enough to repeat".into());
                };
                out.extend_from_slice(&previous[out.len()..until]);
            }
            "." => {
                let Some(same) = previous.get(out.len()) else {
                    return Err(format!("\".\" at position {pos} has nothing to repeat in the previous row"));
                };
                out.push(same.clone());
            }
            _ => out.push(s.clone()),
        }
    }
    Ok(out)
}

fn metric_row(full: &[String], props: RenderProps) -> Result<MetricRow, String> {
    let [namespace, metric_name, dims @ ..] = full else {
        return Err("a metric row needs a namespace and a metric name".into());
    };
    if dims.len() % 2 != 0 {
        return Err(format!("dimension {:?} has no value", dims[dims.len() - 1]));
    }
    let dimensions = dims.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect();
    Ok(MetricRow::Metric { namespace: namespace.clone(), metric_name: metric_name.clone(), dimensions, props })
}
