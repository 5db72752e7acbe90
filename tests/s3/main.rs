//! The local S3, through aws-sdk-s3 (path-style and virtual-host) and the aws CLI; its
//! CloudFormation providers and object writer driven directly.

#[path = "../support/mod.rs"]
mod support;

mod buckets;
mod cli;
mod durability;
mod multipart;
mod objects;
mod providers;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata};
use support::TestCloud;

pub async fn cloud() -> TestCloud {
    TestCloud::start_virtual().await
}

/// A path-style client (`/{bucket}/{key}`).
pub async fn client(cloud: &TestCloud) -> Client {
    let conf = aws_sdk_s3::config::Builder::from(&cloud.sdk_config().await).force_path_style(true).build();
    Client::from_conf(conf)
}

/// Sends virtual-host requests (`Host: {bucket}.localhost:{port}`) to the loopback address, since
/// `*.localhost` names need not resolve on every machine.
#[derive(Debug)]
struct ToLoopback(String);

impl Intercept for ToLoopback {
    fn name(&self) -> &'static str {
        "ToLoopback"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        let uri: http::Uri = req.uri().parse()?;
        let authority = uri.authority().ok_or("no authority")?.to_string();
        assert!(authority.contains(".localhost:"), "the SDK addressed {authority} virtual-host style");
        let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        req.set_uri(format!("http://{}{path}", self.0))?;
        req.headers_mut().insert("host", authority);
        Ok(())
    }
}

/// A virtual-host client: the endpoint `http://localhost:{port}` makes the SDK address buckets as
/// `{bucket}.localhost`.
pub async fn virtual_host_client(cloud: &TestCloud) -> Client {
    let port = cloud.cloud.addr.port();
    let conf = aws_sdk_s3::config::Builder::from(&cloud.sdk_config().await)
        .endpoint_url(format!("http://localhost:{port}"))
        .interceptor(ToLoopback(format!("127.0.0.1:{port}")))
        .build();
    Client::from_conf(conf)
}

/// The error code of a failed call.
pub fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub async fn bucket(client: &Client, name: &str) {
    client.create_bucket().bucket(name).send().await.expect("create bucket");
}
