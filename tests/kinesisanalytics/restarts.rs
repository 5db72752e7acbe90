//! Flink's restart strategy: a job that fails is down for the strategy's delay while the application
//! stays RUNNING, then restarts from its last checkpoint; the failure is logged with the lines the
//! dashboards' Logs Insights widgets search for, a failed checkpoint counts, and the counts survive a
//! restart of the local cloud. The failures are real ones of the diagnostic `fail-after` job.

use crate::metrics::values;
use crate::{Env, GROUP, ROLE, STREAM, clients, env};
use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationConfiguration, ApplicationConfigurationUpdate, ApplicationStatus, CheckpointConfiguration,
    CloudWatchLoggingOption, ConfigurationType, EnvironmentProperties, EnvironmentPropertyUpdates,
    FlinkApplicationConfiguration, PropertyGroup, RuntimeEnvironment, Tag,
};

pub const FAIL_AFTER: &str = "kinesis-console/fail-after";

/// Creates `name` on `runtime`, running `fail-after` with `props`, checkpointing every 10 s and
/// logging to [`GROUP`]/[`STREAM`].
pub async fn create_failing(e: &Env, name: &str, runtime: RuntimeEnvironment, props: &[(&str, &str)]) {
    let mut group = PropertyGroup::builder().property_group_id("FlinkApplicationProperties");
    for (k, v) in props {
        group = group.property_map(*k, *v);
    }
    let checkpoints = CheckpointConfiguration::builder()
        .configuration_type(ConfigurationType::Custom)
        .checkpointing_enabled(true)
        .checkpoint_interval(10_000)
        .build()
        .unwrap();
    let config = ApplicationConfiguration::builder()
        .environment_properties(
            EnvironmentProperties::builder().property_groups(group.build().unwrap()).build().unwrap(),
        )
        .flink_application_configuration(
            FlinkApplicationConfiguration::builder().checkpoint_configuration(checkpoints).build(),
        )
        .build();
    let arn = format!("arn:aws:logs:us-east-1:000000000000:log-group:{GROUP}:log-stream:{STREAM}");
    e.flink
        .create_application()
        .application_name(name)
        .runtime_environment(runtime)
        .service_execution_role(ROLE)
        .application_configuration(config)
        .cloud_watch_logging_options(CloudWatchLoggingOption::builder().log_stream_arn(arn).build().unwrap())
        .tags(Tag::builder().key("kinesis-console:builtin").value(FAIL_AFTER).build().unwrap())
        .send()
        .await
        .expect("CreateApplication");
}

/// The messages `name` logged so far.
pub async fn messages(e: &Env, name: &str) -> Vec<String> {
    let suffix = format!(":application/{name}");
    e.log_records()
        .await
        .iter()
        .filter(|r| r["applicationARN"].as_str().is_some_and(|a| a.ends_with(&suffix)))
        .map(|r| r["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// How many times `name`'s job failed and how many times it restarted, as its log says.
pub async fn failures_and_restarts(e: &Env, name: &str) -> (usize, usize) {
    let m = messages(e, name).await;
    let count = |needle: &str| m.iter().filter(|l| l.contains(needle)).count();
    (count("switched from RUNNING to FAILED"), count("switched from state RESTARTING to RUNNING."))
}

pub async fn advance_seconds(e: &Env, n: u64) {
    for _ in 0..n {
        e.advance(1).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_restarts_from_its_checkpoint_after_the_strategy_delay_and_the_app_stays_running() {
    let e = env().await;
    let why = "software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException: Stream ticker under account 000000000000 not found.";
    create_failing(&e, "app", RuntimeEnvironment::Flink120, &[("FailAfterSteps", "12"), ("FailWith", why)]).await;
    e.start_running("app").await;

    // Step 1 runs as it starts, steps 2..11 in the next 10 s (a checkpoint is taken at 10 s), the 12th fails.
    advance_seconds(&e, 10).await;
    assert_eq!(failures_and_restarts(&e, "app").await, (0, 0));
    e.advance(1).await;
    assert_eq!(failures_and_restarts(&e, "app").await, (1, 0));
    assert_eq!(e.status("app").await, ApplicationStatus::Running, "the application stays RUNNING");
    let m = messages(&e, "app").await;
    let task = m.iter().find(|l| l.contains("switched from RUNNING to FAILED")).expect("the task's failure line");
    assert!(
        task.starts_with("Source: Kinesis source -> ") && task.contains(" (1/1) (") && task.contains(why),
        "{task}"
    );
    assert!(
        m.iter().any(|l| l.starts_with("Job app (") && l.ends_with(") switched from state RUNNING to RESTARTING.")),
        "{m:#?}"
    );

    // FLINK-1_20 backs off exponentially from 1 s: the job restarts a second later, from its checkpoint.
    e.advance(1).await;
    assert_eq!(failures_and_restarts(&e, "app").await, (1, 1));
    let m = messages(&e, "app").await;
    assert!(m.iter().any(|l| l.starts_with("Restoring job ") && l.contains(" from Checkpoint @ ")), "{m:#?}");

    // The next failure (11 s on) waits 1.5 s: a second after it the job is still down.
    advance_seconds(&e, 12).await;
    assert_eq!(failures_and_restarts(&e, "app").await, (2, 1), "1.5 s have not passed yet");
    e.advance(1).await;
    assert_eq!(failures_and_restarts(&e, "app").await, (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtimes_before_1_19_restart_after_a_fixed_ten_seconds() {
    let e = env().await;
    create_failing(&e, "old", RuntimeEnvironment::Flink118, &[("FailAfterSteps", "1")]).await;
    e.start_running("old").await;
    assert_eq!(failures_and_restarts(&e, "old").await, (1, 0), "failed at its first step");
    advance_seconds(&e, 9).await;
    assert_eq!(failures_and_restarts(&e, "old").await, (1, 0), "9 s later it still waits");
    e.advance(1).await;
    assert_eq!(failures_and_restarts(&e, "old").await.1, 1, "10 s later it restarted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_denied_stays_in_the_logged_line_and_a_failed_checkpoint_fails_the_job_over() {
    let e = env().await;
    let why = "User: arn:aws:sts::000000000000:assumed-role/flink is not authorized to perform: kinesis:GetRecords (Service: Kinesis, Status Code: 400, Error Code: AccessDeniedException)";
    create_failing(&e, "denied", RuntimeEnvironment::Flink120, &[("FailAfterSteps", "3"), ("FailWith", why)]).await;
    create_failing(&e, "checkpoints", RuntimeEnvironment::Flink120, &[("FailCheckpoints", "true")]).await;
    e.start_running("denied").await;
    advance_seconds(&e, 3).await;
    let m = messages(&e, "denied").await;
    assert!(m.iter().any(|l| l.contains("switched from RUNNING to FAILED") && l.contains("AccessDenied")), "{m:#?}");

    e.start_running("checkpoints").await;
    advance_seconds(&e, 9).await;
    assert_eq!(failures_and_restarts(&e, "checkpoints").await, (0, 0));
    e.advance(1).await;
    let m = messages(&e, "checkpoints").await;
    assert!(
        m.iter().any(|l| l.contains("switched from RUNNING to FAILED") && l.contains("CheckpointException")),
        "the checkpoint at 10 s fails the job: {m:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restart_count_survives_a_restart_of_the_local_cloud_and_a_new_start_begins_it_again() {
    let e = env().await;
    create_failing(&e, "app", RuntimeEnvironment::Flink120, &[("FailAfterSteps", "2")]).await;
    e.start_running("app").await;
    advance_seconds(&e, 10).await;
    let (_, before) = failures_and_restarts(&e, "app").await;
    assert!(before >= 2, "{before}");

    let e = clients(e.cloud.restart().await).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running);
    // numRestarts counts on from the restarts before the host restarted.
    advance_seconds(&e, 120).await;
    let restarts = values(&e, "app", "numRestarts", "Maximum").await;
    let (_, after) = failures_and_restarts(&e, "app").await;
    let last = *restarts.last().expect("numRestarts published");
    assert!(
        last as usize > before && last as usize <= after,
        "numRestarts {restarts:?}, restarts logged {before} then {after}"
    );

    // Stopped, then started again with a job that no longer fails: a new job counts from 0.
    e.flink.stop_application().application_name("app").send().await.unwrap();
    e.advance(3).await;
    let healthy = PropertyGroup::builder()
        .property_group_id("FlinkApplicationProperties")
        .property_map("FailAfterSteps", "1000000")
        .build()
        .unwrap();
    let update = ApplicationConfigurationUpdate::builder()
        .environment_property_updates(EnvironmentPropertyUpdates::builder().property_groups(healthy).build().unwrap())
        .build();
    let version = e.version("app").await;
    e.flink
        .update_application()
        .application_name("app")
        .current_application_version_id(version)
        .application_configuration_update(update)
        .send()
        .await
        .expect("UpdateApplication");
    e.start_running("app").await;
    advance_seconds(&e, 60).await;
    let restarts = values(&e, "app", "numRestarts", "Minimum").await;
    assert_eq!(restarts.last().copied(), Some(0.0), "a new job counts from 0: {restarts:?}");
}
