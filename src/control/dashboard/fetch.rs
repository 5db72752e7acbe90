//! The SDK side of a dashboard: ListDashboards, GetDashboard, DescribeAlarms (≤ 100 names a call),
//! GetMetricData (each planned call, paged by NextToken). The client is the caller's, so the same
//! code reads the local cloud, another endpoint and AWS.

use std::collections::HashMap;

use anyhow::Context as _;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::Region;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    AlarmType, CompositeAlarm, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, ScanBy,
};
use serde::Serialize;

use super::alarms::{AlarmBook, AlarmInfo, AlarmQuery, AlarmWatches, describe_batches};
use super::map::{DashboardView, MetricResult, map};
use super::metric::MetricSpec;
use super::model::Dashboard;
use super::period::PeriodRule;
use super::plan::{Plan, Query, QueryBody, TimeRange, call_region, plan};
use crate::target::Connection;

#[derive(Debug, Clone, Serialize)]
pub struct DashboardEntry {
    pub name: String,
    pub arn: Option<String>,
    pub size: Option<i64>,
    pub last_modified_secs: Option<i64>,
}

pub async fn list_dashboards(client: &Client) -> anyhow::Result<Vec<DashboardEntry>> {
    let mut out = Vec::new();
    let mut pages = client.list_dashboards().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.context("ListDashboards failed")?;
        out.extend(page.dashboard_entries().iter().map(|e| DashboardEntry {
            name: e.dashboard_name().unwrap_or_default().to_string(),
            arn: e.dashboard_arn().map(str::to_string),
            size: e.size(),
            last_modified_secs: e.last_modified().map(DateTime::secs),
        }));
    }
    Ok(out)
}

/// The dashboard's body as GetDashboard returns it, read into the model.
pub async fn get_dashboard(client: &Client, name: &str) -> anyhow::Result<Dashboard> {
    let out = client
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await
        .with_context(|| format!("GetDashboard {name} failed"))?;
    let body = out.dashboard_body().unwrap_or("{\"widgets\":[]}");
    Dashboard::parse(body).with_context(|| format!("dashboard {name}"))
}

/// DescribeAlarms for every alarm the ARNs name, 100 names a call.
pub async fn describe_alarms(client: &Client, arns: &[String]) -> anyhow::Result<AlarmBook> {
    let mut book = AlarmBook::new();
    for names in describe_batches(arns) {
        let out = client
            .describe_alarms()
            .set_alarm_names(Some(names.clone()))
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm)
            .max_records(100)
            .send()
            .await
            .with_context(|| format!("DescribeAlarms for {} failed", names.join(", ")))?;
        for a in out.metric_alarms().iter().filter_map(metric_alarm) {
            book.insert(a.name.clone(), a);
        }
        for a in out.composite_alarms().iter().filter_map(composite_alarm) {
            book.insert(a.name.clone(), a);
        }
    }
    Ok(book)
}

/// Sorted by name, as a [`MetricSpec`](super::metric::MetricSpec) keeps them.
fn dims(ds: &[Dimension]) -> Vec<(String, String)> {
    let mut dims: Vec<(String, String)> = ds
        .iter()
        .map(|d| (d.name().unwrap_or_default().to_string(), d.value().unwrap_or_default().to_string()))
        .collect();
    dims.sort();
    dims
}

fn metric_alarm(a: &MetricAlarm) -> Option<AlarmInfo> {
    let watches = if a.metrics().is_empty() {
        AlarmWatches::Metric(MetricSpec {
            namespace: a.namespace()?.to_string(),
            metric_name: a.metric_name()?.to_string(),
            dimensions: dims(a.dimensions()),
            stat: a
                .extended_statistic()
                .map(str::to_string)
                .or_else(|| a.statistic().map(|s| s.as_str().to_string()))?,
            period: i64::from(a.period()?),
        })
    } else {
        let queries = a
            .metrics()
            .iter()
            .map(|q| AlarmQuery {
                id: q.id().unwrap_or_default().to_string(),
                metric: q.metric_stat().and_then(|s| {
                    let m = s.metric()?;
                    Some(MetricSpec {
                        namespace: m.namespace()?.to_string(),
                        metric_name: m.metric_name()?.to_string(),
                        dimensions: dims(m.dimensions()),
                        stat: s.stat()?.to_string(),
                        period: i64::from(s.period()?),
                    })
                }),
                expression: q.expression().map(str::to_string),
                label: q.label().map(str::to_string),
                return_data: q.return_data().unwrap_or(true),
            })
            .collect();
        AlarmWatches::Math { queries }
    };
    Some(AlarmInfo {
        name: a.alarm_name()?.to_string(),
        arn: a.alarm_arn().unwrap_or_default().to_string(),
        state: a.state_value().map_or("INSUFFICIENT_DATA", |s| s.as_str()).to_string(),
        reason: a.state_reason().map(str::to_string),
        threshold: a.threshold(),
        comparison: a.comparison_operator().map(|c| c.as_str().to_string()),
        watches,
    })
}

fn composite_alarm(a: &CompositeAlarm) -> Option<AlarmInfo> {
    Some(AlarmInfo {
        name: a.alarm_name()?.to_string(),
        arn: a.alarm_arn().unwrap_or_default().to_string(),
        state: a.state_value().map_or("INSUFFICIENT_DATA", |s| s.as_str()).to_string(),
        reason: a.state_reason().map(str::to_string),
        threshold: None,
        comparison: None,
        watches: AlarmWatches::Alarms,
    })
}

fn sdk_query(q: &Query) -> MetricDataQuery {
    let b = MetricDataQuery::builder()
        .id(&q.id)
        .return_data(q.return_data)
        .set_label(q.label.clone())
        .set_account_id(q.account_id.clone());
    match &q.body {
        QueryBody::Metric(m) => {
            let metric = Metric::builder()
                .namespace(&m.namespace)
                .metric_name(&m.metric_name)
                .set_dimensions(Some(
                    m.dimensions.iter().map(|(n, v)| Dimension::builder().name(n).value(v).build()).collect(),
                ))
                .build();
            let period = i32::try_from(m.period).unwrap_or(i32::MAX);
            b.metric_stat(MetricStat::builder().metric(metric).period(period).stat(&m.stat).build()).build()
        }
        QueryBody::Expression { expression } => b.expression(expression).build(),
    }
}

/// Runs one planned call, following NextToken; pages of the same series are joined.
pub async fn run_call(client: &Client, range: TimeRange, queries: &[Query]) -> anyhow::Result<Vec<MetricResult>> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut merged: HashMap<(String, String), MetricResult> = HashMap::new();
    let mut pages = client
        .get_metric_data()
        .set_metric_data_queries(Some(queries.iter().map(sdk_query).collect()))
        .start_time(DateTime::from_millis(range.start_ms))
        .end_time(DateTime::from_millis(range.end_ms))
        .scan_by(ScanBy::TimestampAscending)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.with_context(|| format!("GetMetricData ({} queries) failed", queries.len()))?;
        for r in page.metric_data_results() {
            let key = (r.id().unwrap_or_default().to_string(), r.label().unwrap_or_default().to_string());
            let entry = merged.entry(key.clone()).or_insert_with(|| {
                order.push(key.clone());
                MetricResult {
                    id: key.0.clone(),
                    label: key.1.clone(),
                    timestamps_ms: Vec::new(),
                    values: Vec::new(),
                    status_code: String::new(),
                    messages: Vec::new(),
                }
            });
            entry.timestamps_ms.extend(r.timestamps().iter().map(|t| t.to_millis().unwrap_or_default()));
            entry.values.extend_from_slice(r.values());
            entry.status_code = r.status_code().map_or("Complete", |s| s.as_str()).to_string();
            entry.messages.extend(r.messages().iter().filter_map(|m| m.value().map(str::to_string)));
        }
    }
    Ok(order.into_iter().filter_map(|k| merged.remove(&k)).collect())
}

/// Every planned call, in turn; a call for another region than the client's goes through a client
/// for that region, with the same credentials and endpoint.
pub async fn run_plan(client: &Client, plan: &Plan) -> anyhow::Result<Vec<MetricResult>> {
    let home = client.config().region().map(|r| r.as_ref().to_string());
    let mut regional: HashMap<String, Client> = HashMap::new();
    let mut out = Vec::new();
    for call in &plan.calls {
        let client = match call_region(call) {
            Some(region) if Some(region) != home.as_deref() => {
                regional.entry(region.to_string()).or_insert_with(|| {
                    let conf = client.config().to_builder().region(Region::new(region.to_string())).build();
                    Client::from_conf(conf)
                })
            }
            _ => client,
        };
        let results = run_call(client, plan.range, call).await;
        out.extend(results.with_context(|| match call_region(call) {
            Some(region) => format!("fetching the metrics of region {region}"),
            None => "fetching the metrics".to_string(),
        })?);
    }
    Ok(out)
}

/// One refresh of a dashboard: its alarms, the plan, the metric data, mapped onto the widgets.
pub async fn refresh(
    client: &Client,
    dashboard: &Dashboard,
    range: TimeRange,
    rule: PeriodRule,
) -> anyhow::Result<(Plan, AlarmBook, DashboardView)> {
    let alarms = describe_alarms(client, &dashboard.alarm_arns()).await?;
    let plan = plan(dashboard, &alarms, range, rule);
    let results = run_plan(client, &plan).await?;
    let view = map(dashboard, &plan, &results, &alarms);
    Ok((plan, alarms, view))
}

/// Reads the dashboard `name` and refreshes it once.
pub async fn load(
    client: &Client,
    name: &str,
    range: TimeRange,
    rule: PeriodRule,
) -> anyhow::Result<(Dashboard, Plan, AlarmBook, DashboardView)> {
    let dashboard = get_dashboard(client, name).await?;
    let (plan, alarms, view) = refresh(client, &dashboard, range, rule).await?;
    Ok((dashboard, plan, alarms, view))
}

/// The `since` ending now by the target's clock (see [`Connection::now_ms`]): the local cloud's
/// clock may have been moved by tests or `--virtual-clock`.
pub async fn range_ending_now(conn: &Connection, since: std::time::Duration) -> TimeRange {
    TimeRange::last(i64::try_from(since.as_secs()).unwrap_or(i64::MAX), conn.now_ms().await)
}
