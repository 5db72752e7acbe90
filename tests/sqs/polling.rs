//! Long polling on the cloud clock: a waiting ReceiveMessage answers as soon as a message is sent,
//! or with nothing once the virtual clock passes its wait.

use std::time::Duration;

use super::support::TestCloud;
use super::{client, queue};

#[tokio::test]
async fn a_long_poll_answers_when_a_message_is_sent_meanwhile() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "q", &[]).await;
    let started = cloud.cloud.ctx.clock.now_ms();
    let poll = tokio::spawn({
        let (sqs, url) = (sqs.clone(), url.clone());
        async move { sqs.receive_message().queue_url(url).wait_time_seconds(20).send().await }
    });
    cloud.advance_settled(Duration::from_secs(19)).await;
    let mut poll = poll;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut poll).await.is_err(),
        "the poll is still waiting 19 s of cloud time into its 20"
    );
    sqs.send_message().queue_url(&url).message_body("late").send().await.expect("sent");
    let got =
        tokio::time::timeout(Duration::from_secs(10), poll).await.expect("answers").expect("joins").expect("received");
    assert_eq!(got.messages().len(), 1);
    assert_eq!(got.messages()[0].body(), Some("late"));
    assert!(cloud.cloud.ctx.clock.now_ms() - started < 20_000, "answered before the wait passed");
}

#[tokio::test]
async fn a_long_poll_answers_empty_once_the_clock_passes_its_wait() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    // The queue's ReceiveMessageWaitTimeSeconds applies when the call names no wait.
    let url = queue(&sqs, "q", &[("ReceiveMessageWaitTimeSeconds", "5")]).await;
    let mut poll = tokio::spawn({
        let (sqs, url) = (sqs.clone(), url.clone());
        async move { sqs.receive_message().queue_url(url).send().await }
    });
    let mut seconds = 0;
    let got = loop {
        if let Ok(done) = tokio::time::timeout(Duration::from_millis(100), &mut poll).await {
            break done.expect("joins").expect("received");
        }
        assert!(seconds < 60, "the poll ends within a minute of cloud time");
        cloud.advance_settled(Duration::from_secs(1)).await;
        seconds += 1;
    };
    assert!(got.messages().is_empty());
    assert!(seconds >= 5, "not before its 5 s of cloud time passed (after {seconds} s)");
}

#[tokio::test]
async fn a_long_poll_wakes_when_an_in_flight_message_becomes_visible_again() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "q", &[("VisibilityTimeout", "3")]).await;
    sqs.send_message().queue_url(&url).message_body("again").send().await.expect("sent");
    assert_eq!(sqs.receive_message().queue_url(&url).send().await.expect("received").messages().len(), 1);
    let poll = tokio::spawn({
        let (sqs, url) = (sqs.clone(), url.clone());
        async move { sqs.receive_message().queue_url(url).wait_time_seconds(20).send().await }
    });
    cloud.advance_settled(Duration::from_secs(3)).await;
    let got =
        tokio::time::timeout(Duration::from_secs(10), poll).await.expect("answers").expect("joins").expect("received");
    assert_eq!(got.messages()[0].body(), Some("again"));
}
