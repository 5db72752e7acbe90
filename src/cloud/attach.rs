//! Find the data dir's host, or become it (DESIGN §2 "Who hosts the local cloud").

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::admin_client::AdminClient;
use super::host::{DataDir, EndpointInfo, HostLock};
use super::{CloudConfig, RunningCloud, start};

/// This process serves the local cloud.
pub struct Hosted {
    pub cloud: RunningCloud,
    pub info: EndpointInfo,
    _lock: HostLock,
}

impl Hosted {
    pub async fn shutdown(self) {
        self.cloud.shutdown().await;
    }
}

pub enum Attached {
    Hosting(Box<Hosted>),
    Connected(EndpointInfo),
}

impl Attached {
    pub fn info(&self) -> &EndpointInfo {
        match self {
            Attached::Hosting(h) => &h.info,
            Attached::Connected(i) => i,
        }
    }
}

/// Takes the lock and serves; `Ok(None)` when another live process already holds it.
/// When `fallback_free_port` is set and the configured port is taken, a free port is used instead.
pub async fn host(dir: &DataDir, mut config: CloudConfig, fallback_free_port: bool) -> anyhow::Result<Option<Hosted>> {
    let Some(lock) = dir.try_lock()? else { return Ok(None) };
    let credentials = dir.load_or_create_credentials()?;
    let cloud = match start(config.clone(), credentials.clone()).await {
        Ok(c) => c,
        Err(e) if fallback_free_port && is_addr_in_use(&e) => {
            tracing::info!(port = config.bind.port(), "port in use; hosting on a free port");
            config.bind = SocketAddr::new(config.bind.ip(), 0);
            start(config.clone(), credentials.clone()).await?
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!("port {} is in use (another program, or a local cloud of another data dir); pass --port 0 for a free one", config.bind.port())
            });
        }
    };
    let info = cloud.endpoint_info();
    dir.write_endpoint(&lock, &info)?;
    Ok(Some(Hosted { cloud, info, _lock: lock }))
}

fn is_addr_in_use(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::AddrInUse))
}

/// Connects to the data dir's host, or hosts in this process when there is none.
pub async fn connect_or_host(dir: &DataDir, config: CloudConfig) -> anyhow::Result<Attached> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(hosted) = host(dir, config.clone(), true).await? {
            return Ok(Attached::Hosting(Box::new(hosted)));
        }
        // Another process holds the lock: it may still be starting and not have written its endpoint.
        if let Some(info) = dir.live_endpoint()?
            && AdminClient::new(info.clone()).get("health").await.is_ok()
        {
            return Ok(Attached::Connected(info));
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "another process holds the local cloud lock {} but does not answer; stop it (`kinesis-console local stop`) or remove it",
                dir.lock_path().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
