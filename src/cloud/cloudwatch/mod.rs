//! CloudWatch: metrics (PutMetricData, GetMetricData with metric math, GetMetricStatistics,
//! ListMetrics), dashboards and alarms. Served over Smithy RPC v2 CBOR (the Rust SDK) and
//! awsJson 1.0 (the aws CLI); both decode to the same JSON shapes, so one implementation serves both.

pub mod alarms;
pub mod model;
pub mod query;
pub mod store;

use std::sync::Arc;

use super::context::CloudContext;
use super::error::ApiError;
use super::service::{BoxFuture, Call, Descriptor, Output, Service};

pub const NAMESPACE_PREFIX_RESERVED: &str = "AWS/";

/// Output members the SDK models as timestamps (tagged in CBOR, epoch seconds in JSON).
pub fn is_timestamp_member(name: &str) -> bool {
    name.ends_with("Timestamp")
        || name.ends_with("Timestamps")
        || matches!(name, "LastModified" | "StartTime" | "EndTime" | "StartDate" | "EndDate" | "EvaluationDate")
}

pub struct CloudWatch {
    descriptor: Descriptor,
    pub alarms: alarms::Alarms,
}

impl CloudWatch {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        Ok(CloudWatch {
            descriptor: Descriptor {
                id: "cloudwatch",
                signing_name: "monitoring",
                json_target: Some("GraniteServiceVersion20100801"),
                cbor_service: Some("GraniteServiceVersion20100801"),
                query: None,
                rest: false,
                query_compatible: true,
                // PutMetricData accepts up to 1 MB; dashboards up to 1 MB bodies.
                max_body: 2 * 1024 * 1024,
                is_timestamp_member,
            },
            alarms: alarms::Alarms::new(ctx, Arc::new(store::MetricStore))?,
        })
    }
}

impl Service for CloudWatch {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let op = call.operation.clone();
            if let Some(result) = self.alarms.call(ctx, &op, call.input) {
                return result.map(Output::Json);
            }
            Err(ApiError::unknown_operation(&op))
        })
    }
}
