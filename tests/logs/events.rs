use super::*;

#[tokio::test]
async fn events_read_back_in_time_order_with_forward_and_backward_tokens() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    group_and_stream(&logs, "g", "s").await;
    let t = now(&cloud);
    put(&logs, "g", "s", (0..5).map(|i| event(t - 1000 + i, &format!("m{i}"))).collect()).await;

    let tail = logs.get_log_events().log_group_name("g").log_stream_name("s").limit(2).send().await.unwrap();
    let msgs: Vec<&str> = tail.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(msgs, ["m3", "m4"], "without startFromHead the newest events come back");
    let fwd = tail.next_forward_token().unwrap();
    let back = tail.next_backward_token().unwrap();
    assert!(fwd.starts_with("f/") && back.starts_with("b/") && fwd.len() == 58, "{fwd} {back}");

    let earlier =
        logs.get_log_events().log_group_name("g").log_stream_name("s").next_token(back).limit(2).send().await.unwrap();
    let msgs: Vec<&str> = earlier.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(msgs, ["m1", "m2"]);

    let end = logs.get_log_events().log_group_name("g").log_stream_name("s").next_token(fwd).send().await.unwrap();
    assert!(end.events().is_empty());
    assert_eq!(end.next_forward_token(), Some(fwd), "at the end the forward token comes back unchanged");
    put(&logs, "g", "s", vec![event(t, "m5")]).await;
    let more = logs.get_log_events().log_group_name("g").log_stream_name("s").next_token(fwd).send().await.unwrap();
    assert_eq!(more.events().iter().filter_map(|e| e.message()).collect::<Vec<_>>(), ["m5"]);
    assert_eq!(more.events()[0].ingestion_time(), Some(t));

    let head = logs
        .get_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .start_from_head(true)
        .start_time(t - 999)
        .end_time(t - 997)
        .send()
        .await
        .unwrap();
    let msgs: Vec<&str> = head.events().iter().filter_map(|e| e.message()).collect();
    assert_eq!(msgs, ["m1", "m2"], "startTime is inclusive, endTime exclusive");

    let bad = logs.get_log_events().log_group_name("g").log_stream_name("s").next_token("zz").send().await;
    assert_eq!(code(&bad.unwrap_err().into_service_error()), "InvalidParameterException");
    let missing = logs.get_log_events().log_group_name("g").log_stream_name("nope").send().await;
    assert_eq!(message(&missing.unwrap_err().into_service_error()), "The specified log stream does not exist.");
}

#[tokio::test]
async fn events_outside_the_window_are_rejected_and_batch_rules_refuse_the_batch() {
    let cloud = cloud().await;
    let logs = client(&cloud).await;
    group_and_stream(&logs, "g", "s").await;
    let t = now(&cloud);
    let hour = 3_600_000;
    let r = logs
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(t - 14 * 24 * hour - 1, "too old"))
        // The 24-hour span rule counts only the events inside the accepted window.
        .log_events(event(t - 1, "ok"))
        .send()
        .await
        .unwrap();
    let info = r.rejected_log_events_info().expect("rejected events are reported");
    assert_eq!(info.too_old_log_event_end_index(), Some(1));
    let r = logs
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(t, "ok"))
        .log_events(event(t + 2 * hour + 1, "too new"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.rejected_log_events_info().and_then(|i| i.too_new_log_event_start_index()), Some(1));
    let all = logs.get_log_events().log_group_name("g").log_stream_name("s").send().await.unwrap();
    assert_eq!(all.events().len(), 2, "only the accepted events are stored");

    let span = logs
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(t - 25 * hour, "a"))
        .log_events(event(t, "b"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(code(&span), "InvalidParameterException");
    assert!(message(&span).contains("24 hours"), "{}", message(&span));
    let unordered = logs
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .log_events(event(t, "b"))
        .log_events(event(t - 1, "a"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(message(&unordered), "Log events in a single PutLogEvents request must be in chronological order.");
    let big: Vec<_> = (0..5).map(|_| event(t, &"x".repeat(250_000))).collect();
    let too_big = logs.put_log_events().log_group_name("g").log_stream_name("s").set_log_events(Some(big)).send().await;
    let e = too_big.unwrap_err().into_service_error();
    assert_eq!(code(&e), "InvalidParameterException");
    assert!(message(&e).contains("exceeds limit of 1048576"), "{}", message(&e));
    let no_stream =
        logs.put_log_events().log_group_name("g").log_stream_name("x").log_events(event(t, "a")).send().await;
    assert_eq!(code(&no_stream.unwrap_err().into_service_error()), "ResourceNotFoundException");
}
