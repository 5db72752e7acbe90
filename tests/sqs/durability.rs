//! Queues and messages survive a restart of the host, delivery state included.

use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName as S;

use super::support::TestCloud;
use super::{attribute, client, queue};

#[tokio::test]
async fn queues_and_messages_survive_a_restart() {
    let cloud = TestCloud::start_virtual().await;
    let sqs = client(&cloud).await;
    let url = queue(&sqs, "kept", &[("VisibilityTimeout", "60")]).await;
    sqs.tag_queue().queue_url(&url).tags("team", "data").send().await.expect("tagged");
    for body in ["one", "two"] {
        sqs.send_message().queue_url(&url).message_body(body).send().await.expect("sent");
    }
    let got = sqs.receive_message().queue_url(&url).send().await.expect("received");
    assert_eq!(got.messages()[0].body(), Some("one"));

    let cloud = cloud.restart().await;
    let sqs = client(&cloud).await;
    let url = sqs
        .get_queue_url()
        .queue_name("kept")
        .send()
        .await
        .expect("the queue is back")
        .queue_url()
        .expect("url")
        .to_string();
    assert_eq!(attribute(&sqs, &url, "VisibilityTimeout").await, "60");
    assert_eq!(attribute(&sqs, &url, "ApproximateNumberOfMessages").await, "1");
    assert_eq!(attribute(&sqs, &url, "ApproximateNumberOfMessagesNotVisible").await, "1", "still in flight");
    let tags = sqs.list_queue_tags().queue_url(&url).send().await.expect("tags");
    assert_eq!(tags.tags().and_then(|t| t.get("team")).map(String::as_str), Some("data"));
    let two = sqs.receive_message().queue_url(&url).send().await.expect("received");
    assert_eq!(two.messages()[0].body(), Some("two"));
    cloud.advance(Duration::from_secs(60));
    let one = sqs
        .receive_message()
        .queue_url(&url)
        .message_system_attribute_names(S::ApproximateReceiveCount)
        .send()
        .await
        .expect("received");
    assert_eq!(one.messages()[0].body(), Some("one"));
    assert_eq!(one.messages()[0].attributes().expect("attrs")[&S::ApproximateReceiveCount], "2");
}
