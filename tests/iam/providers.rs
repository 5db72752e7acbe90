use serde_json::json;

use super::harness::{hosted, request};
use super::*;

fn trust() -> serde_json::Value {
    serde_json::from_str(TRUST).unwrap()
}

fn policy_doc(action: &str) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_is_created_with_its_policies_updated_in_place_and_deleted() {
    let cloud = hosted().await;
    let iam = Client::new(&cloud.sdk_config().await);
    let managed = iam.create_policy().policy_name("m").policy_document(POLICY).send().await.unwrap();
    let managed_arn = managed.policy().unwrap().arn().unwrap().to_string();
    let p = cloud.provider("AWS::IAM::Role");
    assert_eq!(p.attribute_names(), ["Arn", "RoleId"]);
    let props = json!({
        "AssumeRolePolicyDocument": trust(),
        "Path": "/app/",
        "MaxSessionDuration": 7200,
        "Policies": [{"PolicyName": "read", "PolicyDocument": policy_doc("kinesis:GetRecords")}],
        "ManagedPolicyArns": [managed_arn.clone()],
        "Tags": [{"Key": "team", "Value": "data"}],
    });
    let made = p.create(request("ConsumerRole", props.clone())).await.unwrap();
    assert!(made.physical_id.starts_with("demo-ConsumerRole-") && made.physical_id.len() <= 64, "{}", made.physical_id);
    let name = made.physical_id.clone();
    let got = iam.get_role().role_name(&name).send().await.unwrap();
    let role = got.role().unwrap();
    assert_eq!(made.attributes["Arn"], role.arn());
    assert_eq!(made.attributes["RoleId"], role.role_id());
    assert_eq!(role.path(), "/app/");
    assert_eq!(role.max_session_duration(), Some(7200));
    let tag_keys: Vec<&str> = role.tags().iter().map(|t| t.key()).collect();
    assert_eq!(tag_keys, ["pattern", "team"], "stack tags propagate, aws: tags are IAM's own");
    assert_eq!(iam.list_role_policies().role_name(&name).send().await.unwrap().policy_names(), ["read"]);

    let old = request("ConsumerRole", props.clone()).properties;
    let new = request(
        "ConsumerRole",
        json!({
            "AssumeRolePolicyDocument": trust(),
            "Path": "/app/",
            "Policies": [{"PolicyName": "write", "PolicyDocument": policy_doc("kinesis:PutRecords")}],
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/CloudWatchFullAccess"],
        }),
    );
    assert!(!p.needs_replacement(&old, &new.properties));
    let updated = p.update(name.clone(), old.clone(), new.clone()).await.unwrap();
    assert_eq!(updated.attributes["RoleId"], made.attributes["RoleId"], "updated in place");
    assert_eq!(iam.list_role_policies().role_name(&name).send().await.unwrap().policy_names(), ["write"]);
    let attached = iam.list_attached_role_policies().role_name(&name).send().await.unwrap();
    assert_eq!(attached.attached_policies()[0].policy_name(), Some("CloudWatchFullAccess"));
    assert_eq!(attached.attached_policies().len(), 1);
    let got = iam.get_role().role_name(&name).send().await.unwrap();
    assert_eq!(got.role().unwrap().max_session_duration(), Some(3600));

    let mut renamed = new.properties.clone();
    renamed.insert("RoleName".into(), json!("other"));
    assert!(p.needs_replacement(&new.properties, &renamed), "a new RoleName replaces the role");
    let mut moved = new.properties.clone();
    moved.insert("Path".into(), json!("/other/"));
    assert!(p.needs_replacement(&new.properties, &moved), "a new Path replaces the role");

    p.delete(name.clone(), new.clone()).await.expect("delete detaches and deletes its policies first");
    p.delete(name.clone(), new).await.expect("deleting twice is fine");
    let gone = iam.get_role().role_name(&name).send().await.unwrap_err().into_service_error();
    assert_eq!(code(&gone), "NoSuchEntity");

    let bad =
        p.create(request("Bad", json!({"RoleName": "bad", "AssumeRolePolicyDocument": "{oops"}))).await.unwrap_err();
    assert!(bad.reason.contains("MalformedPolicyDocument"), "{bad}");
    let half = p
        .create(request(
            "Half",
            json!({"RoleName": "half", "AssumeRolePolicyDocument": trust(),
            "ManagedPolicyArns": ["arn:aws:iam::000000000000:policy/missing"]}),
        ))
        .await
        .unwrap_err();
    assert!(half.reason.contains("NoSuchEntity"), "{half}");
    let left = iam.get_role().role_name("half").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&left), "NoSuchEntity", "a failed create leaves no half-made role behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inline_policy_resource_is_put_on_its_roles_and_moved_on_update() {
    let cloud = hosted().await;
    let iam = Client::new(&cloud.sdk_config().await);
    for r in ["a", "b"] {
        iam.create_role().role_name(r).assume_role_policy_document(TRUST).send().await.unwrap();
    }
    let p = cloud.provider("AWS::IAM::Policy");
    let props = json!({"PolicyName": "access", "PolicyDocument": policy_doc("s3:*"), "Roles": ["a"]});
    let made = p.create(request("AccessPolicy", props.clone())).await.unwrap();
    assert!(made.physical_id.starts_with("demo-Acces-") && made.physical_id.len() == 23, "{}", made.physical_id);
    let got = iam.get_role_policy().role_name("a").policy_name("access").send().await.unwrap();
    assert_eq!(decoded(got.policy_document())["Statement"][0]["Action"], "s3:*");

    let old = request("AccessPolicy", props).properties;
    let new = request(
        "AccessPolicy",
        json!({"PolicyName": "access2", "PolicyDocument": policy_doc("s3:Get*"), "Roles": ["b"]}),
    );
    assert!(!p.needs_replacement(&old, &new.properties));
    p.update(made.physical_id.clone(), old, new.clone()).await.unwrap();
    assert!(iam.list_role_policies().role_name("a").send().await.unwrap().policy_names().is_empty());
    assert_eq!(iam.list_role_policies().role_name("b").send().await.unwrap().policy_names(), ["access2"]);
    p.delete(made.physical_id, new).await.unwrap();
    assert!(iam.list_role_policies().role_name("b").send().await.unwrap().policy_names().is_empty());
    let missing_role = p
        .create(request("P2", json!({"PolicyName": "x", "PolicyDocument": policy_doc("s3:*"), "Roles": ["none"]})))
        .await
        .unwrap_err();
    assert!(missing_role.reason.contains("NoSuchEntity"), "{missing_role}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_managed_policy_resource_refs_its_arn_attaches_to_roles_and_versions_on_update() {
    let cloud = hosted().await;
    let iam = Client::new(&cloud.sdk_config().await);
    for r in ["a", "b"] {
        iam.create_role().role_name(r).assume_role_policy_document(TRUST).send().await.unwrap();
    }
    let p = cloud.provider("AWS::IAM::ManagedPolicy");
    assert_eq!(p.attribute_names(), ["PolicyArn", "PolicyId"]);
    let props =
        json!({"ManagedPolicyName": "shared", "Path": "/app/", "PolicyDocument": policy_doc("logs:*"), "Roles": ["a"]});
    let made = p.create(request("Shared", props.clone())).await.unwrap();
    let arn = "arn:aws:iam::000000000000:policy/app/shared";
    assert_eq!(made.physical_id, arn);
    assert_eq!(made.reference(), arn, "Ref returns the ARN");
    assert_eq!(made.attributes["PolicyArn"], arn);
    let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
    assert_eq!(made.attributes["PolicyId"], got.policy().unwrap().policy_id().unwrap());
    assert_eq!(got.policy().unwrap().attachment_count(), Some(1));

    let old = request("Shared", props).properties;
    let new = request(
        "Shared",
        json!({"ManagedPolicyName": "shared", "Path": "/app/", "PolicyDocument": policy_doc("logs:Get*"), "Roles": ["b"]}),
    );
    assert!(!p.needs_replacement(&old, &new.properties));
    p.update(arn.into(), old.clone(), new.clone()).await.unwrap();
    let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().default_version_id(), Some("v2"));
    let a = iam.list_attached_role_policies().role_name("a").send().await.unwrap();
    let b = iam.list_attached_role_policies().role_name("b").send().await.unwrap();
    assert!(a.attached_policies().is_empty());
    assert_eq!(b.attached_policies()[0].policy_arn(), Some(arn));
    let mut renamed = new.properties.clone();
    renamed.insert("ManagedPolicyName".into(), json!("other"));
    assert!(p.needs_replacement(&new.properties, &renamed));

    p.delete(arn.into(), new).await.expect("delete detaches, drops old versions, deletes");
    assert_eq!(code(&iam.get_policy().policy_arn(arn).send().await.unwrap_err().into_service_error()), "NoSuchEntity");
    assert!(iam.list_attached_role_policies().role_name("b").send().await.unwrap().attached_policies().is_empty());
    let generated = p.create(request("Gen", json!({"PolicyDocument": policy_doc("s3:*")}))).await.unwrap();
    assert!(
        generated.physical_id.starts_with("arn:aws:iam::000000000000:policy/demo-Gen-"),
        "{}",
        generated.physical_id
    );
}
