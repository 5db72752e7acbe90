//! `start-app`, `stop-app`, `snapshots`, `app` and `delete`'s stop-first step as processes against an
//! in-process local cloud on the virtual clock (moved a second at a time while a command waits on a
//! transition), on a stack holding one Managed Flink application running the idle built-in.

use std::process::Output;
use std::time::Duration;

use aws_sdk_kinesisanalyticsv2::types::ApplicationStatus;
use serde_json::Value;

use crate::support::TestCloud;

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /aws/kinesis-analytics/flink-cli
  LogStream:
    Type: AWS::Logs::LogStream
    Properties:
      LogGroupName: !Ref LogGroup
      LogStreamName: kinesis-analytics-log-stream
  Application:
    Type: AWS::KinesisAnalyticsV2::Application
    Properties:
      ApplicationName: flink-cli-app
      RuntimeEnvironment: FLINK-1_20
      ServiceExecutionRole: !Sub 'arn:aws:iam::${AWS::AccountId}:role/flink'
      ApplicationConfiguration:
        ApplicationSnapshotConfiguration:
          SnapshotsEnabled: true
      Tags:
        - Key: kinesis-console:builtin
          Value: kinesis-console/idle
  LoggingOption:
    Type: AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption
    Properties:
      ApplicationName: !Ref Application
      CloudWatchLoggingOption:
        LogStreamARN: !Sub 'arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${LogGroup}:log-stream:${LogStream}'
"#;

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

async fn run(cloud: &TestCloud, args: &[&str]) -> Output {
    cloud.run_advancing(cloud.console_command(args), Duration::from_secs(60)).await
}

async fn status(cloud: &TestCloud) -> ApplicationStatus {
    let flink = aws_sdk_kinesisanalyticsv2::Client::new(&cloud.sdk_config().await);
    let d = flink.describe_application().application_name("flink-cli-app").send().await.expect("DescribeApplication");
    d.application_detail().unwrap().application_status().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_application_commands_start_stop_snapshot_show_and_delete_stops_it_first() {
    let cloud = TestCloud::start_virtual().await;
    let cfn = aws_sdk_cloudformation::Client::new(&cloud.sdk_config().await);
    cfn.create_stack().stack_name("flink").template_body(TEMPLATE).send().await.expect("CreateStack");
    crate::support::eventually(Duration::from_secs(30), "the stack to complete", || async {
        cloud.advance_settled(Duration::from_secs(1)).await;
        let out = cfn.describe_stacks().stack_name("flink").send().await.ok()?;
        (out.stacks().first()?.stack_status()?.as_str() == "CREATE_COMPLETE").then_some(())
    })
    .await;

    let refused = run(&cloud, &["--read-only", "start-app", "flink"]).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("read-only"), "{}", text(&refused));
    assert_eq!(status(&cloud).await, ApplicationStatus::Ready);

    let out = run(&cloud, &["start-app", "flink", "--from", "none"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("SUCCESSFUL") && text(&out).contains("RUNNING"), "{}", text(&out));

    let out = run(&cloud, &["app", "flink"]).await;
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("flink-cli-app") && shown.contains("RUNNING") && shown.contains("version 2"), "{shown}");
    assert!(shown.contains("switched from state CREATED to RUNNING"), "the last log lines: {shown}");

    // Past the first checkpoint (60 s) and a minute's metrics: the view reads them from CloudWatch.
    for _ in 0..125 {
        cloud.advance_settled(Duration::from_secs(1)).await;
    }
    let out = run(&cloud, &["app", "flink"]).await;
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(shown.contains("Last checkpoint ") && shown.contains(" B in ") && shown.contains("restarts 0"), "{shown}");
    let out = run(&cloud, &["--output", "json", "app", "flink"]).await;
    let view: Value = serde_json::from_slice(&out.stdout).expect("a JSON view");
    let figures = &view["figures"];
    assert!(figures["checkpoint_size_bytes"].as_f64().is_some_and(|b| b > 0.0), "{view}");
    assert!(figures["checkpoint_duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "{view}");
    assert!(figures["checkpoint_reported_ms"].as_i64().is_some(), "{view}");
    assert_eq!(figures["restarts"].as_f64(), Some(0.0), "{view}");

    let out = run(&cloud, &["snapshots", "flink", "--create", "nightly"]).await;
    assert!(out.status.success() && text(&out).contains("nightly"), "{}", text(&out));
    let refused = run(&cloud, &["--read-only", "snapshots", "flink", "--delete", "nightly"]).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    cloud.advance_settled(Duration::from_secs(2)).await;

    let refused = run(&cloud, &["--read-only", "stop-app", "flink"]).await;
    assert!(!refused.status.success());
    assert_eq!(status(&cloud).await, ApplicationStatus::Running);
    let out = run(&cloud, &["stop-app", "flink", "--snapshot"]).await;
    assert!(out.status.success() && text(&out).contains("READY"), "{}", text(&out));

    let out = run(&cloud, &["--output", "json", "snapshots", "flink"]).await;
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON rows");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "the one taken and the stop's: {rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "READY"), "{rows:?}");

    let out = run(&cloud, &["start-app", "flink", "--from", "nightly"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&cloud, &["start-app", "flink"]).await;
    assert!(!out.status.success(), "starting a running application fails: {}", text(&out));
    assert!(text(&out).contains("ResourceInUseException") || text(&out).contains("RUNNING"), "{}", text(&out));

    let out = run(&cloud, &["delete", "flink", "--yes"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Stopped application flink-cli-app first"), "{}", text(&out));
    let flink = aws_sdk_kinesisanalyticsv2::Client::new(&cloud.sdk_config().await);
    let ops = flink.list_application_operations().application_name("flink-cli-app").send().await;
    assert!(ops.is_err(), "the application is gone with its stack");
}
