//! `objects <stack>` as a process against `local serve --virtual-clock`: lists what the stack's output
//! bucket holds (prefix and --since filters, JSON), downloads objects decompressed without
//! overwriting, and says clearly when the stack or its bucket output is missing.

use std::io::Write as _;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::support::bin;
use crate::support::served::{Served, serve_with};
use aws_sdk_s3::primitives::ByteStream;
use kinesis_console::cloud::admin_client::AdminClient;
use serde_json::{Value, json};

const WITH_BUCKET: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  OutputBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${AWS::StackName}-output'
Outputs:
  OutputBucketName:
    Value: !Ref OutputBucket
"#;

const WITHOUT_BUCKET: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub '/objects-test/${AWS::StackName}'
Outputs:
  LogGroupName:
    Value: !Ref Logs
"#;

const GZ_KEY: &str = "data/year=2026/month=11/day=29/hour=00/pipe-1-2026-11-29-00-00-00-abc.gz";
const GZ_TEXT: &str = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n";
const NOTE_KEY: &str = "notes/readme.txt";
const LATE_KEY: &str = "data/year=2026/month=11/day=29/hour=02/late.json";

struct Setup {
    served: Served,
    dir: tempfile::TempDir,
}

impl Setup {
    fn console(&self, args: &[&str]) -> Output {
        bin().arg("--data-dir").arg(self.dir.path()).args(args).output().expect("kinesis-console runs")
    }
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

async fn create_stack(cfn: &aws_sdk_cloudformation::Client, name: &str, template: &str) {
    cfn.create_stack().stack_name(name).template_body(template).send().await.expect("CreateStack");
    crate::support::eventually(Duration::from_secs(30), "the stack to complete", || async {
        let out = cfn.describe_stacks().stack_name(name).send().await.ok()?;
        let status = out.stacks().first()?.stack_status()?.as_str().to_string();
        assert!(!status.contains("FAILED") && !status.contains("ROLLBACK"), "{name}: {status}");
        (status == "CREATE_COMPLETE").then_some(())
    })
    .await;
}

async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    s3.put_object().bucket(bucket).key(key).body(ByteStream::from(body)).send().await.expect("PutObject");
}

/// Two stacks (one with an output bucket, one without); in the bucket, a GZIP object under a
/// Hive-style prefix and a text note, then, two hours of cloud time later, one more object.
async fn setup() -> Setup {
    crate::support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let served = serve_with(dir.path(), &["--virtual-clock"]);
    let endpoint = served.endpoint();
    let sdk = kinesis_console::target::local_sdk_config(&endpoint).await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    create_stack(&cfn, "pipe", WITH_BUCKET).await;
    create_stack(&cfn, "bare", WITHOUT_BUCKET).await;
    put(&s3, "pipe-output", GZ_KEY, gzip(GZ_TEXT)).await;
    put(&s3, "pipe-output", NOTE_KEY, b"first\nsecond\n".to_vec()).await;
    let admin = AdminClient::new(endpoint);
    let state = admin.post("clock", json!({ "advance_ms": 2 * 3_600_000 })).await.unwrap();
    assert_eq!(state["settled"], true, "{state}");
    put(&s3, "pipe-output", LATE_KEY, b"{\"late\":true}\n".to_vec()).await;
    Setup { served, dir }
}

fn ok(out: Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn failed(out: Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "{what} fails: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn keys(doc: &Value) -> Vec<String> {
    let objects = doc["objects"].as_array().unwrap_or_else(|| panic!("objects in {doc}"));
    objects.iter().map(|o| o["key"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_lists_filters_and_downloads_what_the_bucket_received() {
    let s = setup().await;

    let listed = ok(s.console(&["objects", "pipe"]), "objects");
    let lines: Vec<&str> = listed.lines().collect();
    assert!(lines[0].starts_with("Bucket pipe-output"), "{listed}");
    let gz = lines.iter().find(|l| l.starts_with(GZ_KEY)).unwrap_or_else(|| panic!("{listed}"));
    let cells: Vec<&str> = gz.split_whitespace().collect();
    assert_eq!(cells[2], "3", "three records in the GZIP object: {gz}");
    assert_eq!(cells[3], "2h", "{gz}");
    let late = lines.iter().position(|l| l.starts_with(LATE_KEY)).unwrap_or_else(|| panic!("{listed}"));
    let note = lines.iter().position(|l| l.starts_with(NOTE_KEY)).unwrap_or_else(|| panic!("{listed}"));
    assert!(note < late, "newest last:\n{listed}");
    assert!(listed.contains("3 objects"), "{listed}");

    let doc: Value = serde_json::from_str(&ok(s.console(&["--output", "json", "objects", "pipe"]), "json")).unwrap();
    assert_eq!(doc["bucket"], "pipe-output");
    assert_eq!(keys(&doc).last().map(String::as_str), Some(LATE_KEY));
    let gz = doc["objects"].as_array().unwrap().iter().find(|o| o["key"] == GZ_KEY).unwrap();
    assert_eq!(gz["records"], 3);
    assert_eq!(gz["size"].as_u64(), Some(gzip(GZ_TEXT).len() as u64));
    assert_eq!(gz["age_ms"].as_i64(), Some(2 * 3_600_000));

    let prefixed = ok(s.console(&["--output", "json", "objects", "pipe", "--prefix", "data/"]), "prefix");
    let prefixed: Value = serde_json::from_str(&prefixed).unwrap();
    assert_eq!(keys(&prefixed), [GZ_KEY, LATE_KEY]);

    let recent = ok(s.console(&["--output", "json", "objects", "pipe", "--since", "1h"]), "since");
    assert_eq!(keys(&serde_json::from_str(&recent).unwrap()), [LATE_KEY], "only what came in the last cloud hour");

    let none = ok(s.console(&["objects", "pipe", "--prefix", "nothing/"]), "an empty listing");
    assert_eq!(none.trim(), "Bucket pipe-output: no objects under nothing/.");

    let out = s.dir.path().join("out");
    let downloaded = ok(s.console(&["objects", "pipe", "--download", out.to_str().unwrap()]), "download");
    assert!(downloaded.contains("Downloaded 3 objects"), "{downloaded}");
    let plain = GZ_KEY.strip_suffix(".gz").unwrap();
    assert_eq!(std::fs::read_to_string(out.join(plain)).unwrap(), GZ_TEXT, "decompressed, without .gz");
    assert!(!out.join(GZ_KEY).exists());
    assert_eq!(std::fs::read_to_string(out.join(NOTE_KEY)).unwrap(), "first\nsecond\n");

    let again = failed(s.console(&["objects", "pipe", "--download", out.to_str().unwrap()]), "a second download");
    assert!(again.contains("refusing to overwrite") && again.contains(&display(&out.join(plain))), "{again}");
    drop(s.served);
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_says_when_the_stack_or_its_bucket_is_missing() {
    let s = setup().await;
    let missing = failed(s.console(&["objects", "nope"]), "a missing stack");
    assert!(missing.contains("stack nope does not exist"), "{missing}");
    let bare = failed(s.console(&["objects", "bare"]), "a stack without a bucket");
    assert!(bare.contains("stack bare has no bucket output") && bare.contains("LogGroupName"), "{bare}");
    // Reading is allowed in a read-only session.
    ok(s.console(&["--read-only", "objects", "pipe"]), "objects --read-only");
}
