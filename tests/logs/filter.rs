use super::*;

async fn seeded() -> (TestCloud, Client, i64) {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    group_and_stream(&logs, "app", "web-1").await;
    logs.create_log_stream().log_group_name("app").log_stream_name("web-2").send().await.unwrap();
    logs.create_log_stream().log_group_name("app").log_stream_name("worker").send().await.unwrap();
    let t = now(&cloud);
    put(
        &logs,
        "app",
        "web-1",
        vec![
            event(t - 50, "ERROR disk full on /var"),
            event(t - 40, r#"{"level":"error","latency":250,"path":"/orders"}"#),
        ],
    )
    .await;
    put(
        &logs,
        "app",
        "web-2",
        vec![
            event(t - 45, "WARN slow request DEBUG"),
            event(t - 30, r#"{"level":"info","latency":20,"path":"/health"}"#),
        ],
    )
    .await;
    put(&logs, "app", "worker", vec![event(t - 35, "ERROR retrying DEBUG")]).await;
    (cloud, logs, t)
}

async fn matching(logs: &Client, pattern: &str) -> Vec<String> {
    let r = logs.filter_log_events().log_group_name("app").filter_pattern(pattern).send().await.unwrap();
    r.events().iter().filter_map(|e| e.message().map(str::to_string)).collect()
}

#[tokio::test]
async fn filter_patterns_select_events_across_streams_in_time_order() {
    let (_cloud, logs, _) = seeded().await;
    assert_eq!(matching(&logs, "ERROR").await, ["ERROR disk full on /var", "ERROR retrying DEBUG"]);
    assert_eq!(matching(&logs, "ERROR -DEBUG").await, ["ERROR disk full on /var"]);
    assert_eq!(matching(&logs, "\"disk full\"").await, ["ERROR disk full on /var"]);
    assert_eq!(matching(&logs, "?WARN ?retrying").await, ["WARN slow request DEBUG", "ERROR retrying DEBUG"]);
    assert_eq!(matching(&logs, "{ $.latency > 100 }").await.len(), 1);
    assert_eq!(matching(&logs, "{ $.level = \"info\" || $.path = \"/ord*\" }").await.len(), 2);
    assert_eq!(matching(&logs, "{ $.latency >= 20 && $.level != \"error\" }").await.len(), 1);
    assert_eq!(matching(&logs, "").await.len(), 5);
    let bad = logs.filter_log_events().log_group_name("app").filter_pattern("{ $.a = ").send().await;
    assert_eq!(code(&bad.unwrap_err().into_service_error()), "InvalidParameterException");
}

#[tokio::test]
async fn filter_by_stream_names_prefix_time_range_and_pages() {
    let (_cloud, logs, t) = seeded().await;
    let by_names = logs.filter_log_events().log_group_name("app").log_stream_names("worker").send().await.unwrap();
    assert_eq!(by_names.events().len(), 1);
    assert_eq!(by_names.events()[0].log_stream_name(), Some("worker"));
    let by_prefix = logs.filter_log_events().log_group_name("app").log_stream_name_prefix("web-").send().await.unwrap();
    assert_eq!(by_prefix.events().len(), 4);
    let ranged =
        logs.filter_log_events().log_group_name("app").start_time(t - 45).end_time(t - 35).send().await.unwrap();
    assert_eq!(ranged.events().len(), 3, "both ends of the range are inclusive");
    let both = logs
        .filter_log_events()
        .log_group_name("app")
        .log_stream_names("worker")
        .log_stream_name_prefix("w")
        .send()
        .await;
    assert_eq!(code(&both.unwrap_err().into_service_error()), "InvalidParameterException");

    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = logs.filter_log_events().log_group_name("app").limit(2).set_next_token(token).send().await.unwrap();
        assert!(page.events().len() <= 2);
        seen.extend(page.events().iter().map(|e| e.timestamp().unwrap()));
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, [t - 50, t - 45, t - 40, t - 35, t - 30]);
}
