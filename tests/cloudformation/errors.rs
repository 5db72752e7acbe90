//! AWS's error for each bad input, as the SDK sees it (code and message).

use serde_json::json;

use super::*;

fn handle() -> Value {
    json!({ "Resources": { "H": { "Type": "AWS::CloudFormation::WaitConditionHandle" } } })
}

#[tokio::test]
async fn a_stack_name_taken_is_already_exists() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    create(&cf, "taken", &handle()).await;
    let e = cf.create_stack().stack_name("taken").template_body(handle().to_string()).send().await.unwrap_err();
    assert_eq!(code(&e), "AlreadyExistsException");
    assert_eq!(message(&e), "Stack [taken] already exists");
}

#[tokio::test]
async fn a_missing_stack_is_a_validation_error_naming_it() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let e = cf.describe_stacks().stack_name("nowhere").send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "Stack with id nowhere does not exist");
    let e = cf.describe_stack_events().stack_name("nowhere").send().await.unwrap_err();
    assert_eq!(message(&e), "Stack with id nowhere does not exist");
    let e = cf.update_stack().stack_name("nowhere").template_body(handle().to_string()).send().await.unwrap_err();
    assert_eq!(message(&e), "Stack with id nowhere does not exist");
}

#[tokio::test]
async fn template_and_parameter_errors_are_the_engines_validation_errors() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let needs_param = json!({
        "Parameters": { "ShardCount": { "Type": "Number" } },
        "Resources": { "H": { "Type": "AWS::CloudFormation::WaitConditionHandle" } }
    });
    let e = cf.create_stack().stack_name("p").template_body(needs_param.to_string()).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "Parameters: [ShardCount] must have values");

    let dangling = json!({ "Resources": { "A": { "Type": "Test::Local::Wait", "DependsOn": "Ghost" } } });
    let e = cf.create_stack().stack_name("d").template_body(dangling.to_string()).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert!(message(&e).contains("Unresolved resource dependencies [Ghost]"), "{}", message(&e));
    // A refused stack does not exist afterwards.
    let e = cf.describe_stacks().stack_name("d").send().await.unwrap_err();
    assert_eq!(message(&e), "Stack with id d does not exist");
}

#[tokio::test]
async fn names_bodies_and_options_are_checked() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let e = cf.create_stack().stack_name("9lives").template_body(handle().to_string()).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert!(
        message(&e).contains("Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"),
        "{}",
        message(&e)
    );
    let e = cf.create_stack().stack_name("nobody").send().await.unwrap_err();
    assert_eq!(message(&e), "Either Template URL or Template Body must be specified.");
    let e = cf
        .create_stack()
        .stack_name("both")
        .template_body(handle().to_string())
        .on_failure(aws_sdk_cloudformation::types::OnFailure::Delete)
        .disable_rollback(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(&e), "You cannot specify both OnFailure and DisableRollback.");
}

#[tokio::test]
async fn iam_resources_need_the_capability() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    let role = json!({ "Resources": { "Role": { "Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": { "Version": "2012-10-17", "Statement": [] }
    } } } });
    let e = cf.create_stack().stack_name("iam").template_body(role.to_string()).send().await.unwrap_err();
    assert_eq!(code(&e), "InsufficientCapabilitiesException");
    assert_eq!(message(&e), "Requires capabilities : [CAPABILITY_IAM]");
}

#[tokio::test]
async fn an_update_without_changes_and_a_protected_delete_are_refused() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    create(&cf, "same", &handle()).await;
    wait_status(&cf, "same", "CREATE_COMPLETE").await;
    let e = cf.update_stack().stack_name("same").template_body(handle().to_string()).send().await.unwrap_err();
    assert_eq!(code(&e), "ValidationError");
    assert_eq!(message(&e), "No updates are to be performed.");

    cf.update_termination_protection().stack_name("same").enable_termination_protection(true).send().await.unwrap();
    let e = cf.delete_stack().stack_name("same").send().await.unwrap_err();
    assert_eq!(message(&e), "Stack [same] cannot be deleted while TerminationProtection is enabled");
    assert_eq!(status(&cf, "same").await, "CREATE_COMPLETE");
    cf.update_termination_protection().stack_name("same").enable_termination_protection(false).send().await.unwrap();
    cf.delete_stack().stack_name("same").send().await.unwrap();
    let id_only = cf.list_stacks().send().await.unwrap();
    assert!(id_only.stack_summaries().iter().any(|s| s.stack_name() == Some("same")));
}

#[tokio::test]
async fn an_unknown_change_set_is_change_set_not_found() {
    let cloud = cloud().await;
    let cf = client(&cloud).await;
    create(&cf, "cs", &handle()).await;
    let e = cf.describe_change_set().stack_name("cs").change_set_name("nope").send().await.unwrap_err();
    assert_eq!(code(&e), "ChangeSetNotFound");
    assert_eq!(message(&e), "ChangeSet [nope] does not exist");
}
