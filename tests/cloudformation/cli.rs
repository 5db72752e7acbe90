//! The aws CLI unmodified: `cloudformation deploy` (change sets), `wait stack-create-complete`,
//! `describe-stack-events`, and a second deploy without changes. Skipped when the CLI is absent (CI has it).

use serde_json::json;

use super::*;

#[tokio::test]
async fn aws_cloudformation_deploy_creates_then_finds_no_changes() {
    let cloud = cloud().await;
    let template = json!({
        "Description": "deployed by the aws CLI",
        "Parameters": { "Label": { "Type": "String", "Default": "one" } },
        "Resources": {
            "Handle": { "Type": "AWS::CloudFormation::WaitConditionHandle" },
            "Other": { "Type": "AWS::CloudFormation::WaitConditionHandle" }
        },
        "Outputs": { "HandleUrl": { "Value": { "Ref": "Handle" } } }
    });
    let file = cloud.data_dir().join("template.json");
    std::fs::write(&file, template.to_string()).unwrap();
    let file = file.to_str().unwrap();
    let Some(out) = cloud.aws(&["cloudformation", "deploy", "--template-file", file, "--stack-name", "clideploy"])
    else {
        return;
    };
    assert!(
        out.status.success(),
        "deploy: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    cloud.aws_json(&["cloudformation", "wait", "stack-create-complete", "--stack-name", "clideploy"]).unwrap();
    let events = cloud.aws_json(&["cloudformation", "describe-stack-events", "--stack-name", "clideploy"]).unwrap();
    let seen: Vec<String> = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .filter(|e| e["LogicalResourceId"] == "Handle")
        .map(|e| e["ResourceStatus"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, vec!["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]);
    let stacks = cloud.aws_json(&["cloudformation", "describe-stacks", "--stack-name", "clideploy"]).unwrap();
    assert_eq!(stacks["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    assert_eq!(stacks["Stacks"][0]["Outputs"][0]["OutputKey"], "HandleUrl");

    let again = cloud
        .aws(&[
            "cloudformation",
            "deploy",
            "--template-file",
            file,
            "--stack-name",
            "clideploy",
            "--no-fail-on-empty-changeset",
        ])
        .unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("No changes to deploy"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
}
