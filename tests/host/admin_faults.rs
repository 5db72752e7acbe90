//! The admin API, and injected faults as the Rust SDK's retry layer sees them.

use crate::support;

use aws_sdk_sts::error::ProvideErrorMetadata;
use serde_json::json;
use support::TestCloud;

async fn injected(cloud: &TestCloud, key: &str) -> u64 {
    let faults = cloud.admin().get("faults").await.unwrap();
    faults["injected"][key].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn admin_api_needs_the_local_secret() {
    let cloud = TestCloud::start().await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let anonymous = client.get(format!("{}/_kc/health", cloud.url())).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let health = cloud.admin().get("health").await.unwrap();
    assert_eq!(health["status"], "ok");
    assert!(health["services"].as_array().unwrap().iter().any(|s| s == "sts"));
    let missing = cloud.admin().get("nothing-here").await.unwrap_err();
    assert!(format!("{missing:#}").contains("404"), "{missing:#}");
}

#[tokio::test]
async fn clock_switches_to_virtual_and_advances() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin();
    assert!(admin.post("clock", json!({ "advance_ms": 1000 })).await.is_err(), "real time cannot be advanced");
    let state = admin.post("clock", json!({ "mode": "virtual", "now_ms": 1_000_000 })).await.unwrap();
    assert_eq!(state["mode"], "virtual");
    let state = admin.post("clock", json!({ "advance_ms": 2500 })).await.unwrap();
    assert_eq!(state["now_ms"], 1_002_500);
    assert_eq!(cloud.cloud.ctx.clock.now_ms(), 1_002_500);
    let state = admin.post("clock", json!({ "mode": "real" })).await.unwrap();
    assert_eq!(state["mode"], "real");
}

#[tokio::test]
async fn limits_switch_globally_and_per_resource() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin();
    admin.post("limits", json!({ "resource": "bulk", "enforce": false })).await.unwrap();
    assert!(!cloud.cloud.ctx.limits.enforced("bulk"));
    assert!(cloud.cloud.ctx.limits.enforced("other"));
    admin.post("limits", json!({ "enforce": false })).await.unwrap();
    assert!(!cloud.cloud.ctx.limits.enforced("other"));
    assert!(admin.post("limits", json!({})).await.is_err());
}

#[tokio::test]
async fn bad_fault_settings_are_refused() {
    let cloud = TestCloud::start().await;
    let admin = cloud.admin();
    assert!(admin.post("faults", json!({ "throttle": 1.5 })).await.is_err());
    assert!(admin.post("faults", json!({ "service": "nosuch", "error": 0.1 })).await.is_err());
    assert!(admin.post("faults", json!({ "slow": 1 })).await.is_err());
}

#[tokio::test]
async fn sdk_retries_through_injected_throttles_and_dropped_connections() {
    let cloud = TestCloud::start().await;
    let sts = aws_sdk_sts::Client::new(&cloud.sdk_config().await);
    let admin = cloud.admin();

    admin.post("faults", json!({ "service": "sts", "throttle": 1.0, "count": 2 })).await.unwrap();
    let who = sts.get_caller_identity().send().await.expect("third attempt succeeds");
    assert_eq!(who.account(), Some("000000000000"));
    assert_eq!(injected(&cloud, "sts.throttle").await, 2, "the SDK retried twice");

    admin.post("faults", json!({ "service": "sts", "reset": 1.0, "count": 1 })).await.unwrap();
    sts.get_caller_identity().send().await.expect("the SDK retries a dropped connection");
    assert_eq!(injected(&cloud, "sts.reset").await, 1);
}

#[tokio::test]
async fn persistent_internal_errors_exhaust_the_sdk_retries() {
    let cloud = TestCloud::start().await;
    let sts = aws_sdk_sts::Client::new(&cloud.sdk_config().await);
    cloud.admin().post("faults", json!({ "error": 1.0 })).await.unwrap();
    let err = sts.get_caller_identity().send().await.expect_err("every attempt fails");
    assert_eq!(err.code(), Some("InternalFailure"));
    assert_eq!(injected(&cloud, "sts.error").await, 3, "standard retry mode makes 3 attempts");

    cloud.admin().post("reset", json!({})).await.unwrap();
    sts.get_caller_identity().send().await.expect("reset clears the faults");
}
