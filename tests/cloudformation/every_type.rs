//! Every supported resource type through the real providers, end to end: the aws CLI's `cloudformation
//! deploy` of a template with all of them, each resource's events, the services seeing what the stack
//! made, and what `DeletionPolicy: Retain` keeps; a stream resharded in place and replaced by an update;
//! a stack rolled back whole when its bucket's name is taken. Streams and consumers turn ACTIVE at once,
//! so the stacks complete on a virtual clock that never has to move.

use aws_sdk_kinesis::Client as Kinesis;
use serde_json::json;

use super::*;

const FIXTURE: &str = include_str!("../fixtures/cloudformation/every_type.yaml");

/// The fixture's resources, one or more of each supported type.
const LOGICAL_IDS: [&str; 11] = [
    "Stream",
    "Consumer",
    "IteratorAgeAlarm",
    "Dashboard",
    "Bucket",
    "BucketPolicy",
    "Role",
    "ReadStream",
    "WriteBucket",
    "LogGroup",
    "LogStream",
];

async fn real_cloud() -> TestCloud {
    TestCloud::start_with(|c| {
        c.clock = ClockMode::Virtual;
        c.kinesis.transition_ms = 0;
    })
    .await
}

async fn kinesis(cloud: &TestCloud) -> Kinesis {
    Kinesis::new(&cloud.sdk_config().await)
}

async fn s3(cloud: &TestCloud) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&cloud.sdk_config().await).force_path_style(true).build(),
    )
}

async fn logs(cloud: &TestCloud) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&cloud.sdk_config().await)
}

async fn stream_exists(k: &Kinesis, name: &str) -> bool {
    match k.describe_stream_summary().stream_name(name).send().await {
        Ok(_) => true,
        Err(e) if code(&e) == "ResourceNotFoundException" => false,
        Err(e) => panic!("DescribeStreamSummary {name}: {e:?}"),
    }
}

async fn log_group_exists(l: &aws_sdk_cloudwatchlogs::Client, name: &str) -> bool {
    let found = l.describe_log_groups().log_group_name_prefix(name).send().await.expect("DescribeLogGroups");
    found.log_groups().iter().any(|g| g.log_group_name() == Some(name))
}

/// Runs the aws CLI (present: the caller has checked) and returns its stdout, failing on a non-zero exit.
fn run_aws(cloud: &TestCloud, args: &[&str]) -> String {
    let out = cloud.aws(args).expect("the aws CLI is installed");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every resource went CREATE_IN_PROGRESS, CREATE_IN_PROGRESS "Resource creation Initiated",
/// CREATE_COMPLETE; the stack's own events open with "User Initiated" and end CREATE_COMPLETE; a resource
/// starts only after what it references is complete.
fn check_create_events(events: &Value, stack: &str) {
    let oldest_first: Vec<&Value> = events["StackEvents"].as_array().expect("StackEvents").iter().rev().collect();
    let line = |e: &Value| {
        let status = e["ResourceStatus"].as_str().unwrap_or_default().to_string();
        match e["ResourceStatusReason"].as_str() {
            Some(r) => format!("{status} {r}"),
            None => status,
        }
    };
    let of = |logical: &str| -> Vec<String> {
        oldest_first.iter().filter(|e| e["LogicalResourceId"] == logical).map(|e| line(e)).collect()
    };
    for logical in LOGICAL_IDS {
        assert_eq!(
            of(logical),
            ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS Resource creation Initiated", "CREATE_COMPLETE"],
            "{logical}'s transitions"
        );
    }
    let (first, last) = (oldest_first[0], oldest_first[oldest_first.len() - 1]);
    assert_eq!(first["LogicalResourceId"], stack);
    assert_eq!(first["ResourceType"], "AWS::CloudFormation::Stack");
    assert_eq!(first["ResourceStatusReason"], "User Initiated");
    assert!(of(stack).contains(&"CREATE_IN_PROGRESS User Initiated".to_string()), "{:?}", of(stack));
    assert_eq!((last["LogicalResourceId"].as_str(), line(last).as_str()), (Some(stack), "CREATE_COMPLETE"));

    let at = |logical: &str, status: &str| {
        oldest_first
            .iter()
            .position(|e| e["LogicalResourceId"] == logical && e["ResourceStatus"] == status)
            .unwrap_or_else(|| panic!("{logical} has a {status} event"))
    };
    for (dependency, dependent) in [
        ("Stream", "Consumer"),
        ("Stream", "IteratorAgeAlarm"),
        ("Bucket", "BucketPolicy"),
        ("Role", "BucketPolicy"),
        ("Role", "ReadStream"),
        ("Role", "WriteBucket"),
        ("LogGroup", "LogStream"),
    ] {
        assert!(
            at(dependency, "CREATE_COMPLETE") < at(dependent, "CREATE_IN_PROGRESS"),
            "{dependent} starts after {dependency} is complete"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_deploys_every_supported_type_and_the_services_see_what_it_made() {
    let cloud = real_cloud().await;
    let file = cloud.data_dir().join("every_type.yaml");
    std::fs::write(&file, FIXTURE).expect("fixture written");
    let file = file.to_str().expect("a UTF-8 temp path");
    let Some(deployed) = cloud.aws(&[
        "cloudformation",
        "deploy",
        "--template-file",
        file,
        "--stack-name",
        "every",
        "--capabilities",
        "CAPABILITY_NAMED_IAM",
    ]) else {
        return;
    };
    assert!(
        deployed.status.success(),
        "deploy: {}\n{}",
        String::from_utf8_lossy(&deployed.stderr),
        String::from_utf8_lossy(&deployed.stdout)
    );
    let cf = client(&cloud).await;
    assert_eq!(status(&cf, "every").await, "CREATE_COMPLETE", "{}", events_text(&cf, "every").await);
    let events = cloud.aws_json(&["cloudformation", "describe-stack-events", "--stack-name", "every"]).unwrap();
    check_create_events(&events, "every");

    // S3: a file into the stack's bucket and back.
    let bucket = "every-data-000000000000";
    let sent = cloud.data_dir().join("sent.txt");
    std::fs::write(&sent, "records from the stack's bucket\n").expect("file written");
    let target = format!("s3://{bucket}/in/sent.txt");
    run_aws(&cloud, &["s3", "cp", sent.to_str().unwrap(), &target]);
    let back = cloud.data_dir().join("back.txt");
    run_aws(&cloud, &["s3", "cp", &target, back.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&back).expect("copied back"), "records from the stack's bucket\n");

    // Logs: an event into the stack's log stream, read back (stamped at the group's creation, cloud time).
    let group = "/kinesis-console/every";
    let groups = cloud.aws_json(&["logs", "describe-log-groups", "--log-group-name-prefix", group]).unwrap();
    assert_eq!(groups["logGroups"][0]["retentionInDays"], 7);
    let at = groups["logGroups"][0]["creationTime"].as_i64().expect("creationTime");
    let batch = json!([{ "timestamp": at, "message": "delivered 3 records" }]).to_string();
    let (g, s) = (["--log-group-name", group], ["--log-stream-name", "delivery"]);
    run_aws(&cloud, &[&["logs", "put-log-events"][..], &g, &s, &["--log-events", &batch]].concat());
    let read = cloud.aws_json(&[&["logs", "get-log-events"][..], &g, &s].concat()).unwrap();
    assert_eq!(read["events"][0]["message"], "delivered 3 records", "{read}");

    // IAM: the role, its inline policy and the attached managed policy.
    let role = cloud.aws_json(&["iam", "get-role", "--role-name", "every-delivery"]).unwrap();
    let outputs = cf.describe_stacks().stack_name("every").send().await.unwrap().stacks()[0].outputs().to_vec();
    let output = |key: &str| outputs.iter().find(|o| o.output_key() == Some(key)).and_then(|o| o.output_value());
    assert_eq!(role["Role"]["Arn"].as_str(), output("RoleArn"));
    assert_eq!(
        role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "firehose.amazonaws.com"
    );
    let inline = cloud.aws_json(&["iam", "list-role-policies", "--role-name", "every-delivery"]).unwrap();
    assert_eq!(inline["PolicyNames"], json!(["read-stream"]));
    let attached = cloud.aws_json(&["iam", "list-attached-role-policies", "--role-name", "every-delivery"]).unwrap();
    assert_eq!(attached["AttachedPolicies"][0]["PolicyName"], "every-write-bucket");

    let k = kinesis(&cloud).await;
    let stream = k.describe_stream_summary().stream_name("every-stream").send().await.expect("the stream");
    assert_eq!(Some(stream.stream_description_summary().unwrap().stream_arn()), output("StreamArn"));
    assert_eq!(stream.stream_description_summary().unwrap().consumer_count(), Some(1));

    // Delete: the retained bucket (with its object) and log group stay, everything else goes.
    let id = cf.describe_stacks().stack_name("every").send().await.unwrap().stacks()[0].stack_id().unwrap().to_string();
    run_aws(&cloud, &["cloudformation", "delete-stack", "--stack-name", "every"]);
    wait_status(&cf, &id, "DELETE_COMPLETE").await;
    for logical in ["Bucket", "LogGroup"] {
        assert_eq!(transitions(&cf, &id, logical).await.last().map(String::as_str), Some("DELETE_SKIPPED"));
    }
    for logical in ["Stream", "Consumer", "Role", "LogStream", "BucketPolicy"] {
        assert_eq!(transitions(&cf, &id, logical).await.last().map(String::as_str), Some("DELETE_COMPLETE"));
    }
    let kept = s3(&cloud).await.get_object().bucket(bucket).key("in/sent.txt").send().await.expect("kept object");
    assert_eq!(kept.body.collect().await.unwrap().into_bytes().as_ref(), b"records from the stack's bucket\n");
    let l = logs(&cloud).await;
    assert!(log_group_exists(&l, group).await, "the retained log group stays");
    let streams = l.describe_log_streams().log_group_name(group).send().await.expect("DescribeLogStreams");
    assert!(streams.log_streams().is_empty(), "the log stream was not retained: {streams:?}");
    assert!(!stream_exists(&k, "every-stream").await, "the stream went with the stack");
    let gone = cloud.aws(&["iam", "get-role", "--role-name", "every-delivery"]).unwrap();
    assert!(String::from_utf8_lossy(&gone.stderr).contains("NoSuchEntity"), "the role went with the stack");
}

async fn open_and_closed(k: &Kinesis, name: &str) -> (Vec<String>, Vec<String>) {
    let listed = k.list_shards().stream_name(name).send().await.expect("ListShards");
    let (mut open, mut closed) = (Vec::new(), Vec::new());
    for s in listed.shards() {
        let ended = s.sequence_number_range().and_then(|r| r.ending_sequence_number()).is_some();
        let at = if ended { &mut closed } else { &mut open };
        at.push(s.shard_id().to_string());
    }
    (open, closed)
}

const STREAM_TEMPLATE: &str = r#"{
  "Parameters": { "Name": { "Type": "String" }, "Shards": { "Type": "Number" } },
  "Resources": { "Stream": { "Type": "AWS::Kinesis::Stream",
    "Properties": { "Name": { "Ref": "Name" }, "ShardCount": { "Ref": "Shards" } } } }
}"#;

async fn update_stream(cf: &Client, name: &str, shards: &str) {
    cf.update_stack()
        .stack_name("resharded")
        .template_body(STREAM_TEMPLATE)
        .parameters(param("Name", name))
        .parameters(param("Shards", shards))
        .send()
        .await
        .expect("UpdateStack");
    wait_status(cf, "resharded", "UPDATE_COMPLETE").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_count_update_reshards_the_stream_and_a_new_name_replaces_it() {
    let cloud = real_cloud().await;
    let (cf, k) = (client(&cloud).await, kinesis(&cloud).await);
    cf.create_stack()
        .stack_name("resharded")
        .template_body(STREAM_TEMPLATE)
        .parameters(param("Name", "orders-a"))
        .parameters(param("Shards", "2"))
        .send()
        .await
        .expect("CreateStack");
    wait_status(&cf, "resharded", "CREATE_COMPLETE").await;
    let (parents, none_closed) = open_and_closed(&k, "orders-a").await;
    assert_eq!((parents.len(), none_closed.len()), (2, 0));

    update_stream(&cf, "orders-a", "4").await;
    let (open, mut closed) = open_and_closed(&k, "orders-a").await;
    closed.sort();
    assert_eq!(open.len(), 4, "ShardCount 4: four open shards, {open:?}");
    assert_eq!(closed, parents, "the two parents are closed");
    assert_eq!(transitions(&cf, "resharded", "Stream").await[3..], ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]);

    update_stream(&cf, "orders-b", "4").await;
    let stack = |e: &&StackEvent| e.logical_resource_id() == Some("resharded");
    let statuses: Vec<String> = events(&cf, "resharded")
        .await
        .iter()
        .filter(stack)
        .map(|e| e.resource_status().unwrap().as_str().to_string())
        .collect();
    let tail = &statuses[statuses.len() - 3..];
    assert_eq!(tail, ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE"]);
    assert!(!stream_exists(&k, "orders-a").await, "the replaced stream is deleted in cleanup");
    assert_eq!(open_and_closed(&k, "orders-b").await.0.len(), 4, "the replacement has the template's 4 shards");
    let r = cf.describe_stack_resource().stack_name("resharded").logical_resource_id("Stream").send().await.unwrap();
    assert_eq!(r.stack_resource_detail().unwrap().physical_resource_id(), Some("orders-b"));

    let id =
        cf.describe_stacks().stack_name("resharded").send().await.unwrap().stacks()[0].stack_id().unwrap().to_string();
    cf.delete_stack().stack_name("resharded").send().await.expect("DeleteStack");
    wait_status(&cf, &id, "DELETE_COMPLETE").await;
    assert!(!stream_exists(&k, "orders-b").await, "no Retain: the stream goes with the stack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_bucket_name_rolls_back_everything_the_stack_created() {
    let cloud = real_cloud().await;
    let (cf, k, s3, l) = (client(&cloud).await, kinesis(&cloud).await, s3(&cloud).await, logs(&cloud).await);
    s3.create_bucket().bucket("already-taken").send().await.expect("CreateBucket");
    s3.put_object().bucket("already-taken").key("keep.txt").body(b"mine".to_vec().into()).send().await.unwrap();
    let template = json!({ "Resources": {
        "Stream": { "Type": "AWS::Kinesis::Stream", "Properties": { "Name": "doomed", "ShardCount": 1 } },
        "Logs": { "Type": "AWS::Logs::LogGroup", "Properties": { "LogGroupName": "/doomed" } },
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "DependsOn": ["Stream", "Logs"],
            "Properties": { "BucketName": "already-taken" }
        }
    }});
    create(&cf, "taken", &template).await;
    wait_status(&cf, "taken", "ROLLBACK_COMPLETE").await;

    let bucket = transitions(&cf, "taken", "Bucket").await;
    let failed = bucket.iter().find(|t| t.starts_with("CREATE_FAILED")).expect("the bucket's CREATE_FAILED event");
    assert!(failed.contains("already-taken already exists"), "the reason names the bucket: {failed}");
    for logical in ["Stream", "Logs"] {
        let seen = transitions(&cf, "taken", logical).await;
        assert_eq!(seen[2..], ["CREATE_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"], "{logical}");
    }
    let stack: Vec<String> = events(&cf, "taken")
        .await
        .iter()
        .filter(|e| e.logical_resource_id() == Some("taken"))
        .map(|e| e.resource_status().unwrap().as_str().to_string())
        .collect();
    assert_eq!(stack, ["CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]);
    assert!(!stream_exists(&k, "doomed").await, "the stream was rolled back");
    assert!(!log_group_exists(&l, "/doomed").await, "the log group was rolled back");
    let kept = s3.get_object().bucket("already-taken").key("keep.txt").send().await;
    assert!(kept.is_ok(), "the bucket the stack did not create is left alone: {kept:?}");
}
