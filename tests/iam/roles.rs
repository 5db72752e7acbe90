use aws_sdk_iam::types::Tag;

use super::*;

#[tokio::test]
async fn a_role_is_recorded_with_real_ids_and_returned_as_aws_returns_it() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    let created = iam
        .create_role()
        .role_name("ingest")
        .path("/service/")
        .assume_role_policy_document(TRUST)
        .description("reads the stream")
        .max_session_duration(7200)
        .tags(Tag::builder().key("team").value("data").build().unwrap())
        .send()
        .await
        .unwrap();
    let r = created.role().unwrap();
    assert_eq!(r.arn(), "arn:aws:iam::000000000000:role/service/ingest");
    assert!(r.role_id().starts_with("AROA") && r.role_id().len() == 21, "{}", r.role_id());
    let got = iam.get_role().role_name("ingest").send().await.unwrap();
    let g = got.role().unwrap();
    assert_eq!(g.role_id(), r.role_id());
    assert_eq!(g.path(), "/service/");
    assert_eq!(g.max_session_duration(), Some(7200));
    assert_eq!(g.description(), Some("reads the stream"));
    assert_eq!(g.tags().len(), 1);
    let doc = g.assume_role_policy_document().unwrap();
    assert!(doc.starts_with("%7B%22Version%22"), "URL-encoded as AWS returns it: {doc}");
    assert_eq!(decoded(doc), serde_json::from_str::<serde_json::Value>(TRUST).unwrap());
    let created_at = g.create_date().secs();
    assert_eq!(created_at, cloud.cloud.ctx.clock.now_ms() / 1000);

    let dup = iam.create_role().role_name("INGEST").assume_role_policy_document(TRUST).send().await;
    let e = dup.unwrap_err().into_service_error();
    assert_eq!(code(&e), "EntityAlreadyExists", "role names are unique regardless of case");
    assert_eq!(message(&e), "Role with name INGEST already exists.");
    let missing = iam.get_role().role_name("nope").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&missing), "NoSuchEntity");
    assert_eq!(message(&missing), "The role with name nope cannot be found.");
    let bad = iam.create_role().role_name("no spaces").assume_role_policy_document(TRUST).send().await;
    assert_eq!(code(&bad.unwrap_err().into_service_error()), "ValidationError");
    let malformed = iam.create_role().role_name("m").assume_role_policy_document("{not json").send().await;
    assert_eq!(code(&malformed.unwrap_err().into_service_error()), "MalformedPolicyDocument");
    let session =
        iam.create_role().role_name("s").assume_role_policy_document(TRUST).max_session_duration(60).send().await;
    assert_eq!(code(&session.unwrap_err().into_service_error()), "ValidationError");
}

#[tokio::test]
async fn roles_are_listed_by_path_prefix_with_marker_paging() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    for (name, path) in [("a", "/"), ("b", "/svc/"), ("c", "/svc/"), ("d", "/svc/deep/")] {
        iam.create_role().role_name(name).path(path).assume_role_policy_document(TRUST).send().await.unwrap();
    }
    let svc = iam.list_roles().path_prefix("/svc/").send().await.unwrap();
    let names: Vec<&str> = svc.roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(names, ["b", "c", "d"]);
    let first = iam.list_roles().max_items(2).send().await.unwrap();
    assert!(first.is_truncated());
    let rest = iam.list_roles().max_items(2).marker(first.marker().unwrap()).send().await.unwrap();
    assert!(!rest.is_truncated());
    let all: Vec<&str> = first.roles().iter().chain(rest.roles()).map(|r| r.role_name()).collect();
    assert_eq!(all, ["a", "b", "c", "d"]);
}

#[tokio::test]
async fn trust_policy_settings_and_tags_change_in_place() {
    let cloud = cloud().await;
    let iam = client(&cloud).await;
    role(&iam, "r").await;
    let other = TRUST.replace("lambda", "firehose");
    iam.update_assume_role_policy().role_name("r").policy_document(&other).send().await.unwrap();
    iam.update_role().role_name("r").max_session_duration(10_800).description("d").send().await.unwrap();
    iam.tag_role().role_name("r").tags(Tag::builder().key("k").value("v").build().unwrap()).send().await.unwrap();
    let g = iam.get_role().role_name("r").send().await.unwrap();
    let g = g.role().unwrap();
    assert_eq!(
        decoded(g.assume_role_policy_document().unwrap())["Statement"][0]["Principal"]["Service"],
        "firehose.amazonaws.com"
    );
    assert_eq!(g.max_session_duration(), Some(10_800));
    iam.untag_role().role_name("r").tag_keys("k").send().await.unwrap();
    let tags = iam.list_role_tags().role_name("r").send().await.unwrap();
    assert!(tags.tags().is_empty());
    let bad = iam.update_assume_role_policy().role_name("r").policy_document("[]").send().await;
    assert_eq!(code(&bad.unwrap_err().into_service_error()), "MalformedPolicyDocument");
}
