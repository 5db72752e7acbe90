//! A cloud stopped or killed mid-operation never leaves a stack IN_PROGRESS: at the next start the
//! cut-off creation fails with a reason and rolls back. Stacks live in private files.

use std::os::unix::fs::PermissionsExt;

use aws_sdk_cloudformation::config::retry::RetryConfig;
use serde_json::json;

use super::support::served::serve_with;
use super::*;

const INTERRUPTED: &str = "The local cloud stopped during the operation.";

#[tokio::test]
async fn a_restart_mid_create_rolls_the_stack_back() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let template = json!({ "Resources": {
        "Quick": { "Type": "Test::Local::Wait" },
        "Long": { "Type": "Test::Local::Wait", "Properties": { "Ms": "600000" } }
    }});
    create(&cf, "cut", &template).await;
    wait_event(&cf, "cut", "Quick", "CREATE_COMPLETE", None).await;
    wait_event(&cf, "cut", "Long", "CREATE_IN_PROGRESS", Some("Resource creation Initiated")).await;

    let cloud = cloud.restart().await;
    let cf = client(&cloud).await;
    wait_status(&cf, "cut", "ROLLBACK_COMPLETE").await;
    let long = transitions(&cf, "cut", "Long").await;
    assert!(long.contains(&format!("CREATE_FAILED {INTERRUPTED}")), "{long:?}");
    assert_eq!(transitions(&cf, "cut", "Quick").await.last().map(String::as_str), Some("DELETE_COMPLETE"));
    assert!(calls.all().iter().any(|c| c.starts_with("delete Quick")), "{:?}", calls.all());

    let dir = cloud.data_dir().join("cloudformation");
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    let file = std::fs::metadata(dir.join("stacks.redb")).unwrap();
    assert_eq!(file.permissions().mode() & 0o777, 0o600);
}

async fn served_client(info: &kinesis_console::cloud::host::EndpointInfo) -> Client {
    let conf = kinesis_console::target::local_sdk_config(info).await;
    Client::from_conf(
        aws_sdk_cloudformation::config::Builder::from(&conf).retry_config(RetryConfig::disabled()).build(),
    )
}

#[tokio::test]
async fn kill_9_of_local_serve_mid_deploy_ends_rolled_back_after_restart() {
    support::init_env();
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_with(dir.path(), &["--virtual-clock"]);
    let cf = served_client(&server.endpoint()).await;
    // A wait condition nobody signals waits an hour of (virtual) cloud time: the deploy is mid-way.
    let template = json!({ "Resources": {
        "Handle": { "Type": "AWS::CloudFormation::WaitConditionHandle" },
        "Wait": { "Type": "AWS::CloudFormation::WaitCondition", "Properties": { "Handle": { "Ref": "Handle" }, "Timeout": "3600" } }
    }});
    create(&cf, "killed", &template).await;
    wait_event(&cf, "killed", "Wait", "CREATE_IN_PROGRESS", Some("Resource creation Initiated")).await;
    // SAFETY: plain kill(2) on the child's pid.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGKILL) };
    let _ = server.child.wait();

    let server = serve_with(dir.path(), &["--virtual-clock"]);
    let cf = served_client(&server.endpoint()).await;
    wait_status(&cf, "killed", "ROLLBACK_COMPLETE").await;
    let wait = transitions(&cf, "killed", "Wait").await;
    assert!(wait.contains(&format!("CREATE_FAILED {INTERRUPTED}")), "{wait:?}");
    let handle = transitions(&cf, "killed", "Handle").await;
    assert_eq!(handle.last().map(String::as_str), Some("DELETE_COMPLETE"), "{handle:?}");
    let stack = cf.describe_stacks().stack_name("killed").send().await.unwrap().stacks()[0].clone();
    assert_eq!(stack.stack_status_reason(), None);
}

#[tokio::test]
async fn a_restart_mid_update_rolls_the_update_back() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let named = |name: &str, ms: &str| json!({ "Resources": { "S": { "Type": "Test::Local::Wait", "Properties": { "Name": name, "Ms": ms } } } });
    create(&cf, "midupdate", &named("s", "0")).await;
    wait_status(&cf, "midupdate", "CREATE_COMPLETE").await;
    cf.update_stack().stack_name("midupdate").template_body(named("t", "600000").to_string()).send().await.unwrap();
    wait_event(&cf, "midupdate", "S", "UPDATE_IN_PROGRESS", None).await;

    let cloud = cloud.restart().await;
    let cf = client(&cloud).await;
    wait_status(&cf, "midupdate", "UPDATE_ROLLBACK_COMPLETE").await;
    let s = transitions(&cf, "midupdate", "S").await;
    assert!(s.contains(&format!("UPDATE_FAILED {INTERRUPTED}")), "{s:?}");
    let template = cf.get_template().stack_name("midupdate").send().await.unwrap();
    assert!(template.template_body().unwrap().contains("\"Ms\":\"0\""), "the old template is back");
}
