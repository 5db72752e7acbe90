//! The stack commands run as processes against a local cloud through `--endpoint-url`: deploy of a
//! template of the supported types, stacks, status, events, update through a change set, delete; the
//! read-only refusals and parameter checks that happen before any call; a rollback's exit and last line.

use crate::support;

use std::process::Output;

use aws_sdk_kinesis::Client as Kinesis;
use serde_json::Value;
use support::TestCloud;

/// A stream, its consumer, an alarm, a dashboard, a retained bucket, a role and a log group, named after the
/// stack as the patterns name theirs.
const FIXTURE: &str = r##"AWSTemplateFormatVersion: '2010-09-09'
Description: Every resource type the local cloud supports
Parameters:
  ShardCount:
    Type: Number
    Default: 2
    MinValue: 1
    MaxValue: 16
  AlarmPeriod:
    Type: Number
    Default: 60
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: !Sub '${AWS::StackName}-stream'
      ShardCount: !Ref ShardCount
      RetentionPeriodHours: 48
      StreamEncryption:
        EncryptionType: KMS
        KeyId: alias/aws/kinesis
  Consumer:
    Type: AWS::Kinesis::StreamConsumer
    Properties:
      ConsumerName: !Sub '${AWS::StackName}-reader'
      StreamARN: !GetAtt Stream.Arn
  IteratorAgeAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmName: !Sub '${AWS::StackName}-kds-iterator-age'
      Namespace: AWS/Kinesis
      MetricName: GetRecords.IteratorAgeMilliseconds
      Dimensions:
        - Name: StreamName
          Value: !Ref Stream
      Statistic: Maximum
      Period: !Ref AlarmPeriod
      EvaluationPeriods: 1
      Threshold: 60000
      ComparisonOperator: GreaterThanOrEqualToThreshold
      TreatMissingData: notBreaching
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardName: !Sub '${AWS::StackName}-dashboard'
      DashboardBody: !Sub '{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"# ${AWS::StackName}"}}]}'
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !Sub '${AWS::StackName}-data-${AWS::AccountId}'
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: firehose.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read-stream
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: kinesis:GetRecords
                Resource: !GetAtt Stream.Arn
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub '/kinesis-console/${AWS::StackName}'
      RetentionInDays: 7
Outputs:
  StreamName:
    Value: !Ref Stream
  ConsumerArn:
    Value: !GetAtt Consumer.ConsumerARN
"##;

/// A cloud on the virtual clock whose streams and consumers are ACTIVE at once, so a stack completes
/// without the clock moving.
async fn cloud() -> TestCloud {
    TestCloud::start_with(|c| {
        c.kinesis.transition_ms = 0;
        c.clock = kinesis_console::cloud::clock::ClockMode::Virtual;
    })
    .await
}

fn fixture(cloud: &TestCloud) -> String {
    let path = cloud.data_dir().join("stack.yaml");
    std::fs::write(&path, FIXTURE).expect("fixture written");
    path.display().to_string()
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn ok(out: Output, what: &str) -> String {
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{what} failed ({:?}):\n{stdout}\n{stderr}", out.status.code());
    stdout
}

fn json(out: Output, what: &str) -> Value {
    serde_json::from_str(&ok(out, what)).unwrap_or_else(|e| panic!("{what} prints JSON: {e}"))
}

async fn open_shards(k: &Kinesis, stream: &str) -> usize {
    let listed = k.list_shards().stream_name(stream).send().await.expect("ListShards");
    listed
        .shards()
        .iter()
        .filter(|s| s.sequence_number_range().and_then(|r| r.ending_sequence_number()).is_none())
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_status_events_update_and_delete_a_stack_of_the_supported_types() {
    let cloud = cloud().await;
    let file = fixture(&cloud);
    let out = cloud.console(&[
        "deploy",
        "kds-kdf-s3",
        "--template-file",
        &file,
        "--stack-name",
        "demo",
        "-p",
        "ShardCount=2",
    ]);
    let printed = ok(out, "deploy");
    for logical in ["Stream", "Consumer", "IteratorAgeAlarm", "Dashboard", "Bucket", "Role", "Logs"] {
        let complete = printed.lines().any(|l| l.contains(&format!(" {logical} ")) && l.contains("CREATE_COMPLETE"));
        assert!(complete, "{logical} is reported complete:\n{printed}");
    }
    let stack_done = printed.lines().position(|l| {
        l.contains(" demo ") && l.contains("AWS::CloudFormation::Stack") && l.contains("CREATE_COMPLETE")
    });
    assert!(stack_done.is_some(), "the stack's own end is printed:\n{printed}");
    assert!(printed.lines().any(|l| l.starts_with("StreamName") && l.ends_with("demo-stream")), "outputs:\n{printed}");

    let k = Kinesis::new(&cloud.sdk_config().await);
    assert_eq!(open_shards(&k, "demo-stream").await, 2);

    let listed = json(cloud.console(&["--output", "json", "stacks"]), "stacks");
    let demo = &listed["stacks"][0];
    assert_eq!(demo["name"], "demo");
    assert_eq!(demo["pattern"], "kds-kdf-s3");
    assert_eq!(demo["console_version"], kinesis_console::VERSION);
    assert_eq!(demo["status"], "CREATE_COMPLETE");
    assert_eq!(demo["alarms_in_alarm"], 0);

    let status = ok(cloud.console(&["status", "demo"]), "status");
    assert!(
        status.lines().any(|l| l.starts_with("Stream ") && l.contains("demo-stream") && l.contains("CREATE_COMPLETE")),
        "{status}"
    );
    assert!(status.lines().any(|l| l.starts_with("Dashboard ") && l.contains("demo-dashboard")), "{status}");
    let detail = json(cloud.console(&["--output", "json", "status", "demo"]), "status");
    assert_eq!(detail["resources"].as_array().map(Vec::len), Some(7));

    let events = json(cloud.console(&["--output", "json", "events", "demo"]), "events");
    let events = events["events"].as_array().expect("events");
    assert_eq!(events[0]["status"], "CREATE_IN_PROGRESS");
    assert_eq!(events[0]["reason"], "User Initiated");
    let last = events.last().expect("events");
    assert_eq!((last["logical_id"].as_str(), last["status"].as_str()), (Some("demo"), Some("CREATE_COMPLETE")));

    // Without --yes the change set is shown, not confirmed (no terminal), and removed again.
    let declined = cloud.console(&["update", "demo", "-p", "ShardCount=4"]);
    let (stdout, _) = text(&declined);
    assert_eq!(declined.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("Modify") && l.contains("AWS::Kinesis::Stream") && l.ends_with("in place")),
        "{stdout}"
    );
    assert!(stdout.contains("Not confirmed"), "{stdout}");
    assert_eq!(open_shards(&k, "demo-stream").await, 2, "a declined update changes nothing");

    let updated = ok(cloud.console(&["update", "demo", "-p", "ShardCount=4", "--yes"]), "update");
    assert!(
        updated.lines().any(|l| l.contains("AWS::CloudFormation::Stack") && l.contains("UPDATE_COMPLETE")),
        "{updated}"
    );
    assert_eq!(open_shards(&k, "demo-stream").await, 4, "ShardCount 2 → 4 reshards the stream");

    // Without --yes the name must be typed; with no terminal nothing is, so nothing is deleted.
    let not_typed = cloud.console(&["delete", "demo"]);
    let (stdout, _) = text(&not_typed);
    assert_eq!(not_typed.status.code(), Some(1), "{stdout}");
    let bucket = "demo-data-000000000000";
    assert!(
        stdout.lines().any(|l| l.starts_with("Bucket") && l.contains("AWS::S3::Bucket") && l.ends_with(bucket)),
        "what is retained is said: {stdout}"
    );
    assert!(stdout.contains("Not confirmed; nothing was deleted."), "{stdout}");
    let deleted = ok(cloud.console(&["delete", "demo", "--yes"]), "delete");
    assert!(
        deleted.lines().any(|l| l.contains("DELETE_COMPLETE") && l.contains("AWS::CloudFormation::Stack")),
        "{deleted}"
    );
    assert!(deleted.lines().any(|l| l.contains(" Bucket ") && l.contains("DELETE_SKIPPED")), "{deleted}");
    let gone = k.describe_stream_summary().stream_name("demo-stream").send().await;
    assert!(gone.is_err(), "the stream went with the stack");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cloud.sdk_config().await).force_path_style(true).build(),
    );
    s3.head_bucket().bucket(bucket).send().await.expect("the retained bucket is still there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_that_rolls_back_exits_1_with_the_failing_resources_reason_last() {
    let cloud = cloud().await;
    let file = fixture(&cloud);
    let out = cloud.console(&["deploy", "3", "--template-file", &file, "--stack-name", "bad", "-p", "AlarmPeriod=7"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("ROLLBACK_COMPLETE: IteratorAgeAlarm (AWS::CloudWatch::Alarm): "), "{stdout}");
    assert!(last.contains("Period"), "CloudWatch's own reason: {last}");
    let k = Kinesis::new(&cloud.sdk_config().await);
    let streams = k.list_streams().send().await.expect("ListStreams");
    assert!(streams.stream_names().is_empty(), "the rollback deleted the stream: {:?}", streams.stream_names());
}

/// An endpoint where nothing listens: a command that tried a call would fail to connect. The port and
/// the data dir are fixed, yet safe in parallel: nothing binds port 9 (the discard port), and with an
/// explicit endpoint these commands never open the data dir (it only keeps them off the user's own).
fn offline(args: &[&str]) -> Output {
    let mut c = support::bin();
    c.args(["--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"])
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("KINESIS_CONSOLE_DATA_DIR", std::env::temp_dir().join("kc-stacks-cli-offline"))
        .args(args);
    c.output().expect("kinesis-console runs")
}

#[test]
fn read_only_refuses_deploy_update_and_delete_before_any_call() {
    for (args, action) in [
        (&["--read-only", "deploy", "kds-kdf-s3"][..], "deploy a stack"),
        (&["--read-only", "update", "demo", "-p", "ShardCount=4", "--yes"], "update a stack"),
        (&["--read-only", "delete", "demo", "--yes"], "delete a stack"),
    ] {
        let out = offline(args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("refusing to {action}: the console runs with --read-only")),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("dispatch") && !stderr.contains("connect"), "no call was tried: {stderr}");
    }
}

#[test]
fn deploy_checks_its_parameters_before_any_call() {
    let out = offline(&["--output", "json", "deploy", "kds-kdf-s3", "-p", "ShardCount=0", "-p", "Nope=1"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(v["deployed"], false);
    let names: Vec<&str> =
        v["problems"].as_array().into_iter().flatten().filter_map(|p| p["parameter"].as_str()).collect();
    assert!(names.contains(&"ShardCount") && names.contains(&"Nope"), "{names:?}");
    let bad_name = offline(&["deploy", "kds-kdf-s3", "--stack-name", "1-bad"]);
    assert!(
        text(&bad_name).1.contains("invalid stack name \"1-bad\": it must start with a letter"),
        "{:?}",
        text(&bad_name)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_follow_prints_each_event_until_the_operation_ends() {
    // Streams take 500 ms of cloud time to become ACTIVE: the stack stays in progress until the clock moves.
    let cloud = TestCloud::start_virtual().await;
    let file = fixture(&cloud);
    let started = cloud.console(&[
        "--output",
        "json",
        "deploy",
        "3",
        "--template-file",
        &file,
        "--stack-name",
        "slow",
        "--no-wait",
    ]);
    let started = json(started, "deploy --no-wait");
    assert_eq!(started["status"], "CREATE_IN_PROGRESS");

    let mut follow = support::bin();
    follow
        .args([
            "--endpoint-url",
            cloud.url(),
            "--region",
            "us-east-1",
            "--output",
            "json",
            "events",
            "slow",
            "--follow",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cloud.as_client(&mut follow).spawn().expect("events --follow starts");
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    // The first event is printed after the stack was read in progress: from here on it is following.
    let first = lines.recv_timeout(std::time::Duration::from_secs(60)).expect("the events so far are printed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("child status").is_none() {
        assert!(std::time::Instant::now() < deadline, "events --follow ends once the stack is complete");
        cloud.advance_settled(std::time::Duration::from_secs(1)).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let status = child.wait().expect("exit status");
    reader.join().expect("reader ends with the child's output");
    let printed: Vec<String> = std::iter::once(first).chain(lines.try_iter()).collect();
    let stdout = printed.join("\n");
    assert!(status.success(), "{stdout}");
    let events: Vec<Value> =
        printed.iter().map(|l| serde_json::from_str(l).expect("one JSON event per line")).collect();
    let stack_statuses: Vec<&str> = events
        .iter()
        .filter(|e| e["resource_type"] == "AWS::CloudFormation::Stack")
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(stack_statuses, ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"], "{stdout}");
    let ids: std::collections::BTreeSet<&str> = events.iter().filter_map(|e| e["event_id"].as_str()).collect();
    assert_eq!(ids.len(), events.len(), "each event once");
    let stream: Vec<&str> =
        events.iter().filter(|e| e["logical_id"] == "Stream").filter_map(|e| e["status"].as_str()).collect();
    assert_eq!(stream, ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"], "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_is_retried_with_backoff_and_a_lasting_one_ends_with_a_clear_error() {
    let cloud = cloud().await;
    let admin = cloud.admin();
    admin
        .post("faults", serde_json::json!({ "service": "cloudformation", "throttle": 1.0, "count": 3 }))
        .await
        .expect("faults");
    let listed = json(cloud.console(&["--output", "json", "stacks"]), "stacks through three throttles");
    assert_eq!(listed["stacks"], serde_json::json!([]));
    let faults = admin.get("faults").await.expect("faults");
    assert_eq!(faults["injected"]["cloudformation.throttle"], 3, "{faults}");

    admin.post("faults", serde_json::json!({ "service": "cloudformation", "throttle": 1.0 })).await.expect("faults");
    let out = cloud.console(&["stacks"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("DescribeStacks: CloudFormation is throttling requests; try again in a minute"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_the_endpoint_refuses_end_at_once_with_what_to_run() {
    let cloud = cloud().await;
    let mut c = support::bin();
    c.args(["--endpoint-url", cloud.url(), "--region", "us-east-1", "status", "demo"]);
    cloud.as_client(&mut c).env("AWS_ACCESS_KEY_ID", "AKIDEXPIRED").env("AWS_SECRET_ACCESS_KEY", "old");
    let out = c.output().expect("kinesis-console runs");
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("the AWS credentials have expired or are not valid"), "{stderr}");
    assert!(stderr.contains("aws sso login"), "{stderr}");
}
