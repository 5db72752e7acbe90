//! `kpl-kds-kda/sliding-window-max`: pattern 2's job. It reads the ticker records
//! `{EVENT_TIME, TICKER, PRICE}` from every shard of `InputStreamName`, keeps per ticker the maximum
//! PRICE over event-time sliding windows (`windows.rs`; DESIGN §4: event time where the reference
//! uses processing time, so results are reproducible), and writes one line
//! `"<TICKER>:  max - <price>"` per window result, the price as Java prints a `double`, into hourly
//! part files of `OutputBucketName` (`part_files.rs`), committed exactly once with each checkpoint.
//!
//! Its state is the source's positions, the open windows and watermark (compact bytes), and
//! the part files the checkpoint commits with the part counter. A start from a checkpoint or a
//! snapshot first writes that state's pending part files again (same keys, same bytes).
//!
//! Every property of `FlinkApplicationProperties` it reads is required, and a missing or bad one
//! fails the start naming it. A record that is not such JSON fails the job naming its shard, as the
//! reference's JSON deserialisation does: the restart strategy then decides.

use std::collections::BTreeMap;

use serde_json::Value;

use super::job::{Job, JobEnv, JobError, JobStats, StartFrom};
use super::kinesis_source::{KinesisSource, SourcePositions};
use super::part_files::{PartFiles, SinkState};
use super::windows::Windows;
use crate::cloud::clock::Millis;

pub const TAG: &str = "kpl-kds-kda/sliding-window-max";
const GROUP: &str = "FlinkApplicationProperties";
/// The reference job's `SHARD_GETRECORDS_INTERVAL_MILLIS`.
const POLL_MS: Millis = 1_000;
/// Event times are kept within ±10,000 years of 1970, as an ISO timestamp can say.
const MAX_EVENT_MS: i64 = 315_537_897_599_999;
const STATE_FORMAT: u8 = 2;

pub fn new(env: &JobEnv) -> Box<dyn Job> {
    Box::new(SlidingWindowMax { env: env.clone(), run: None, failed: None, stats: JobStats::default() })
}

/// The job's settings, from `FlinkApplicationProperties`.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub stream: String,
    pub bucket: String,
    pub event_time_field: String,
    pub out_of_orderness_ms: Millis,
    pub size_ms: Millis,
    pub slide_ms: Millis,
}

fn property<'a>(group: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str, JobError> {
    match group.get(name).map(|v| v.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(JobError(format!(
            "IllegalArgumentException: the property {name} of the property group {GROUP} is missing or empty"
        ))),
    }
}

/// A number of seconds as whole milliseconds; `positive` refuses 0.
fn seconds(group: &BTreeMap<String, String>, name: &str, positive: bool) -> Result<Millis, JobError> {
    let text = property(group, name)?;
    let ms = text.parse::<f64>().ok().filter(|s| s.is_finite()).map(|s| (s * 1000.0).round());
    match ms {
        Some(ms) if ms >= if positive { 1.0 } else { 0.0 } && ms <= 86_400_000.0 * 365.0 => Ok(ms as Millis),
        _ => Err(JobError(format!(
            "IllegalArgumentException: the property {name} of the property group {GROUP} is '{text}', not a {} number of seconds (at most a year)",
            if positive { "positive" } else { "non-negative" }
        ))),
    }
}

impl Config {
    pub fn from_properties(properties: &BTreeMap<String, BTreeMap<String, String>>) -> Result<Config, JobError> {
        let empty = BTreeMap::new();
        let group = properties.get(GROUP).unwrap_or(&empty);
        let config = Config {
            stream: property(group, "InputStreamName")?.to_string(),
            bucket: property(group, "OutputBucketName")?.to_string(),
            event_time_field: property(group, "EventTimeField")?.to_string(),
            out_of_orderness_ms: seconds(group, "MaxOutOfOrdernessSeconds", false)?,
            size_ms: seconds(group, "WindowSizeSeconds", true)?,
            slide_ms: seconds(group, "WindowSlideSeconds", true)?,
        };
        if config.slide_ms > config.size_ms {
            return Err(JobError(format!(
                "IllegalArgumentException: the property WindowSlideSeconds of the property group {GROUP} ({} s) is greater than WindowSizeSeconds ({} s): records between windows would belong to none",
                config.slide_ms as f64 / 1000.0,
                config.size_ms as f64 / 1000.0
            )));
        }
        Ok(config)
    }
}

struct Run {
    config: Config,
    source: KinesisSource,
    windows: Windows,
    sink: PartFiles,
}

struct SlidingWindowMax {
    env: JobEnv,
    run: Option<Run>,
    /// Set by a step that failed: what it had read is neither processed nor to be checkpointed, so the
    /// job only fails from then on, until it is started again from a checkpoint.
    failed: Option<JobError>,
    stats: JobStats,
}

/// A `double` as Java's `Double.toString` writes it (the reference concatenates one into its line):
/// shortest digits that read back the same, plain between 10⁻³ and 10⁷, else `d.dddE±n`.
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let magnitude = v.abs();
    if v == 0.0 || (1e-3..1e7).contains(&magnitude) {
        let plain = format!("{v}");
        return if plain.contains('.') { plain } else { format!("{plain}.0") };
    }
    let sci = format!("{v:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let mantissa = if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
    format!("{mantissa}E{exponent}")
}

/// The event time of a record: an ISO-8601 timestamp (the producer's `2026-11-30T03:38:25.120Z`) or
/// epoch milliseconds.
fn event_time(v: &Value) -> Option<Millis> {
    let ms = match v {
        Value::String(s) => {
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
            (t.unix_timestamp_nanos() / 1_000_000) as i64
        }
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    (-MAX_EVENT_MS..=MAX_EVENT_MS).contains(&ms).then_some(ms)
}

/// `(event time, ticker, price)` of one record, or what is wrong with it.
fn parse_record<'a>(value: &'a Value, time_field: &str) -> Result<(Millis, &'a str, f64), String> {
    let t = event_time(&value[time_field]).ok_or_else(|| {
        format!("its {time_field} is {}, not an ISO-8601 timestamp or epoch milliseconds", value[time_field])
    })?;
    let ticker = value["TICKER"].as_str().ok_or("it has no TICKER string")?;
    let price = match &value["PRICE"] {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let price = price.ok_or("its PRICE is not a number")?;
    Ok((t, ticker, price))
}

/// The part of the state that is not the windows: small, kept as JSON.
#[derive(serde::Serialize, serde::Deserialize)]
struct Header {
    positions: SourcePositions,
    sink: SinkState,
}

impl Run {
    /// `STATE_FORMAT` (1 byte), the header's length (u32, little-endian), the header as JSON, then the
    /// windows' own encoding: a million open keys are written as they are, not as text.
    fn state(&mut self) -> Result<Vec<u8>, JobError> {
        let header = Header { positions: self.source.positions(), sink: self.sink.seal() };
        let header = serde_json::to_vec(&header).map_err(|e| JobError(format!("encoding the job's state: {e}")))?;
        let len = u32::try_from(header.len()).map_err(|_| JobError("the job's state header passes 4 GiB".into()))?;
        let mut out = Vec::with_capacity(5 + header.len());
        out.push(STATE_FORMAT);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&header);
        self.windows.encode_into(&mut out);
        Ok(out)
    }
}

/// The parts of a saved state, or why it is not one of this job's.
fn restore(state: &[u8]) -> Result<(SourcePositions, &[u8], SinkState), String> {
    let (&format, rest) = state.split_first().ok_or("the state is empty")?;
    if format != STATE_FORMAT {
        return Err(format!("state format {format}, this build reads {STATE_FORMAT}"));
    }
    let (len, rest) = rest.split_first_chunk::<4>().ok_or("the state ends before its header")?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > rest.len() {
        return Err(format!("a header of {len} bytes in {} bytes", rest.len()));
    }
    let (header, windows) = rest.split_at(len);
    let header: Header = serde_json::from_slice(header).map_err(|e| format!("header: {e}"))?;
    Ok((header.positions, windows, header.sink))
}

impl Job for SlidingWindowMax {
    fn start(&mut self, from: StartFrom) -> Result<(), JobError> {
        let config = Config::from_properties(&self.env.properties)?;
        let ctx = self.env.ctx.clone();
        let mut windows = Windows::new(config.size_ms, config.slide_ms, config.out_of_orderness_ms);
        let (positions, sink_state) = match &from {
            StartFrom::Fresh => (None, SinkState::default()),
            StartFrom::Snapshot(v) | StartFrom::Checkpoint(v) => {
                let unreadable = |why: String| {
                    JobError(format!("Job could not be restored: the saved state of {} is unreadable: {why}", TAG))
                };
                let (positions, bytes, sink) = restore(v).map_err(unreadable)?;
                windows.decode(bytes).map_err(unreadable)?;
                (Some(positions), sink)
            }
        };
        if let Err(e) = ctx.object_writer.object_exists(&config.bucket, ".flink-probe")
            && e.code == "NoSuchBucket"
        {
            return Err(JobError(format!(
                "{}: {} (the output bucket {} that OutputBucketName names)",
                e.code, e.message, config.bucket
            )));
        }
        let mut source = KinesisSource::new(&ctx, &config.stream, POLL_MS);
        source.start(&ctx, positions)?;
        let uid = uuid::Uuid::new_v4().to_string();
        let mut sink = PartFiles::new(&config.bucket, &uid, sink_state);
        // What the restored checkpoint committed may not have reached S3 before the crash.
        sink.flush(&ctx.object_writer);
        self.stats = JobStats::default();
        self.failed = None;
        self.run = Some(Run { config, source, windows, sink });
        Ok(())
    }

    fn step(&mut self, now: Millis) -> Result<(), JobError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.process(now);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    fn state(&mut self) -> Result<Vec<u8>, JobError> {
        if let Some(e) = &self.failed {
            return Err(JobError(format!("no checkpoint of a failed job: {e}")));
        }
        match self.run.as_mut() {
            Some(run) => run.state(),
            None => Err(JobError(format!("{TAG} is not running"))),
        }
    }

    fn committed(&mut self) {
        if let Some(run) = self.run.as_mut() {
            run.sink.committed(&self.env.ctx.object_writer);
        }
    }

    fn stop(&mut self) {
        self.run = None;
    }

    fn stats(&self) -> JobStats {
        self.stats.clone()
    }
}

impl SlidingWindowMax {
    /// One step: write what earlier commits could not, read what is due, add it to the windows, fire
    /// what the new watermark completes into the in-progress part files.
    fn process(&mut self, now: Millis) -> Result<(), JobError> {
        let Some(run) = self.run.as_mut() else { return Ok(()) };
        let ctx = &self.env.ctx;
        if run.sink.unwritten() > 0 {
            run.sink.flush(&ctx.object_writer);
            if let Some(failure) = run.sink.failure.clone() {
                return Err(JobError(failure));
            }
        }
        let records = run.source.poll(ctx, now)?;
        self.stats.millis_behind_latest = run.source.millis_behind_latest();
        for r in &records {
            let parsed = serde_json::from_slice::<Value>(&r.data).map_err(|e| e.to_string()).and_then(|v| {
                parse_record(&v, &run.config.event_time_field)
                    .map(|(t, ticker, price)| run.windows.add(t, ticker, price))
            });
            match parsed {
                Ok(true) => {}
                Ok(false) => self.stats.late_records_dropped += 1,
                Err(why) => {
                    return Err(JobError(format!(
                        "JsonProcessingException: a record of shard {} of {} is not a ticker event: {why}",
                        r.shard_id, run.config.stream
                    )));
                }
            }
        }
        self.stats.records_in += records.len() as u64;
        let sink = &mut run.sink;
        let mut line = String::new();
        self.stats.records_out += run.windows.advance(|_, ticker, max| {
            line.clear();
            line.push_str(ticker);
            line.push_str(":  max - ");
            line.push_str(&java_double(max));
            sink.write(now, &line);
        });
        self.stats.input_watermark_ms = run.windows.watermark();
        self.stats.output_watermark_ms = run.windows.watermark();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeMap<String, String>> {
        let group = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        BTreeMap::from([(GROUP.to_string(), group)])
    }

    const GOOD: [(&str, &str); 6] = [
        ("InputStreamName", "in"),
        ("OutputBucketName", "out"),
        ("EventTimeField", "EVENT_TIME"),
        ("MaxOutOfOrdernessSeconds", "5"),
        ("WindowSizeSeconds", "10"),
        ("WindowSlideSeconds", "5"),
    ];

    #[test]
    fn the_properties_give_the_windows_and_a_missing_or_bad_one_is_named() {
        let c = Config::from_properties(&props(&GOOD)).unwrap();
        assert_eq!((c.out_of_orderness_ms, c.size_ms, c.slide_ms), (5_000, 10_000, 5_000));
        for (i, (name, _)) in GOOD.iter().enumerate() {
            let mut without = GOOD.to_vec();
            without.remove(i);
            let err = Config::from_properties(&props(&without)).unwrap_err();
            assert!(err.0.contains(name) && err.0.contains("missing"), "{}", err.0);
        }
        for (name, bad) in
            [("WindowSizeSeconds", "0"), ("WindowSlideSeconds", "ten"), ("MaxOutOfOrdernessSeconds", "-1")]
        {
            let mut p = GOOD.to_vec();
            p.retain(|(n, _)| *n != name);
            p.push((name, bad));
            let err = Config::from_properties(&props(&p)).unwrap_err();
            assert!(err.0.contains(name) && err.0.contains(&format!("'{bad}'")), "{}", err.0);
        }
        let mut wide = GOOD.to_vec();
        wide[5] = ("WindowSlideSeconds", "11");
        assert!(Config::from_properties(&props(&wide)).unwrap_err().0.contains("greater than WindowSizeSeconds"));
    }

    #[test]
    fn prices_print_as_java_prints_a_double() {
        for (v, java) in [
            (42.0, "42.0"),
            (99.99, "99.99"),
            (0.5, "0.5"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (0.0, "0.0"),
            (-3.25, "-3.25"),
        ] {
            assert_eq!(java_double(v), java, "{v}");
        }
    }

    #[test]
    fn a_ticker_record_is_read_as_the_producer_writes_it() {
        let v: Value =
            serde_json::from_str(r#"{"EVENT_TIME":"2026-11-30T03:38:25.120Z","TICKER":"AMZN","PRICE":12.5}"#).unwrap();
        assert_eq!(parse_record(&v, "EVENT_TIME"), Ok((1_796_009_905_120, "AMZN", 12.5)));
        let v: Value = serde_json::from_str(r#"{"T":1000,"TICKER":"A","PRICE":"7"}"#).unwrap();
        assert_eq!(parse_record(&v, "T"), Ok((1_000, "A", 7.0)));
        let v: Value = serde_json::from_str(r#"{"EVENT_TIME":"yesterday","TICKER":"A","PRICE":1}"#).unwrap();
        assert!(parse_record(&v, "EVENT_TIME").unwrap_err().contains("EVENT_TIME"));
    }

    #[test]
    fn a_saved_state_that_is_cut_short_or_of_another_format_is_refused_with_the_reason() {
        assert_eq!(restore(&[]).err().as_deref(), Some("the state is empty"));
        assert!(restore(&[1, 0, 0, 0, 0]).unwrap_err().contains("state format 1, this build reads 2"));
        assert_eq!(restore(&[STATE_FORMAT, 9]).err().as_deref(), Some("the state ends before its header"));
        let too_long = [STATE_FORMAT, 200, 0, 0, 0, b'{', b'}'];
        assert_eq!(restore(&too_long).err().as_deref(), Some("a header of 200 bytes in 2 bytes"));
        let bad = [STATE_FORMAT, 2, 0, 0, 0, b'{', b'}'];
        assert!(restore(&bad).unwrap_err().starts_with("header: missing field"));
        let header =
            serde_json::to_vec(&Header { positions: SourcePositions::default(), sink: SinkState::default() }).unwrap();
        let mut state = vec![STATE_FORMAT];
        state.extend_from_slice(&(header.len() as u32).to_le_bytes());
        state.extend_from_slice(&header);
        state.extend_from_slice(b"windows");
        let (_, windows, _) = restore(&state).expect("a state");
        assert_eq!(windows, b"windows", "what follows the header is the windows' encoding");
    }
}
