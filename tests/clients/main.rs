//! The official Python clients against the local cloud: boto3 releases that speak different protocols to
//! the same service, the `aws` CLI's botocore, and the protocol matrix in `docs/` their answers make.

#[path = "../support/mod.rs"]
mod support;

mod boto3_cloudwatch;
mod boto3_sqs;
mod matrix;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::TestCloud;

/// The boto3 releases CI installs: the last 1.35 (late 2024, CloudWatch over awsQuery) and a current one.
pub const BOTO3_RELEASES: [&str; 2] = ["boto3-1.35", "boto3-current"];

/// Runs `script` (in `tests/clients/`) with `python` against `cloud`, and parses the JSON it prints.
/// Fails the test when the script fails or prints something else.
pub async fn run_script(cloud: &TestCloud, python: &Path, script: &str, args: &[String]) -> serde_json::Value {
    let mut cmd = Command::new(python);
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients").join(script)).args(args);
    cloud.as_client(&mut cmd);
    let out = tokio::time::timeout(Duration::from_secs(120), tokio::process::Command::from(cmd).output())
        .await
        .unwrap_or_else(|_| panic!("{script} with {} did not finish within 120 s", python.display()))
        .expect("python runs");
    assert!(
        out.status.success(),
        "{script} with {} failed:\n{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{script} prints JSON ({e}):\n{}", String::from_utf8_lossy(&out.stdout)))
}
