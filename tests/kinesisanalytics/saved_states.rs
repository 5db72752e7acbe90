//! Where job states are kept: a checkpoint's or a snapshot's state is a file of its own, written
//! before the application's document refers to it and removed once the document stops referring to
//! it, so the document stays small and nothing is left behind; a failed write of the document leaves
//! no file, a file no document refers to is swept at the next start, and a state that is gone fails
//! the start that needs it, naming it.

use std::path::PathBuf;

use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationRestoreConfiguration, ApplicationRestoreType, ApplicationStatus, OperationStatus, RunConfiguration,
};
use kinesis_console::cloud::doc_store::DocStore;
use kinesis_console::cloud::kinesisanalytics::state::FORMAT_VERSION;

use crate::{Env, IDLE, clients, env};

fn flink_dir(e: &Env) -> PathBuf {
    e.cloud.data_dir().join("kinesisanalytics")
}

/// The application's document as stored (the service's own store handle, shared in-process).
fn document(e: &Env, app: &str) -> String {
    let store = DocStore::open(&flink_dir(e), "flink.redb", FORMAT_VERSION).expect("the store");
    let docs = store.load().expect("the documents");
    let doc = docs.into_iter().find(|(k, _)| k == &format!("app/{app}")).map(|(_, d)| d).expect("the document");
    String::from_utf8(doc).expect("JSON")
}

/// The state files of `app`, by name, sorted.
fn state_files(e: &Env, app: &str) -> Vec<String> {
    let dir = flink_dir(e).join("states").join(app);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|f| f.ok()).map(|f| f.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn of_kind(names: &[String], kind: &str) -> Vec<String> {
    names.iter().filter(|n| n.starts_with(kind)).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_are_files_of_their_own_that_go_with_what_refers_to_them() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    assert!(state_files(&e, "app").is_empty(), "no checkpoint yet");

    e.advance(61).await;
    let files = state_files(&e, "app");
    let first = of_kind(&files, "checkpoint-");
    assert_eq!(first.len(), 1, "{files:?}");
    let bytes = std::fs::read(flink_dir(&e).join("states/app").join(&first[0])).unwrap();
    assert!(bytes.starts_with(br#"{"steps":"#), "the job's own encoding: {:?}", String::from_utf8_lossy(&bytes));
    let doc = document(&e, "app");
    assert!(!doc.contains("steps"), "the document refers to the state, it does not hold it: {doc}");
    assert!(doc.contains(&format!(r#""key":"app/{}""#, first[0])), "{doc}");

    // The next checkpoint replaces the first one's file.
    e.advance(60).await;
    let second = of_kind(&state_files(&e, "app"), "checkpoint-");
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);

    e.flink.create_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    e.advance(2).await;
    assert_eq!(of_kind(&state_files(&e, "app"), "snapshot-").len(), 1);

    // A stop drops the checkpoint and keeps its own snapshot.
    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Ready);
    let files = state_files(&e, "app");
    assert_eq!((of_kind(&files, "checkpoint-").len(), of_kind(&files, "snapshot-").len()), (0, 2), "{files:?}");

    let d = e.flink.describe_application_snapshot().application_name("app").snapshot_name("s1").send().await.unwrap();
    let created = d.snapshot_details().unwrap().snapshot_creation_timestamp().cloned().unwrap();
    let s1 = e.flink.delete_application_snapshot().application_name("app").snapshot_name("s1");
    s1.snapshot_creation_timestamp(created).send().await.unwrap();
    e.advance(1).await;
    assert_eq!(state_files(&e, "app").len(), 1, "the deleted snapshot's file is gone");

    let d = e.flink.describe_application().application_name("app").send().await.unwrap();
    let created = d.application_detail().unwrap().create_timestamp().cloned().unwrap();
    e.flink.delete_application().application_name("app").create_timestamp(created).send().await.unwrap();
    e.advance(5).await;
    assert!(!flink_dir(&e).join("states/app").exists(), "a deleted application leaves no state behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_leaves_no_state_and_an_orphan_is_swept_at_the_next_start() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    let store = DocStore::open(&flink_dir(&e), "flink.redb", FORMAT_VERSION).expect("the store");
    store.set_write_fault(true);
    e.advance(61).await;
    assert!(state_files(&e, "app").is_empty(), "a checkpoint whose document was not written leaves no file");
    store.set_write_fault(false);
    e.advance(1).await;
    let kept = state_files(&e, "app");
    assert_eq!(of_kind(&kept, "checkpoint-").len(), 1, "the checkpoint is taken again once writes work: {kept:?}");

    // As a crash between the file and the document would leave it.
    std::fs::write(flink_dir(&e).join("states/app/checkpoint-orphan"), b"{}").unwrap();
    drop(store);
    let e = clients(e.cloud.restart().await).await;
    assert_eq!(state_files(&e, "app"), kept, "the orphan is swept, the referenced file kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_from_a_snapshot_whose_state_is_gone_fails_naming_it() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.start_running("app").await;
    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    let snapshot = of_kind(&state_files(&e, "app"), "snapshot-").pop().expect("the stop's snapshot");
    std::fs::remove_file(flink_dir(&e).join("states/app").join(&snapshot)).unwrap();

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
    assert!(reason.contains(&format!("app/{snapshot}")) && reason.contains("missing"), "{reason}");
}
