//! Pattern 3 end to end on the virtual clock: the console deploys `kds-kdf-s3`, 10,000 known records go
//! through Kinesis, Firehose and S3, and what arrives is checked record by record (once each, in
//! per-shard order, under the template's Hive-style prefixes, objects cut by the 1 MiB size hint before
//! compression); then the aws CLI, `objects` and the dashboard see what the stack made.

use crate::{firehose_support, support};

use std::collections::BTreeSet;
use std::time::Duration;

use firehose_support::{Delivered, Pattern3, Sent};
use serde_json::Value;
use support::TestCloud;

const RECORDS: u64 = 10_000;
const SIZE_HINT: usize = 1024 * 1024;

/// Puts the 10,000 records, a second of cloud time after each batch of 500 (the shard write limits stay
/// on), then moves the clock a buffer interval at a time until every record is in S3 (at most 10).
async fn run_records(cloud: &TestCloud, p: &Pattern3) -> (Vec<Sent>, Vec<Delivered>, (i64, i64)) {
    let config = cloud.sdk_config().await;
    let k = aws_sdk_kinesis::Client::new(&config);
    let s3 = aws_sdk_s3::Client::new(&config);
    let first_ms = cloud.cloud.ctx.clock.now_ms();
    let sent =
        firehose_support::put_records(&k, &p.stream, 0..RECORDS, || cloud.advance_settled(Duration::from_secs(1)))
            .await;
    assert_eq!(sent.len() as u64, RECORDS);
    let mut objects = Vec::new();
    for _ in 0..10 {
        cloud.advance_settled(Duration::from_secs(61)).await;
        objects = firehose_support::delivered_objects(&s3, &p.bucket, "data/").await;
        if firehose_support::delivery_counts(&objects).len() as u64 == RECORDS {
            break;
        }
    }
    (sent, objects, (first_ms, cloud.cloud.ctx.clock.now_ms()))
}

fn console_ok(cloud: &TestCloud, args: &[&str]) -> String {
    let out = cloud.console(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pattern3_delivers_every_record_once_in_order_under_the_template_prefixes() {
    let cloud = firehose_support::virtual_cloud().await;
    let p = firehose_support::deploy_pattern3(&cloud, "p3", &["BufferingSize=1", "BufferingInterval=60"]).await;
    let (sent, objects, (from_ms, to_ms)) = run_records(&cloud, &p).await;

    let shards: BTreeSet<&str> = sent.iter().map(|s| s.shard.as_str()).collect();
    assert_eq!(shards.len(), 2, "the partition keys reach both shards");
    let (missing, invented, extra) = firehose_support::compare(&sent, &objects);
    assert!(
        missing.is_empty(),
        "{} records never delivered, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(invented.is_empty(), "records delivered that were never put: {invented:?}");
    assert_eq!(extra, 0, "every record exactly once");
    firehose_support::assert_per_shard_order(&sent, &objects);

    // The prefix is the hour of the oldest record's arrival, which lies between the first put and now.
    let hours: BTreeSet<String> =
        (from_ms..=to_ms).step_by(60_000).chain([to_ms]).map(firehose_support::hive_prefix).collect();
    let largest = sent.iter().map(|s| firehose_support::record_body(s.id).len()).max().expect("records");
    let total: usize = objects.iter().map(|o| o.data.len()).sum();
    assert!(objects.len() > 1, "the 1 MiB hint cuts {total} bytes into several objects");
    assert!(objects.len() >= total / (SIZE_HINT + largest), "{} objects for {total} bytes", objects.len());
    for o in &objects {
        let prefix = hours.iter().find(|h| o.key.starts_with(h.as_str()));
        let prefix = prefix.unwrap_or_else(|| panic!("{} is under none of {hours:?}", o.key));
        let name = &o.key[prefix.len()..];
        assert!(name.starts_with(&format!("{}-", p.delivery)) && name.ends_with(".gz"), "object name {name}");
        assert!(
            o.data.len() <= SIZE_HINT + largest,
            "{} holds {} bytes, over the hint plus a record",
            o.key,
            o.data.len()
        );
        assert!(o.stored_size < o.data.len(), "{} is compressed", o.key);
    }

    aws_cli_sees_the_stack(&cloud, &p, &objects);
    objects_command_lists_and_downloads(&cloud, &p, &objects);
    dashboard_shows_firehose_widgets(&cloud, &p).await;
}

/// The aws CLI's `firehose describe-delivery-stream` and `s3 ls --recursive` see what the stack made.
fn aws_cli_sees_the_stack(cloud: &TestCloud, p: &Pattern3, objects: &[Delivered]) {
    let Some(described) =
        cloud.aws_json(&["firehose", "describe-delivery-stream", "--delivery-stream-name", &p.delivery])
    else {
        return;
    };
    let d = &described["DeliveryStreamDescription"];
    assert_eq!(d["DeliveryStreamStatus"], "ACTIVE", "{d:#}");
    assert_eq!(d["DeliveryStreamType"], "KinesisStreamAsSource");
    let source = d["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"].as_str().unwrap_or_default();
    assert!(source.ends_with(&format!(":stream/{}", p.stream)), "{d:#}");
    let dest = &d["Destinations"][0]["ExtendedS3DestinationDescription"];
    assert_eq!(dest["CompressionFormat"], "GZIP");
    assert_eq!(dest["BufferingHints"]["SizeInMBs"], 1);
    assert_eq!(dest["BufferingHints"]["IntervalInSeconds"], 60);

    let out = cloud.aws(&["s3", "ls", &format!("s3://{}/", p.bucket), "--recursive"]).expect("the CLI was found above");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "s3 ls: {}", String::from_utf8_lossy(&out.stderr));
    for o in objects {
        let line = listed.lines().find(|l| l.ends_with(&o.key));
        let line = line.unwrap_or_else(|| panic!("s3 ls does not list {}:\n{listed}", o.key));
        assert!(line.contains(&format!(" {} ", o.stored_size)), "s3 ls gives {}'s size: {line}", o.key);
    }
}

/// `objects <stack>` lists every object; `--download DIR` writes each one decompressed.
fn objects_command_lists_and_downloads(cloud: &TestCloud, p: &Pattern3, objects: &[Delivered]) {
    let probe = cloud.console(&["objects", "--help"]);
    if String::from_utf8_lossy(&probe.stderr).contains("unrecognized subcommand 'objects'") {
        eprintln!("this build has no `objects` command yet: skipping its part of this test");
        return;
    }
    let listed = console_ok(cloud, &["objects", &p.stack]);
    for o in objects {
        assert!(listed.contains(&o.key), "objects does not list {}:\n{listed}", o.key);
    }
    let dir = cloud.data_dir().join("downloaded");
    console_ok(cloud, &["objects", &p.stack, "--download", dir.to_str().expect("a UTF-8 path")]);
    let mut downloaded = Vec::new();
    let mut pending = vec![dir];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                downloaded.push(std::fs::read(&path).expect("a downloaded file"));
            }
        }
    }
    let mut expected: Vec<&[u8]> = objects.iter().map(|o| o.data.as_slice()).collect();
    let mut got: Vec<&[u8]> = downloaded.iter().map(Vec::as_slice).collect();
    expected.sort_unstable();
    got.sort_unstable();
    assert!(got == expected, "the {} downloaded files are the {} objects, decompressed", got.len(), expected.len());
}

fn widget<'v>(view: &'v Value, title: &str) -> &'v Value {
    let widgets = view["widgets"].as_array().expect("widgets");
    widgets.iter().find(|w| w["title"] == title).unwrap_or_else(|| panic!("no widget {title}: {view:#}"))
}

/// The Firehose metrics behind the dashboard's widgets add up to the records moved, and `dashboard show`
/// and `health` read the stack's dashboard with its Firehose widgets.
async fn dashboard_shows_firehose_widgets(cloud: &TestCloud, p: &Pattern3) {
    let cw = aws_sdk_cloudwatch::Client::new(&cloud.sdk_config().await);
    let now = cloud.cloud.ctx.clock.now_ms();
    for metric in ["DataReadFromKinesisStream.Records", "DeliveryToS3.Records"] {
        let out = cw
            .get_metric_statistics()
            .namespace("AWS/Firehose")
            .metric_name(metric)
            .dimensions(
                aws_sdk_cloudwatch::types::Dimension::builder().name("DeliveryStreamName").value(&p.delivery).build(),
            )
            .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(now - 3_600_000))
            .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_millis(now + 60_000))
            .period(3_600)
            .statistics(aws_sdk_cloudwatch::types::Statistic::Sum)
            .send()
            .await
            .expect("GetMetricStatistics");
        let sum: f64 = out.datapoints().iter().filter_map(|d| d.sum()).sum();
        assert_eq!(sum, RECORDS as f64, "{metric}");
    }
    let name = format!("{}-dashboard", p.stack);
    let shown = console_ok(cloud, &["dashboard", "show", &name, "--since", "1h", "--period", "60", "--output", "json"]);
    let shown: Value = serde_json::from_str(&shown).expect("dashboard show prints JSON");
    let view = &shown["view"];
    for title in ["Records read from Kinesis Data Streams (Sum)", "Records delivered to Amazon S3 (Sum)"] {
        assert_eq!(widget(view, title)["problems"], serde_json::json!([]), "{title}");
    }

    // Exit 0 (no alarm firing) or 3 (one is: the Kinesis alarms treat missing data as breaching);
    // 1 would be an error reading the dashboard.
    let health = cloud.console(&["health", &name]);
    let text = String::from_utf8_lossy(&health.stdout);
    assert!(matches!(health.status.code(), Some(0 | 3)), "health: {text}\n{}", String::from_utf8_lossy(&health.stderr));
    // Seven alarms: the six of the Kinesis stream and the freshness alarm (named only when not OK).
    assert!(text.contains("of 7 alarms in ALARM"), "health reads the stack's seven alarms: {text}");
}
