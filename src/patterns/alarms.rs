//! Every `AWS::CloudWatch::Alarm` of a template: what it watches and when it fires.

use serde::Serialize;
use serde_yaml::{Mapping, Value};

use super::intrinsic::Expr;
use super::yaml::{TemplateError, get, resources_of_type, scalar};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarm {
    pub logical_id: String,
    pub alarm_name: Option<Expr>,
    pub description: Option<String>,
    pub metric: AlarmMetric,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlarmMetric {
    /// `Namespace`/`MetricName`/`Dimensions` with a `Statistic` (or `ExtendedStatistic`) over `Period`.
    Single { stat: MetricStat },
    /// `Metrics`: metric math over metric queries; the one with `ReturnData` is compared.
    Math { queries: Vec<MetricQuery> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricStat {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<Dimension>,
    /// `Statistic`, or `ExtendedStatistic` such as `p99`.
    pub stat: String,
    pub period: u32,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dimension {
    pub name: String,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricQuery {
    pub id: String,
    pub label: Option<String>,
    pub expression: Option<String>,
    pub metric_stat: Option<MetricStat>,
    pub return_data: Option<bool>,
    pub period: Option<u32>,
}

impl Alarm {
    /// The metric statistics the alarm reads: one, or those under its math.
    pub fn metric_stats(&self) -> Vec<&MetricStat> {
        match &self.metric {
            AlarmMetric::Single { stat } => vec![stat],
            AlarmMetric::Math { queries } => queries.iter().filter_map(|q| q.metric_stat.as_ref()).collect(),
        }
    }

    /// The comparison as a symbol, for people.
    pub fn comparison_symbol(&self) -> &str {
        match self.comparison.as_str() {
            "GreaterThanOrEqualToThreshold" => ">=",
            "GreaterThanThreshold" => ">",
            "LessThanThreshold" => "<",
            "LessThanOrEqualToThreshold" => "<=",
            other => other,
        }
    }
}

pub fn parse(root: &Mapping) -> Result<Vec<Alarm>, TemplateError> {
    resources_of_type(root, "AWS::CloudWatch::Alarm")?
        .into_iter()
        .map(|(id, props)| alarm(id, props, &format!("Resources.{id}.Properties")))
        .collect()
}

fn alarm(id: &str, props: &Mapping, here: &str) -> Result<Alarm, TemplateError> {
    let metric = match get(props, "Metrics") {
        Some(Value::Sequence(queries)) => AlarmMetric::Math {
            queries: queries
                .iter()
                .enumerate()
                .map(|(i, q)| query(q, &format!("{here}.Metrics[{i}]")))
                .collect::<Result<_, _>>()?,
        },
        Some(_) => return Err(TemplateError::at(here, "Metrics is not a list")),
        None => AlarmMetric::Single { stat: metric_stat(props, here, "Statistic", "Period")? },
    };
    Ok(Alarm {
        logical_id: id.to_string(),
        alarm_name: get(props, "AlarmName").map(|v| expr(v, here, "AlarmName")).transpose()?,
        description: get(props, "AlarmDescription").and_then(scalar),
        metric,
        evaluation_periods: number(props, "EvaluationPeriods", here)?
            .ok_or_else(|| TemplateError::at(here, "EvaluationPeriods is missing"))?,
        datapoints_to_alarm: number(props, "DatapointsToAlarm", here)?,
        threshold: number(props, "Threshold", here)?.ok_or_else(|| TemplateError::at(here, "Threshold is missing"))?,
        comparison: text(props, "ComparisonOperator", here)?,
        treat_missing_data: get(props, "TreatMissingData").and_then(scalar),
    })
}

fn query(q: &Value, here: &str) -> Result<MetricQuery, TemplateError> {
    let q = q.as_mapping().ok_or_else(|| TemplateError::at(here, "expected a mapping"))?;
    let metric_stat = match get(q, "MetricStat") {
        None => None,
        Some(Value::Mapping(ms)) => {
            let at = format!("{here}.MetricStat");
            let metric = get(ms, "Metric")
                .and_then(Value::as_mapping)
                .ok_or_else(|| TemplateError::at(&at, "Metric is missing"))?;
            let mut stat = metric_stat(metric, &format!("{at}.Metric"), "", "")?;
            stat.stat = text(ms, "Stat", &at)?;
            stat.period = number(ms, "Period", &at)?.ok_or_else(|| TemplateError::at(&at, "Period is missing"))?;
            stat.unit = get(ms, "Unit").and_then(scalar);
            Some(stat)
        }
        Some(_) => return Err(TemplateError::at(here, "MetricStat is not a mapping")),
    };
    let return_data = get(q, "ReturnData").and_then(scalar).map(|s| s == "true");
    Ok(MetricQuery {
        id: text(q, "Id", here)?,
        label: get(q, "Label").and_then(scalar),
        expression: get(q, "Expression").and_then(scalar),
        metric_stat,
        return_data,
        period: number(q, "Period", here)?,
    })
}

/// Namespace, name and dimensions from `map`; statistic and period from the named keys when given
/// (an alarm's own fields), else left for the caller (a `MetricStat` holds them one level up).
fn metric_stat(map: &Mapping, here: &str, stat_key: &str, period_key: &str) -> Result<MetricStat, TemplateError> {
    let mut dimensions = Vec::new();
    if let Some(dims) = get(map, "Dimensions") {
        let dims = dims.as_sequence().ok_or_else(|| TemplateError::at(here, "Dimensions is not a list"))?;
        for d in dims {
            let d = d.as_mapping().ok_or_else(|| TemplateError::at(here, "a dimension is not a mapping"))?;
            let value = get(d, "Value").ok_or_else(|| TemplateError::at(here, "a dimension has no Value"))?;
            dimensions.push(Dimension { name: text(d, "Name", here)?, value: expr(value, here, "Dimensions")? });
        }
    }
    let (stat, period) = if stat_key.is_empty() {
        (String::new(), 0)
    } else {
        let stat = get(map, stat_key).or_else(|| get(map, "ExtendedStatistic")).and_then(scalar);
        let stat = stat.ok_or_else(|| TemplateError::at(here, "Statistic (or ExtendedStatistic) is missing"))?;
        let period = number(map, period_key, here)?.ok_or_else(|| TemplateError::at(here, "Period is missing"))?;
        (stat, period)
    };
    Ok(MetricStat {
        namespace: text(map, "Namespace", here)?,
        metric_name: text(map, "MetricName", here)?,
        dimensions,
        stat,
        period,
        unit: get(map, "Unit").and_then(scalar),
    })
}

fn text(map: &Mapping, key: &str, here: &str) -> Result<String, TemplateError> {
    get(map, key).and_then(scalar).ok_or_else(|| TemplateError::at(here, format!("{key} is missing or not literal")))
}

fn number<T: std::str::FromStr>(map: &Mapping, key: &str, here: &str) -> Result<Option<T>, TemplateError> {
    let Some(v) = get(map, key) else { return Ok(None) };
    let s = scalar(v).ok_or_else(|| TemplateError::at(here, format!("{key} must be a literal number")))?;
    s.parse().map(Some).map_err(|_| TemplateError::at(here, format!("{key} {s:?} is not a number")))
}

fn expr(v: &Value, here: &str, key: &str) -> Result<Expr, TemplateError> {
    Expr::from_yaml(v).map_err(|e| TemplateError::at(format!("{here}.{key}"), e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_math_alarms() {
        let root: Mapping = serde_yaml::from_str(
            r#"
Resources:
  A:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Kinesis
      MetricName: GetRecords.Success
      Dimensions: [{Name: StreamName, Value: !Ref S}]
      Statistic: Average
      Period: 60
      EvaluationPeriods: 1
      ComparisonOperator: LessThanOrEqualToThreshold
      Threshold: 0.98
      TreatMissingData: breaching
  B:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Metrics:
        - {Id: e1, Expression: m1 * 2, ReturnData: true}
        - Id: m1
          ReturnData: false
          MetricStat:
            Metric: {Namespace: N, MetricName: M}
            Period: 300
            Stat: Maximum
      EvaluationPeriods: 2
      DatapointsToAlarm: 1
      ComparisonOperator: GreaterThanThreshold
      Threshold: 60
  Other: {Type: AWS::SQS::Queue}
"#,
        )
        .unwrap();
        let alarms = parse(&root).unwrap();
        assert_eq!(alarms.len(), 2);
        assert_eq!(alarms[0].threshold, 0.98);
        assert_eq!(alarms[0].comparison_symbol(), "<=");
        let s = alarms[0].metric_stats()[0];
        assert_eq!((s.stat.as_str(), s.period), ("Average", 60));
        assert_eq!(s.dimensions[0].value, Expr::Ref("S".into()));
        assert_eq!(alarms[1].datapoints_to_alarm, Some(1));
        let m = alarms[1].metric_stats()[0];
        assert_eq!((m.namespace.as_str(), m.stat.as_str(), m.period), ("N", "Maximum", 300));
    }
}
