//! CloudWatch: metrics (PutMetricData, GetMetricData with metric math, GetMetricStatistics,
//! ListMetrics), dashboards and alarms. Served over Smithy RPC v2 CBOR (the Rust SDK), awsJson 1.0
//! (the aws CLI) and awsQuery (older SDKs: boto3 up to 1.35, Java v1, Go v1, JavaScript v2). All three
//! arrive as the same JSON document (awsQuery through `query_shapes.rs`), so one implementation of
//! each operation serves them all.

pub mod alarm_provider;
pub mod alarms;
pub mod dashboard_provider;
pub mod dashboards;
pub mod get_metric_data;
pub mod get_metric_statistics;
pub mod list_metrics;
pub mod math;
pub mod model;
pub mod put_metric_data;
pub mod query;
pub mod query_shapes;
pub mod settings;
pub mod stat;
pub mod storage;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde_json::Value;

use self::alarms::{describe, history, manage};
use self::dashboards::Dashboards;
use self::settings::CloudWatchSettings;
use self::storage::{FLUSH_EVERY, MetricStore};
use super::context::CloudContext;
use super::error::ApiError;
use super::metric_sink::MetricSink;
use super::protocol::query::respond;
use super::protocol::query_tree;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, Protocol, QueryInfo, Service};

pub use self::put_metric_data::NAMESPACE_PREFIX_RESERVED;
pub use self::query_shapes::is_timestamp_member;

pub struct CloudWatch {
    descriptor: Descriptor,
    pub alarms: alarms::Alarms,
    /// Every metric: what the operations, the alarms and the local services' publishing share.
    pub metrics: Arc<MetricStore>,
    pub dashboards: Dashboards,
    settings: CloudWatchSettings,
    /// The store's maintenance task, awaited at stop so its last flush is on disk before the host
    /// says it has stopped (a restart in the same process then reads everything).
    maintenance: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl CloudWatch {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let clock: Weak<CloudContext> = Arc::downgrade(ctx);
        let now = Arc::new(move || clock.upgrade().map_or_else(super::clock::wall_ms, |c| c.clock.now_ms()));
        let settings = ctx.config.cloudwatch.clone();
        let metrics = MetricStore::open(&ctx.config.data_dir, now)?;
        for (resource, reason) in metrics.take_damage() {
            ctx.damage.report("cloudwatch", resource, reason);
        }
        ctx.metric_publisher.install(metrics.clone() as Arc<dyn MetricSink>);
        let alarms = alarms::Alarms::new(ctx, metrics.clone(), settings.max_alarms);
        Ok(CloudWatch {
            metrics,
            dashboards: Dashboards::open(&ctx.config.data_dir, &ctx.damage, settings.max_dashboards),
            settings,
            maintenance: Mutex::default(),
            descriptor: Descriptor {
                id: "cloudwatch",
                signing_name: "monitoring",
                json_target: Some("GraniteServiceVersion20100801"),
                cbor_service: Some("GraniteServiceVersion20100801"),
                query: Some(QueryInfo {
                    version: "2010-08-01",
                    xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/",
                }),
                rest: false,
                query_compatible: true,
                // PutMetricData accepts up to 1 MB; dashboards up to 1 MB bodies.
                max_body: 2 * 1024 * 1024,
                is_timestamp_member,
                open_path: None,
            },
            alarms,
        })
    }
}

impl Service for CloudWatch {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let now = ctx.clock.now_ms();
            match (call.protocol, call.input) {
                (Protocol::AwsQuery, Input::Query(form)) => {
                    let input = Input::Json(query_tree::to_json(&form, &query_shapes::SHAPES)?);
                    let output = self.dispatch(&call.operation, input, now)?;
                    let inner = query_tree::to_xml(&output, &query_shapes::SHAPES);
                    let result = query_shapes::has_output(&call.operation).then_some(inner.as_str());
                    // Rendered whole here: `Output::Xml` cannot say "an empty result element", which
                    // DeleteDashboards, TagResource and UntagResource answer.
                    let response = respond(&self.descriptor, &call.operation, result, &call.request_id);
                    Ok(Output::Rest(response))
                }
                (_, input) => self.dispatch(&call.operation, input, now).map(Output::Json),
            }
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.metrics.clear()?;
            self.dashboards.clear()?;
            self.alarms.clear()?;
            Ok(())
        })
    }

    /// Seals closed minutes every second and writes the store out every [`FLUSH_EVERY`] and at shutdown.
    fn start(self: Arc<Self>, ctx: Arc<CloudContext>) {
        let store = self.metrics.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let flush_every = FLUSH_EVERY.as_secs().max(1);
            let mut n: u64 = 0;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = ctx.shutdown_requested() => break,
                }
                n += 1;
                let store = store.clone();
                let _ = tokio::task::spawn_blocking(move || store.maintain(n.is_multiple_of(flush_every))).await;
            }
            let _ = tokio::task::spawn_blocking(move || store.close()).await;
        });
        *self.maintenance.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    fn stop(&self) -> BoxFuture<'_, ()> {
        let task = self.maintenance.lock().unwrap_or_else(|p| p.into_inner()).take();
        Box::pin(async move {
            if let Some(task) = task {
                let _ = task.await;
            }
        })
    }
}

impl CloudWatch {
    /// Every CloudWatch operation, one line each. Alarm operations first evaluate every alarm due
    /// by `now` (`alarms.at(now)`), so they answer as AWS would at that instant.
    fn dispatch(&self, operation: &str, input: Input, now: i64) -> Result<Value, ApiError> {
        let max_series = self.settings.max_series;
        let alarms = &self.alarms;
        match operation {
            "PutMetricData" => put_metric_data::put_metric_data(&self.metrics, input.parse()?, max_series),
            "GetMetricData" => get_metric_data::get_metric_data(&self.metrics, input.parse()?),
            "GetMetricStatistics" => get_metric_statistics::get_metric_statistics(&self.metrics, input.parse()?),
            "ListMetrics" => list_metrics::list_metrics(&self.metrics, input.parse()?),
            "PutDashboard" => self.dashboards.put(input.parse()?, now),
            "GetDashboard" => self.dashboards.get(input.parse()?),
            "ListDashboards" => self.dashboards.list(input.parse()?),
            "DeleteDashboards" => self.dashboards.delete(input.parse()?),
            "PutMetricAlarm" => alarms.at(now).put_metric_alarm(input.parse()?, now),
            "DescribeAlarms" => describe::describe_alarms(&alarms.at(now).book(), input.parse()?),
            "DescribeAlarmsForMetric" => describe::describe_alarms_for_metric(&alarms.at(now).book(), input.parse()?),
            "DescribeAlarmHistory" => history::describe_alarm_history(&alarms.at(now).book(), input.parse()?),
            "SetAlarmState" => alarms.at(now).set_alarm_state(input.parse()?, now),
            "DeleteAlarms" => alarms.at(now).mutate(|book| manage::delete_alarms(book, input.parse()?, now)),
            "EnableAlarmActions" => {
                alarms.at(now).mutate(|book| manage::set_actions_enabled(book, input.parse()?, true))
            }
            "DisableAlarmActions" => {
                alarms.at(now).mutate(|book| manage::set_actions_enabled(book, input.parse()?, false))
            }
            "TagResource" | "UntagResource" | "ListTagsForResource" => {
                let input: manage::TagsInput = input.parse()?;
                match input.resource_arn.as_deref().filter(|arn| arn.contains(":dashboard/")) {
                    Some(arn) => match operation {
                        "TagResource" => self.dashboards.tag(arn, input.tags),
                        "UntagResource" => self.dashboards.untag(arn, &input.tag_keys),
                        _ => self.dashboards.list_tags(arn),
                    },
                    None => match operation {
                        "TagResource" => alarms.at(now).mutate(|book| manage::tag_resource(book, input)),
                        "UntagResource" => alarms.at(now).mutate(|book| manage::untag_resource(book, input)),
                        _ => manage::list_tags(&alarms.at(now).book(), input),
                    },
                }
            }
            other => Err(ApiError::unknown_operation(other)),
        }
    }
}
