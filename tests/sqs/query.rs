//! The awsQuery protocol (Version 2012-11-05) the older SDKs send: signed forms to `/` or to a queue's
//! URL path, XML answers in SQS's namespace, XML errors with the awsQuery codes.

use super::support::TestCloud;
use super::support::raw::Raw;

const FORM: &str = "application/x-www-form-urlencoded";

async fn call(cloud: &TestCloud, path: &str, form: &str) -> (u16, String) {
    let raw = cloud.sign(Raw::post(path, &[("content-type", FORM)], form), "sqs");
    let (status, _, body) = raw.send(cloud.url()).await;
    (status, String::from_utf8(body).expect("UTF-8"))
}

fn between<'a>(xml: &'a str, open: &str, close: &str) -> &'a str {
    let start = xml.find(open).unwrap_or_else(|| panic!("{open} in {xml}")) + open.len();
    let end = xml[start..].find(close).unwrap_or_else(|| panic!("{close} in {xml}")) + start;
    &xml[start..end]
}

#[tokio::test]
async fn a_queue_is_created_fed_and_read_over_aws_query() {
    let cloud = TestCloud::start_virtual().await;
    let v = "Version=2012-11-05";
    let (status, xml) = call(
        &cloud,
        "/",
        &format!("Action=CreateQueue&{v}&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=7"),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.contains(r#"<CreateQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><CreateQueueResult>"#),
        "{xml}"
    );
    let url = between(&xml, "<QueueUrl>", "</QueueUrl>").to_string();
    assert_eq!(url, format!("{}/000000000000/q", cloud.url()));

    // Sent to the queue's URL with no QueueUrl in the form, as the Java v1 SDK does.
    let (status, xml) = call(
        &cloud,
        "/000000000000/q",
        &format!("Action=SendMessage&{v}&MessageBody=hi%3C&MessageAttribute.1.Name=k&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v"),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let md5 = {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(b"hi<"))
    };
    assert_eq!(between(&xml, "<MD5OfMessageBody>", "</MD5OfMessageBody>"), md5);

    let form = format!(
        "Action=ReceiveMessage&{v}&QueueUrl={}&AttributeName.1=All&MessageAttributeName.1=All&MaxNumberOfMessages=10",
        urlencode(&url)
    );
    let (status, xml) = call(&cloud, "/", &form).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<ReceiveMessageResult><Message>"), "{xml}");
    assert!(xml.contains("<Body>hi&lt;</Body>"), "{xml}");
    assert!(xml.contains("<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"), "{xml}");
    assert!(xml.contains("<MessageAttribute><Name>k</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value></MessageAttribute>"), "{xml}");
    let (_, empty) = call(&cloud, "/", &form).await;
    assert!(
        empty.contains("<ReceiveMessageResult/>") || empty.contains("<ReceiveMessageResult></ReceiveMessageResult>"),
        "{empty}"
    );

    let (status, xml) = call(
        &cloud,
        "/",
        &format!("Action=GetQueueAttributes&{v}&QueueUrl={}&AttributeName.1=VisibilityTimeout", urlencode(&url)),
    )
    .await;
    assert_eq!(status, 200);
    assert!(xml.contains("<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>7</Value></Attribute></GetQueueAttributesResult>"), "{xml}");
    let (status, xml) = call(&cloud, "/000000000000/q", &format!("Action=PurgeQueue&{v}")).await;
    assert_eq!(status, 200);
    assert!(
        xml.contains("<PurgeQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ResponseMetadata>"),
        "no result element: {xml}"
    );
}

#[tokio::test]
async fn query_errors_carry_the_query_code_in_xml() {
    let cloud = TestCloud::start_virtual().await;
    let (status, xml) = call(&cloud, "/", "Action=GetQueueUrl&Version=2012-11-05&QueueName=nope").await;
    assert_eq!(status, 400);
    assert!(xml.contains("<Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"), "{xml}");
    let (status, xml) = call(&cloud, "/", "Action=ReceiveMessage&Version=2012-11-05&QueueUrl=q").await;
    assert_eq!(status, 400);
    assert!(xml.contains("<Code>InvalidAddress</Code>"), "{xml}");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
