use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use super::*;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn retention_drops_events_on_the_virtual_clock() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    group_and_stream(&logs, "r", "s").await;
    logs.put_retention_policy().log_group_name("r").retention_in_days(1).send().await.unwrap();
    let t = now(&cloud);
    put(&logs, "r", "s", vec![event(t - 1000, "first")]).await;
    cloud.advance(Duration::from_secs(12 * 3600));
    put(&logs, "r", "s", vec![event(now(&cloud), "second")]).await;
    cloud.advance(DAY / 2 + Duration::from_secs(1));
    let left =
        logs.get_log_events().log_group_name("r").log_stream_name("s").start_from_head(true).send().await.unwrap();
    let msgs: Vec<&str> = left.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(msgs, ["second"], "the event older than a day is gone");
    let filtered = logs.filter_log_events().log_group_name("r").send().await.unwrap();
    assert_eq!(filtered.events().len(), 1);
    cloud.advance(DAY);
    let none = logs.filter_log_events().log_group_name("r").send().await.unwrap();
    assert!(none.events().is_empty());
}

#[tokio::test]
async fn groups_streams_events_and_settings_survive_a_restart_in_private_files() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    group_and_stream(&logs, "keep", "s").await;
    logs.put_retention_policy().log_group_name("keep").retention_in_days(30).send().await.unwrap();
    logs.tag_resource()
        .resource_arn("arn:aws:logs:us-east-1:000000000000:log-group:keep")
        .tags("k", "v")
        .send()
        .await
        .unwrap();
    let t = now(&cloud);
    put(&logs, "keep", "s", (0..100).map(|i| event(t - 100 + i, &format!("line {i}"))).collect()).await;
    logs.create_log_group().log_group_name("dropped").send().await.unwrap();
    logs.delete_log_group().log_group_name("dropped").send().await.unwrap();

    let cloud = cloud.restart().await;
    let logs = client(&cloud).await;
    let groups = logs.describe_log_groups().send().await.unwrap();
    let names: Vec<&str> = groups.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(names, ["keep"]);
    assert_eq!(groups.log_groups()[0].retention_in_days(), Some(30));
    let tags = logs
        .list_tags_for_resource()
        .resource_arn("arn:aws:logs:us-east-1:000000000000:log-group:keep")
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().and_then(|t| t.get("k")).map(String::as_str), Some("v"));
    let events =
        logs.get_log_events().log_group_name("keep").log_stream_name("s").start_from_head(true).send().await.unwrap();
    assert_eq!(events.events().len(), 100);
    assert_eq!(events.events()[99].message(), Some("line 99"));
    put(&logs, "keep", "s", vec![event(now(&cloud), "after restart")]).await;
    let tail = logs.get_log_events().log_group_name("keep").log_stream_name("s").limit(1).send().await.unwrap();
    assert_eq!(tail.events()[0].message(), Some("after restart"), "new events sort after the restored ones");

    let dir = cloud.data_dir().join("logs");
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    let file = std::fs::metadata(dir.join("logs.redb")).unwrap();
    assert_eq!(file.permissions().mode() & 0o777, 0o600);
}
