//! Where job states are kept: a checkpoint's or a snapshot's state is an entry of its own beside the
//! application's document, written with the document that refers to it and removed by the change that
//! stops referring to it, so the document stays small and nothing is left behind; a state that is gone
//! fails the start that needs it, naming it.

use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationRestoreConfiguration, ApplicationRestoreType, ApplicationStatus, OperationStatus, RunConfiguration,
};
use kinesis_console::cloud::doc_store::Change;
use kinesis_console::cloud::kinesisanalytics::state::FlinkState;

use crate::{Env, IDLE, env};

/// Every entry of the Managed Flink store: its key and its bytes.
fn entries(e: &Env) -> Vec<(String, String)> {
    let (state, _) = FlinkState::open(&e.cloud.data_dir().join("kinesisanalytics")).expect("the store");
    let rows = state.store().load().expect("the entries");
    rows.into_iter().map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned())).collect()
}

fn keys(e: &Env) -> Vec<String> {
    entries(e).into_iter().map(|(k, _)| k).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_are_entries_of_their_own_that_go_with_what_refers_to_them() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    assert_eq!(keys(&e), ["app/app"], "no checkpoint yet");

    e.advance(61).await;
    let all = entries(&e);
    let (_, checkpoint) = all.iter().find(|(k, _)| k == "state/app/checkpoint").expect("the checkpoint's state");
    assert!(checkpoint.starts_with(r#"{"steps":"#), "the job's own encoding: {checkpoint}");
    let (_, doc) = all.iter().find(|(k, _)| k == "app/app").expect("the application");
    assert!(!doc.contains("steps"), "the document refers to the state, it does not hold it: {doc}");
    assert!(doc.contains(r#""key":"state/app/checkpoint""#), "{doc}");

    e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    e.advance(2).await;
    assert_eq!(keys(&e), ["app/app", "state/app/checkpoint", "state/app/snapshot/s1"]);

    // A stop drops the checkpoint and keeps the stop's own snapshot.
    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready);
    let left = keys(&e);
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(!left.contains(&"state/app/checkpoint".to_string()), "{left:?}");
    let stop_snapshot = left.iter().find(|k| k.starts_with("state/app/snapshot/") && !k.ends_with("/s1")).cloned();
    let stop_snapshot = stop_snapshot.expect("the stop's snapshot");

    let d = e.flink.describe_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    let created = d.snapshot_details().unwrap().snapshot_creation_timestamp().cloned().unwrap();
    e.flink
        .delete_application_snapshot()
        .application_name("app")
        .snapshot_name("s1")
        .snapshot_creation_timestamp(created)
        .send()
        .await
        .unwrap();
    e.advance(1).await;
    assert_eq!(keys(&e), ["app/app".to_string(), stop_snapshot.clone()]);

    let d = e.flink.describe_application().application_name("app").send().await.unwrap();
    let created = d.application_detail().unwrap().create_timestamp().cloned().unwrap();
    e.flink.delete_application().application_name("app").create_timestamp(created).send().await.unwrap();
    e.advance(5).await;
    assert_eq!(keys(&e), Vec::<String>::new(), "a deleted application leaves no state behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_from_a_snapshot_whose_state_is_gone_fails_naming_it() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    let snapshot = keys(&e).into_iter().find(|k| k.starts_with("state/app/snapshot/")).expect("the stop's snapshot");
    let (state, _) = FlinkState::open(&e.cloud.data_dir().join("kinesisanalytics")).expect("the store");
    state.store().commit(&[Change::Remove(snapshot.clone())]).expect("the state removed");

    let latest = ApplicationRestoreConfiguration::builder()
        .application_restore_type(ApplicationRestoreType::RestoreFromLatestSnapshot)
        .build()
        .unwrap();
    let run = RunConfiguration::builder().application_restore_configuration(latest).build();
    let started =
        e.flink.start_application().application_name("app").run_configuration(run).send().await.expect("accepted");
    e.advance(5).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready, "the start failed");
    let id = started.operation_id().unwrap();
    let op = e.flink.describe_application_operation().application_name("app").operation_id(id).send().await.unwrap();
    let details = op.application_operation_info_details().unwrap();
    assert_eq!(details.operation_status(), &OperationStatus::Failed);
    let reason =
        details.operation_failure_details().and_then(|f| f.error_info()).and_then(|i| i.error_string()).unwrap();
    assert!(reason.contains(&snapshot) && reason.contains("missing"), "{reason}");
}
