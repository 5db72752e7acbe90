//! Version ids on every configuration change, the stale-version check, the versions and operations
//! they leave, tags, and durability across a restart of the local cloud.

use aws_sdk_kinesisanalyticsv2::types::{
    ApplicationConfigurationUpdate, ApplicationStatus, ConfigurationType, EnvironmentPropertyUpdates,
    FlinkApplicationConfigurationUpdate, OperationStatus, ParallelismConfigurationUpdate, PropertyGroup, Tag,
};

use crate::{IDLE, clients, code, env, message};

/// An update to parallelism `p`, with a property naming it.
pub fn parallelism(p: i32) -> ApplicationConfigurationUpdate {
    ApplicationConfigurationUpdate::builder()
        .flink_application_configuration_update(
            FlinkApplicationConfigurationUpdate::builder()
                .parallelism_configuration_update(
                    ParallelismConfigurationUpdate::builder()
                        .configuration_type_update(ConfigurationType::Custom)
                        .parallelism_update(p)
                        .build(),
                )
                .build(),
        )
        .environment_property_updates(
            EnvironmentPropertyUpdates::builder()
                .property_groups(
                    PropertyGroup::builder()
                        .property_group_id("FlinkApplicationProperties")
                        .property_map("Parallel", p.to_string())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_ids_increase_on_update_and_a_stale_version_is_a_concurrent_modification() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    let mut versions = vec![e.version("app").await];
    for p in [2, 3] {
        let out = e
            .flink
            .update_application()
            .application_name("app")
            .current_application_version_id(*versions.last().unwrap())
            .application_configuration_update(parallelism(p))
            .send()
            .await
            .unwrap();
        let d = out.application_detail().unwrap();
        assert_eq!(d.application_status(), &ApplicationStatus::Ready, "a READY application updates at once");
        let flink =
            d.application_configuration_description().unwrap().flink_application_configuration_description().unwrap();
        assert_eq!(flink.parallelism_configuration_description().unwrap().parallelism(), Some(p));
        assert_eq!(d.application_version_updated_from(), Some(*versions.last().unwrap()));
        versions.push(d.application_version_id());
    }
    assert_eq!(versions, [1, 2, 3]);

    let stale = e
        .flink
        .update_application()
        .application_name("app")
        .current_application_version_id(2)
        .application_configuration_update(parallelism(9))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&stale), "ConcurrentModificationException", "{}", message(&stale));
    assert_eq!(e.version("app").await, 3, "a refused update changes nothing");

    // The conditional token stands in for the version id, and goes stale the same way.
    let token = e
        .flink
        .describe_application()
        .application_name("app")
        .send()
        .await
        .unwrap()
        .application_detail()
        .unwrap()
        .conditional_token()
        .unwrap()
        .to_string();
    e.flink
        .update_application()
        .application_name("app")
        .conditional_token(&token)
        .application_configuration_update(parallelism(4))
        .send()
        .await
        .unwrap();
    let reused = e
        .flink
        .update_application()
        .application_name("app")
        .conditional_token(&token)
        .application_configuration_update(parallelism(5))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&reused), "ConcurrentModificationException");

    let listed = e.flink.list_application_versions().application_name("app").send().await.unwrap();
    let ids: Vec<i64> = listed.application_version_summaries().iter().map(|v| v.application_version_id()).collect();
    assert_eq!(ids, [4, 3, 2, 1]);
    let v2 =
        e.flink.describe_application_version().application_name("app").application_version_id(2).send().await.unwrap();
    let d = v2.application_version_detail().unwrap();
    assert_eq!(d.application_version_id(), 2);
    let p = d
        .application_configuration_description()
        .unwrap()
        .flink_application_configuration_description()
        .unwrap()
        .parallelism_configuration_description()
        .unwrap()
        .parallelism();
    assert_eq!(p, Some(2), "an old version describes the configuration it had");
    let none = e
        .flink
        .describe_application_version()
        .application_name("app")
        .application_version_id(40)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&none), "ResourceNotFoundException");

    let ops = e
        .flink
        .list_application_operations()
        .application_name("app")
        .operation("UpdateApplication")
        .send()
        .await
        .unwrap();
    assert_eq!(ops.application_operation_info_list().len(), 3);
    let id = ops.application_operation_info_list()[0].operation_id().unwrap();
    let op = e.flink.describe_application_operation().application_name("app").operation_id(id).send().await.unwrap();
    let change = op.application_operation_info_details().unwrap().application_version_change_details().unwrap();
    assert_eq!((change.application_version_updated_from(), change.application_version_updated_to()), (3, 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_options_and_tags_change_the_application() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    let d = e.flink.describe_application().application_name("app").send().await.unwrap();
    let detail = d.application_detail().unwrap();
    let option =
        detail.cloud_watch_logging_option_descriptions()[0].cloud_watch_logging_option_id().unwrap().to_string();
    let arn = detail.application_arn().to_string();
    let stale = e
        .flink
        .delete_application_cloud_watch_logging_option()
        .application_name("app")
        .current_application_version_id(7)
        .cloud_watch_logging_option_id(&option)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&stale), "ConcurrentModificationException");
    let out = e
        .flink
        .delete_application_cloud_watch_logging_option()
        .application_name("app")
        .current_application_version_id(1)
        .cloud_watch_logging_option_id(&option)
        .send()
        .await
        .unwrap();
    assert_eq!(out.application_version_id(), Some(2));
    assert!(out.cloud_watch_logging_option_descriptions().is_empty());
    let added = e
        .flink
        .add_application_cloud_watch_logging_option()
        .application_name("app")
        .current_application_version_id(2)
        .cloud_watch_logging_option(
            aws_sdk_kinesisanalyticsv2::types::CloudWatchLoggingOption::builder()
                .log_stream_arn("arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:s")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(added.application_version_id(), Some(3));
    assert!(added.operation_id().is_some());

    e.flink
        .tag_resource()
        .resource_arn(&arn)
        .tags(Tag::builder().key("team").value("data").build().unwrap())
        .send()
        .await
        .unwrap();
    e.flink.untag_resource().resource_arn(&arn).tag_keys("kinesis-console:builtin").send().await.unwrap();
    let tags = e.flink.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    let keys: Vec<&str> = tags.tags().iter().map(|t| t.key()).collect();
    assert_eq!(keys, ["team"]);
    let mut many = e.flink.tag_resource().resource_arn(&arn);
    for i in 0..50 {
        many = many.tags(Tag::builder().key(format!("k{i}")).value("v").build().unwrap());
    }
    let too_many = many.send().await.unwrap_err();
    assert_eq!(code(&too_many), "TooManyTagsException");
    let unknown = e
        .flink
        .list_tags_for_resource()
        .resource_arn("arn:aws:kinesisanalytics:us-east-1:000000000000:application/nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&unknown), "ResourceNotFoundException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_their_versions_snapshots_operations_and_transitions_survive_a_restart() {
    let e = env().await;
    e.create("app", Some(IDLE)).await;
    e.create("starting", Some(IDLE)).await;
    e.flink
        .update_application()
        .application_name("app")
        .current_application_version_id(1)
        .application_configuration_update(parallelism(2))
        .send()
        .await
        .unwrap();
    e.start_running("app").await;
    e.flink.create_application_snapshot().application_name("app").snapshot_name("before-restart").send().await.unwrap();
    e.advance(2).await;
    e.flink.start_application().application_name("starting").send().await.unwrap();
    let before = e
        .flink
        .list_application_operations()
        .application_name("app")
        .send()
        .await
        .unwrap()
        .application_operation_info_list()
        .len();

    let e = clients(e.cloud.restart().await).await;
    assert_eq!(e.status("app").await, ApplicationStatus::Running, "a running application runs on after a restart");
    assert_eq!(e.version("app").await, 2);
    let snap = e
        .flink
        .describe_application_snapshot()
        .application_name("app")
        .snapshot_name("before-restart")
        .send()
        .await
        .unwrap();
    assert_eq!(snap.snapshot_details().unwrap().snapshot_status().as_str(), "READY");
    let ops = e.flink.list_application_operations().application_name("app").send().await.unwrap();
    assert_eq!(ops.application_operation_info_list().len(), before);
    assert!(
        ops.application_operation_info_list()
            .iter()
            .all(|o| o.operation_status() == Some(&OperationStatus::Successful))
    );
    assert_eq!(e.status("starting").await, ApplicationStatus::Starting, "a transition under way is kept");
    e.advance(5).await;
    assert_eq!(e.status("starting").await, ApplicationStatus::Running, "and ends on the clock after the restart");
    let ids: Vec<i64> = e
        .flink
        .list_application_versions()
        .application_name("app")
        .send()
        .await
        .unwrap()
        .application_version_summaries()
        .iter()
        .map(|v| v.application_version_id())
        .collect();
    assert_eq!(ids, [2, 1]);
}
