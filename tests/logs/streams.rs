use aws_sdk_cloudwatchlogs::types::OrderBy;

use super::*;

#[tokio::test]
async fn streams_are_listed_by_name_prefix_or_last_event_time() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    logs.create_log_group().log_group_name("g").send().await.unwrap();
    for s in ["b-1", "a-1", "a-2"] {
        logs.create_log_stream().log_group_name("g").log_stream_name(s).send().await.unwrap();
    }
    let t = now(&cloud);
    put(&logs, "g", "a-1", vec![event(t - 10, "older")]).await;
    put(&logs, "g", "b-1", vec![event(t - 5, "newer")]).await;
    put(&logs, "g", "a-2", vec![event(t - 20, "oldest")]).await;

    let by_name = logs.describe_log_streams().log_group_name("g").log_stream_name_prefix("a-").send().await.unwrap();
    let names: Vec<&str> = by_name.log_streams().iter().filter_map(|s| s.log_stream_name()).collect();
    assert_eq!(names, ["a-1", "a-2"]);
    let s = &by_name.log_streams()[0];
    assert_eq!((s.first_event_timestamp(), s.last_event_timestamp()), (Some(t - 10), Some(t - 10)));
    assert_eq!(s.arn(), Some("arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:a-1"));

    let by_time = logs
        .describe_log_streams()
        .log_group_name("g")
        .order_by(OrderBy::LastEventTime)
        .descending(true)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = by_time.log_streams().iter().filter_map(|s| s.log_stream_name()).collect();
    assert_eq!(names, ["b-1", "a-1", "a-2"]);

    let paged = logs.describe_log_streams().log_group_name("g").limit(2).send().await.unwrap();
    assert_eq!(paged.log_streams().len(), 2);
    let rest = logs
        .describe_log_streams()
        .log_group_name("g")
        .limit(2)
        .next_token(paged.next_token().expect("a next page"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.log_streams().len(), 1);
    assert!(rest.next_token().is_none());

    let both = logs
        .describe_log_streams()
        .log_group_name("g")
        .order_by(OrderBy::LastEventTime)
        .log_stream_name_prefix("a")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&both), "InvalidParameterException");
    assert_eq!(message(&both), "Cannot order by LastEventTime with a logStreamNamePrefix.");
}

#[tokio::test]
async fn stream_errors_are_aws_shaped() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    let no_group = logs.create_log_stream().log_group_name("x").log_stream_name("s").send().await;
    let e = no_group.unwrap_err().into_service_error();
    assert_eq!(
        (code(&e), message(&e)),
        ("ResourceNotFoundException".into(), "The specified log group does not exist.".into())
    );
    group_and_stream(&logs, "x", "s").await;
    let dup = logs.create_log_stream().log_group_name("x").log_stream_name("s").send().await;
    assert_eq!(code(&dup.unwrap_err().into_service_error()), "ResourceAlreadyExistsException");
    let bad = logs.create_log_stream().log_group_name("x").log_stream_name("a:b").send().await;
    assert_eq!(code(&bad.unwrap_err().into_service_error()), "InvalidParameterException");
    logs.delete_log_stream().log_group_name("x").log_stream_name("s").send().await.unwrap();
    let gone = logs.delete_log_stream().log_group_name("x").log_stream_name("s").send().await;
    let e = gone.unwrap_err().into_service_error();
    assert_eq!(message(&e), "The specified log stream does not exist.");
}
