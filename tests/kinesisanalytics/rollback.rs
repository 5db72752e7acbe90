//! RollbackApplication: back to the version before the current one, as a new version, through
//! ROLLING_BACK, refused without a snapshot, for a stale version, or in the wrong status.

use aws_sdk_kinesisanalyticsv2::types::{ApplicationStatus, OperationStatus};

use crate::versions::parallelism;
use crate::{IDLE, code, env};

async fn parallelism_of(e: &crate::Env, name: &str) -> Option<i32> {
    let out = e.flink.describe_application().application_name(name).send().await.unwrap();
    let d = out.application_detail().unwrap();
    d.application_configuration_description()?
        .flink_application_configuration_description()?
        .parallelism_configuration_description()?
        .parallelism()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollback_restores_the_previous_version_as_a_new_one_through_rolling_back() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    let v1 = e.version("app").await;
    let ready = e.flink.rollback_application().application_name("app").current_application_version_id(v1).send().await;
    assert_eq!(code(&ready.unwrap_err()), "ResourceInUseException", "a READY application is not rolled back");

    e.start_running("app").await;
    let no_snapshot =
        e.flink.rollback_application().application_name("app").current_application_version_id(v1).send().await;
    assert_eq!(code(&no_snapshot.unwrap_err()), "InvalidRequestException", "no snapshot to roll back to");
    e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    e.advance(2).await;
    let first = e.flink.rollback_application().application_name("app").current_application_version_id(v1).send().await;
    assert_eq!(code(&first.unwrap_err()), "InvalidRequestException", "version 1 has nothing before it");

    let before = parallelism_of(&e, "app").await;
    e.flink
        .update_application()
        .application_name("app")
        .current_application_version_id(v1)
        .application_configuration_update(parallelism(7))
        .send()
        .await
        .unwrap();
    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running);
    assert_eq!(parallelism_of(&e, "app").await, Some(7));
    let v2 = e.version("app").await;

    let stale = e.flink.rollback_application().application_name("app").current_application_version_id(v1).send().await;
    assert_eq!(code(&stale.unwrap_err()), "ConcurrentModificationException");

    let out =
        e.flink.rollback_application().application_name("app").current_application_version_id(v2).send().await.unwrap();
    let d = out.application_detail().unwrap();
    assert_eq!(d.application_status(), &ApplicationStatus::RollingBack);
    assert_eq!(d.application_version_id(), v2 + 1, "a rollback is a new version");
    assert_eq!(d.application_version_rolled_back_from(), Some(v2));
    assert_eq!(d.application_version_rolled_back_to(), Some(v1));
    assert_eq!(parallelism_of(&e, "app").await, before, "version 1's configuration is back");
    let op = out.operation_id().unwrap().to_string();

    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running);
    let o = e.flink.describe_application_operation().application_name("app").operation_id(&op).send().await.unwrap();
    let info = o.application_operation_info_details().unwrap();
    assert_eq!(info.operation(), "RollbackApplication");
    assert_eq!(info.operation_status(), &OperationStatus::Successful);
    let versions = e.flink.list_application_versions().application_name("app").send().await.unwrap();
    let ids: Vec<i64> = versions.application_version_summaries().iter().map(|v| v.application_version_id()).collect();
    assert!(ids.contains(&v2), "the rolled-back-from version stays listed: {ids:?}");
}
