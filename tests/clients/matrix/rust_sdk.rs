//! The Rust SDK column of the matrix: the same calls as `probe.py`, through the SDK crates the console is
//! built with, each client watched by a [`SeenProtocols`] interceptor.

use std::collections::BTreeMap;

use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::primitives::Blob;

use super::{Findings, SeenProtocols};
use crate::support::TestCloud;

/// "ok", the expected error code, or "FAILED: …", as `probe.py` reports a call.
fn outcome<T, E: ProvideErrorMetadata + std::fmt::Debug>(r: Result<T, E>, expected: Option<&str>) -> String {
    match (r, expected) {
        (Ok(_), None) => "ok".into(),
        (Ok(_), Some(code)) => format!("FAILED: no error, expected {code}"),
        (Err(e), Some(code)) if e.code() == Some(code) => code.into(),
        (Err(e), _) => format!("FAILED: {}: {}", e.code().unwrap_or("<no code>"), e.message().unwrap_or_default()),
    }
}

struct Calls(BTreeMap<String, String>);

impl Calls {
    fn add<T, E: ProvideErrorMetadata + std::fmt::Debug>(
        &mut self,
        name: &str,
        r: Result<T, E>,
        expected: Option<&str>,
    ) {
        let key = expected.map_or(name.to_string(), |code| format!("{name} ({code})"));
        self.0.insert(key, outcome(r, expected));
    }
}

pub async fn findings(cloud: &TestCloud) -> Findings {
    let conf = cloud.sdk_config().await;
    let mut services = BTreeMap::new();
    let run = format!("rust-{}", std::process::id());

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_kinesis::Client::from_conf(
        aws_sdk_kinesis::config::Builder::from(&conf).interceptor(seen.clone()).build(),
    );
    let mut k = Calls(BTreeMap::new());
    k.add("create_stream", c.create_stream().stream_name(&run).shard_count(1).send().await, None);
    k.add("describe_stream_summary", c.describe_stream_summary().stream_name(&run).send().await, None);
    k.add("list_streams", c.list_streams().send().await, None);
    k.add("describe_limits", c.describe_limits().send().await, None);
    let missing = c.describe_stream_summary().stream_name("no-such-stream").send().await;
    k.add("describe_stream_summary", missing, Some("ResourceNotFoundException"));
    services.insert("kinesis".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_cloudwatch::Client::from_conf(
        aws_sdk_cloudwatch::config::Builder::from(&conf).interceptor(seen.clone()).build(),
    );
    let mut k = Calls(BTreeMap::new());
    let datum = aws_sdk_cloudwatch::types::MetricDatum::builder().metric_name("M").value(1.0).build();
    k.add("put_metric_data", c.put_metric_data().namespace("Probe").metric_data(datum).send().await, None);
    k.add("list_metrics", c.list_metrics().namespace("Probe").send().await, None);
    k.add(
        "put_dashboard",
        c.put_dashboard().dashboard_name(&run).dashboard_body(r#"{"widgets": []}"#).send().await,
        None,
    );
    k.add("list_dashboards", c.list_dashboards().send().await, None);
    k.add("describe_alarms", c.describe_alarms().send().await, None);
    k.add(
        "get_dashboard",
        c.get_dashboard().dashboard_name("no-such-dashboard").send().await,
        Some("ResourceNotFound"),
    );
    services.insert("cloudwatch".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_firehose::Client::from_conf(
        aws_sdk_firehose::config::Builder::from(&conf).interceptor(seen.clone()).build(),
    );
    let mut k = Calls(BTreeMap::new());
    k.add("list_delivery_streams", c.list_delivery_streams().send().await, None);
    let missing = c.describe_delivery_stream().delivery_stream_name("no-such").send().await;
    k.add("describe_delivery_stream", missing, Some("ResourceNotFoundException"));
    services.insert("firehose".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_cloudformation::Client::from_conf(
        aws_sdk_cloudformation::config::Builder::from(&conf).interceptor(seen.clone()).build(),
    );
    let mut k = Calls(BTreeMap::new());
    let template = r#"{"Resources": {"S": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1}}}}"#;
    k.add("validate_template", c.validate_template().template_body(template).send().await, None);
    k.add("list_stacks", c.list_stacks().send().await, None);
    k.add("describe_stacks", c.describe_stacks().stack_name("no-such-stack").send().await, Some("ValidationError"));
    services.insert("cloudformation".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("restXml");
    let c = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).interceptor(seen.clone()).build(),
    );
    let mut k = Calls(BTreeMap::new());
    k.add("create_bucket", c.create_bucket().bucket(&run).send().await, None);
    let body = Blob::new("hello").into_inner().into();
    k.add("put_object", c.put_object().bucket(&run).key("k").body(body).send().await, None);
    k.add("list_objects_v2", c.list_objects_v2().bucket(&run).send().await, None);
    k.add("get_object", c.get_object().bucket(&run).key("missing").send().await, Some("NoSuchKey"));
    services.insert("s3".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_cloudwatchlogs::Client::from_conf(
        aws_sdk_cloudwatchlogs::config::Builder::from(&conf).interceptor(seen.clone()).build(),
    );
    let mut k = Calls(BTreeMap::new());
    let group = format!("/probe/{run}");
    k.add("create_log_group", c.create_log_group().log_group_name(&group).send().await, None);
    k.add("describe_log_groups", c.describe_log_groups().log_group_name_prefix("/probe/").send().await, None);
    let again = c.create_log_group().log_group_name(&group).send().await;
    k.add("create_log_group", again, Some("ResourceAlreadyExistsException"));
    services.insert("logs".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_iam::Client::from_conf(aws_sdk_iam::config::Builder::from(&conf).interceptor(seen.clone()).build());
    let mut k = Calls(BTreeMap::new());
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"firehose.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    k.add("create_role", c.create_role().role_name(&run).assume_role_policy_document(policy).send().await, None);
    k.add("get_role", c.get_role().role_name(&run).send().await, None);
    k.add("get_role", c.get_role().role_name("no-such-role").send().await, Some("NoSuchEntity"));
    services.insert("iam".to_string(), (seen.protocols(), k.0));

    let seen = SeenProtocols::new("rest");
    let c = aws_sdk_sts::Client::from_conf(aws_sdk_sts::config::Builder::from(&conf).interceptor(seen.clone()).build());
    let mut k = Calls(BTreeMap::new());
    k.add("get_caller_identity", c.get_caller_identity().send().await, None);
    services.insert("sts".to_string(), (seen.protocols(), k.0));

    Findings { client: "Rust SDK".into(), services }
}
