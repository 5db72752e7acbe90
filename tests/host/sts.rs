use crate::support;

use support::TestCloud;

#[tokio::test]
async fn sdk_reaches_sts_with_local_credentials() {
    let cloud = TestCloud::start().await;
    let sts = aws_sdk_sts::Client::new(&cloud.sdk_config().await);
    let who = sts.get_caller_identity().send().await.expect("GetCallerIdentity answers");
    assert_eq!(who.account(), Some("000000000000"));
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:root"));
}

#[tokio::test]
async fn aws_cli_reaches_sts() {
    let cloud = TestCloud::start().await;
    let Some(who) = cloud.aws_json(&["sts", "get-caller-identity"]) else { return };
    assert_eq!(who["Account"], "000000000000");
}
