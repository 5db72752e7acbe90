//! The local SQS through aws-sdk-sqs (awsJson 1.0) and hand-signed awsQuery forms, on the virtual
//! clock: queues, messages, long polls, visibility, retention, durability, metrics and the queue sink.

#[path = "../support/mod.rs"]
mod support;

mod durability;
mod messages;
mod polling;
mod query;
mod queues;

use aws_sdk_sqs::Client;
use support::TestCloud;

pub async fn client(cloud: &TestCloud) -> Client {
    Client::new(&cloud.sdk_config().await)
}

/// A queue with the given attributes; its URL.
pub async fn queue(sqs: &Client, name: &str, attributes: &[(&str, &str)]) -> String {
    let mut create = sqs.create_queue().queue_name(name);
    for (k, v) in attributes {
        create = create.attributes(aws_sdk_sqs::types::QueueAttributeName::from(*k), *v);
    }
    create.send().await.expect("CreateQueue").queue_url().expect("a queue URL").to_string()
}

/// A queue attribute as GetQueueAttributes answers it.
pub async fn attribute(sqs: &Client, url: &str, name: &str) -> String {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::from(name))
        .send()
        .await
        .expect("GetQueueAttributes");
    out.attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::from(name)))
        .cloned()
        .unwrap_or_else(|| panic!("{name} answered"))
}
