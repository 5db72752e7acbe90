//! What every part of a running local cloud shares: configuration, clock, credentials, faults,
//! limit switches and the shutdown signal.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::auth::LocalCredentials;
use super::clock::{Clock, ClockMode};
use super::damage::Damage;
use super::faults::{FaultRates, Faults};
use super::function_invoker::FunctionInvoker;
use super::kinesis::settings::{KinesisSettings, LimitSwitches};
use super::log_sink::LogPublisher;
use super::metric_sink::MetricPublisher;
use super::object_sink::ObjectWriter;
use super::queue_sink::QueueSender;
use super::stream_source::StreamReader;

pub const DEFAULT_PORT: u16 = 4599;
pub const DEFAULT_REGION: &str = "us-east-1";
pub const LOCAL_ACCOUNT_ID: &str = "000000000000";

#[derive(Debug, Clone)]
pub struct CloudConfig {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub region: String,
    /// Verify SigV4 signatures (off with `--no-auth`).
    pub auth: bool,
    /// Enforce service limits such as Kinesis per-shard throughput (off with `--no-limits`).
    pub limits: bool,
    pub clock: ClockMode,
    pub faults: Vec<(String, FaultRates)>,
    /// The Kinesis service's own settings (transitions, quotas, segment size).
    pub kinesis: KinesisSettings,
    /// CloudWatch's limits on what clients can create.
    pub cloudwatch: super::cloudwatch::settings::CloudWatchSettings,
    /// CloudFormation's settings (test-only resource providers, local limits).
    pub cloudformation: super::cloudformation::settings::CloudFormationSettings,
    /// CloudWatch Logs' quotas.
    pub logs: super::logs::settings::LogsSettings,
    /// Firehose's timings and quota.
    pub firehose: super::firehose::settings::FirehoseSettings,
    /// Lambda's transitions, account concurrency and code link lifetime.
    pub lambda: super::lambda::settings::LambdaSettings,
    /// API Gateway's account-level throttle.
    pub apigateway: super::apigateway::settings::ApiGatewaySettings,
    /// Web origins whose requests are served (`local serve --allow-origin`); any other `Origin` is refused.
    pub allowed_origins: Vec<String>,
    /// A client must send a request's whole head within this (wall time: a socket timeout), or is cut off.
    pub header_read_timeout: Duration,
    /// A connection with no bytes in or out for this long is closed, once no response is in flight.
    pub idle_timeout: Duration,
    /// Connections served at once; further ones are answered 503 and closed, so clients retry.
    pub max_connections: usize,
}

impl CloudConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        CloudConfig {
            data_dir: data_dir.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            region: DEFAULT_REGION.to_string(),
            auth: true,
            limits: true,
            clock: ClockMode::Real,
            faults: Vec::new(),
            kinesis: KinesisSettings::default(),
            cloudwatch: Default::default(),
            cloudformation: Default::default(),
            logs: Default::default(),
            firehose: Default::default(),
            lambda: Default::default(),
            apigateway: Default::default(),
            allowed_origins: Vec::new(),
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            max_connections: 512,
        }
    }

    /// Loopback, a free port: what tests use.
    pub fn ephemeral(data_dir: impl Into<PathBuf>) -> Self {
        let mut c = Self::new(data_dir);
        c.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        c
    }
}

pub struct CloudContext {
    pub config: CloudConfig,
    pub clock: Clock,
    pub credentials: LocalCredentials,
    pub faults: Faults,
    /// Per-stream throughput limit switches (Kinesis), flipped at run time by the admin API.
    pub limits: LimitSwitches,
    /// Service metrics published into the local CloudWatch.
    pub metric_publisher: MetricPublisher,
    /// Log lines written into the local CloudWatch Logs by other services.
    pub log_publisher: LogPublisher,
    /// Objects written into the local S3 by other services.
    pub object_writer: ObjectWriter,
    /// Kinesis streams read by other services (Firehose, event source mappings, Flink sources).
    pub stream_reader: StreamReader,
    /// Messages sent into the local SQS by other services (event source mappings' on-failure destinations).
    pub queue_sender: QueueSender,
    /// Local Lambda functions invoked by other services (API Gateway's Lambda proxy integrations).
    pub function_invoker: FunctionInvoker,
    /// Damaged state set aside instead of stopping the cloud.
    pub damage: Damage,
    pub started: Instant,
    /// The URL the host serves on, known once bound.
    pub endpoint_url: OnceLock<String>,
    shutdown: watch::Sender<bool>,
}

impl CloudContext {
    pub fn new(config: CloudConfig, credentials: LocalCredentials) -> Self {
        let clock = match config.clock {
            ClockMode::Real => Clock::real(),
            ClockMode::Virtual => Clock::virtual_at(super::clock::wall_ms()),
        };
        let faults = Faults::default();
        for (service, rates) in &config.faults {
            faults.set(service, *rates);
        }
        CloudContext {
            limits: LimitSwitches::new(config.limits),
            metric_publisher: MetricPublisher::default(),
            log_publisher: LogPublisher::default(),
            object_writer: ObjectWriter::default(),
            stream_reader: StreamReader::default(),
            queue_sender: QueueSender::default(),
            function_invoker: FunctionInvoker::default(),
            damage: Damage::default(),
            config,
            clock,
            credentials,
            faults,
            started: Instant::now(),
            endpoint_url: OnceLock::new(),
            shutdown: watch::channel(false).0,
        }
    }

    pub fn account_id(&self) -> &str {
        LOCAL_ACCOUNT_ID
    }

    pub fn request_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    /// Resolves once shutdown has been requested.
    pub async fn shutdown_requested(&self) {
        let mut rx = self.shutdown.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}
