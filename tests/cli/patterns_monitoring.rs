//! The monitoring parts of each template against the local CloudWatch, before any CloudFormation
//! engine: the dashboard body (names substituted) is accepted by PutDashboard without validation
//! messages, and each alarm's properties are accepted by PutMetricAlarm.

use crate::support;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, StandardUnit, Statistic,
};
use kinesis_console::patterns::alarms::{self, Alarm, AlarmMetric};
use kinesis_console::patterns::intrinsic::Values;
use kinesis_console::patterns::{Pattern, catalogue};
use support::TestCloud;

const STACK: &str = "demo";

/// What a deployment called `demo` would give the names the templates refer to.
fn values(p: &Pattern, region: &str) -> Values {
    let mut v: Values = BTreeMap::new();
    v.insert("AWS::Region".into(), region.into());
    v.insert("AWS::StackName".into(), STACK.into());
    v.insert("AWS::AccountId".into(), "000000000000".into());
    v.insert("AWS::Partition".into(), "aws".into());
    v.insert("AWS::URLSuffix".into(), "amazonaws.com".into());
    for r in &p.template.resources {
        v.insert(r.logical_id.clone(), format!("{STACK}-{}", r.logical_id));
        v.insert(format!("{}.QueueName", r.logical_id), format!("{STACK}-{}", r.logical_id));
    }
    for a in &p.template.alarms {
        let name = a.alarm_name.as_ref().map(|n| n.resolve(&v).expect("alarm name resolves"));
        let name = name.unwrap_or_else(|| format!("{STACK}-{}", a.logical_id));
        v.insert(format!("{}.Arn", a.logical_id), format!("arn:aws:cloudwatch:{region}:000000000000:alarm:{name}"));
    }
    v
}

fn dimensions(dims: &[alarms::Dimension], v: &Values) -> Vec<Dimension> {
    dims.iter()
        .map(|d| Dimension::builder().name(&d.name).value(d.value.resolve(v).expect("dimension resolves")).build())
        .collect()
}

fn metric(m: &alarms::MetricStat, v: &Values) -> Metric {
    Metric::builder()
        .namespace(&m.namespace)
        .metric_name(&m.metric_name)
        .set_dimensions(Some(dimensions(&m.dimensions, v)))
        .build()
}

async fn put_alarm(cw: &Client, a: &Alarm, v: &Values) -> String {
    let name = a.alarm_name.as_ref().expect("every alarm is named").resolve(v).expect("alarm name resolves");
    let mut req = cw
        .put_metric_alarm()
        .alarm_name(&name)
        .set_alarm_description(a.description.clone())
        .evaluation_periods(a.evaluation_periods as i32)
        .set_datapoints_to_alarm(a.datapoints_to_alarm.map(|d| d as i32))
        .threshold(a.threshold)
        .comparison_operator(ComparisonOperator::from(a.comparison.as_str()))
        .set_treat_missing_data(a.treat_missing_data.clone());
    match &a.metric {
        AlarmMetric::Single { stat } => {
            let m = metric(stat, v);
            req = req
                .namespace(&stat.namespace)
                .metric_name(&stat.metric_name)
                .set_dimensions(m.dimensions)
                .period(stat.period as i32)
                .set_unit(stat.unit.as_deref().map(StandardUnit::from));
            req = if Statistic::values().contains(&stat.stat.as_str()) {
                req.statistic(Statistic::from(stat.stat.as_str()))
            } else {
                req.extended_statistic(&stat.stat)
            };
        }
        AlarmMetric::Math { queries } => {
            for q in queries {
                let stat = q.metric_stat.as_ref().map(|s| {
                    MetricStat::builder()
                        .metric(metric(s, v))
                        .period(s.period as i32)
                        .stat(&s.stat)
                        .set_unit(s.unit.as_deref().map(StandardUnit::from))
                        .build()
                });
                let query = MetricDataQuery::builder()
                    .id(&q.id)
                    .set_label(q.label.clone())
                    .set_expression(q.expression.clone())
                    .set_metric_stat(stat)
                    .set_return_data(q.return_data)
                    .set_period(q.period.map(|p| p as i32))
                    .build();
                req = req.metrics(query);
            }
        }
    }
    req.send().await.unwrap_or_else(|e| panic!("PutMetricAlarm {name} ({}): {e:?}", a.logical_id));
    name
}

#[tokio::test]
async fn each_dashboard_is_accepted_without_validation_messages() {
    let cloud = TestCloud::start().await;
    let cw = Client::new(&cloud.sdk_config().await);
    for p in catalogue().unwrap().patterns() {
        let v = values(p, "us-east-1");
        let d = p.template.dashboard.as_ref().expect("every pattern has a dashboard");
        let name = d.name.as_ref().expect("the dashboard is named").resolve(&v).unwrap();
        let body = d.render(&v).unwrap();
        let out = cw
            .put_dashboard()
            .dashboard_name(&name)
            .dashboard_body(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: PutDashboard: {e:?}", p.id));
        assert!(out.dashboard_validation_messages().is_empty(), "{}: {:?}", p.id, out.dashboard_validation_messages());
        let got = cw.get_dashboard().dashboard_name(&name).send().await.unwrap();
        assert_eq!(got.dashboard_body(), Some(body.as_str()));
    }
}

#[tokio::test]
async fn each_alarm_is_accepted_by_put_metric_alarm() {
    let cloud = TestCloud::start().await;
    let cw = Client::new(&cloud.sdk_config().await);
    for p in catalogue().unwrap().patterns() {
        // A separate stack name per pattern: the KDS alarms of patterns 1 and 3 share names.
        let mut v = values(p, "us-east-1");
        v.insert("AWS::StackName".into(), format!("{STACK}-{}", p.number));
        let mut names = Vec::new();
        for a in &p.template.alarms {
            names.push(put_alarm(&cw, a, &v).await);
        }
        let described = cw.describe_alarms().set_alarm_names(Some(names.clone())).send().await.unwrap();
        let found = described.metric_alarms().len();
        assert_eq!(found, p.template.alarms.len(), "{}: every alarm is stored", p.id);
        for (a, name) in p.template.alarms.iter().zip(&names) {
            let stored = described.metric_alarms().iter().find(|m| m.alarm_name() == Some(name)).unwrap();
            assert_eq!(stored.threshold(), Some(a.threshold), "{name}");
            assert_eq!(stored.comparison_operator().map(|c| c.as_str()), Some(a.comparison.as_str()), "{name}");
            assert_eq!(stored.evaluation_periods(), Some(a.evaluation_periods as i32), "{name}");
            assert_eq!(stored.treat_missing_data(), a.treat_missing_data.as_deref(), "{name}");
        }
    }
}
