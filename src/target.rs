//! Turns the global flags and the environment into the SDK configuration for one of three targets:
//! the embedded local cloud, real AWS through the default credential chain, or any endpoint.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_config::default_provider::token::DefaultTokenChain;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_sts::config::Region;
use serde::Serialize;

use crate::cloud::CloudConfig;
use crate::cloud::admin_client::AdminClient;
use crate::cloud::attach::{self, Attached};
use crate::cloud::clock::wall_ms;
use crate::cloud::host::{DataDir, EndpointInfo};
use crate::control::credentials::{Hinting, Source};
use crate::paths::Paths;

/// The `--target` flag: the embedded local cloud or real AWS (`--endpoint-url` makes a third).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    Local,
    Aws,
}

/// What the console talks to, as the header and `info` show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    Local { data_dir: PathBuf },
    Aws { profile: Option<String>, region: Option<String> },
    Endpoint { url: String, region: Option<String> },
}

impl Target {
    /// The target the flags name: an endpoint URL wins over `kind`; on AWS, the profile and
    /// region fall back to the SDK's environment variables so the header shows what is used.
    pub fn choose(
        kind: TargetKind,
        endpoint_url: Option<&str>,
        profile: Option<&str>,
        region: Option<&str>,
        paths: &Paths,
    ) -> Self {
        let region = region.map(str::to_string);
        if let Some(url) = endpoint_url {
            return Target::Endpoint { url: url.to_string(), region };
        }
        match kind {
            TargetKind::Local => Target::Local { data_dir: paths.data_dir.clone() },
            TargetKind::Aws => Target::Aws {
                profile: profile.map(str::to_string).or_else(|| std::env::var("AWS_PROFILE").ok()),
                region: region
                    .or_else(|| std::env::var("AWS_REGION").ok())
                    .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok()),
            },
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Local { data_dir } => write!(f, "LOCAL ({})", data_dir.display()),
            Target::Aws { profile, region } => write!(
                f,
                "AWS profile {} region {}",
                profile.as_deref().unwrap_or("default"),
                region.as_deref().unwrap_or("(from profile)")
            ),
            Target::Endpoint { url, .. } => write!(f, "ENDPOINT {url}"),
        }
    }
}

/// An open connection: the SDK configuration, and the local host when this process runs it.
pub struct Connection {
    pub target: Target,
    pub sdk: SdkConfig,
    pub local: Option<Attached>,
}

impl Connection {
    /// "Now" for the data the target holds: the local cloud's own clock (which tests and
    /// `local serve --virtual-clock` may have moved), the wall clock anywhere else.
    pub async fn now_ms(&self) -> i64 {
        match &self.local {
            Some(Attached::Hosting(h)) => h.cloud.ctx.clock.now_ms(),
            Some(Attached::Connected(info)) => match AdminClient::new(info.clone()).get("clock").await {
                Ok(clock) => clock["now_ms"].as_i64().unwrap_or_else(wall_ms),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "reading the local cloud's clock; using the wall clock");
                    wall_ms()
                }
            },
            None => wall_ms(),
        }
    }

    /// Stops the in-process host, if this process is the one hosting.
    pub async fn close(self) {
        if let Some(Attached::Hosting(h)) = self.local {
            h.shutdown().await;
        }
    }
}

/// How long any SDK call may take, on every target: a dead endpoint or a black-holed network
/// fails within seconds instead of hanging a command or a view.
///
/// | timeout | value | covers |
/// |---|---|---|
/// | connect | 3 s | one TCP + TLS connection |
/// | operation attempt | 20 s | one try of a call, response included |
/// | operation | 60 s | a call with its retries |
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

/// The instance metadata service, asked once and briefly: off EC2 nothing answers it, and the
/// SDK's defaults (four attempts, up to 30 s) would hold every command without credentials.
fn imds_client() -> aws_config::imds::Client {
    aws_config::imds::Client::builder()
        .connect_timeout(Duration::from_millis(500))
        .read_timeout(Duration::from_secs(1))
        .max_attempts(1)
        .operation_timeout(Duration::from_secs(2))
        .build()
}

/// The region: the flag, else the environment, the profile, the metadata service (asked briefly).
async fn find_region(profile: Option<&str>, flag: Option<&str>) -> Option<Region> {
    let first = match flag {
        Some(r) => RegionProviderChain::first_try(Region::new(r.to_string())),
        None => RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new()),
    };
    let mut profile_region = ProfileFileRegionProvider::builder();
    if let Some(p) = profile {
        profile_region = profile_region.profile_name(p);
    }
    let chain =
        first.or_else(profile_region.build()).or_else(ImdsRegionProvider::builder().imds_client(imds_client()).build());
    chain.region().await
}

/// The default region and credential chains (env, profile, SSO, web identity, ECS, IMDS) with
/// short metadata-service timeouts, and credential failures turned into one sentence naming the
/// fix (`control::credentials`).
async fn default_chains(mut loader: ConfigLoader, profile: Option<&str>, region: Option<&str>) -> ConfigLoader {
    let region = find_region(profile, region).await;
    let conf = ProviderConfig::default()
        .with_behavior_version(Some(BehaviorVersion::latest()))
        .with_timeout_config(timeouts())
        .with_region(region.clone());
    let mut chain = DefaultCredentialsChain::builder().configure(conf).imds_client(imds_client());
    // The region found above, even none: left unset, the credential chain, the token chain and the
    // loader would each walk the default region chain again, metadata service included.
    chain.set_region(Some(region.clone()));
    if let Some(p) = profile {
        chain = chain.profile_name(p);
        loader = loader.profile_name(p);
    }
    // The bearer-token chain (SSO) likewise, or the loader builds one that looks the region up again.
    let mut token = DefaultTokenChain::builder().region(region.clone());
    if let Some(p) = profile {
        token = token.profile_name(p);
    }
    loader = loader.token_provider(token.build().await);
    // The chain itself falls back to AWS_PROFILE; the sentence must name the same profile.
    let named = profile.map(str::to_string).or_else(|| std::env::var("AWS_PROFILE").ok());
    let credentials = Hinting::new(chain.build().await, Source::for_profile(named.as_deref()));
    loader.region(region).credentials_provider(credentials)
}

/// SDK configuration for a local cloud endpoint and its credentials.
pub async fn local_sdk_config(info: &EndpointInfo) -> SdkConfig {
    let creds = Credentials::new(&info.access_key_id, &info.secret_access_key, None, None, "kinesis-console-local");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(info.region.clone()))
        .endpoint_url(&info.url)
        .credentials_provider(SharedCredentialsProvider::new(creds))
        .timeout_config(timeouts())
        .load()
        .await
}

pub async fn connect(target: Target) -> anyhow::Result<Connection> {
    match &target {
        Target::Local { data_dir } => {
            let attached = attach::connect_or_host(&DataDir::new(data_dir), CloudConfig::new(data_dir)).await?;
            let sdk = local_sdk_config(attached.info()).await;
            Ok(Connection { target, sdk, local: Some(attached) })
        }
        Target::Aws { profile, region } => {
            let loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(timeouts());
            let loader = default_chains(loader, profile.as_deref(), region.as_deref()).await;
            Ok(Connection { sdk: loader.load().await, target, local: None })
        }
        Target::Endpoint { url, region } => {
            let loader = aws_config::defaults(BehaviorVersion::latest()).endpoint_url(url).timeout_config(timeouts());
            let loader = default_chains(loader, None, region.as_deref()).await;
            Ok(Connection { sdk: loader.load().await, target, local: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn assert_bounded(sdk: &SdkConfig, what: &str) {
        let t = sdk.timeout_config().unwrap_or_else(|| panic!("{what}: no timeouts"));
        assert_eq!(t.connect_timeout(), Some(Duration::from_secs(3)), "{what}");
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(20)), "{what}");
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(60)), "{what}");
    }

    #[tokio::test]
    async fn every_target_bounds_every_call() {
        let aws = connect(Target::Aws { profile: None, region: Some("eu-west-1".into()) }).await.expect("aws");
        assert_bounded(&aws.sdk, "aws");
        assert_eq!(aws.sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        let endpoint = Target::Endpoint { url: "http://127.0.0.1:9".into(), region: Some("us-east-1".into()) };
        assert_bounded(&connect(endpoint).await.expect("endpoint").sdk, "endpoint");
        let info = EndpointInfo {
            url: "http://127.0.0.1:9".into(),
            region: "us-east-1".into(),
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            pid: 1,
            version: crate::VERSION.into(),
        };
        assert_bounded(&local_sdk_config(&info).await, "local");
    }
}
