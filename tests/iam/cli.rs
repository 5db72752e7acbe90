use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_gets_a_role_with_its_trust_policy_decoded() {
    let cloud = cloud().await;
    let Some(created) =
        cloud.aws_json(&["iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", TRUST])
    else {
        return;
    };
    assert!(created["Role"]["RoleId"].as_str().unwrap().starts_with("AROA"));
    let got = cloud.aws_json(&["iam", "get-role", "--role-name", "cli-role"]).unwrap();
    assert_eq!(got["Role"]["Arn"], "arn:aws:iam::000000000000:role/cli-role");
    // botocore URL-decodes and parses the document IAM sends encoded.
    assert_eq!(got["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"], "sts:AssumeRole");
    cloud
        .aws_json(&[
            "iam",
            "put-role-policy",
            "--role-name",
            "cli-role",
            "--policy-name",
            "p",
            "--policy-document",
            POLICY,
        ])
        .unwrap();
    let policy = cloud.aws_json(&["iam", "get-role-policy", "--role-name", "cli-role", "--policy-name", "p"]).unwrap();
    assert_eq!(policy["PolicyDocument"]["Statement"][0]["Action"], "kinesis:GetRecords");
    let missing = cloud.aws(&["iam", "get-role", "--role-name", "none"]).unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("NoSuchEntity"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}
