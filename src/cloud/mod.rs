//! The embedded local cloud: a real local implementation of the AWS APIs the patterns use,
//! served on one loopback port in the wire protocols of the official clients.

pub mod admin;
pub mod admin_client;
pub mod apigateway;
pub mod attach;
pub mod auth;
pub mod clock;
pub mod cloudformation;
pub mod cloudwatch;
pub mod context;
pub mod damage;
pub mod doc_store;
pub mod error;
pub mod faults;
pub mod files;
pub mod firehose;
pub mod function_invoker;
pub mod guard;
pub mod host;
pub mod iam;
pub mod kinesis;
pub mod kinesisanalytics;
pub mod lambda;
pub mod log_sink;
pub mod logs;
pub mod metric_sink;
pub mod object_sink;
pub mod pipeline;
pub mod protocol;
pub mod queue_sink;
pub mod redb_file;
pub mod registry;
pub mod resource_provider;
pub mod router;
pub mod s3;
pub mod server;
pub mod service;
pub mod sqs;
pub mod storage;
pub mod stream_source;
pub mod streaming;
pub mod sts;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use auth::LocalCredentials;
pub use context::{CloudConfig, CloudContext};

/// A local cloud serving in this process.
pub struct RunningCloud {
    pub addr: SocketAddr,
    pub url: String,
    pub ctx: Arc<CloudContext>,
    providers: Arc<registry::ProviderTable>,
    task: JoinHandle<()>,
}

/// Starts the cloud on `config.bind` with the given credentials. Returns once it accepts connections.
pub async fn start(config: CloudConfig, credentials: LocalCredentials) -> anyhow::Result<RunningCloud> {
    if let Some(warning) = files::permission_warning(&config.data_dir) {
        tracing::warn!("{warning}");
    }
    files::create_private_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data dir {}", config.data_dir.display()))?;
    let listener = TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let ctx = Arc::new(CloudContext::new(config, credentials));
    let _ = ctx.endpoint_url.set(url.clone());
    let registry = registry::build(&ctx)?;
    let providers = registry.providers().clone();
    for service in registry.all() {
        service.clone().start(ctx.clone());
    }
    let host = Arc::new(server::Host { ctx: ctx.clone(), registry });
    let task = tokio::spawn(async move {
        server::serve(host.clone(), listener).await;
        for service in host.registry.all() {
            service.stop().await;
        }
    });
    tracing::info!(%url, "local cloud serving");
    Ok(RunningCloud { addr, url, ctx, providers, task })
}

impl RunningCloud {
    pub fn credentials(&self) -> &LocalCredentials {
        &self.ctx.credentials
    }

    /// The CloudFormation resource providers, by type (what the local CloudFormation creates through).
    pub fn providers(&self) -> &Arc<registry::ProviderTable> {
        &self.providers
    }

    /// How clients reach this cloud: what a host publishes in `endpoint.json`.
    pub fn endpoint_info(&self) -> host::EndpointInfo {
        let c = &self.ctx.credentials;
        host::EndpointInfo {
            url: self.url.clone(),
            region: self.ctx.config.region.clone(),
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            pid: std::process::id(),
            version: crate::VERSION.to_string(),
        }
    }

    /// Resolves when someone asked the cloud to stop (admin `shutdown`, a signal handler).
    pub async fn stopped(&self) {
        self.ctx.shutdown_requested().await
    }

    pub async fn shutdown(self) {
        self.ctx.request_shutdown();
        let _ = self.task.await;
    }
}
