//! `invoke <stack> <function>` as a process against `local serve --virtual-clock`, on a stack holding
//! the pattern 4 fare function and a function without a built-in.

use std::process::Output;
use std::time::Duration;

use crate::support::bin;
use crate::support::served::serve_with;
use kinesis_console::cloud::admin_client::AdminClient;
use serde_json::{Value, json};

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Fare:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: index.handler
      Role: !Sub 'arn:aws:iam::${AWS::AccountId}:role/fare'
      Code:
        ZipFile: |
          def handler(event, context):
              return {}
      Tags:
        - Key: kinesis-console:builtin
          Value: kds-kda-apigw/predict-fare
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: plain-fn
      Runtime: python3.13
      Handler: index.handler
      Role: !Sub 'arn:aws:iam::${AWS::AccountId}:role/fare'
      Code:
        ZipFile: "x = 1\n"
"#;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_runs_a_stack_function_by_logical_id_or_name_and_fails_on_a_function_error() {
    crate::support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let served = serve_with(dir.path(), &["--virtual-clock"]);
    let endpoint = served.endpoint();
    let sdk = kinesis_console::target::local_sdk_config(&endpoint).await;
    let cfn = aws_sdk_cloudformation::Client::new(&sdk);
    let admin = AdminClient::new(endpoint);
    cfn.create_stack().stack_name("rides").template_body(TEMPLATE).send().await.expect("CreateStack");
    // The functions are Pending for a second of the cloud clock: move it while the stack is created.
    crate::support::eventually(Duration::from_secs(30), "the stack to complete", || async {
        admin.post("clock", json!({ "advance_ms": 1000 })).await.ok()?;
        let out = cfn.describe_stacks().stack_name("rides").send().await.ok()?;
        let status = out.stacks().first()?.stack_status()?.as_str().to_string();
        assert!(!status.contains("FAILED") && !status.contains("ROLLBACK"), "{status}");
        (status == "CREATE_COMPLETE").then_some(())
    })
    .await;
    let console = |args: &[&str]| bin().arg("--data-dir").arg(dir.path()).args(args).output().expect("runs");

    let payload = r#"{"queryStringParameters":{"ride_request_id":"7"}}"#;
    let out = console(&["invoke", "rides", "Fare", "--payload", payload]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("status 200"), "{text}");
    assert!(text.contains("START RequestId:") && text.contains("REPORT RequestId:"), "the log tail decoded: {text}");
    assert!(text.contains("\"statusCode\": 200"), "the payload pretty-printed: {text}");

    let file = dir.path().join("event.json");
    std::fs::write(&file, "{}").unwrap();
    let out = console(&["--output", "json", "invoke", "rides", "Fare", "--payload", &format!("@{}", file.display())]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["payload"]["statusCode"], 400);
    assert_eq!(doc["function_error"], Value::Null);

    let out = console(&["invoke", "rides", "plain-fn"]);
    assert_eq!(out.status.code(), Some(1), "a function error exits non-zero: {}", stdout(&out));
    assert!(stdout(&out).contains("Function error: Unhandled"), "{}", stdout(&out));
    assert!(stdout(&out).contains("Runtime.HandlerNotFound"), "{}", stdout(&out));

    let out = console(&["invoke", "--function-name", "plain-fn"]);
    assert_eq!(out.status.code(), Some(1));

    let out = console(&["invoke", "rides", "Nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stack rides has no function Nope") && err.contains("Fare"), "{err}");

    let out = console(&["--read-only", "invoke", "rides", "Fare"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"), "{}", String::from_utf8_lossy(&out.stderr));
}
