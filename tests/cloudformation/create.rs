//! Creating stacks: per-resource events in AWS's order, dependencies, parallel creation, outputs,
//! the reads of a created stack and the clear failure of a type the local cloud lacks.

use std::time::Duration;

use aws_sdk_cloudformation::types::StackStatus;
use serde_json::json;

use super::*;

fn wait_resource(ms: u64) -> Value {
    json!({ "Type": "Test::Local::Wait", "Properties": { "Ms": ms.to_string() } })
}

#[tokio::test]
async fn every_resource_goes_through_awss_events_in_dependency_order() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let template = json!({
        "Resources": {
            "First": wait_resource(1_000),
            "Second": { "Type": "Test::Local::Wait", "Properties": { "Ms": "1000", "After": { "Ref": "First" } } }
        },
        "Outputs": {
            "FirstArn": { "Value": { "Fn::GetAtt": ["First", "Arn"] } },
            "SecondName": { "Value": { "Ref": "Second" } }
        }
    });
    let start = cloud.cloud.ctx.clock.now_ms();
    let id = create(&cf, "ordered", &template).await;
    assert!(id.starts_with("arn:aws:cloudformation:us-east-1:000000000000:stack/ordered/"), "{id}");
    wait_event(&cf, "ordered", "First", "CREATE_IN_PROGRESS", Some("Resource creation Initiated")).await;
    calls.wait_for("create First", 1).await;
    assert!(transitions(&cf, "ordered", "Second").await.is_empty(), "Second waits for First");
    cloud.advance(Duration::from_millis(1_000));
    wait_event(&cf, "ordered", "Second", "CREATE_IN_PROGRESS", Some("Resource creation Initiated")).await;
    calls.wait_for("create Second", 1).await;
    cloud.advance(Duration::from_millis(1_000));
    wait_status(&cf, "ordered", "CREATE_COMPLETE").await;

    let expected = vec![
        "CREATE_IN_PROGRESS".to_string(),
        "CREATE_IN_PROGRESS Resource creation Initiated".to_string(),
        "CREATE_COMPLETE".to_string(),
    ];
    assert_eq!(transitions(&cf, "ordered", "First").await, expected);
    assert_eq!(transitions(&cf, "ordered", "Second").await, expected);
    let evs = events(&cf, "ordered").await;
    assert_eq!(evs[0].logical_resource_id(), Some("ordered"));
    assert_eq!(evs[0].resource_status_reason(), Some("User Initiated"));
    assert_eq!(evs[0].resource_type(), Some("AWS::CloudFormation::Stack"));
    assert_eq!(
        evs.last().unwrap().resource_status(),
        Some(&aws_sdk_cloudformation::types::ResourceStatus::CreateComplete)
    );
    let pos = |l: &str, s: &str| {
        evs.iter()
            .position(|e| e.logical_resource_id() == Some(l) && e.resource_status().map(|x| x.as_str()) == Some(s))
            .unwrap()
    };
    assert!(pos("First", "CREATE_COMPLETE") < pos("Second", "CREATE_IN_PROGRESS"));
    // Each transition takes the cloud time the resource took.
    let at = |l: &str| {
        evs.iter()
            .rev()
            .find(|e| {
                e.logical_resource_id() == Some(l) && e.resource_status().map(|x| x.as_str()) == Some("CREATE_COMPLETE")
            })
            .and_then(|e| e.timestamp())
            .map(|t| t.to_millis().unwrap())
            .unwrap()
    };
    assert_eq!(at("First") - start, 1_000);
    assert_eq!(at("Second") - start, 2_000);

    let stack = &cf.describe_stacks().stack_name("ordered").send().await.unwrap().stacks()[0].clone();
    let outputs: Vec<(String, String)> = stack
        .outputs()
        .iter()
        .map(|o| (o.output_key().unwrap().to_string(), o.output_value().unwrap().to_string()))
        .collect();
    let first = cf.describe_stack_resource().stack_name("ordered").logical_resource_id("First").send().await.unwrap();
    let first_physical = first.stack_resource_detail().unwrap().physical_resource_id().unwrap().to_string();
    assert!(outputs.contains(&("FirstArn".to_string(), format!("arn:test:{first_physical}"))), "{outputs:?}");
    let listed = cf.list_stack_resources().stack_name("ordered").send().await.unwrap();
    assert_eq!(listed.stack_resource_summaries().len(), 2);
    assert!(
        listed
            .stack_resource_summaries()
            .iter()
            .all(|r| r.resource_status().map(|s| s.as_str()) == Some("CREATE_COMPLETE"))
    );
}

#[tokio::test]
async fn independent_resources_are_created_in_parallel() {
    let calls = Calls::default();
    let cloud = cloud_with(&calls).await;
    let cf = client(&cloud).await;
    let template = json!({ "Resources": { "Left": wait_resource(5_000), "Right": wait_resource(5_000) } });
    let start = cloud.cloud.ctx.clock.now_ms();
    create(&cf, "parallel", &template).await;
    // Both are being created before any cloud time passes: their IN_PROGRESS events overlap.
    wait_event(&cf, "parallel", "Left", "CREATE_IN_PROGRESS", Some("Resource creation Initiated")).await;
    wait_event(&cf, "parallel", "Right", "CREATE_IN_PROGRESS", Some("Resource creation Initiated")).await;
    calls.wait_for("create Left", 1).await;
    calls.wait_for("create Right", 1).await;
    cloud.advance(Duration::from_millis(5_000));
    wait_status(&cf, "parallel", "CREATE_COMPLETE").await;
    let evs = events(&cf, "parallel").await;
    let completes: Vec<i64> = evs
        .iter()
        .filter(|e| {
            e.resource_status().map(|s| s.as_str()) == Some("CREATE_COMPLETE")
                && e.logical_resource_id() != Some("parallel")
        })
        .map(|e| e.timestamp().unwrap().to_millis().unwrap() - start)
        .collect();
    assert_eq!(completes, vec![5_000, 5_000], "both finish after 5 s, not 10 s");
}

#[tokio::test]
async fn a_type_without_a_provider_fails_its_stack_with_a_clear_reason() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let template = json!({ "Resources": {
        "Fn": { "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "alerts" } },
        "Handle": { "Type": "AWS::CloudFormation::WaitConditionHandle" }
    }});
    create(&cf, "unsupported", &template).await;
    wait_status(&cf, "unsupported", "ROLLBACK_COMPLETE").await;
    let fn_events = transitions(&cf, "unsupported", "Fn").await;
    assert!(
        fn_events
            .contains(&"CREATE_FAILED Resource type AWS::SNS::Topic is not supported by the local cloud".to_string()),
        "{fn_events:?}"
    );
    let evs = events(&cf, "unsupported").await;
    let rollback =
        evs.iter().find(|e| e.resource_status().map(|s| s.as_str()) == Some("ROLLBACK_IN_PROGRESS")).unwrap();
    assert_eq!(
        rollback.resource_status_reason(),
        Some("The following resource(s) failed to create: [Fn]. Rollback requested by user.")
    );
}

#[tokio::test]
async fn list_stacks_filters_by_status_and_pages_with_next_token() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let mut resources = serde_json::Map::new();
    for n in 0..40 {
        resources.insert(format!("H{n}"), json!({ "Type": "AWS::CloudFormation::WaitConditionHandle" }));
    }
    create(&cf, "many", &json!({ "Resources": resources })).await;
    create(&cf, "broken", &json!({ "Resources": { "X": { "Type": "Test::Local::Fail" } } })).await;
    wait_status(&cf, "many", "CREATE_COMPLETE").await;
    wait_status(&cf, "broken", "ROLLBACK_COMPLETE").await;

    // 40 resources × 3 events + 2 stack events: more than one page of 100.
    let first = cf.describe_stack_events().stack_name("many").send().await.unwrap();
    assert_eq!(first.stack_events().len(), 100);
    assert!(first.next_token().is_some());
    assert_eq!(events(&cf, "many").await.len(), 122);

    let complete = cf.list_stacks().stack_status_filter(StackStatus::CreateComplete).send().await.unwrap();
    let names: Vec<&str> = complete.stack_summaries().iter().filter_map(|s| s.stack_name()).collect();
    assert_eq!(names, vec!["many"]);
    let all = cf.list_stacks().send().await.unwrap();
    assert_eq!(all.stack_summaries().len(), 2);
    let template = cf.get_template().stack_name("many").send().await.unwrap();
    assert!(template.template_body().unwrap().contains("H39"));
}
