//! System rollback: with `ApplicationSystemRollbackConfiguration` on, an update whose job will not
//! start is rolled back by the service as RollbackApplication would (ROLLING_BACK, a new version with
//! the previous configuration, the job restarted from the latest snapshot), and the failed update's
//! operation names the rollback's; with it off, the application is left READY.

use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationConfigurationUpdate, ApplicationSnapshotConfigurationUpdate, ApplicationStatus,
    ApplicationSystemRollbackConfigurationUpdate, EnvironmentPropertyUpdates, OperationStatus, PropertyGroup,
    RuntimeEnvironment,
};

use crate::restarts::{create_failing, messages};
use crate::{Env, env};

/// Snapshots on, and system rollback as `rollback` says.
fn settings(rollback: bool) -> ApplicationConfigurationUpdate {
    ApplicationConfigurationUpdate::builder()
        .application_snapshot_configuration_update(
            ApplicationSnapshotConfigurationUpdate::builder().snapshots_enabled_update(true).build().unwrap(),
        )
        .application_system_rollback_configuration_update(
            ApplicationSystemRollbackConfigurationUpdate::builder().rollback_enabled_update(rollback).build().unwrap(),
        )
        .build()
}

/// Properties the job refuses at its start.
fn bad_properties() -> ApplicationConfigurationUpdate {
    let group = PropertyGroup::builder()
        .property_group_id("FlinkApplicationProperties")
        .property_map("FailAfterSteps", "soon")
        .build()
        .unwrap();
    ApplicationConfigurationUpdate::builder()
        .environment_property_updates(EnvironmentPropertyUpdates::builder().property_groups(group).build().unwrap())
        .build()
}

async fn update(e: &Env, config: ApplicationConfigurationUpdate) -> String {
    let v = e.version("app").await;
    let out = e
        .flink
        .update_application()
        .application_name("app")
        .current_application_version_id(v)
        .application_configuration_update(config)
        .send()
        .await
        .expect("UpdateApplication");
    out.operation_id().expect("an operation id").to_string()
}

/// A running application with a READY snapshot, its updates failing at the job's start.
async fn running_with_a_snapshot(rollback: bool) -> Env {
    let e = env().await;
    // Never fails as it is; the bad update makes its start fail.
    create_failing(&e, "app", RuntimeEnvironment::Flink120, &[("FailWith", "unused")]).await;
    update(&e, settings(rollback)).await;
    e.start_running("app").await;
    e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    e.advance(2).await;
    e
}

async fn failure_details(e: &Env, id: &str) -> (OperationStatus, Option<String>, Option<String>) {
    let o = e.flink.describe_application_operation().application_name("app").operation_id(id).send().await.unwrap();
    let info = o.application_operation_info_details().unwrap();
    let failure = info.operation_failure_details();
    (
        info.operation_status().clone(),
        failure.and_then(|f| f.rollback_operation_id()).map(str::to_string),
        failure.and_then(|f| f.error_info()).and_then(|i| i.error_string()).map(str::to_string),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_update_is_rolled_back_to_the_version_before_it() {
    let e = running_with_a_snapshot(true).await;
    let good = e.version("app").await;
    let failing = update(&e, bad_properties()).await;
    let bad = e.version("app").await;
    assert_eq!(e.status("app").await, ApplicationStatus::Updating);

    e.advance(3).await;
    let d = e.flink.describe_application().application_name("app").send().await.unwrap();
    let d = d.application_detail().unwrap();
    assert_eq!(d.application_status(), &ApplicationStatus::RollingBack, "the service rolls the update back");
    assert_eq!(d.application_version_id(), bad + 1, "the rollback is a new version");
    assert_eq!(
        (d.application_version_rolled_back_from(), d.application_version_rolled_back_to()),
        (Some(bad), Some(good))
    );
    let (status, rollback, error) = failure_details(&e, &failing).await;
    assert_eq!(status, OperationStatus::Failed);
    assert!(error.as_deref().is_some_and(|m| m.contains("FailAfterSteps")), "{error:?}");
    let rollback = rollback.expect("the failed update names the rollback it started");

    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running, "back on the previous version's configuration");
    let o = e.flink.describe_application_operation().application_name("app").operation_id(&rollback).send().await;
    let info = o.unwrap().application_operation_info_details().cloned().unwrap();
    assert_eq!((info.operation(), info.operation_status()), ("RollbackApplication", &OperationStatus::Successful));
    let log = messages(&e, "app").await;
    assert!(log.iter().any(|m| m.contains(&format!("System rollback {rollback}"))), "{log:#?}");
    assert!(
        log.iter().any(|m| m.contains("switched from state RUNNING to FAILED") && m.contains("FailAfterSteps")),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_system_rollback_a_failed_update_leaves_the_application_ready() {
    let e = running_with_a_snapshot(false).await;
    let failing = update(&e, bad_properties()).await;
    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready);
    let (status, rollback, _) = failure_details(&e, &failing).await;
    assert_eq!((status, rollback), (OperationStatus::Failed, None));
}
