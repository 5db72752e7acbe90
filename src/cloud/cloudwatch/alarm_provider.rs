//! `AWS::CloudWatch::Alarm`: a metric or metric-math alarm put through CloudWatch's own PutMetricAlarm,
//! so the alarm's validation and evaluation are the service's. The template's properties are
//! PutMetricAlarm's members by the same names; values a parameter handed over as strings are read as the
//! numbers and booleans the API takes. A new AlarmName replaces the alarm; anything else updates it in
//! place (PutMetricAlarm again, then the tags, which PutMetricAlarm ignores on an existing alarm).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::CloudWatch;
use crate::cloud::context::CloudContext;
use crate::cloud::resource_provider::{
    Properties, ProviderError, Provisioned, ResourceProvider, ResourceRequest, ServiceApi, check_known,
};
use crate::cloud::service::{BoxFuture, Protocol};

const TYPE: &str = "AWS::CloudWatch::Alarm";
const KNOWN: &[&str] = &[
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
    "Tags",
];
const NAME_MAX: usize = 255;
const INTEGERS: &[&str] = &["Period", "EvaluationPeriods", "DatapointsToAlarm"];

/// CloudWatch seen through its own API (awsJson 1.0), in process: what the CloudWatch providers call.
pub fn cloudwatch_api(ctx: &Arc<CloudContext>, cloudwatch: &Arc<CloudWatch>) -> ServiceApi {
    ServiceApi::new(ctx, cloudwatch.clone(), Protocol::AwsJson1_0)
}

/// A string a parameter produced, read as the JSON type the API member has; anything else left as it is
/// for the service's own validation to judge.
fn coerce(value: &mut Value, kind: fn(&str) -> Option<Value>) {
    if let Some(v) = value.as_str().and_then(|s| kind(s.trim())) {
        *value = v;
    }
}

fn integer(s: &str) -> Option<Value> {
    s.parse::<i64>().ok().map(Value::from)
}

fn number(s: &str) -> Option<Value> {
    s.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from)
}

fn boolean(s: &str) -> Option<Value> {
    match s {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        _ => None,
    }
}

/// PutMetricAlarm's input for the template's properties under `name`, without tags.
fn put_input(props: &Properties, name: &str) -> Value {
    let mut input: Map<String, Value> = props.clone();
    input.remove("Tags");
    input.insert("AlarmName".into(), json!(name));
    for k in INTEGERS {
        input.get_mut(*k).into_iter().for_each(|v| coerce(v, integer));
    }
    input.get_mut("Threshold").into_iter().for_each(|v| coerce(v, number));
    input.get_mut("ActionsEnabled").into_iter().for_each(|v| coerce(v, boolean));
    for query in input.get_mut("Metrics").and_then(Value::as_array_mut).into_iter().flatten() {
        query.get_mut("Period").into_iter().for_each(|v| coerce(v, integer));
        query.get_mut("ReturnData").into_iter().for_each(|v| coerce(v, boolean));
        query.pointer_mut("/MetricStat/Period").into_iter().for_each(|v| coerce(v, integer));
    }
    Value::Object(input)
}

/// The stack's tags and the template's (the template's win), as CloudWatch's `[{Key, Value}]`.
pub(super) fn tags(request: &ResourceRequest) -> Result<BTreeMap<String, String>, ProviderError> {
    let mut all: BTreeMap<String, String> = request.tags.iter().cloned().collect();
    let Some(own) = request.properties.get("Tags") else { return Ok(all) };
    let list = own.as_array().ok_or_else(|| ProviderError::invalid_property("Tags", "expected type: JSONArray"))?;
    for t in list {
        let (Some(k), Some(v)) = (t.get("Key").and_then(Value::as_str), t.get("Value").and_then(Value::as_str)) else {
            return Err(ProviderError::invalid_property("Tags", "each tag needs a string Key and Value"));
        };
        all.insert(k.to_string(), v.to_string());
    }
    Ok(all)
}

pub(super) fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    tags.iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect()
}

pub struct AlarmProvider {
    api: ServiceApi,
}

impl AlarmProvider {
    pub fn new(ctx: &Arc<CloudContext>, cloudwatch: &Arc<CloudWatch>) -> Self {
        AlarmProvider { api: cloudwatch_api(ctx, cloudwatch) }
    }

    async fn arn(&self, region: &str, name: &str) -> Result<String, ProviderError> {
        let d = self.api.call(region, "DescribeAlarms", json!({ "AlarmNames": [name] })).await?;
        d["MetricAlarms"][0]["AlarmArn"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ProviderError::new(format!("Alarm {name} was not found after it was put")))
    }

    async fn put(
        &self,
        request: &ResourceRequest,
        name: &str,
        tag_existing: bool,
    ) -> Result<Provisioned, ProviderError> {
        check_known(&request.properties, KNOWN)?;
        let region = &request.region;
        let wanted = tags(request)?;
        let mut input = put_input(&request.properties, name);
        if !tag_existing {
            input["Tags"] = tag_list(&wanted);
        }
        self.api.call(region, "PutMetricAlarm", input).await?;
        let arn = self.arn(region, name).await?;
        if tag_existing {
            sync_tags(&self.api, region, &arn, &wanted).await?;
        }
        Ok(Provisioned::new(name).attribute("Arn", arn))
    }
}

/// Makes a resource's tags exactly `wanted`, through CloudWatch's tagging operations.
pub(super) async fn sync_tags(
    api: &ServiceApi,
    region: &str,
    arn: &str,
    wanted: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let listed = api.call(region, "ListTagsForResource", json!({ "ResourceARN": arn })).await?;
    let current: BTreeMap<String, String> = listed["Tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t["Key"].as_str()?.to_string(), t["Value"].as_str().unwrap_or_default().to_string())))
        .collect();
    let stale: Vec<&String> = current.keys().filter(|k| !wanted.contains_key(*k)).collect();
    if !stale.is_empty() {
        api.call(region, "UntagResource", json!({ "ResourceARN": arn, "TagKeys": stale })).await?;
    }
    let changed: BTreeMap<String, String> =
        wanted.iter().filter(|(k, v)| current.get(*k) != Some(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
    if !changed.is_empty() {
        api.call(region, "TagResource", json!({ "ResourceARN": arn, "Tags": tag_list(&changed) })).await?;
    }
    Ok(())
}

impl ResourceProvider for AlarmProvider {
    fn type_name(&self) -> &'static str {
        TYPE
    }

    fn attribute_names(&self) -> &'static [&'static str] {
        &["Arn"]
    }

    fn needs_replacement(&self, old: &Properties, new: &Properties) -> bool {
        old.get("AlarmName") != new.get("AlarmName")
    }

    fn create(&self, request: ResourceRequest) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move {
            let name = match request.properties.get("AlarmName").and_then(Value::as_str) {
                Some(n) => n.to_string(),
                None => request.generated_name(NAME_MAX),
            };
            self.put(&request, &name, false).await
        })
    }

    fn update(
        &self,
        physical_id: String,
        _old: Properties,
        request: ResourceRequest,
    ) -> BoxFuture<'_, Result<Provisioned, ProviderError>> {
        Box::pin(async move { self.put(&request, &physical_id, true).await })
    }

    fn delete(&self, physical_id: String, request: ResourceRequest) -> BoxFuture<'_, Result<(), ProviderError>> {
        Box::pin(async move {
            match self.api.call(&request.region, "DeleteAlarms", json!({ "AlarmNames": [physical_id] })).await {
                Ok(_) => Ok(()),
                Err(e) if e.code == "ResourceNotFound" => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_strings_become_the_numbers_and_booleans_put_metric_alarm_takes() {
        let props: Properties = serde_json::from_value(json!({
            "Period": "60", "EvaluationPeriods": "3", "Threshold": "0.5", "ActionsEnabled": "false",
            "Metrics": [{ "Id": "m1", "ReturnData": "true", "MetricStat": { "Period": "60", "Stat": "Sum" } }],
            "Tags": [{ "Key": "a", "Value": "b" }],
            "Unit": "Count",
        }))
        .expect("properties");
        let input = put_input(&props, "n");
        assert_eq!(input["AlarmName"], "n");
        assert_eq!(input["Period"], 60);
        assert_eq!(input["EvaluationPeriods"], 3);
        assert_eq!(input["Threshold"], 0.5);
        assert_eq!(input["ActionsEnabled"], false);
        assert_eq!(input["Metrics"][0]["ReturnData"], true);
        assert_eq!(input["Metrics"][0]["MetricStat"]["Period"], 60);
        assert_eq!(input["Unit"], "Count", "strings the API takes as strings stay");
        assert!(input.get("Tags").is_none(), "tags go their own way");
    }

    #[test]
    fn a_value_that_is_not_a_number_is_left_for_the_service_to_refuse() {
        let props: Properties = serde_json::from_value(json!({ "Period": "a minute" })).expect("properties");
        assert_eq!(put_input(&props, "n")["Period"], "a minute");
    }
}
