//! One host per data dir, exercised as processes: serve, status, stop, a stale lock, a second
//! process connecting instead of hosting, and the aws CLI with the printed credentials.

use crate::support;

use std::path::Path;

use kinesis_console::cloud::CloudConfig;
use kinesis_console::cloud::attach::{self, Attached};
use kinesis_console::cloud::host::DataDir;
use support::bin;
use support::served::serve;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin().args(["--data-dir", dir.to_str().unwrap()]).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn status_finds_the_host_a_second_serve_refuses_and_stop_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = serve(dir.path());
    let url = served.info["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let (code, out, _) = run(dir.path(), &["--output", "json", "local", "status"]);
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["url"], url.as_str());
    assert_eq!(status["health"]["status"], "ok");

    let (code, _, err) = run(dir.path(), &["local", "serve", "--port", "0"]);
    assert_eq!(code, 1);
    assert!(err.contains("already serves"), "{err}");

    let (code, out, _) = run(dir.path(), &["local", "stop"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("stopped"), "{out}");
    let exit = served.child.wait().unwrap();
    assert!(exit.success(), "the host exits cleanly: {exit:?}");

    let (code, out, _) = run(dir.path(), &["local", "status"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no local cloud is running"), "{out}");
}

#[test]
fn a_killed_host_leaves_a_stale_lock_that_the_next_host_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = serve(dir.path());
    let pid = first.info["pid"].as_u64().unwrap();
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(DataDir::new(dir.path()).endpoint_path().exists(), "kill -9 leaves endpoint.json behind");

    let (code, out, _) = run(dir.path(), &["local", "status"]);
    assert_eq!(code, 3);
    assert!(out.contains(&format!("stale endpoint file from pid {pid}")), "{out}");

    let second = serve(dir.path());
    assert_ne!(second.info["pid"].as_u64().unwrap(), pid);
    assert_eq!(second.info["access_key_id"], first.info["access_key_id"], "credentials persist in the data dir");
    let (code, _, _) = run(dir.path(), &["local", "status"]);
    assert_eq!(code, 0);
}

#[tokio::test]
async fn a_second_process_connects_instead_of_hosting() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path());
    let attached =
        attach::connect_or_host(&DataDir::new(dir.path()), CloudConfig::ephemeral(dir.path())).await.unwrap();
    match attached {
        Attached::Connected(info) => assert_eq!(info.url, served.info["url"].as_str().unwrap()),
        Attached::Hosting(_) => panic!("a live host exists; this process must connect"),
    }
    drop(served);

    let other = tempfile::tempdir().unwrap();
    match attach::connect_or_host(&DataDir::new(other.path()), CloudConfig::ephemeral(other.path())).await.unwrap() {
        Attached::Hosting(h) => {
            let endpoint = DataDir::new(other.path()).read_endpoint().unwrap().unwrap();
            assert_eq!(endpoint.url, h.info.url);
            h.shutdown().await;
        }
        Attached::Connected(_) => panic!("nothing hosts this data dir; this process must host"),
    }
}

#[test]
fn aws_cli_uses_the_printed_credentials_and_is_refused_with_wrong_ones() {
    let dir = tempfile::tempdir().unwrap();
    let served = serve(dir.path());
    let Some(aws) = support::aws_cli() else { return };
    let call = |secret: &str| {
        std::process::Command::new(&aws)
            .args(["sts", "get-caller-identity", "--output", "json"])
            .env("AWS_ACCESS_KEY_ID", served.info["access_key_id"].as_str().unwrap())
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", served.info["url"].as_str().unwrap())
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    };
    let ok = call(served.info["secret_access_key"].as_str().unwrap());
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let who: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(who["Account"], "000000000000");

    let refused = call("wrong-secret");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("SignatureDoesNotMatch"));
}

#[test]
fn reset_asks_first_and_keeps_the_credentials() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(dir.path()));
    std::fs::create_dir_all(dir.path().join("kinesis")).unwrap();
    let (code, _, err) = run(dir.path(), &["local", "reset"]);
    assert_eq!(code, 1);
    assert!(err.contains("--yes"), "{err}");
    assert!(dir.path().join("kinesis").exists(), "nothing is deleted without confirmation");

    let (code, _, _) = run(dir.path(), &["--read-only", "local", "reset", "--yes"]);
    assert_eq!(code, 1, "read-only refuses");
    let (code, out, _) = run(dir.path(), &["local", "reset", "--yes"]);
    assert_eq!(code, 0, "{out}");
    assert!(!dir.path().join("kinesis").exists());
    assert!(DataDir::new(dir.path()).credentials_path().exists());
}

#[test]
fn cli_basics_help_usage_info_completion() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(out.contains("Usage:") && out.contains("local"), "{out}");

    let (code, _, err) = run(dir.path(), &["--no-such-flag"]);
    assert_eq!(code, 2, "usage errors exit 2: {err}");

    let (code, out, _) = run(dir.path(), &["--output", "json", "info"]);
    assert_eq!(code, 0);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["target"]["kind"], "local");
    assert_eq!(info["paths"]["data_dir"], dir.path().to_str().unwrap());

    let (code, out, _) = run(dir.path(), &["completion", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("kinesis-console"));

    let (code, _, err) = run(dir.path(), &["local", "serve", "--faults", "throttle=3"]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid --faults"), "{err}");
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[tokio::test]
async fn the_data_dir_and_the_hosts_files_are_private_whatever_the_umask() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("new/data");
    let dir = DataDir::new(&root);
    let hosted = attach::host(&dir, CloudConfig::ephemeral(&root), false).await.unwrap().expect("hosts");
    assert_eq!(mode(&root), 0o700, "data dir");
    assert_eq!(mode(&tmp.path().join("new")), 0o700, "a parent it created");
    for file in [dir.lock_path(), dir.endpoint_path(), dir.credentials_path()] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    hosted.shutdown().await;
}

#[test]
fn serve_warns_when_the_data_dir_is_open_to_other_users() {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut served = serve(dir.path());
    let mut stderr = served.child.stderr.take().unwrap();
    served.child.kill().unwrap();
    served.child.wait().unwrap();
    let mut text = String::new();
    stderr.read_to_string(&mut text).unwrap();
    assert!(text.contains("warning:") && text.contains("chmod 700"), "{text}");
    assert_eq!(mode(dir.path()), 0o755, "an existing dir's mode is the user's to change");
}
