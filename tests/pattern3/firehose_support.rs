//! Shared by the Firehose pipeline tests: known records put on a stream, the objects a delivery stream
//! wrote read back and decompressed with an independent decoder (`gzip -d`, not the crate that wrote
//! them), and the checks that every record arrived once (or at least once) and in per-shard order.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::process::{Command, Stdio};

use aws_sdk_kinesis::Client as Kinesis;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use aws_sdk_s3::Client as S3;

/// One record the test put and Kinesis acknowledged: its id (in its body) and the shard it went to.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: u64,
    pub shard: String,
}

/// One object of the destination bucket, decompressed.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub key: String,
    pub stored_size: usize,
    pub data: Vec<u8>,
}

/// The record with id `id`: one line of JSON, 300–600 bytes with its newline, the id in the body so
/// a delivered object can be matched back to what was put.
pub fn record_body(id: u64) -> Vec<u8> {
    let pad = 250 + (id * 37 % 290) as usize;
    let mut line = format!(r#"{{"id":{id},"source":"kinesis-console-test","payload":"{}"}}"#, "x".repeat(pad));
    line.push('\n');
    line.into_bytes()
}

/// The id of a delivered line; `None` for a line that is no record of ours.
fn record_id(line: &[u8]) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_slice(line).ok()?;
    v.get("id")?.as_u64()
}

/// Puts records `ids` in PutRecords batches of 500, partition keys spread over the stream's hash range,
/// calling `between` after each batch (the tests move the clock there, so the shard write limits refill).
/// Refused entries are put again; returns what Kinesis acknowledged, in acknowledgement order.
pub async fn put_records<F, Fut>(k: &Kinesis, stream: &str, ids: std::ops::Range<u64>, mut between: F) -> Vec<Sent>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut sent = Vec::with_capacity((ids.end - ids.start) as usize);
    let all: Vec<u64> = ids.collect();
    for chunk in all.chunks(500) {
        let mut pending: Vec<u64> = chunk.to_vec();
        for _attempt in 0..50 {
            if pending.is_empty() {
                break;
            }
            let entries = pending
                .iter()
                .map(|id| {
                    PutRecordsRequestEntry::builder()
                        .partition_key(format!("key-{id}"))
                        .data(Blob::new(record_body(*id)))
                        .build()
                        .expect("entry")
                })
                .collect::<Vec<_>>();
            let out = k
                .put_records()
                .stream_name(stream)
                .set_records(Some(entries))
                .send()
                .await
                .unwrap_or_else(|e| panic!("PutRecords on {stream}: {e:?}"));
            let mut refused = Vec::new();
            for (id, r) in pending.iter().zip(out.records()) {
                match r.shard_id() {
                    Some(shard) if r.error_code().is_none() => sent.push(Sent { id: *id, shard: shard.to_string() }),
                    _ => refused.push(*id),
                }
            }
            pending = refused;
            between().await;
        }
        assert!(pending.is_empty(), "{} records still refused after 50 attempts", pending.len());
    }
    sent
}

/// Every object under `prefix` in `bucket`, in key order, decompressed with `gzip -d`.
pub async fn delivered_objects(s3: &S3, bucket: &str, prefix: &str) -> Vec<Delivered> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("ListObjectsV2 on {bucket}: {e:?}"));
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        match page.next_continuation_token() {
            Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let got =
            s3.get_object().bucket(bucket).key(&key).send().await.unwrap_or_else(|e| panic!("GetObject {key}: {e:?}"));
        let bytes = got.body.collect().await.expect("object body").into_bytes().to_vec();
        let data =
            if key.ends_with(".gz") || bytes.starts_with(&[0x1f, 0x8b]) { gunzip(&bytes, &key) } else { bytes.clone() };
        out.push(Delivered { key, stored_size: bytes.len(), data });
    }
    out
}

/// Decompresses with the system's `gzip -d`: a decoder independent of the crate that compressed.
pub fn gunzip(bytes: &[u8], what: &str) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .args(["-d", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gzip runs");
    let mut stdin = child.stdin.take().expect("gzip stdin");
    let input = bytes.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("gzip finishes");
    feeder.join().expect("feeder").expect("gzip reads the object");
    assert!(out.status.success(), "gzip -d refused {what}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The record ids of an object, in the order they were written.
pub fn ids_in(object: &Delivered) -> Vec<u64> {
    object
        .data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| record_id(l).unwrap_or_else(|| panic!("{} holds a line that is no test record", object.key)))
        .collect()
}

/// How often each id was delivered, over every object.
pub fn delivery_counts(objects: &[Delivered]) -> HashMap<u64, u32> {
    let mut counts = HashMap::new();
    for o in objects {
        for id in ids_in(o) {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    counts
}

/// Ids acknowledged but never delivered, ids delivered but never acknowledged, and the number of extra
/// deliveries (a record delivered three times counts two).
pub fn compare(sent: &[Sent], objects: &[Delivered]) -> (Vec<u64>, Vec<u64>, u64) {
    let counts = delivery_counts(objects);
    let acked: std::collections::HashSet<u64> = sent.iter().map(|s| s.id).collect();
    let mut missing: Vec<u64> = sent.iter().map(|s| s.id).filter(|id| !counts.contains_key(id)).collect();
    missing.sort_unstable();
    let mut invented: Vec<u64> = counts.keys().copied().filter(|id| !acked.contains(id)).collect();
    invented.sort_unstable();
    let extra = counts.values().map(|c| u64::from(c - 1)).sum();
    (missing, invented, extra)
}

/// Per-shard order: within an object each shard's records come in the order Kinesis acknowledged them,
/// and the runs of one shard in different objects do not interleave (so some order of the objects
/// gives every shard's records in order).
pub fn assert_per_shard_order(sent: &[Sent], objects: &[Delivered]) {
    let position: HashMap<u64, (&str, usize)> =
        sent.iter().enumerate().map(|(i, s)| (s.id, (s.shard.as_str(), i))).collect();
    let mut runs: BTreeMap<&str, Vec<(usize, usize, &str)>> = BTreeMap::new();
    for o in objects {
        let mut per_shard: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for id in ids_in(o) {
            let (shard, at) = position[&id];
            per_shard.entry(shard).or_default().push(at);
        }
        for (shard, ats) in per_shard {
            assert!(ats.windows(2).all(|w| w[0] < w[1]), "{}: records of {shard} out of order", o.key);
            runs.entry(shard).or_default().push((ats[0], *ats.last().expect("a run"), o.key.as_str()));
        }
    }
    for (shard, mut r) in runs {
        r.sort_unstable();
        for w in r.windows(2) {
            assert!(w[0].1 < w[1].0, "records of {shard} interleave between {} and {}", w[0].2, w[1].2);
        }
    }
}

/// `data/year=YYYY/month=MM/day=dd/hour=HH/` for a cloud time, as the template's prefix expands it (UTC).
pub fn hive_prefix(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).expect("a time in range");
    format!("data/year={:04}/month={:02}/day={:02}/hour={:02}/", t.year(), u8::from(t.month()), t.day(), t.hour())
}

/// The physical id of a stack's resource, through CloudFormation.
pub async fn physical_id(cfn: &aws_sdk_cloudformation::Client, stack: &str, logical: &str) -> String {
    let out = cfn
        .describe_stack_resource()
        .stack_name(stack)
        .logical_resource_id(logical)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeStackResource {stack}/{logical}: {e:?}"));
    out.stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .unwrap_or_else(|| panic!("{stack}/{logical} has no physical id"))
        .to_string()
}

/// The duplicate-delivery total the service logged under `/aws/kinesisfirehose/<name>`: the largest
/// "duplicates so far: N records" (the count is cumulative), 0 when nothing was logged.
pub async fn logged_duplicates(logs: &aws_sdk_cloudwatchlogs::Client, delivery: &str) -> u64 {
    let group = format!("/aws/kinesisfirehose/{delivery}");
    let Ok(out) = logs.filter_log_events().log_group_name(&group).send().await else { return 0 };
    out.events()
        .iter()
        .filter_map(|e| e.message())
        .filter_map(|m| {
            let rest = m.split("duplicates so far: ").nth(1)?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn record_bodies_are_300_to_600_bytes_of_json_with_their_id() {
    for id in [0, 1, 7, 299, 10_000, 123_456] {
        let body = record_body(id);
        assert!((300..=600).contains(&body.len()), "record {id} is {} bytes", body.len());
        assert_eq!(record_id(&body[..body.len() - 1]), Some(id));
    }
}

/// The resources of a deployed pattern 3 stack.
pub struct Pattern3 {
    pub stack: String,
    pub stream: String,
    pub bucket: String,
    pub delivery: String,
}

/// A cloud on the virtual clock whose streams are ACTIVE at once.
pub async fn virtual_cloud() -> crate::support::TestCloud {
    crate::support::TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await
}

/// `kinesis-console deploy kds-kdf-s3` as a process, the clock moved a second at a time while it waits
/// (a delivery stream spends a few seconds of cloud time CREATING), until it exits with CREATE_COMPLETE.
pub async fn deploy_pattern3(cloud: &crate::support::TestCloud, stack: &str, params: &[&str]) -> Pattern3 {
    let mut cmd = crate::support::bin();
    cmd.args(["--endpoint-url", cloud.url(), "--region", "us-east-1", "--data-dir"])
        .arg(cloud.data_dir().join("console"))
        .args(["deploy", "kds-kdf-s3", "--stack-name", stack]);
    for p in params {
        cmd.args(["-p", p]);
    }
    cloud.as_client(&mut cmd).stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = cloud.run_advancing(cmd, std::time::Duration::from_secs(120)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "deploy {stack} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("CREATE_COMPLETE"), "deploy reports the stack complete:\n{stdout}");
    let cfn = aws_sdk_cloudformation::Client::new(&cloud.sdk_config().await);
    Pattern3 {
        stack: stack.to_string(),
        stream: physical_id(&cfn, stack, "DataStream").await,
        bucket: physical_id(&cfn, stack, "OutputBucket").await,
        delivery: physical_id(&cfn, stack, "DeliveryStream").await,
    }
}
