use super::*;

#[tokio::test]
async fn inline_policies_are_put_read_url_encoded_listed_and_deleted() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    role(&iam, "r").await;
    iam.put_role_policy().role_name("r").policy_name("read").policy_document(POLICY).send().await.unwrap();
    iam.put_role_policy().role_name("r").policy_name("alpha").policy_document(POLICY).send().await.unwrap();
    let got = iam.get_role_policy().role_name("r").policy_name("read").send().await.unwrap();
    assert_eq!(got.role_name(), "r");
    assert!(got.policy_document().starts_with("%7B"), "{}", got.policy_document());
    assert_eq!(decoded(got.policy_document()), serde_json::from_str::<serde_json::Value>(POLICY).unwrap());
    let names = iam.list_role_policies().role_name("r").send().await.unwrap();
    assert_eq!(names.policy_names(), ["alpha", "read"]);

    let conflict = iam.delete_role().role_name("r").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&conflict), "DeleteConflict");
    assert_eq!(message(&conflict), "Cannot delete entity, must delete policies first.");
    for name in ["read", "alpha"] {
        iam.delete_role_policy().role_name("r").policy_name(name).send().await.unwrap();
    }
    let gone = iam.get_role_policy().role_name("r").policy_name("read").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&gone), "NoSuchEntity");
    assert_eq!(message(&gone), "The role policy with name read cannot be found.");
    let malformed = iam.put_role_policy().role_name("r").policy_name("x").policy_document("nope").send().await;
    assert_eq!(code(&malformed.unwrap_err().into_service_error()), "MalformedPolicyDocument");
    iam.delete_role().role_name("r").send().await.expect("a role without policies deletes");
}

#[tokio::test]
async fn managed_policies_attach_detach_and_block_deletion_while_attached() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    role(&iam, "r").await;
    let policy = iam.create_policy().policy_name("p").policy_document(POLICY).send().await.unwrap();
    let arn = policy.policy().unwrap().arn().unwrap().to_string();
    let aws_managed = "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole";
    iam.attach_role_policy().role_name("r").policy_arn(&arn).send().await.unwrap();
    iam.attach_role_policy().role_name("r").policy_arn(aws_managed).send().await.unwrap();
    let attached = iam.list_attached_role_policies().role_name("r").send().await.unwrap();
    let pairs: Vec<(&str, &str)> =
        attached.attached_policies().iter().map(|p| (p.policy_name().unwrap(), p.policy_arn().unwrap())).collect();
    assert_eq!(pairs, [("p", arn.as_str()), ("AWSLambdaKinesisExecutionRole", aws_managed)]);
    let got = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().attachment_count(), Some(1));

    let role_conflict = iam.delete_role().role_name("r").send().await.unwrap_err().into_service_error();
    assert_eq!(message(&role_conflict), "Cannot delete entity, must detach all policies first.");
    let policy_conflict = iam.delete_policy().policy_arn(&arn).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&policy_conflict), "DeleteConflict");
    let unknown =
        iam.attach_role_policy().role_name("r").policy_arn("arn:aws:iam::000000000000:policy/none").send().await;
    assert_eq!(code(&unknown.unwrap_err().into_service_error()), "NoSuchEntity");

    iam.detach_role_policy().role_name("r").policy_arn(&arn).send().await.unwrap();
    iam.detach_role_policy().role_name("r").policy_arn(aws_managed).send().await.unwrap();
    let again = iam.detach_role_policy().role_name("r").policy_arn(&arn).send().await;
    assert_eq!(code(&again.unwrap_err().into_service_error()), "NoSuchEntity");
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    iam.delete_role().role_name("r").send().await.unwrap();
}
