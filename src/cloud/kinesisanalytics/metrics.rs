//! The `AWS/KinesisAnalytics` metrics of a RUNNING application, published once per minute of the
//! cloud clock (AWS's granularity for them) with the dimension `Application=<name>`. A stopped
//! application publishes nothing, as on AWS. Every figure is measured:
//!
//! | metric | unit | from |
//! |---|---|---|
//! | uptime / downtime | Milliseconds | since the job last (re)started / since it failed, while the application is RUNNING |
//! | numRestarts, fullRestarts | Count | restarts after a failure (every restart here restarts the whole job) |
//! | numberOfFailedCheckpoints | Count | checkpoints whose state could not be taken |
//! | lastCheckpointDuration | Milliseconds | taking the job's state and writing it durably, on the host's clock |
//! | lastCheckpointSize | Bytes | the state as written |
//! | cpuUtilization, threadsCount | Percent, Count | this process (`process_stats.rs`) |
//! | heapMemoryUtilization | Percent | resident memory over the heap of the application's KPUs |
//! | oldGenerationGCTime / Count | Milliseconds, Count | 0: Rust has no garbage collector, so none ran |
//! | numRecordsIn/OutPerSecond | Count/Second | the job's counters, differences over the minute |
//! | numLateRecordsDropped | Count | the job's counter |
//! | currentInput/OutputWatermark | Milliseconds | the job's watermarks, when it keeps event time |
//! | millisBehindLatest | Milliseconds | the job's furthest-behind shard, dimensions `Application`, `Flow=Input`, `Id=<stream, - as _>` |

use super::jobs::JobStats;
use super::model::Application;
use super::process_stats::ProcessUse;
use crate::cloud::clock::Millis;
use crate::cloud::metric_sink::{Datum, Sample};

pub const NAMESPACE: &str = "AWS/KinesisAnalytics";

/// How often an application's metrics are published (AWS reports these each minute).
pub const PERIOD_MS: Millis = 60_000;

/// Heap per KPU: AWS gives each KPU 4 GiB, of which 3 GiB is JVM heap ("Apache Flink settings",
/// Heap sizes); heapMemoryUtilization is heap used over that heap.
pub const HEAP_PER_KPU_BYTES: u64 = 3 * 1024 * 1024 * 1024;

/// What the metrics of one application remember between publications.
#[derive(Debug, Default)]
pub struct Meter {
    /// The minute of the last publication.
    published_minute: Option<Millis>,
    /// The job's counters at the last publication and when that was; rates are differences from it.
    baseline: Option<(Millis, JobStats)>,
    /// The start of the job the baseline belongs to (a restart starts the counters again).
    job_started_ms: Option<Millis>,
    /// The last checkpoint's duration; measured by this process, so not kept across its restarts.
    pub checkpoint_duration_ms: Option<f64>,
}

impl Meter {
    /// Whether `now` is in a minute that has not been published yet.
    pub fn due(&self, now: Millis) -> bool {
        self.published_minute.is_none_or(|m| now / PERIOD_MS > m)
    }

    /// The datums for `app` at `now`, given its job's figures (none while the job is down) and the
    /// process's; marks the minute published.
    pub fn datums(
        &mut self,
        app: &Application,
        now: Millis,
        stats: Option<&JobStats>,
        process: Option<&ProcessUse>,
    ) -> Vec<Datum> {
        self.published_minute = Some(now / PERIOD_MS);
        let mut out = Vec::new();
        let mut put = |name: &str, unit: &str, value: f64| out.push(datum(app, name, unit, value, now, Vec::new()));
        let h = &app.health;
        let down = h.down_since_ms.map_or(0, |d| now - d);
        let up = match (h.down_since_ms, app.started_ms) {
            (None, Some(s)) => now - s,
            _ => 0,
        };
        put("uptime", "Milliseconds", up as f64);
        put("downtime", "Milliseconds", down as f64);
        put("numRestarts", "Count", h.restarts as f64);
        put("fullRestarts", "Count", h.restarts as f64);
        put("numberOfFailedCheckpoints", "Count", h.failed_checkpoints as f64);
        if let Some(c) = &h.last_checkpoint {
            put("lastCheckpointSize", "Bytes", c.size_bytes as f64);
            if let Some(d) = self.checkpoint_duration_ms {
                put("lastCheckpointDuration", "Milliseconds", d);
            }
        }
        if let Some(p) = process {
            put("cpuUtilization", "Percent", p.cpu_percent);
            if let Some(rss) = p.resident_bytes {
                put("heapMemoryUtilization", "Percent", rss as f64 / (HEAP_PER_KPU_BYTES * kpus(app)) as f64 * 100.0);
            }
            if let Some(t) = p.threads {
                put("threadsCount", "Count", t as f64);
            }
            // Rust has no garbage collector: no old-generation collection ran, a measured 0.
            put("oldGenerationGCTime", "Milliseconds", 0.0);
            put("oldGenerationGCCount", "Count", 0.0);
        }
        if let Some(s) = stats {
            self.job_figures(app, now, s, &mut out);
        }
        out
    }

    fn job_figures(&mut self, app: &Application, now: Millis, s: &JobStats, out: &mut Vec<Datum>) {
        if self.job_started_ms != app.started_ms || self.baseline.is_none() {
            self.job_started_ms = app.started_ms;
            self.baseline = Some((app.started_ms.unwrap_or(now), JobStats::default()));
        }
        let mut put = |name: &str, unit: &str, value: f64| out.push(datum(app, name, unit, value, now, Vec::new()));
        if let Some((since, base)) = &self.baseline
            && now > *since
        {
            let seconds = (now - since) as f64 / 1000.0;
            put("numRecordsInPerSecond", "Count/Second", s.records_in.saturating_sub(base.records_in) as f64 / seconds);
            put(
                "numRecordsOutPerSecond",
                "Count/Second",
                s.records_out.saturating_sub(base.records_out) as f64 / seconds,
            );
        }
        put("numLateRecordsDropped", "Count", s.late_records_dropped as f64);
        if let Some(w) = s.input_watermark_ms {
            put("currentInputWatermark", "Milliseconds", w as f64);
        }
        if let Some(w) = s.output_watermark_ms {
            put("currentOutputWatermark", "Milliseconds", w as f64);
        }
        if let (Some(behind), Some(stream)) = (s.millis_behind_latest.values().max(), input_stream(app)) {
            let dims = vec![("Flow".to_string(), "Input".to_string()), ("Id".to_string(), stream.replace('-', "_"))];
            out.push(datum(app, "millisBehindLatest", "Milliseconds", *behind as f64, now, dims));
        }
        self.baseline = Some((now, s.clone()));
    }
}

/// The KPUs AWS gives the application: its parallelism over its parallelism per KPU, rounded up.
pub fn kpus(app: &Application) -> u64 {
    let p = &app.config["FlinkApplicationConfigurationDescription"]["ParallelismConfigurationDescription"];
    let parallelism = p["CurrentParallelism"].as_u64().or(p["Parallelism"].as_u64()).unwrap_or(1).max(1);
    let per_kpu = p["ParallelismPerKPU"].as_u64().unwrap_or(1).max(1);
    parallelism.div_ceil(per_kpu)
}

/// The Kinesis stream the job reads (`FlinkApplicationProperties.InputStreamName`).
fn input_stream(app: &Application) -> Option<String> {
    app.properties().get("FlinkApplicationProperties")?.get("InputStreamName").filter(|s| !s.is_empty()).cloned()
}

fn datum(app: &Application, name: &str, unit: &str, value: f64, now: Millis, extra: Vec<(String, String)>) -> Datum {
    let mut dimensions = vec![("Application".to_string(), app.name.clone())];
    dimensions.extend(extra);
    Datum {
        namespace: NAMESPACE.to_string(),
        name: name.to_string(),
        dimensions,
        unit: unit.to_string(),
        timestamp_ms: now,
        sample: Sample::Value(value),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::cloud::kinesisanalytics::model::{CheckpointStats, Status};

    fn app(parallelism: u64, per_kpu: u64) -> Application {
        let mut a: Application = serde_json::from_value(json!({
            "name": "app", "arn": "arn:aws:kinesisanalytics:us-east-1:000000000000:application/app",
            "description": null, "runtime": "FLINK-1_20", "role": "r", "mode": "STREAMING", "status": "RUNNING",
            "version_id": 1, "version_from": null, "created_ms": 0, "updated_ms": 0, "version_created_ms": 0,
            "config": {
                "FlinkApplicationConfigurationDescription": { "ParallelismConfigurationDescription":
                    { "Parallelism": parallelism, "CurrentParallelism": parallelism, "ParallelismPerKPU": per_kpu } },
                "EnvironmentPropertyDescriptions": { "PropertyGroupDescriptions": [
                    { "PropertyGroupId": "FlinkApplicationProperties", "PropertyMap": { "InputStreamName": "ticker-stream" } } ] }
            },
            "logging": [], "next_logging_id": 1, "tags": {}, "versions": [], "snapshots": [], "operations": [],
            "pending": null, "last_restore": null, "checkpoint": null, "checkpoint_ms": null, "started_ms": 0
        }))
        .expect("an application (the health member is optional, as in stores written before it)");
        a.status = Status::Running;
        a
    }

    fn value(ds: &[Datum], name: &str) -> Option<f64> {
        ds.iter().find(|d| d.name == name).map(|d| match d.sample {
            Sample::Value(v) => v,
            _ => f64::NAN,
        })
    }

    #[test]
    fn rates_are_differences_over_the_minute_and_a_restarted_job_counts_from_its_start() {
        let mut a = app(1, 1);
        let mut m = Meter::default();
        let stats = |n: u64| JobStats { records_in: n, records_out: n / 2, ..JobStats::default() };
        let first = m.datums(&a, 60_000, Some(&stats(600)), None);
        assert_eq!(value(&first, "numRecordsInPerSecond"), Some(10.0));
        assert!(!m.due(119_999) && m.due(120_000));
        let second = m.datums(&a, 120_000, Some(&stats(1_800)), None);
        assert_eq!(
            (value(&second, "numRecordsInPerSecond"), value(&second, "numRecordsOutPerSecond")),
            (Some(20.0), Some(10.0))
        );
        assert_eq!(value(&second, "uptime"), Some(120_000.0));
        // A restart at 150 s starts the job's counters again.
        a.started_ms = Some(150_000);
        let third = m.datums(&a, 180_000, Some(&stats(300)), None);
        assert_eq!(value(&third, "numRecordsInPerSecond"), Some(10.0));
        assert_eq!(value(&third, "uptime"), Some(30_000.0));
    }

    #[test]
    fn a_down_job_reports_downtime_and_no_job_figures() {
        let mut a = app(1, 1);
        a.health.down_since_ms = Some(50_000);
        a.health.restarts = 3;
        a.health.last_checkpoint = Some(CheckpointStats { at_ms: 40_000, size_bytes: 512 });
        let ds = Meter::default().datums(&a, 60_000, None, None);
        assert_eq!((value(&ds, "uptime"), value(&ds, "downtime")), (Some(0.0), Some(10_000.0)));
        assert_eq!((value(&ds, "numRestarts"), value(&ds, "fullRestarts")), (Some(3.0), Some(3.0)));
        assert_eq!(value(&ds, "lastCheckpointSize"), Some(512.0));
        assert_eq!(value(&ds, "numRecordsInPerSecond"), None);
        assert!(ds.iter().all(|d| d.dimensions == vec![("Application".to_string(), "app".to_string())]));
    }

    #[test]
    fn millis_behind_latest_is_the_furthest_shard_under_the_flow_and_id_of_the_input_stream() {
        let a = app(1, 1);
        let behind =
            BTreeMap::from([("shardId-000000000000".to_string(), 40), ("shardId-000000000001".to_string(), 900)]);
        let stats = JobStats { millis_behind_latest: behind, input_watermark_ms: Some(5), ..JobStats::default() };
        let ds = Meter::default().datums(&a, 60_000, Some(&stats), None);
        let d = ds.iter().find(|d| d.name == "millisBehindLatest").expect("millisBehindLatest");
        assert_eq!(d.sample, Sample::Value(900.0));
        let dims: Vec<(&str, &str)> = d.dimensions.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(dims, [("Application", "app"), ("Flow", "Input"), ("Id", "ticker_stream")]);
        assert_eq!(value(&ds, "currentInputWatermark"), Some(5.0));
        assert_eq!(value(&ds, "currentOutputWatermark"), None);
    }

    #[test]
    fn heap_utilisation_is_resident_memory_over_the_heap_of_the_kpus() {
        assert_eq!(kpus(&app(4, 1)), 4);
        assert_eq!(kpus(&app(5, 2)), 3);
        let p = ProcessUse { cpu_percent: 12.5, resident_bytes: Some(HEAP_PER_KPU_BYTES), threads: Some(9) };
        let ds = Meter::default().datums(&app(4, 2), 60_000, None, Some(&p));
        assert_eq!(value(&ds, "heapMemoryUtilization"), Some(50.0));
        assert_eq!((value(&ds, "cpuUtilization"), value(&ds, "threadsCount")), (Some(12.5), Some(9.0)));
        assert_eq!((value(&ds, "oldGenerationGCTime"), value(&ds, "oldGenerationGCCount")), (Some(0.0), Some(0.0)));
    }
}
