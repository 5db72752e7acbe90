//! Producing records onto a stream, for the CLI's `produce` and the console's producer view alike: what
//! a run sends (the stream a stack or name means, the workload its pattern calls for) and, for the
//! console, a run in the background that can be watched and stopped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::stacks;
use super::tail::{NamedStream, resolve_stream};
use crate::execute_api;
use crate::producer::counters::{Counters, Snapshot};
use crate::producer::engine::{Producer, Settings, Summary, Until};
use crate::producer::rest_sink::RestSink;
use crate::producer::workloads::Workload;
use crate::producer::workloads::WorkloadKind;
use crate::producer::workloads::taxi::{DEFAULT_SPEEDUP, Taxi};
use crate::producer::workloads::ticker::{Keys, Ticker};

/// What a run is asked for; `None` takes the default (the stack's pattern, 100 records a second).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub workload: Option<WorkloadKind>,
    pub rate: Option<f64>,
    pub speedup: Option<f64>,
    pub aggregate: bool,
    pub seed: Option<u64>,
    pub random_keys: bool,
}

/// A run ready to start: its stream, its workload and the engine's settings.
pub struct Planned {
    pub stream: String,
    pub kind: WorkloadKind,
    pub settings: Settings,
    pub workload: Box<dyn Workload>,
    /// The API the records go through (the `rest` workload), in the form the target serves it.
    pub api_url: Option<String>,
}

/// Resolves `target` (a stream, or the stack that deployed one; `stream` names it directly) and builds
/// the workload the options and the stack's pattern call for.
pub async fn plan(
    sdk: &aws_config::SdkConfig,
    target: &str,
    is_stream: bool,
    options: &Options,
) -> anyhow::Result<Planned> {
    let kinesis = aws_sdk_kinesis::Client::new(sdk);
    let named = if is_stream {
        NamedStream { stream: target.to_string(), pattern: None, api_url: None }
    } else {
        resolve_stream(&kinesis, &stacks::client(sdk), target).await?
    };
    let kind = match options.workload {
        Some(kind) => kind,
        None => workload_of(named.pattern.as_deref()),
    };
    anyhow::ensure!(
        options.speedup.is_none() || kind == WorkloadKind::Taxi,
        "--speedup paces a replay: it goes with --workload taxi"
    );
    // A replay is paced by its trips' times; the rate, when given, only caps it.
    let rate = options.rate.unwrap_or(if kind == WorkloadKind::Taxi { 1_000_000.0 } else { 100.0 });
    let settings = Settings { rate, aggregate: options.aggregate, ..Settings::default() };
    let seed = options.seed.unwrap_or_else(|| fastrand::u64(..));
    let workload: Box<dyn Workload> = match kind {
        WorkloadKind::Ticker => {
            let keys = if options.random_keys { Keys::Random } else { Keys::ConstantWithHashKey };
            Box::new(Ticker::new(seed, keys, Box::new(crate::cloud::clock::wall_ms)))
        }
        // The API's model carries no explicit hash key: random partition keys spread the records.
        WorkloadKind::Rest => Box::new(Ticker::new(seed, Keys::Random, Box::new(crate::cloud::clock::wall_ms))),
        WorkloadKind::Taxi => Box::new(Taxi::new(seed, options.speedup.unwrap_or(DEFAULT_SPEEDUP))?),
    };
    let api_url = match kind {
        WorkloadKind::Rest => {
            let aws = named.api_url.with_context(|| {
                format!(
                    "the rest workload goes through pattern 1's API: give the stack, not the stream {}",
                    named.stream
                )
            })?;
            // On the local cloud (or an endpoint) the API is served under the endpoint's execute-api path.
            Some(sdk.endpoint_url().and_then(|e| execute_api::local_url(&aws, e)).unwrap_or(aws))
        }
        _ => None,
    };
    Ok(Planned { stream: named.stream, kind, settings, workload, api_url })
}

/// The workload a pattern's stack is fed with: pattern 1 through its REST API, pattern 4 replays taxi trips,
/// the others take ticker events (pattern 3's own producer is the aws CLI, so any JSON will do).
pub fn workload_of(pattern: Option<&str>) -> WorkloadKind {
    match pattern {
        Some("apigw-kds-lambda") => WorkloadKind::Rest,
        Some("kds-kda-apigw") => WorkloadKind::Taxi,
        _ => WorkloadKind::Ticker,
    }
}

/// The engine for a planned run: PutRecords on the stream, or the stream's API when the plan goes through it.
/// (The plan's parts, not the plan: its workload is `Send` but not `Sync`.)
pub async fn connect(
    sdk: &aws_config::SdkConfig,
    stream: &str,
    settings: &Settings,
    api_url: Option<&str>,
) -> anyhow::Result<Producer> {
    let producer = Producer::connect(sdk, stream, settings.clone()).await?;
    match api_url {
        Some(url) => producer.with_sink(Arc::new(RestSink::new(sdk, url)?)),
        None => Ok(producer),
    }
}

/// Where a background run is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum RunState {
    Producing,
    /// Asked to stop: sending what is owed.
    Draining,
    Finished {
        delivered_all: bool,
        undelivered: u64,
    },
    Failed(String),
}

/// A background run as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStatus {
    pub stream: String,
    pub workload: &'static str,
    pub rate: f64,
    pub aggregate: bool,
    pub state: RunState,
    pub counters: Snapshot,
    pub elapsed_secs: f64,
}

/// A run in the background: the console starts it, reads its counters each second, and stops it.
/// Dropping it stops the workload and abandons what is owed.
pub struct Running {
    stream: String,
    kind: WorkloadKind,
    settings: Settings,
    counters: Arc<Counters>,
    stop: watch::Sender<bool>,
    started: tokio::time::Instant,
    ended: Arc<Mutex<Option<Result<Summary, String>>>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Connects the engine to the planned stream and starts the workload in a task of its own.
    pub async fn start(sdk: &aws_config::SdkConfig, planned: Planned) -> anyhow::Result<Running> {
        let producer = connect(sdk, &planned.stream, &planned.settings, planned.api_url.as_deref()).await?;
        let Planned { stream, kind, settings, mut workload, .. } = planned;
        let counters = producer.counters();
        let (stop, stopped) = watch::channel(false);
        let ended = Arc::new(Mutex::new(None));
        let slot = ended.clone();
        let task = tokio::spawn(async move {
            let result = producer.run(workload.as_mut(), Until::default(), stopped).await;
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(result.map_err(|e| format!("{e:#}")));
            }
        });
        Ok(Running { stream, kind, settings, counters, stop, started: tokio::time::Instant::now(), ended, task })
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Stops making records; what is owed is still sent (within the engine's drain).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub fn is_active(&self) -> bool {
        !self.task.is_finished()
    }

    pub fn status(&self) -> RunStatus {
        let ended = self.ended.lock().map(|e| e.clone()).unwrap_or(None);
        let (state, counters, elapsed_secs) = match ended {
            Some(Ok(summary)) => (
                RunState::Finished { delivered_all: summary.delivered_all(), undelivered: summary.undelivered },
                summary.counters.clone(),
                summary.elapsed_secs,
            ),
            Some(Err(e)) => (RunState::Failed(e), self.counters.snapshot(), self.elapsed()),
            None if *self.stop.borrow() => (RunState::Draining, self.counters.snapshot(), self.elapsed()),
            None => (RunState::Producing, self.counters.snapshot(), self.elapsed()),
        };
        RunStatus {
            stream: self.stream.clone(),
            workload: self.kind.name(),
            rate: self.settings.rate,
            aggregate: self.settings.aggregate,
            state,
            counters,
            elapsed_secs,
        }
    }

    fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The console's background runs, one per target (a stack or stream name as the user gave it).
#[derive(Default)]
pub struct Runs {
    runs: tokio::sync::Mutex<BTreeMap<String, Running>>,
}

impl Runs {
    /// Starts a run on `target` with its default workload, unless one is still producing there; the
    /// run's status either way.
    pub async fn start(&self, sdk: &aws_config::SdkConfig, target: &str) -> anyhow::Result<RunStatus> {
        let mut runs = self.runs.lock().await;
        if let Some(run) = runs.get(target)
            && run.is_active()
        {
            return Ok(run.status());
        }
        let planned = plan(sdk, target, false, &Options::default()).await?;
        let run = Running::start(sdk, planned).await?;
        let status = run.status();
        runs.insert(target.to_string(), run);
        Ok(status)
    }

    pub async fn stop(&self, target: &str) -> Option<RunStatus> {
        let runs = self.runs.lock().await;
        let run = runs.get(target)?;
        run.stop();
        Some(run.status())
    }

    pub async fn status(&self, target: &str) -> Option<RunStatus> {
        self.runs.lock().await.get(target).map(Running::status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stacks_pattern_picks_its_workload() {
        assert_eq!(workload_of(Some("apigw-kds-lambda")), WorkloadKind::Rest);
        assert_eq!(workload_of(Some("kds-kda-apigw")), WorkloadKind::Taxi);
        assert_eq!(workload_of(Some("kpl-kds-kda")), WorkloadKind::Ticker);
        assert_eq!(workload_of(Some("kds-kdf-s3")), WorkloadKind::Ticker);
        assert_eq!(workload_of(None), WorkloadKind::Ticker);
    }
}
