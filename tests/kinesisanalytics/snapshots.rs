//! Snapshots with their own statuses: taken on request and by a stop, restored by a start, deleted.

use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationRestoreConfiguration, ApplicationRestoreType, ApplicationStatus, RunConfiguration, SnapshotStatus,
};

use crate::{IDLE, code, env};

fn restore(kind: ApplicationRestoreType, name: Option<&str>) -> RunConfiguration {
    let mut r = ApplicationRestoreConfiguration::builder().application_restore_type(kind);
    if let Some(n) = name {
        r = r.snapshot_name(n);
    }
    RunConfiguration::builder().application_restore_configuration(r.build().unwrap()).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_go_through_their_statuses_and_a_start_restores_the_one_named() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    let not_running =
        e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap_err();
    assert_eq!(code(&not_running), "ResourceInUseException");
    e.start_running("app").await;
    e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    let status =
        |d: aws_sdk_kinesisanalyticsv2::operation::describe_application_snapshot::DescribeApplicationSnapshotOutput| {
            d.snapshot_details().unwrap().snapshot_status().clone()
        };
    let d = e.flink.describe_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    assert_eq!(status(d), SnapshotStatus::Creating);
    let twice =
        e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap_err();
    assert_eq!(code(&twice), "InvalidArgumentException");
    e.advance(2).await;
    let d = e.flink.describe_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    let created = d.snapshot_details().unwrap().snapshot_creation_timestamp().cloned().unwrap();
    assert_eq!(status(d), SnapshotStatus::Ready);

    // The stop takes a snapshot of its own (snapshots are on).
    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    let list = e.flink.list_application_snapshots().application_name("app").send().await.unwrap();
    assert_eq!(list.snapshot_summaries().len(), 2);
    assert!(list.snapshot_summaries().iter().all(|s| s.snapshot_status() == &SnapshotStatus::Ready));

    let missing = e
        .flink
        .start_application()
        .application_name("app")
        .run_configuration(restore(ApplicationRestoreType::RestoreFromCustomSnapshot, Some("nope")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let unnamed = e
        .flink
        .start_application()
        .application_name("app")
        .run_configuration(restore(ApplicationRestoreType::RestoreFromCustomSnapshot, None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unnamed), "InvalidArgumentException");
    e.flink
        .start_application()
        .application_name("app")
        .run_configuration(restore(ApplicationRestoreType::RestoreFromCustomSnapshot, Some("s1")))
        .send()
        .await
        .unwrap();
    e.advance(5).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running);
    let d = e.flink.describe_application().application_name("app").send().await.unwrap();
    let run = d
        .application_detail()
        .unwrap()
        .application_configuration_description()
        .unwrap()
        .run_configuration_description()
        .unwrap();
    let r = run.application_restore_configuration_description().unwrap();
    assert_eq!(
        (r.application_restore_type(), r.snapshot_name()),
        (&ApplicationRestoreType::RestoreFromCustomSnapshot, Some("s1"))
    );

    let wrong = aws_sdk_kinesisanalyticsv2::primitives::DateTime::from_secs(3);
    let refused = e
        .flink
        .delete_application_snapshot()
        .application_name("app")
        .snapshot_name("s1")
        .snapshot_creation_timestamp(wrong)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&refused), "InvalidArgumentException");
    e.flink
        .delete_application_snapshot()
        .application_name("app")
        .snapshot_name("s1")
        .snapshot_creation_timestamp(created)
        .send()
        .await
        .unwrap();
    let d = e.flink.describe_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    assert_eq!(status(d), SnapshotStatus::Deleting);
    e.advance(1).await;
    let gone =
        e.flink.describe_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_snapshots_off_a_snapshot_is_refused_and_a_stop_takes_none() {
    let e = env().await;
    e.flink
        .create_application()
        .application_name("plain")
        .runtime_environment(aws_sdk_kinesisanalyticsv2::types::RuntimeEnvironment::Flink120)
        .service_execution_role(crate::ROLE)
        .tags(
            aws_sdk_kinesisanalyticsv2::types::Tag::builder()
                .key("kinesis-console:builtin")
                .value(IDLE)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    e.start_running("plain").await;
    let refused =
        e.flink.create_application_snapshot().application_name("plain").snapshot_name("s").send().await.unwrap_err();
    assert_eq!(code(&refused), "InvalidApplicationConfigurationException");
    e.flink.stop_application().application_name("plain").send().await.unwrap();
    e.advance(3).await;
    let list = e.flink.list_application_snapshots().application_name("plain").send().await.unwrap();
    assert!(list.snapshot_summaries().is_empty());
}
