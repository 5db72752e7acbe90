//! The catalogue commands as a user runs them: `patterns`, `patterns show`, `template`, `validate`.
//! None of them may start or contact the local cloud: the data dir stays empty.

use crate::support;

use std::path::Path;

use support::bin;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = bin().args(["--data-dir", dir.to_str().unwrap()]).args(args).output().expect("runs");
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
    assert!(left.is_empty(), "{args:?} touched the local cloud's data dir: {left:?}");
    run
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

#[test]
fn patterns_lists_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["patterns"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("patterns", r.stdout);

    let r = run(dir.path(), &["patterns", "--output", "json"]);
    let v = json(&r);
    let ids: Vec<&str> = v["patterns"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["apigw-kds-lambda", "kpl-kds-kda", "kds-kdf-s3", "kds-kda-apigw"]);
    assert_eq!(v["patterns"][2]["number"], 3);
    assert!(v["patterns"][2]["title"].as_str().unwrap().contains("Firehose"));
    assert!(v["patterns"][2]["summary"].is_string());
}

#[test]
fn patterns_show_describes_what_is_deployed() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["apigw-kds-lambda", "kpl-kds-kda", "kds-kdf-s3", "kds-kda-apigw"] {
        let r = run(dir.path(), &["patterns", "show", id]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        insta::assert_snapshot!(format!("show-{id}"), r.stdout);
    }
    // By number too.
    let by_number = run(dir.path(), &["patterns", "show", "3"]);
    let by_id = run(dir.path(), &["patterns", "show", "kds-kdf-s3"]);
    assert_eq!(by_number.stdout, by_id.stdout);
    for needle in ["ShardCount — Number of open shards", "Number, default 2, 1 to 200", "DataFreshnessAlarm", "> 900"]
    {
        assert!(by_id.stdout.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn patterns_show_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&run(dir.path(), &["patterns", "show", "kds-kdf-s3", "--output", "json"]));
    assert_eq!(v["id"], "kds-kdf-s3");
    assert_eq!(v["parameters"].as_array().unwrap().len(), 6);
    assert_eq!(v["parameters"][0]["name"], "ShardCount");
    assert_eq!(v["parameters"][0]["min_value"], 1.0);
    assert_eq!(v["parameters"][0]["group"], "Amazon Kinesis Data Streams configuration");
    assert_eq!(v["outputs"].as_array().unwrap().len(), 4);
    assert_eq!(v["outputs"][0]["value"], serde_json::json!({ "Ref": "DataStream" }));
    let alarms = v["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 7);
    let freshness = alarms.iter().find(|a| a["logical_id"] == "DataFreshnessAlarm").unwrap();
    assert_eq!(freshness["threshold"], 900.0);
    assert_eq!(freshness["metric"]["stat"]["period"], 300);
    assert_eq!(v["dashboard"]["widgets"].as_array().unwrap().len(), 15);
    assert!(v["diagram"].as_str().unwrap().contains("Firehose"));
}

#[test]
fn template_prints_the_bundled_file_exactly() {
    let dir = tempfile::tempdir().unwrap();
    for (key, id) in [("kds-kdf-s3", "kds-kdf-s3"), ("4", "kds-kda-apigw")] {
        let r = run(dir.path(), &["template", key]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let file = std::fs::read_to_string(format!("{}/templates/{id}.yaml", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(r.stdout, file);
    }
}

#[test]
fn unknown_patterns_are_named_with_the_list_of_ids() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["patterns", "show", "kds-s3"][..], &["template", "7"], &["validate", "kds-s3"]] {
        let r = run(dir.path(), args);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains("unknown pattern"), "{}", r.stderr);
        assert!(
            r.stderr.contains("apigw-kds-lambda (1), kpl-kds-kda (2), kds-kdf-s3 (3), kds-kda-apigw (4)"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn validate_accepts_good_values() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["validate", "kds-kdf-s3", "--param", "ShardCount=4", "-p", "CompressionFormat=Snappy"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("validate-good", r.stdout);

    let key = "abcdefghijklmnopqrstuvwxyz-0123456789";
    let param = format!("ApiKeyValue={key}");
    let args = ["validate", "4", "-p", &param, "-p", "ApplicationCodeBucket=my-code", "--output", "json"];
    let r = run(dir.path(), &args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v["valid"], true);
    assert_eq!(v["values"]["ApiKeyValue"], "****", "a NoEcho value is never printed");
    assert!(!r.stdout.contains(key));
    assert_eq!(v["values"]["ShardCount"], "2");
}

#[test]
fn validate_lists_every_problem_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "validate",
        "kds-kdf-s3",
        "-p",
        "ShardCount=0",
        "-p",
        "BufferingInterval=soon",
        "-p",
        "CompressionFormat=LZ4",
        "-p",
        "Shards=3",
    ];
    let r = run(dir.path(), &args);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!("validate-bad", r.stdout);
    assert!(r.stdout.contains("ShardCount: 0 is below the minimum 1 (must be a whole number between 1 and 200)"));

    let args = ["validate", "kds-kda-apigw", "-p", "ApiKeyValue=short-secret", "--output", "json"];
    let r = run(dir.path(), &args);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains("short-secret"), "a NoEcho value is never printed");
    let v = json(&r);
    assert_eq!(v["valid"], false);
    let rules: Vec<(&str, &str)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["parameter"].as_str().unwrap(), p["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(rules, [("ApiKeyValue", "min_length"), ("ApplicationCodeBucket", "required")]);
}

#[test]
fn validate_rejects_a_malformed_flag_as_usage() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["validate", "3", "--param", "ShardCount"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("expected NAME=VALUE"), "{}", r.stderr);
}
