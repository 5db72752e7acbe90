//! Missing credentials on `--target aws`: every command says so in one sentence naming the command
//! that fixes it, and returns promptly (no hang on the instance metadata service or the network).

use std::path::Path;

use crate::support;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Long enough for a slow CI machine, far shorter than the SDK's default metadata-service waits.
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs the binary with nothing of this machine's AWS set-up: an empty environment but `PATH`,
/// `HOME` at `home`, plus `env`; waits for it within [`DEADLINE`].
fn run_without_credentials(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kinesis-console"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .envs(env.iter().copied())
        .args(["--target", "aws"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("kinesis-console starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(out) => out.expect("kinesis-console output"),
        Err(_) => {
            // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("{args:?} still running after {DEADLINE:?}");
        }
    }
}

fn one_line_error(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line, not the provider chain: {stderr}");
    assert!(!stderr.contains("dispatch failure") && !stderr.contains("provider chain"), "{stderr}");
    stderr
}

#[test]
fn no_credentials_is_one_sentence_naming_aws_configure_in_every_command() {
    let home = tempfile::tempdir().expect("temp home");
    let commands: [&[&str]; 7] = [
        &["alarms"],
        &["metrics", "--stream", "orders"],
        &["dashboard", "list"],
        &["dashboard", "show", "ops"],
        &["health", "ops"],
        &["stacks"],
        &["--output", "json", "status", "orders"],
    ];
    for args in commands {
        let out = run_without_credentials(home.path(), &[("AWS_REGION", "eu-west-1")], args);
        let stderr = one_line_error(&out);
        assert!(
            stderr.contains(
                "The AWS credentials were not found: run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            ),
            "{args:?}: {stderr}"
        );
    }
    // No region anywhere either: still the credentials sentence, still prompt.
    let out = run_without_credentials(home.path(), &[], &["alarms"]);
    assert!(one_line_error(&out).contains("run `aws configure`"));
}

#[test]
fn an_sso_profile_without_a_token_names_aws_sso_login_for_that_profile() {
    let home = tempfile::tempdir().expect("temp home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect("~/.aws");
    std::fs::write(
        aws.join("config"),
        "[profile work]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
         region = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n",
    )
    .expect("config");
    let by_env = run_without_credentials(home.path(), &[("AWS_PROFILE", "work")], &["alarms"]);
    let by_flag = run_without_credentials(home.path(), &[], &["--profile", "work", "dashboard", "list"]);
    for out in [by_env, by_flag] {
        let stderr = one_line_error(&out);
        assert!(stderr.contains("The AWS credentials for profile work"), "{stderr}");
        assert!(stderr.contains("run `aws sso login --profile work`."), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_the_service_does_not_know_are_one_sentence_too() {
    let cloud = support::TestCloud::start().await;
    let mut c = support::bin();
    c.args(["--endpoint-url", cloud.url(), "--region", "us-east-1", "alarms"]);
    cloud.as_client(&mut c).env("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN").env("AWS_SECRET_ACCESS_KEY", "old");
    let out = c.output().expect("kinesis-console runs");
    let stderr = one_line_error(&out);
    assert_eq!(
        stderr.trim_end(),
        "error: The AWS credentials were refused (UnrecognizedClientException): run `aws configure`, or set \
         AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
    );
}

/// A metadata service that accepts connections and never answers (what a firewall that drops
/// packets looks like to a client): the console must give up on it and still say what to run.
#[test]
fn a_metadata_service_that_never_answers_does_not_hold_the_command() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        // Kept open, never read: the client waits for an answer that does not come.
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let home = tempfile::tempdir().expect("temp home");
    let out = run_without_credentials(home.path(), &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint)], &["alarms"]);
    assert!(one_line_error(&out).contains("run `aws configure`"));
}
