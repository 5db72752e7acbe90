use super::*;

#[tokio::test]
async fn log_groups_are_created_described_by_prefix_and_pattern_paged_and_deleted() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    for name in ["/aws/lambda/alpha", "/aws/lambda/beta", "/app/Gamma", "/app/delta"] {
        logs.create_log_group().log_group_name(name).send().await.expect("CreateLogGroup");
    }
    let by_prefix = logs.describe_log_groups().log_group_name_prefix("/aws/lambda/").send().await.unwrap();
    let names: Vec<&str> = by_prefix.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(names, ["/aws/lambda/alpha", "/aws/lambda/beta"]);
    let g = &by_prefix.log_groups()[0];
    assert_eq!(g.arn(), Some("arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/alpha:*"));
    assert_eq!(g.creation_time(), Some(now(&cloud)));
    let by_pattern = logs.describe_log_groups().log_group_name_pattern("gamma").send().await.unwrap();
    assert_eq!(by_pattern.log_groups().len(), 1, "the pattern matches case-insensitively");
    let both = logs.describe_log_groups().log_group_name_prefix("/a").log_group_name_pattern("a").send().await;
    assert_eq!(code(&both.unwrap_err().into_service_error()), "InvalidParameterException");

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = logs.describe_log_groups().limit(3).set_next_token(token).send().await.unwrap();
        seen.extend(page.log_groups().iter().filter_map(|g| g.log_group_name().map(str::to_string)));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 4);

    let dup = logs.create_log_group().log_group_name("/app/delta").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&dup), "ResourceAlreadyExistsException");
    logs.delete_log_group().log_group_name("/app/delta").send().await.expect("DeleteLogGroup");
    let gone = logs.delete_log_group().log_group_name("/app/delta").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&gone), "ResourceNotFoundException");
    assert_eq!(message(&gone), "The specified log group does not exist.");
    let bad = logs.create_log_group().log_group_name("has space").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&bad), "InvalidParameterException");
    assert!(message(&bad).contains("logGroupName"), "{}", message(&bad));
}

#[tokio::test]
async fn retention_accepts_only_aws_values_and_can_be_removed() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    logs.create_log_group().log_group_name("r").send().await.unwrap();
    let bad = logs.put_retention_policy().log_group_name("r").retention_in_days(2).send().await;
    assert_eq!(code(&bad.unwrap_err().into_service_error()), "InvalidParameterException");
    logs.put_retention_policy().log_group_name("r").retention_in_days(7).send().await.unwrap();
    let d = logs.describe_log_groups().log_group_name_prefix("r").send().await.unwrap();
    assert_eq!(d.log_groups()[0].retention_in_days(), Some(7));
    logs.delete_retention_policy().log_group_name("r").send().await.unwrap();
    let d = logs.describe_log_groups().log_group_name_prefix("r").send().await.unwrap();
    assert_eq!(d.log_groups()[0].retention_in_days(), None);
    let missing = logs.put_retention_policy().log_group_name("nope").retention_in_days(7).send().await;
    assert_eq!(code(&missing.unwrap_err().into_service_error()), "ResourceNotFoundException");
}

#[tokio::test]
async fn tags_by_arn_and_by_group_name() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    logs.create_log_group().log_group_name("t").tags("team", "data").send().await.unwrap();
    let arn = "arn:aws:logs:us-east-1:000000000000:log-group:t";
    logs.tag_resource().resource_arn(arn).tags("env", "dev").send().await.unwrap();
    let tags = logs.list_tags_for_resource().resource_arn(arn).send().await.unwrap();
    assert_eq!(tags.tags().map(|t| t.len()), Some(2));
    logs.untag_resource().resource_arn(arn).tag_keys("team").send().await.unwrap();
    #[allow(deprecated)]
    let old = logs.list_tags_log_group().log_group_name("t").send().await.unwrap();
    assert_eq!(old.tags().and_then(|t| t.get("env")).map(String::as_str), Some("dev"));
    assert!(old.tags().is_some_and(|t| !t.contains_key("team")));
    let missing = logs.list_tags_for_resource().resource_arn(format!("{arn}-nope")).send().await;
    assert_eq!(code(&missing.unwrap_err().into_service_error()), "ResourceNotFoundException");
}

#[tokio::test]
async fn the_log_group_quota_is_enforced() {
    let cloud = TestCloud::start_with(|c| c.logs.log_group_limit = 2).await;
    let logs = client(&cloud).await;
    logs.create_log_group().log_group_name("a").send().await.unwrap();
    logs.create_log_group().log_group_name("b").send().await.unwrap();
    let third = logs.create_log_group().log_group_name("c").send().await.unwrap_err().into_service_error();
    assert_eq!(code(&third), "LimitExceededException");
    assert_eq!(message(&third), "Resource limit exceeded.");
}
