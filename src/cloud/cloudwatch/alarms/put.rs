//! PutMetricAlarm: the request, AWS's validation, and the alarm it makes (metric or metric math).

use serde::Deserialize;

use super::model::{Comparison, MetricAlarm, MissingData, StateValue, Tag, seconds};
use crate::cloud::cloudwatch::math::parse::MAX_EXPRESSION_CHARS;
use crate::cloud::cloudwatch::model::{Dimension, MetricDataQuery, STATISTICS};
use crate::cloud::cloudwatch::storage::units::UNITS;
use crate::cloud::error::ApiError;

const ANOMALY_OPERATORS: [&str; 3] =
    ["LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"];

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutMetricAlarmInput {
    pub alarm_name: Option<String>,
    pub alarm_description: Option<String>,
    pub actions_enabled: Option<bool>,
    #[serde(rename = "OKActions", default)]
    pub ok_actions: Vec<String>,
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    #[serde(default)]
    pub insufficient_data_actions: Vec<String>,
    pub metric_name: Option<String>,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub dimensions: Option<Vec<Dimension>>,
    pub period: Option<i64>,
    pub unit: Option<String>,
    pub evaluation_periods: Option<i64>,
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: Option<f64>,
    pub comparison_operator: Option<String>,
    pub treat_missing_data: Option<String>,
    pub evaluate_low_sample_count_percentile: Option<String>,
    pub metrics: Option<Vec<MetricDataQuery>>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub threshold_metric_id: Option<String>,
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ValidationError", message)
}

fn combination(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterCombination", message)
}

fn required<T>(value: Option<T>, member: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn length(value: &str, member: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = value.chars().count();
    if n < min || n > max {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: \
             Member must have length between {min} and {max}"
        )));
    }
    Ok(())
}

/// `pNN` or `pNN.NN` between 0 and 100: the extended statistics the local store can answer.
pub fn is_percentile(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('p') else {
        return false;
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let shaped = !whole.is_empty()
        && whole.len() <= 3
        && frac.len() <= 2
        && (!digits.contains('.') || !frac.is_empty())
        && whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit());
    shaped && digits.parse::<f64>().is_ok_and(|p| (0.0..=100.0).contains(&p))
}

/// Alarm periods: 10 and 30 (high resolution) or a multiple of 60 seconds.
pub fn valid_alarm_period(p: i64) -> bool {
    p == 10 || p == 30 || (p >= 60 && p % 60 == 0)
}

impl PutMetricAlarmInput {
    /// Validates the request and builds the alarm, INSUFFICIENT_DATA until first evaluated.
    pub fn into_alarm(self, arn_prefix: &str, now_ms: i64) -> Result<MetricAlarm, ApiError> {
        let name = required(self.alarm_name.clone(), "alarmName")?;
        length(&name, "alarmName", 1, 255)?;
        if let Some(d) = &self.alarm_description {
            length(d, "alarmDescription", 0, 1024)?;
        }
        let operator = required(self.comparison_operator.clone(), "comparisonOperator")?;
        self.check_operator(&operator)?;
        let evaluation_periods = required(self.evaluation_periods, "evaluationPeriods")?;
        if evaluation_periods < 1 {
            return Err(validation(format!(
                "1 validation error detected: Value '{evaluation_periods}' at 'evaluationPeriods' failed to satisfy \
                 constraint: Member must have value greater than or equal to 1"
            )));
        }
        if let Some(m) = self.datapoints_to_alarm {
            if m < 1 {
                return Err(validation(format!(
                    "1 validation error detected: Value '{m}' at 'datapointsToAlarm' failed to satisfy constraint: \
                     Member must have value greater than or equal to 1"
                )));
            }
            if m > evaluation_periods {
                return Err(validation("DatapointsToAlarm must be less than or equal to EvaluationPeriods"));
            }
        }
        let threshold = required(self.threshold, "threshold")?;
        if !threshold.is_finite() {
            return Err(validation("The parameter Threshold must be a finite number."));
        }
        if let Some(t) = &self.treat_missing_data
            && MissingData::parse(t).is_none()
        {
            return Err(validation(format!(
                "Option {t} is not supported. Supported options for parameter TreatMissingData are missing, \
                 ignore, breaching and notBreaching."
            )));
        }
        self.check_actions()?;
        self.check_tags()?;
        let period = match &self.metrics {
            Some(metrics) => self.check_math(metrics)?,
            None => self.check_metric()?,
        };
        let limit = if period >= 3600 { 7 * 86_400 } else { 86_400 };
        if period.saturating_mul(evaluation_periods) > limit {
            let span = if limit == 86_400 { "a day" } else { "7 days" };
            return Err(validation(format!(
                "Metrics cannot be checked across more than {span} (EvaluationPeriods * Period must be <= {limit})"
            )));
        }
        let is_metric_alarm = self.metrics.is_none();
        Ok(MetricAlarm {
            alarm_arn: format!("{arn_prefix}{name}"),
            alarm_name: name,
            alarm_description: self.alarm_description,
            alarm_configuration_updated_timestamp: seconds(now_ms),
            actions_enabled: self.actions_enabled.unwrap_or(true),
            ok_actions: self.ok_actions,
            alarm_actions: self.alarm_actions,
            insufficient_data_actions: self.insufficient_data_actions,
            state_value: StateValue::InsufficientData,
            state_reason: "Unchecked: Initial alarm creation".to_string(),
            state_reason_data: None,
            state_updated_timestamp: seconds(now_ms),
            state_transitioned_timestamp: seconds(now_ms),
            metric_name: self.metric_name,
            namespace: self.namespace,
            statistic: self.statistic,
            extended_statistic: self.extended_statistic,
            dimensions: self.dimensions.unwrap_or_default(),
            period: is_metric_alarm.then_some(period),
            unit: self.unit,
            evaluation_periods,
            datapoints_to_alarm: self.datapoints_to_alarm,
            threshold,
            comparison_operator: operator,
            treat_missing_data: self.treat_missing_data,
            evaluate_low_sample_count_percentile: self.evaluate_low_sample_count_percentile,
            metrics: self.metrics,
            tags: self.tags,
        })
    }

    fn check_operator(&self, operator: &str) -> Result<(), ApiError> {
        if ANOMALY_OPERATORS.contains(&operator) || self.threshold_metric_id.is_some() {
            return Err(validation(format!(
                "ComparisonOperator {operator} with ThresholdMetricId makes an anomaly detection alarm; \
                 anomaly detection is not supported by the local CloudWatch. Use a static threshold."
            )));
        }
        if Comparison::parse(operator).is_none() {
            return Err(validation(format!(
                "1 validation error detected: Value '{operator}' at 'comparisonOperator' failed to satisfy \
                 constraint: Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, \
                 GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, \
                 LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold]"
            )));
        }
        Ok(())
    }

    fn check_actions(&self) -> Result<(), ApiError> {
        let lists = [
            ("OKActions", &self.ok_actions),
            ("AlarmActions", &self.alarm_actions),
            ("InsufficientDataActions", &self.insufficient_data_actions),
        ];
        for (member, actions) in lists {
            if actions.len() > 5 {
                return Err(validation(format!("The collection {member} must not have more than 5 members.")));
            }
            if let Some(bad) = actions.iter().find(|a| !a.starts_with("arn:") || a.len() > 1024) {
                return Err(validation(format!("Invalid arn syntax: {bad}")));
            }
        }
        Ok(())
    }

    fn check_tags(&self) -> Result<(), ApiError> {
        check_tags(&self.tags)
    }

    /// A single-metric alarm: its statistic, period and unit. Returns the period.
    fn check_metric(&self) -> Result<i64, ApiError> {
        let (Some(name), Some(namespace)) = (&self.metric_name, &self.namespace) else {
            return Err(validation(
                "Exactly one of MetricName (with Namespace) or Metrics must be specified for a metric alarm.",
            ));
        };
        length(name, "metricName", 1, 255)?;
        length(namespace, "namespace", 1, 255)?;
        match (&self.statistic, &self.extended_statistic) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(combination("Exactly one of Statistic and ExtendedStatistic must be specified."));
            }
            (Some(s), None) if !STATISTICS.contains(&s.as_str()) => {
                return Err(validation(format!(
                    "1 validation error detected: Value '{s}' at 'statistic' failed to satisfy constraint: Member \
                     must satisfy enum value set: [Maximum, SampleCount, Sum, Minimum, Average]"
                )));
            }
            (None, Some(e)) if !is_percentile(e) => {
                return Err(validation(format!(
                    "The value {e} for parameter ExtendedStatistic is not supported: use a percentile such as p99 \
                     or p99.9."
                )));
            }
            _ => {}
        }
        if let Some(option) = &self.evaluate_low_sample_count_percentile {
            if option != "evaluate" && option != "ignore" {
                return Err(validation(format!(
                    "Option {option} is not supported. Supported options for parameter \
                     EvaluateLowSampleCountPercentile are evaluate and ignore."
                )));
            }
            if self.extended_statistic.is_none() {
                return Err(validation(
                    "Option EvaluateLowSampleCountPercentile can only be used with a percentile ExtendedStatistic.",
                ));
            }
        }
        let dimensions = self.dimensions.as_deref().unwrap_or_default();
        if dimensions.len() > 30 {
            return Err(validation("The collection Dimensions must not have more than 30 members."));
        }
        for d in dimensions {
            length(&d.name, "dimensions.member.name", 1, 255)?;
            length(&d.value, "dimensions.member.value", 1, 1024)?;
        }
        if let Some(unit) = &self.unit
            && !UNITS.contains(&unit.as_str())
        {
            return Err(validation(format!(
                "1 validation error detected: Value '{unit}' at 'unit' failed to satisfy constraint: Member must \
                 satisfy enum value set: [{}]",
                UNITS.join(", ")
            )));
        }
        let period = required(self.period, "period")?;
        if !valid_alarm_period(period) {
            return Err(validation("The parameter Period must be 10, 30 or a multiple of 60."));
        }
        Ok(period)
    }

    /// A metric-math alarm: one query returns data; the single-metric members are absent. Returns
    /// the period of the returned series.
    fn check_math(&self, metrics: &[MetricDataQuery]) -> Result<i64, ApiError> {
        let single = [
            self.metric_name.is_some(),
            self.namespace.is_some(),
            self.statistic.is_some(),
            self.extended_statistic.is_some(),
            self.dimensions.as_ref().is_some_and(|d| !d.is_empty()),
            self.period.is_some(),
            self.unit.is_some(),
        ];
        if single.iter().any(|b| *b) {
            return Err(combination(
                "Parameters MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period and Unit \
                 cannot be used together with Metrics.",
            ));
        }
        if metrics.is_empty() || metrics.len() > 10 {
            return Err(validation("The collection Metrics must have between 1 and 10 members."));
        }
        if metrics.iter().filter(|q| q.return_data.unwrap_or(true)).count() != 1 {
            return Err(validation("Exactly one element of the metrics list should return data."));
        }
        for (i, q) in metrics.iter().enumerate() {
            // The value is not echoed: it may be megabytes long.
            if q.expression.as_ref().is_some_and(|e| e.chars().count() > MAX_EXPRESSION_CHARS) {
                return Err(validation(format!(
                    "1 validation error detected: Value at 'metrics.{}.member.expression' failed to satisfy \
                     constraint: Member must have length less than or equal to {MAX_EXPRESSION_CHARS}",
                    i + 1
                )));
            }
            let period = q.period.or_else(|| q.metric_stat.as_ref().map(|m| m.period));
            if let Some(p) = period.filter(|p| !valid_alarm_period(*p)) {
                return Err(validation(format!(
                    "The parameter Metrics.member.{}.Period ({p}) must be 10, 30 or a multiple of 60.",
                    i + 1
                )));
            }
        }
        let returned = metrics.iter().find(|q| q.return_data.unwrap_or(true));
        let period = returned
            .and_then(|q| q.period.or_else(|| q.metric_stat.as_ref().map(|m| m.period)))
            .or_else(|| metrics.iter().filter_map(|q| q.metric_stat.as_ref().map(|m| m.period)).min());
        period.ok_or_else(|| validation("The expression of a metric math alarm needs a Period when it uses no metric."))
    }
}

pub fn check_tags(tags: &[Tag]) -> Result<(), ApiError> {
    if tags.len() > 50 {
        return Err(validation("The collection Tags must not have more than 50 members."));
    }
    for t in tags {
        length(&t.key, "tags.member.key", 1, 128)?;
        length(&t.value, "tags.member.value", 0, 256)?;
    }
    Ok(())
}
