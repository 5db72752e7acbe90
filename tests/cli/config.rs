//! The settings file as the commands see it: `info` names it and says whether it exists or what is
//! wrong with it; its default target and read-only apply when no flag says otherwise; a broken
//! file stops a command with the file, the line and the reason.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The binary with a private XDG home under `home` and nothing of this machine's AWS set-up.
fn console(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kinesis-console"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("kinesis-console runs")
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn info_names_the_xdg_config_file_and_says_it_is_absent() {
    let home = tempfile::tempdir().expect("temp home");
    let expected = home.path().join("config").join("kinesis-console").join("config.yaml");
    let text = stdout(&console(home.path(), &[], &["info"]));
    let line = format!("config file:      {} (not found; the defaults apply)", expected.display());
    assert!(text.lines().any(|l| l == line), "{text}");
    let json: Value =
        serde_json::from_str(&stdout(&console(home.path(), &[], &["--output", "json", "info"]))).expect("JSON");
    assert_eq!(json["config"]["path"], expected.display().to_string());
    assert_eq!(json["config"]["exists"], false);
    assert_eq!(json["config"]["error"], Value::Null);
    assert_eq!(json["paths"]["config_file"], expected.display().to_string());
}

#[test]
fn the_files_default_target_and_read_only_apply_unless_a_flag_says_otherwise() {
    let home = tempfile::tempdir().expect("temp home");
    let dir = home.path().join("config").join("kinesis-console");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("config.yaml"), "theme: light\ndefault-target: aws\nread-only: true\n").expect("config");
    let json: Value =
        serde_json::from_str(&stdout(&console(home.path(), &[], &["--output", "json", "info"]))).expect("JSON");
    assert_eq!(json["config"]["exists"], true);
    assert_eq!(json["target"]["kind"], "aws");
    assert_eq!(json["read_only"], true);
    let flag: Value =
        serde_json::from_str(&stdout(&console(home.path(), &[], &["--output", "json", "--target", "local", "info"])))
            .expect("JSON");
    assert_eq!(flag["target"]["kind"], "local");
    let env: Value = serde_json::from_str(&stdout(&console(
        home.path(),
        &[("KINESIS_CONSOLE_TARGET", "local")],
        &["--output", "json", "info"],
    )))
    .expect("JSON");
    assert_eq!(env["target"]["kind"], "local");
    // Read-only from the file refuses before any call (the endpoint does not exist).
    let out = console(home.path(), &[], &["--endpoint-url", "http://127.0.0.1:9", "delete", "orders", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--read-only"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_broken_file_named_by_flag_or_environment_is_reported_by_info_and_stops_other_commands() {
    let home = tempfile::tempdir().expect("temp home");
    let file = home.path().join("mine.yaml");
    std::fs::write(&file, "theme: light\nrefresh: 15\n").expect("config");
    let path = file.to_str().expect("utf-8 path");
    let expected = format!("{path} line 2: refresh: '15' needs a unit: 15s, 15m, 15h, 15d or 15w");

    let text = stdout(&console(home.path(), &[], &["--config", path, "info"]));
    assert!(text.contains(&format!("config file:      {path} (invalid: {expected})")), "{text}");

    let out = console(home.path(), &[("KINESIS_CONSOLE_CONFIG", path)], &["alarms"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim_end(), format!("error: {expected}"));

    std::fs::write(&file, "theme: solarized\n").expect("config");
    let out = console(home.path(), &[], &["--config", path, "stacks"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{path} line 1: theme: unknown variant `solarized`, expected `dark` or `light`")),
        "{stderr}"
    );
}
