//! Statuses and their transitions on the cloud clock, with AWS's errors for the wrong status.

use aws_sdk_kinesisanalyticsv2::types::{ApplicationStatus, OperationStatus};

use crate::{IDLE, code, env, message};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_transition_takes_its_seconds_of_the_cloud_clock() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.flink.start_application().application_name("app").send().await.unwrap();
    assert_eq!(e.status("app").await, ApplicationStatus::Starting);
    e.advance(4).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Starting, "a start takes 5 s");
    e.advance(1).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running);

    // A running application updates through UPDATING and runs again.
    let v = e.version("app").await;
    let upd = e
        .flink
        .update_application()
        .application_name("app")
        .current_application_version_id(v)
        .service_execution_role_update("arn:aws:iam::000000000000:role/other")
        .send()
        .await
        .unwrap();
    assert_eq!(upd.application_detail().unwrap().application_status(), &ApplicationStatus::Updating);
    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running);

    e.flink.stop_application().application_name("app").send().await.unwrap();
    assert_eq!(e.status("app").await, ApplicationStatus::Stopping);
    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready);

    e.start_running("app").await;
    e.flink.stop_application().application_name("app").force(true).send().await.unwrap();
    assert_eq!(e.status("app").await, ApplicationStatus::ForceStopping);
    e.advance(1).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready);

    // A forced stop of a start under way cancels the start's operation.
    let start = e.flink.start_application().application_name("app").send().await.unwrap();
    e.flink.stop_application().application_name("app").force(true).send().await.unwrap();
    e.advance(5).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready);
    let op = e
        .flink
        .describe_application_operation()
        .application_name("app")
        .operation_id(start.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(op.application_operation_info_details().unwrap().operation_status(), &OperationStatus::Cancelled);

    let created = e
        .flink
        .describe_application()
        .application_name("app")
        .send()
        .await
        .unwrap()
        .application_detail()
        .unwrap()
        .create_timestamp()
        .cloned()
        .unwrap();
    e.flink.delete_application().application_name("app").create_timestamp(created).send().await.unwrap();
    assert_eq!(e.status("app").await, ApplicationStatus::Deleting);
    e.advance(2).await;
    let gone = e.flink.describe_application().application_name("app").send().await.unwrap_err();
    assert_eq!(code(&gone), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_a_running_application_or_stopping_a_ready_one_is_resource_in_use() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    let stop = e.flink.stop_application().application_name("app").send().await.unwrap_err();
    assert_eq!(code(&stop), "ResourceInUseException", "{}", message(&stop));
    e.start_running("app").await;
    let again = e.flink.start_application().application_name("app").send().await.unwrap_err();
    assert_eq!(code(&again), "ResourceInUseException");
    assert!(message(&again).contains("RUNNING"), "{}", message(&again));
    let missing = e.flink.start_application().application_name("nope").send().await.unwrap_err();
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let bad = e.flink.start_application().application_name("bad name!").send().await.unwrap_err();
    assert_eq!(code(&bad), "InvalidArgumentException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_halts_a_running_application_then_deletes_it() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    let d = e.flink.describe_application().application_name("app").send().await.unwrap();
    let wrong = aws_sdk_kinesisanalyticsv2::primitives::DateTime::from_secs(1);
    let refused =
        e.flink.delete_application().application_name("app").create_timestamp(wrong).send().await.unwrap_err();
    assert_eq!(code(&refused), "InvalidArgumentException", "the CreateTimestamp check");
    assert_eq!(e.status("app").await, ApplicationStatus::Running);
    let created = d.application_detail().unwrap().create_timestamp().cloned().unwrap();
    e.flink.delete_application().application_name("app").create_timestamp(created).send().await.unwrap();
    assert_eq!(e.status("app").await, ApplicationStatus::Deleting);
    e.advance(1).await;
    let records = e.log_records().await;
    assert!(
        records
            .iter()
            .any(|r| r["message"].as_str().is_some_and(|m| m.contains("switched from state RUNNING to CANCELED"))),
        "the job is halted when DELETING begins: {records:?}"
    );
    e.advance(1).await;
    let list = e.flink.list_applications().send().await.unwrap();
    assert!(list.application_summaries().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_naming_no_built_in_fails_the_start_with_the_reason_in_the_operation_and_the_log() {
    let e = env().await;
    e.create("app", Some("kpl-kds-kda/no-such-job")).await;
    let started = e.flink.start_application().application_name("app").send().await.unwrap();
    e.advance(5).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready, "a failed start goes back to READY");
    let id = started.operation_id().unwrap();
    let op = e.flink.describe_application_operation().application_name("app").operation_id(id).send().await.unwrap();
    let details = op.application_operation_info_details().unwrap();
    assert_eq!(details.operation_status(), &OperationStatus::Failed);
    let reason = details
        .operation_failure_details()
        .and_then(|f| f.error_info())
        .and_then(|i| i.error_string())
        .unwrap_or_default();
    assert!(reason.contains("kpl-kds-kda/no-such-job") && reason.contains("not a built-in job"), "{reason}");
    let listed = e
        .flink
        .list_application_operations()
        .application_name("app")
        .operation_status(OperationStatus::Failed)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.application_operation_info_list().len(), 1);
    assert_eq!(listed.application_operation_info_list()[0].operation(), Some("StartApplication"));

    let records = e.log_records().await;
    let failed =
        records.iter().find(|r| r["messageType"] == "ERROR").unwrap_or_else(|| panic!("an ERROR record: {records:?}"));
    assert!(failed["message"].as_str().unwrap().contains("switched from state RUNNING to FAILED"), "{failed}");
    assert!(failed["message"].as_str().unwrap().contains("kpl-kds-kda/no-such-job"), "{failed}");
    assert_eq!(failed["applicationARN"], "arn:aws:kinesisanalytics:us-east-1:000000000000:application/app");
    assert_eq!(failed["applicationVersionId"], "1");
    assert!(failed["locationInformation"].is_string() && failed["logger"].is_string());

    // Without the tag at all, the reason says so.
    e.create("untagged", None).await;
    let started = e.flink.start_application().application_name("untagged").send().await.unwrap();
    e.advance(5).await;
    let op = e
        .flink
        .describe_application_operation()
        .application_name("untagged")
        .operation_id(started.operation_id().unwrap())
        .send()
        .await
        .unwrap();
    let reason = op
        .application_operation_info_details()
        .unwrap()
        .operation_failure_details()
        .unwrap()
        .error_info()
        .unwrap()
        .error_string()
        .unwrap()
        .to_string();
    assert!(reason.contains("no kinesis-console:builtin tag"), "{reason}");
}
