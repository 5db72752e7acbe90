//! Firehose delivery cost in an in-process local cloud on the real clock.
//!
//! (a) Throughput. A 4-shard stream with the shard limits off and a Kinesis-source delivery stream
//! (GZIP, 64 MiB / 1 s buffering), created first since Firehose starts at LATEST; N records of 1 KiB
//! JSON are put by 8 writers in PutRecords batches of 500. Three timings, each with its process CPU
//! (user + system from `getrusage`) per MB of record data:
//! - delivery alone, the target's figure: the cloud clock is frozen before the puts, so the records
//!   wait on the stream, and the wall clock runs from the clock's release until `DeliveryToS3.Records`
//!   reaches N. Its baseline, measured in the same run, is GetRecords reading the same records back
//!   from TRIM_HORIZON on another stream, every shard at once;
//! - puts and delivery at once on the real clock, from the first put until all is delivered, against
//!   the puts alone as the baseline: on two cores the writers and delivery share the CPU.
//!
//! After each delivery timing every object is read back and decompressed and each record must be there
//! exactly once. Target: ≥ 100,000 records/s delivered.
//!
//! (b) Idle cost. A 4-shard stream with the limits on is fed at its full write limit, 1,000 records/s
//! per shard (4,000/s) of 1,000 bytes plus a short key (1 KiB per record stays inside 1 MiB/s per shard),
//! for 30 s of real time, once without and once with a delivery stream (the template's defaults, 5 MiB /
//! 300 s, GZIP). The delivery's cost is the difference of the two runs' process CPU over the wall time,
//! as a % of one core. Target: < 5 %.
//!
//! Run: `cargo bench --bench firehose -- [--records N] [--seconds S]`

#[path = "common/cpu.rs"]
mod cpu;
use cpu::cpu_seconds;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_sdk_firehose::types::{
    BufferingHints, CompressionFormat, DeliveryStreamType, ExtendedS3DestinationConfiguration,
    KinesisStreamSourceConfiguration,
};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType, StreamStatus};
use kinesis_console::cloud::clock::ClockMode;
use kinesis_console::cloud::{self, CloudConfig, LocalCredentials, RunningCloud};

const SHARDS: u64 = 4;
const BATCH: usize = 500;
const WRITERS: u64 = 8;
const ROLE: &str = "arn:aws:iam::000000000000:role/firehose";

struct Args {
    records: u64,
    seconds: u64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args { records: 1_000_000, seconds: 30 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => a.records = value()?.parse()?,
            "--seconds" => a.seconds = value()?.parse()?,
            "--bench" => {}
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

/// Record `id` as `size` bytes of JSON shaped like a taxi trip event (the id first, so a reader finds
/// it cheaply): numbers and times vary per record, and a free-text field of words drawn from a small
/// vocabulary fills it up. GZIP shrinks such records about as much as real event payloads (3-4x), where a
/// run of one letter would let it skip most of its work.
fn record(id: u64, size: usize) -> Vec<u8> {
    const WORDS: [&str; 32] = [
        "airport", "midtown", "surge", "cash", "card", "toll", "bridge", "tunnel", "queens", "brooklyn", "harlem",
        "rain", "snow", "late", "night", "rush", "hour", "detour", "closed", "lane", "avenue", "street", "north",
        "south", "east", "west", "pickup", "dropoff", "shared", "solo", "luggage", "receipt",
    ];
    let mut x = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (minute, secs) = (next() % 60, next() % 60);
    let mut out = format!(
        concat!(
            r#"{{"trip_id":{},"type":"trip","vendor_id":{},"pickup_datetime":"2026-11-29T03:{:02}:{:02}.000Z","#,
            r#""dropoff_datetime":"2026-11-29T04:{:02}:{:02}.000Z","passenger_count":{},"trip_distance":{}.{:02},"#,
            r#""pickup_longitude":-73.{:06},"pickup_latitude":40.{:06},"dropoff_longitude":-73.{:06},"#,
            r#""dropoff_latitude":40.{:06},"payment_type":{},"fare_amount":{}.{:02},"tip_amount":{}.{:02},"notes":""#
        ),
        id,
        1 + next() % 2,
        minute,
        secs,
        next() % 60,
        next() % 60,
        1 + next() % 4,
        next() % 20,
        next() % 100,
        next() % 1_000_000,
        next() % 1_000_000,
        next() % 1_000_000,
        next() % 1_000_000,
        1 + next() % 3,
        3 + next() % 60,
        next() % 100,
        next() % 12,
        next() % 100,
    )
    .into_bytes();
    while out.len() < size - 3 {
        out.extend_from_slice(WORDS[(next() % 32) as usize].as_bytes());
        out.push(b' ');
    }
    out.truncate(size - 3);
    out.extend_from_slice(b"\"}\n");
    out
}

fn id_of(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(br#"{"trip_id":"#)?;
    let end = rest.iter().position(|b| *b == b',')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// The hash key in the middle of shard `i`'s range of a stream of `SHARDS` even shards.
fn hash_key(i: u64) -> String {
    let width = u128::MAX / u128::from(SHARDS);
    (width * u128::from(i) + width / 2).to_string()
}

struct Local {
    cloud: RunningCloud,
    _dir: tempfile::TempDir,
    kinesis: aws_sdk_kinesis::Client,
    firehose: aws_sdk_firehose::Client,
    s3: aws_sdk_s3::Client,
    cw: aws_sdk_cloudwatch::Client,
}

async fn start(limits: bool) -> anyhow::Result<Local> {
    let dir = tempfile::Builder::new().prefix("kinesis-console-firehose-bench-").tempdir()?;
    let mut config = CloudConfig::ephemeral(dir.path());
    config.limits = limits;
    config.kinesis.transition_ms = 0;
    config.firehose.transition_ms = 0;
    let cloud = cloud::start(config, LocalCredentials::generate()).await?;
    let sdk = kinesis_console::target::local_sdk_config(&cloud.endpoint_info()).await;
    Ok(Local {
        kinesis: aws_sdk_kinesis::Client::new(&sdk),
        firehose: aws_sdk_firehose::Client::new(&sdk),
        s3: aws_sdk_s3::Client::new(&sdk),
        cw: aws_sdk_cloudwatch::Client::new(&sdk),
        cloud,
        _dir: dir,
    })
}

impl Local {
    async fn stream(&self, name: &str) -> anyhow::Result<String> {
        self.kinesis
            .create_stream()
            .stream_name(name)
            .shard_count(SHARDS as i32)
            .send()
            .await
            .context("CreateStream")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let d = self.kinesis.describe_stream_summary().stream_name(name).send().await?;
            let s = d.stream_description_summary().context("a summary")?;
            if s.stream_status() == &StreamStatus::Active {
                return Ok(s.stream_arn().to_string());
            }
            if Instant::now() > deadline {
                bail!("{name} did not become ACTIVE");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn delivery(
        &self,
        name: &str,
        stream_arn: &str,
        bucket: &str,
        size_mb: i32,
        interval_s: i32,
    ) -> anyhow::Result<()> {
        self.s3.create_bucket().bucket(bucket).send().await.context("CreateBucket")?;
        let destination = ExtendedS3DestinationConfiguration::builder()
            .role_arn(ROLE)
            .bucket_arn(format!("arn:aws:s3:::{bucket}"))
            .prefix("data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/")
            .error_output_prefix("errors/!{firehose:error-output-type}/")
            .buffering_hints(BufferingHints::builder().size_in_mbs(size_mb).interval_in_seconds(interval_s).build())
            .compression_format(CompressionFormat::Gzip)
            .build()?;
        self.firehose
            .create_delivery_stream()
            .delivery_stream_name(name)
            .delivery_stream_type(DeliveryStreamType::KinesisStreamAsSource)
            .kinesis_stream_source_configuration(
                KinesisStreamSourceConfiguration::builder().kinesis_stream_arn(stream_arn).role_arn(ROLE).build()?,
            )
            .extended_s3_destination_configuration(destination)
            .send()
            .await
            .context("CreateDeliveryStream")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let d = self.firehose.describe_delivery_stream().delivery_stream_name(name).send().await?;
            let status = d.delivery_stream_description().map(|d| d.delivery_stream_status().as_str().to_string());
            if status.as_deref() == Some("ACTIVE") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{name} did not become ACTIVE ({status:?})");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `DeliveryToS3.Records` of `name` summed over the last hour.
    async fn delivered(&self, name: &str) -> anyhow::Result<f64> {
        let now = self.cloud.ctx.clock.now_ms();
        let out = self
            .cw
            .get_metric_statistics()
            .namespace("AWS/Firehose")
            .metric_name("DeliveryToS3.Records")
            .dimensions(Dimension::builder().name("DeliveryStreamName").value(name).build())
            .start_time(DateTime::from_millis(now - 3_600_000))
            .end_time(DateTime::from_millis(now + 60_000))
            .period(3_600)
            .statistics(Statistic::Sum)
            .send()
            .await
            .context("GetMetricStatistics")?;
        Ok(out.datapoints().iter().filter_map(|d| d.sum()).sum())
    }

    /// How many delivery steps of `name` have published their counters in the last hour.
    async fn steps(&self, name: &str) -> anyhow::Result<f64> {
        let now = self.cloud.ctx.clock.now_ms();
        let out = self
            .cw
            .get_metric_statistics()
            .namespace("AWS/Firehose")
            .metric_name("DataReadFromKinesisStream.Records")
            .dimensions(Dimension::builder().name("DeliveryStreamName").value(name).build())
            .start_time(DateTime::from_millis(now - 3_600_000))
            .end_time(DateTime::from_millis(now + 60_000))
            .period(3_600)
            .statistics(Statistic::SampleCount)
            .send()
            .await
            .context("GetMetricStatistics")?;
        Ok(out.datapoints().iter().filter_map(|d| d.sample_count()).sum())
    }
}

/// Puts `records` records of `size` bytes with `WRITERS` concurrent writers, each its own id range.
async fn put_all(k: &aws_sdk_kinesis::Client, stream: &str, records: u64, size: usize) -> anyhow::Result<()> {
    let per = records.div_ceil(WRITERS);
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (k, stream) = (k.clone(), stream.to_string());
        let ids = w * per..((w + 1) * per).min(records);
        tasks.push(tokio::spawn(async move {
            let all: Vec<u64> = ids.collect();
            for chunk in all.chunks(BATCH) {
                let mut pending = chunk.to_vec();
                while !pending.is_empty() {
                    let entries = pending
                        .iter()
                        .map(|id| {
                            PutRecordsRequestEntry::builder()
                                .partition_key(id.to_string())
                                .explicit_hash_key(hash_key(id % SHARDS))
                                .data(Blob::new(record(*id, size)))
                                .build()
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    let out = k.put_records().stream_name(&stream).set_records(Some(entries)).send().await?;
                    pending = pending
                        .iter()
                        .zip(out.records())
                        .filter(|(_, r)| r.sequence_number().is_none())
                        .map(|(id, _)| *id)
                        .collect();
                }
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Reads every shard of `stream` from TRIM_HORIZON until `records` records were read.
async fn read_all(k: &aws_sdk_kinesis::Client, stream: &str, records: u64) -> anyhow::Result<u64> {
    let shards = k.list_shards().stream_name(stream).send().await?;
    let mut tasks = Vec::new();
    for s in shards.shards() {
        let (k, stream, shard) = (k.clone(), stream.to_string(), s.shard_id().to_string());
        tasks.push(tokio::spawn(async move {
            let it = k
                .get_shard_iterator()
                .stream_name(&stream)
                .shard_id(&shard)
                .shard_iterator_type(ShardIteratorType::TrimHorizon)
                .send()
                .await?;
            let mut it = it.shard_iterator().context("an iterator")?.to_string();
            let mut n = 0u64;
            loop {
                let r = k.get_records().shard_iterator(&it).limit(10_000).send().await?;
                n += r.records().len() as u64;
                if r.records().is_empty() && r.millis_behind_latest().unwrap_or(0) == 0 {
                    return anyhow::Ok(n);
                }
                it = r.next_shard_iterator().context("an open shard")?.to_string();
            }
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await??;
    }
    if n != records {
        bail!("read back {n} of {records} records");
    }
    Ok(n)
}

/// Every record delivered to `bucket`, counted by id; fails on a loss or a duplicate. The number of
/// objects and their total size.
async fn check_delivered(l: &Local, bucket: &str, records: u64) -> anyhow::Result<(usize, usize)> {
    use std::io::Read as _;
    let mut seen = vec![0u8; records as usize];
    let (mut objects, mut stored) = (0, 0);
    let mut token = None;
    loop {
        let page = l.s3.list_objects_v2().bucket(bucket).set_continuation_token(token.clone()).send().await?;
        for o in page.contents() {
            let key = o.key().context("a key")?;
            let body = l.s3.get_object().bucket(bucket).key(key).send().await?.body.collect().await?.into_bytes();
            stored += body.len();
            let mut data = Vec::new();
            flate2::read::MultiGzDecoder::new(&body[..]).read_to_end(&mut data)?;
            for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let id = id_of(line).with_context(|| format!("a line of {key} that is no record"))?;
                let slot = seen.get_mut(id as usize).with_context(|| format!("record {id} was never put"))?;
                *slot += 1;
            }
            objects += 1;
        }
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    let lost = seen.iter().filter(|c| **c == 0).count();
    let twice = seen.iter().filter(|c| **c > 1).count();
    if lost + twice > 0 {
        bail!("{lost} records lost, {twice} delivered more than once");
    }
    Ok((objects, stored))
}

struct Throughput {
    records: u64,
    secs: f64,
    cpu: f64,
    mb: f64,
}

impl Throughput {
    fn per_sec(&self) -> f64 {
        self.records as f64 / self.secs
    }
    fn cpu_per_mb(&self) -> f64 {
        self.cpu / self.mb
    }
}

/// Puts `records` records on a new stream, then reads them all back with GetRecords: the put rate and
/// the read rate, each timed alone.
async fn baseline(records: u64) -> anyhow::Result<(Throughput, Throughput)> {
    let l = start(false).await?;
    l.stream("baseline").await?;
    let mb = records as f64 * 1024.0 / 1e6;
    let (t0, c0) = (Instant::now(), cpu_seconds());
    put_all(&l.kinesis, "baseline", records, 1024).await?;
    let put = Throughput { records, secs: t0.elapsed().as_secs_f64(), cpu: cpu_seconds() - c0, mb };
    let (t0, c0) = (Instant::now(), cpu_seconds());
    read_all(&l.kinesis, "baseline", records).await?;
    let read = Throughput { records, secs: t0.elapsed().as_secs_f64(), cpu: cpu_seconds() - c0, mb };
    l.cloud.shutdown().await;
    Ok((put, read))
}

/// Delivery alone: the clock is frozen once the delivery stream is ACTIVE and its last step has run,
/// so the records put wait on the stream; the timing runs from the clock's release until
/// `DeliveryToS3.Records` reaches N. The clock then moves a second per poll, so the interval hint
/// never holds the last object back.
async fn delivery_alone(records: u64) -> anyhow::Result<(Throughput, (usize, usize))> {
    let l = start(false).await?;
    let arn = l.stream("source").await?;
    l.delivery("to-s3", &arn, "bench-out", 64, 1).await?;
    let clock = &l.cloud.ctx.clock;
    clock.set_mode(ClockMode::Virtual, None);
    // One more step on the frozen clock, awaited by the sample it publishes: none runs after it.
    let steps = l.steps("to-s3").await?;
    clock.advance(Duration::from_secs(1))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while l.steps("to-s3").await? <= steps {
        if Instant::now() > deadline {
            bail!("no delivery step ran on the frozen clock");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    put_all(&l.kinesis, "source", records, 1024).await?;
    if l.delivered("to-s3").await? > 0.0 {
        bail!("records were delivered while the clock was frozen");
    }
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        clock.advance(Duration::from_secs(1))?;
        if l.delivered("to-s3").await? >= records as f64 {
            break;
        }
        if Instant::now() > deadline {
            bail!("only {} of {records} records delivered after 600 s", l.delivered("to-s3").await?);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = Throughput {
        records,
        secs: t0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - c0,
        mb: records as f64 * 1024.0 / 1e6,
    };
    let objects = check_delivered(&l, "bench-out", records).await?;
    l.cloud.shutdown().await;
    Ok((t, objects))
}

/// Puts and delivery at once on the real clock, timed from the first put until `DeliveryToS3.Records`
/// reaches N: bounded by the puts, which share the two cores with delivery.
async fn put_and_deliver(records: u64) -> anyhow::Result<Throughput> {
    let l = start(false).await?;
    let arn = l.stream("source").await?;
    l.delivery("to-s3", &arn, "bench-out", 64, 1).await?;
    let (t0, c0) = (Instant::now(), cpu_seconds());
    put_all(&l.kinesis, "source", records, 1024).await?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while l.delivered("to-s3").await? < records as f64 {
        if Instant::now() > deadline {
            bail!("only {} of {records} records delivered after 600 s", l.delivered("to-s3").await?);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t = Throughput {
        records,
        secs: t0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - c0,
        mb: records as f64 * 1024.0 / 1e6,
    };
    check_delivered(&l, "bench-out", records).await?;
    l.cloud.shutdown().await;
    Ok(t)
}

/// 4,000 records/s of ~1 KiB for `seconds` into a stream with the limits on; with `deliver`, a delivery
/// stream reads it. Returns (process CPU seconds, wall seconds, records acknowledged).
async fn steady(seconds: u64, deliver: bool) -> anyhow::Result<(f64, f64, u64)> {
    let l = start(true).await?;
    let arn = l.stream("steady").await?;
    if deliver {
        l.delivery("steady-to-s3", &arn, "steady-out", 5, 300).await?;
    }
    let (t0, c0) = (Instant::now(), cpu_seconds());
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut acked = 0u64;
    let mut next_id = 0u64;
    for _ in 0..seconds * 10 {
        tick.tick().await;
        // 100 records per shard per tenth of a second: each shard's 1,000 records/s.
        let entries = (0..400u64)
            .map(|i| {
                let id = next_id + i;
                PutRecordsRequestEntry::builder()
                    .partition_key("k")
                    .explicit_hash_key(hash_key(i % SHARDS))
                    .data(Blob::new(record(id, 1000)))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        next_id += 400;
        let out = l.kinesis.put_records().stream_name("steady").set_records(Some(entries)).send().await?;
        acked += out.records().iter().filter(|r| r.sequence_number().is_some()).count() as u64;
    }
    let figures = (cpu_seconds() - c0, t0.elapsed().as_secs_f64(), acked);
    l.cloud.shutdown().await;
    Ok(figures)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("AWS_EC2_METADATA_DISABLED", "true") };
    println!("(a) {} records of 1 KiB, {SHARDS} shards, limits off, {WRITERS} writers", args.records);
    let (put, read) = baseline(args.records).await?;
    let (alone, objects) = delivery_alone(args.records).await?;
    let both = put_and_deliver(args.records).await?;
    let row = |name: &str, t: &Throughput| {
        println!("{name:<40} {:>12.0} {:>10.2} {:>12.4}", t.per_sec(), t.secs, t.cpu_per_mb());
    };
    let ratio = |name: &str, a: &Throughput, b: &Throughput| {
        println!("{name:<40} {:>12.2} {:>10} {:>12.2}", a.per_sec() / b.per_sec(), "", a.cpu_per_mb() / b.cpu_per_mb());
    };
    println!("{:<40} {:>12} {:>10} {:>12}", "", "records/s", "seconds", "CPU s/MB");
    row("GetRecords from TRIM_HORIZON (baseline)", &read);
    row("Firehose to S3, GZIP (delivery alone)", &alone);
    ratio("  ratio to GetRecords", &alone, &read);
    let (objects, stored) = objects;
    println!(
        "  {objects} objects of {:.1} MB for {:.1} MB of records (GZIP {:.1}x), every record exactly once;",
        stored as f64 / 1e6,
        alone.mb,
        alone.mb * 1e6 / stored as f64
    );
    println!("  target >= 100,000 records/s delivered");
    row("PutRecords, 8 writers (baseline)", &put);
    row("PutRecords + Firehose at once", &both);
    ratio("  ratio to PutRecords", &both, &put);

    println!("(b) {SHARDS} shards at the write limit (4,000 records/s of 1 KiB) for {} s, limits on", args.seconds);
    let (cpu_without, wall_without, acked_without) = steady(args.seconds, false).await?;
    let (cpu_with, wall_with, acked_with) = steady(args.seconds, true).await?;
    let pct = |cpu: f64, wall: f64| cpu / wall * 100.0;
    println!("{:<34} {:>12} {:>10} {:>12}", "", "records", "CPU s", "% of a core");
    println!(
        "{:<34} {:>12} {:>10.2} {:>12.2}",
        "stream only",
        acked_without,
        cpu_without,
        pct(cpu_without, wall_without)
    );
    println!(
        "{:<34} {:>12} {:>10.2} {:>12.2}",
        "stream + delivery stream",
        acked_with,
        cpu_with,
        pct(cpu_with, wall_with)
    );
    println!(
        "{:<34} {:>12} {:>10.2} {:>12.2}   target < 5 %",
        "delivery's cost",
        "",
        cpu_with - cpu_without,
        pct(cpu_with, wall_with) - pct(cpu_without, wall_without)
    );
    Ok(())
}
