//! `kds-kda-apigw/async-enrichment`: pattern 4's job, the reference's `StreamingJob` (kda-flink-ml).
//! It reads taxi trips from the input stream, keeps those whose `trip_id` is divisible by
//! `SampleEveryNthTrip`, asks the fare API for each (`AsyncDataStream.unorderedWait`: at most
//! `AsyncCapacity` calls in flight, each within `AsyncTimeoutSeconds`, answers taken in any order)
//! and logs every trip with its `expected_fare` as an INFO record of the application's log.
//!
//! | rule | why |
//! |---|---|
//! | a failed call (non-2xx, timeout, no connection) fails the step with its cause | Flink's async I/O fails the job on an exception; the runtime restarts it from its last checkpoint |
//! | the state is the source's positions and every sampled trip not yet answered | Flink's async operator keeps its in-flight elements in its state and sends them again after a restore |
//! | the source is read only while fewer than `AsyncCapacity` trips wait | a full async operator back-pressures its input |
//! | enriched trips are logged once a checkpoint or snapshot that follows them is kept | a trip answered after the last checkpoint is asked again after a restore; holding its line back until the next kept state (`Job::committed`) logs it exactly once |
//! | timeouts count on the cloud clock | the one clock; a virtual clock times out a call that never answers without waiting |
//!
//! Without checkpoints (`CheckpointingEnabled: false`) nothing is ever committed, as with Flink's
//! exactly-once sinks.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::runtime::Handle;

use super::fare_call::{Call, FareApi, Polled};
use super::job::{Job, JobEnv, JobError, JobStats, StartFrom};
use super::kinesis_source::{KinesisSource, SourcePositions};
use crate::cloud::clock::Millis;
use crate::cloud::kinesisanalytics::app_log::{self, Level, Source};

pub const TAG: &str = "kds-kda-apigw/async-enrichment";
const GROUP: &str = "FlinkApplicationProperties";
/// The reference sets the connector's `SHARD_GETRECORDS_INTERVAL_MILLIS` to 1 s.
const POLL_INTERVAL_MS: Millis = 1_000;

/// The reference's `print()` sink, which writes each enriched request as its JSON.
const PRINT_SINK: Source = Source {
    logger: "org.apache.flink.streaming.api.functions.sink.PrintSinkFunction",
    location: "org.apache.flink.streaming.api.functions.sink.PrintSinkFunction.invoke(PrintSinkFunction.java:81)",
    thread: "async wait operator -> Sink: Application log (1/1)#0",
};

pub fn new(env: &JobEnv) -> Box<dyn Job> {
    Box::new(AsyncEnrichment {
        env: env.clone(),
        run: None,
        records_in: 0,
        records_out: 0,
        open: Vec::new(),
        precommitted: Vec::new(),
    })
}

/// The job's properties, read from `FlinkApplicationProperties` at each start.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    stream: String,
    /// `{RideApiEndpoint}predictFare` at the local cloud.
    url: String,
    api_key: String,
    every_nth: u64,
    timeout_ms: Millis,
    capacity: usize,
}

/// What a checkpoint or snapshot keeps.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    source: SourcePositions,
    /// The trip ids sampled and not yet answered, in the order they were read.
    pending: Vec<u64>,
}

/// One run, from a start to a stop (or to the restart that replaces it).
struct Run {
    settings: Settings,
    source: KinesisSource,
    api: FareApi,
    runtime: Handle,
    /// Sampled trips waiting for a free slot.
    waiting: VecDeque<u64>,
    /// Calls under way, each with the trip it is for, in the order they were sent.
    in_flight: Vec<(u64, Call)>,
}

struct AsyncEnrichment {
    env: JobEnv,
    run: Option<Run>,
    records_in: u64,
    records_out: u64,
    /// Log lines of trips enriched since the state was last handed over.
    open: Vec<String>,
    /// Log lines of trips enriched before a state handed over, written once a kept state covers them.
    precommitted: Vec<String>,
}

fn bad(name: &str, why: &str) -> JobError {
    JobError(format!("Job could not be started: property {name} of the property group {GROUP} {why}"))
}

/// A positive whole number, or `default` when the property is absent.
fn positive(props: &BTreeMap<String, String>, name: &str, default: u64) -> Result<u64, JobError> {
    match props.get(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad(name, &format!("is '{v}', not a positive whole number"))),
        },
    }
}

impl Settings {
    /// The properties as the reference reads them: the stream, endpoint and key are required, the
    /// sample, timeout and capacity default to the reference's 20, 30 s and 20.
    fn read(groups: &BTreeMap<String, BTreeMap<String, String>>, endpoint: Option<&str>) -> Result<Settings, JobError> {
        let empty = BTreeMap::new();
        let props = groups.get(GROUP).unwrap_or(&empty);
        let required = |name: &str| match props.get(name).map(|v| v.trim()) {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            Some(_) => Err(bad(name, "is empty")),
            None => Err(bad(name, "is missing")),
        };
        let stream = required("InputStreamName")?;
        let api_url = required("RideApiEndpoint")?;
        let api_key = required("ApiKey")?;
        let local = endpoint.and_then(|e| crate::execute_api::local_url(&api_url, e));
        let base = match local {
            Some(u) => u,
            None if api_url.starts_with("http://") => api_url.clone(),
            None => {
                return Err(bad(
                    "RideApiEndpoint",
                    &format!(
                        "is '{api_url}', not an API Gateway stage URL (https://{{api}}.execute-api.{{region}}.amazonaws.com/{{stage}}/) the local cloud serves"
                    ),
                ));
            }
        };
        let sep = if base.ends_with('/') { "" } else { "/" };
        let timeout_s = positive(props, "AsyncTimeoutSeconds", 30)?;
        let capacity = positive(props, "AsyncCapacity", 20)?;
        Ok(Settings {
            stream,
            url: format!("{base}{sep}predictFare"),
            api_key,
            every_nth: positive(props, "SampleEveryNthTrip", 20)?,
            timeout_ms: i64::try_from(timeout_s.saturating_mul(1_000)).unwrap_or(i64::MAX),
            capacity: usize::try_from(capacity).unwrap_or(usize::MAX),
        })
    }
}

/// The trip id of a record, if it is a trip: the taxi replay's JSON objects carry `trip_id` as a
/// number (a numeric string is read too, as Gson reads a `Long`). Anything else is not a ride request.
fn trip_id(data: &[u8]) -> Option<u64> {
    let v: Value = serde_json::from_slice(data).ok()?;
    match &v["trip_id"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The enriched request as the reference's `print()` shows it (Gson, snake_case).
fn enriched_line(id: u64, fare: f64) -> String {
    let fare = serde_json::Number::from_f64(fare).map_or_else(|| "null".to_string(), |n| n.to_string());
    format!("{{\"trip_id\":{id},\"ride_request_id\":{id},\"expected_fare\":{fare}}}")
}

impl Run {
    /// Answers that arrived, in the order they are found; the first failure (or a call past its
    /// timeout on the cloud clock) ends the step with its cause, the trip kept to be asked again.
    fn collect(&mut self, now: Millis, enriched: &mut Vec<String>) -> Result<(), JobError> {
        let mut i = 0;
        while i < self.in_flight.len() {
            let (id, call) = &mut self.in_flight[i];
            let id = *id;
            let cause = match call.poll() {
                Polled::Done(Ok(fare)) => {
                    enriched.push(enriched_line(id, fare));
                    self.in_flight.remove(i);
                    continue;
                }
                Polled::Done(Err(cause)) => cause,
                Polled::Pending if now - call.sent_ms >= self.settings.timeout_ms => {
                    format!(
                        "java.util.concurrent.TimeoutException: no answer within {} s",
                        self.settings.timeout_ms / 1000
                    )
                }
                Polled::Pending => {
                    i += 1;
                    continue;
                }
            };
            self.in_flight.remove(i);
            self.waiting.push_front(id);
            return Err(JobError(format!(
                "Async function call for ride_request_id {id} failed: GET {}: {cause}",
                self.api.url_for(id)
            )));
        }
        Ok(())
    }

    fn pending(&self) -> usize {
        self.waiting.len() + self.in_flight.len()
    }

    fn send(&mut self, now: Millis) {
        while self.in_flight.len() < self.settings.capacity {
            let Some(id) = self.waiting.pop_front() else { break };
            let call = self.api.spawn(&self.runtime, id, now);
            self.in_flight.push((id, call));
        }
    }
}

impl AsyncEnrichment {
    fn running(&mut self) -> Result<&mut Run, JobError> {
        self.run.as_mut().ok_or_else(|| JobError("the job is not running".into()))
    }
}

impl Job for AsyncEnrichment {
    fn start(&mut self, from: StartFrom) -> Result<(), JobError> {
        self.stop();
        let ctx = self.env.ctx.clone();
        let settings = Settings::read(&self.env.properties, ctx.endpoint_url.get().map(String::as_str))?;
        let runtime = Handle::try_current()
            .map_err(|e| JobError(format!("Job could not be started: no runtime to run the async calls on: {e}")))?;
        let state = match from {
            StartFrom::Fresh => None,
            StartFrom::Snapshot(v) | StartFrom::Checkpoint(v) => {
                Some(serde_json::from_slice::<State>(&v).map_err(|e| {
                    JobError(format!("Job could not be started: the restored state is unreadable: {e}"))
                })?)
            }
        };
        let mut source = KinesisSource::new(&ctx, &settings.stream, POLL_INTERVAL_MS);
        let (positions, pending) = match state {
            Some(s) => (Some(s.source), s.pending),
            None => (None, Vec::new()),
        };
        source.start(&ctx, positions)?;
        let timeout = Duration::from_millis(u64::try_from(settings.timeout_ms).unwrap_or(u64::MAX));
        let api = FareApi::new(&ctx, settings.url.clone(), settings.api_key.clone(), timeout);
        self.run = Some(Run { settings, source, api, runtime, waiting: pending.into(), in_flight: Vec::new() });
        self.records_in = 0;
        self.records_out = 0;
        Ok(())
    }

    fn step(&mut self, now: Millis) -> Result<(), JobError> {
        let ctx = self.env.ctx.clone();
        let mut enriched = Vec::new();
        let run = self.running()?;
        let collected = run.collect(now, &mut enriched);
        let mut read = 0;
        if collected.is_ok() && run.pending() < run.settings.capacity {
            let records = run.source.poll(&ctx, now)?;
            read = records.len() as u64;
            let nth = run.settings.every_nth;
            run.waiting.extend(records.iter().filter_map(|r| trip_id(&r.data)).filter(|id| id % nth == 0));
        }
        if collected.is_ok() {
            run.send(now);
        }
        self.records_in += read;
        self.records_out += enriched.len() as u64;
        self.open.extend(enriched);
        collected
    }

    fn state(&mut self) -> Result<Vec<u8>, JobError> {
        let run = self.running()?;
        let pending: Vec<u64> = run.in_flight.iter().map(|(id, _)| *id).chain(run.waiting.iter().copied()).collect();
        let state = State { source: run.source.positions(), pending };
        let v = serde_json::to_vec(&state).map_err(|e| JobError(format!("encoding the job's state: {e}")))?;
        self.precommitted.append(&mut self.open);
        Ok(v)
    }

    fn committed(&mut self) {
        if self.precommitted.is_empty() {
            return;
        }
        let lines: Vec<(Level, &Source, String)> =
            self.precommitted.drain(..).map(|m| (Level::Info, &PRINT_SINK, m)).collect();
        let env = &self.env;
        let now = env.ctx.clock.now_ms();
        app_log::write_as(&env.ctx, &env.application, &env.application_arn, env.version_id, &env.logging, now, &lines);
    }

    fn stop(&mut self) {
        // Dropping the calls aborts them; what was not committed is asked again from the kept state.
        self.run = None;
        self.open.clear();
        self.precommitted.clear();
    }

    fn stats(&self) -> JobStats {
        JobStats {
            records_in: self.records_in,
            records_out: self.records_out,
            millis_behind_latest: self.run.as_ref().map(|r| r.source.millis_behind_latest()).unwrap_or_default(),
            ..JobStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "http://127.0.0.1:4599";

    fn groups(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
        let props = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        BTreeMap::from([(GROUP.to_string(), props)])
    }

    const TEMPLATE: &[(&str, &str)] = &[
        ("InputStreamName", "trips"),
        ("RideApiEndpoint", "https://a1b2c3.execute-api.us-east-1.amazonaws.com/prod/"),
        ("ApiKey", "k"),
        ("SampleEveryNthTrip", "20"),
        ("AsyncTimeoutSeconds", "30"),
        ("AsyncCapacity", "20"),
    ];

    #[test]
    fn the_template_properties_give_the_local_fare_url_and_the_reference_figures() {
        let s = Settings::read(&groups(TEMPLATE), Some(ENDPOINT)).unwrap();
        assert_eq!(s.url, "http://127.0.0.1:4599/_aws/execute-api/a1b2c3/prod/predictFare");
        assert_eq!((s.stream.as_str(), s.api_key.as_str()), ("trips", "k"));
        assert_eq!((s.every_nth, s.timeout_ms, s.capacity), (20, 30_000, 20));
        let defaults = Settings::read(&groups(&TEMPLATE[..3]), Some(ENDPOINT)).unwrap();
        assert_eq!(defaults, s, "the reference's figures when the three numbers are absent");
    }

    #[test]
    fn a_missing_or_bad_property_is_a_start_error_naming_it() {
        for (name, value, why) in [
            ("InputStreamName", None, "is missing"),
            ("ApiKey", Some(" "), "is empty"),
            ("RideApiEndpoint", Some("https://example.com/prod/"), "not an API Gateway stage URL"),
            ("SampleEveryNthTrip", Some("0"), "not a positive whole number"),
            ("AsyncTimeoutSeconds", Some("-3"), "not a positive whole number"),
            ("AsyncCapacity", Some("many"), "not a positive whole number"),
        ] {
            let mut g = groups(TEMPLATE);
            let props = g.get_mut(GROUP).unwrap();
            match value {
                Some(v) => props.insert(name.to_string(), v.to_string()),
                None => props.remove(name),
            };
            let e = Settings::read(&g, Some(ENDPOINT)).unwrap_err().0;
            assert!(e.contains(&format!("property {name} of the property group {GROUP}")) && e.contains(why), "{e}");
        }
        let e = Settings::read(&BTreeMap::new(), Some(ENDPOINT)).unwrap_err().0;
        assert!(e.contains("InputStreamName") && e.contains("is missing"), "{e}");
    }

    #[test]
    fn trips_are_read_by_their_id_and_logged_as_the_reference_prints_them() {
        assert_eq!(trip_id(br#"{"trip_id": 40, "type": "trip"}"#), Some(40));
        assert_eq!(trip_id(br#"{"trip_id": "60"}"#), Some(60));
        for not_a_trip in [&b"not json"[..], br#"{"id": 1}"#, br#"{"trip_id": -1}"#, br#"[1]"#] {
            assert_eq!(trip_id(not_a_trip), None, "{}", String::from_utf8_lossy(not_a_trip));
        }
        let line: Value = serde_json::from_str(&enriched_line(20, 41.25)).unwrap();
        assert_eq!(line, serde_json::json!({"trip_id": 20, "ride_request_id": 20, "expected_fare": 41.25}));
    }
}
