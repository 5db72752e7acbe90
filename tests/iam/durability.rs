use std::os::unix::fs::PermissionsExt;

use super::*;

#[tokio::test]
async fn roles_and_policies_survive_a_restart_in_private_files() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    role(&iam, "kept").await;
    let id = iam.get_role().role_name("kept").send().await.unwrap().role().unwrap().role_id().to_string();
    iam.put_role_policy().role_name("kept").policy_name("inline").policy_document(POLICY).send().await.unwrap();
    let arn = iam
        .create_policy()
        .policy_name("m")
        .policy_document(POLICY)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    iam.attach_role_policy().role_name("kept").policy_arn(&arn).send().await.unwrap();
    role(&iam, "dropped").await;
    iam.delete_role().role_name("dropped").send().await.unwrap();

    let cloud = cloud.restart().await;
    let iam = client(&cloud).await;
    let roles = iam.list_roles().send().await.unwrap();
    assert_eq!(roles.roles().iter().map(|r| r.role_name()).collect::<Vec<_>>(), ["kept"]);
    assert_eq!(roles.roles()[0].role_id(), id);
    assert_eq!(iam.list_role_policies().role_name("kept").send().await.unwrap().policy_names(), ["inline"]);
    let attached = iam.list_attached_role_policies().role_name("kept").send().await.unwrap();
    assert_eq!(attached.attached_policies()[0].policy_arn(), Some(arn.as_str()));

    let dir = cloud.data_dir().join("iam");
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(dir.join("iam.redb")).unwrap().permissions().mode() & 0o777, 0o600);
}
