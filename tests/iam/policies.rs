use super::*;

#[tokio::test]
async fn a_managed_policy_has_real_ids_and_versions() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    let created = iam
        .create_policy()
        .policy_name("reader")
        .path("/app/")
        .policy_document(POLICY)
        .description("d")
        .send()
        .await
        .unwrap();
    let p = created.policy().unwrap();
    let arn = p.arn().unwrap().to_string();
    assert_eq!(arn, "arn:aws:iam::000000000000:policy/app/reader");
    assert!(p.policy_id().unwrap().starts_with("ANPA") && p.policy_id().unwrap().len() == 21);
    assert_eq!(p.default_version_id(), Some("v1"));
    let dup = iam.create_policy().policy_name("reader").path("/app/").policy_document(POLICY).send().await;
    assert_eq!(code(&dup.unwrap_err().into_service_error()), "EntityAlreadyExists");
    let malformed = iam.create_policy().policy_name("bad").policy_document("{\"Version\":1").send().await;
    assert_eq!(code(&malformed.unwrap_err().into_service_error()), "MalformedPolicyDocument");

    let v2 = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(POLICY.replace("GetRecords", "*"))
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.policy_version().unwrap().version_id(), Some("v2"));
    let got = iam.get_policy_version().policy_arn(&arn).version_id("v2").send().await.unwrap();
    let v = got.policy_version().unwrap();
    assert!(v.is_default_version());
    assert_eq!(decoded(v.document().unwrap())["Statement"][0]["Action"], "kinesis:*");
    assert_eq!(
        iam.get_policy().policy_arn(&arn).send().await.unwrap().policy().unwrap().default_version_id(),
        Some("v2")
    );
    for _ in 0..3 {
        iam.create_policy_version().policy_arn(&arn).policy_document(POLICY).send().await.unwrap();
    }
    let sixth = iam.create_policy_version().policy_arn(&arn).policy_document(POLICY).send().await;
    assert_eq!(code(&sixth.unwrap_err().into_service_error()), "LimitExceeded");
    let versions = iam.list_policy_versions().policy_arn(&arn).send().await.unwrap();
    assert_eq!(versions.versions().len(), 5);
    let default = iam.delete_policy_version().policy_arn(&arn).version_id("v2").send().await;
    assert_eq!(code(&default.unwrap_err().into_service_error()), "DeleteConflict");
    let with_versions = iam.delete_policy().policy_arn(&arn).send().await;
    assert_eq!(code(&with_versions.unwrap_err().into_service_error()), "DeleteConflict");
    for v in ["v1", "v3", "v4", "v5"] {
        iam.delete_policy_version().policy_arn(&arn).version_id(v).send().await.unwrap();
    }
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    let gone = iam.get_policy().policy_arn(&arn).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&gone), "NoSuchEntity");
}
