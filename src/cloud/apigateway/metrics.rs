//! The `AWS/ApiGateway` metrics of each data-plane request: Count, 4XXError, 5XXError, Latency and
//! IntegrationLatency, by `ApiName` and by `ApiName` and `Stage`, as API Gateway publishes them.

use crate::cloud::context::CloudContext;
use crate::cloud::metric_sink::{Datum, Sample};

pub struct Observed<'a> {
    pub api_name: &'a str,
    pub stage: &'a str,
    pub status: u16,
    pub latency_ms: f64,
    /// `None` when the request never reached its integration.
    pub integration_ms: Option<f64>,
}

pub fn publish(ctx: &CloudContext, o: &Observed<'_>) {
    let now = ctx.clock.now_ms();
    let dims = [
        vec![("ApiName".to_string(), o.api_name.to_string())],
        vec![("ApiName".to_string(), o.api_name.to_string()), ("Stage".to_string(), o.stage.to_string())],
    ];
    let mut datums = Vec::with_capacity(10);
    for d in dims {
        let datum = |name: &str, unit: &str, v: f64| Datum {
            namespace: "AWS/ApiGateway".into(),
            name: name.into(),
            dimensions: d.clone(),
            unit: unit.into(),
            timestamp_ms: now,
            sample: Sample::Value(v),
        };
        datums.push(datum("Count", "Count", 1.0));
        datums.push(datum("4XXError", "Count", if (400..500).contains(&o.status) { 1.0 } else { 0.0 }));
        datums.push(datum("5XXError", "Count", if o.status >= 500 { 1.0 } else { 0.0 }));
        datums.push(datum("Latency", "Milliseconds", o.latency_ms));
        if let Some(ms) = o.integration_ms {
            datums.push(datum("IntegrationLatency", "Milliseconds", ms));
        }
    }
    ctx.metric_publisher.publish(datums);
}
