use aws_sdk_s3::primitives::ByteStream;

use super::*;

#[tokio::test]
async fn buckets_objects_and_uploads_survive_a_restart() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "keep").await;
    s3.put_bucket_policy().bucket("keep").policy(r#"{"Version":"2012-10-17","Statement":[]}"#).send().await.unwrap();
    let put = s3
        .put_object()
        .bucket("keep")
        .key("a")
        .metadata("x", "y")
        .body(ByteStream::from_static(b"durable"))
        .send()
        .await
        .unwrap();
    s3.put_object().bucket("keep").key("a/b").body(ByteStream::from_static(b"below")).send().await.unwrap();
    let up = s3.create_multipart_upload().bucket("keep").key("later").send().await.unwrap();
    let cloud = cloud.restart().await;
    let s3 = client(&cloud).await;
    let got = s3.get_object().bucket("keep").key("a").send().await.unwrap();
    assert_eq!(got.e_tag(), put.e_tag());
    assert_eq!(got.metadata().unwrap()["x"], "y");
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"durable");
    let below = s3.get_object().bucket("keep").key("a/b").send().await.unwrap();
    assert_eq!(below.body.collect().await.unwrap().into_bytes().as_ref(), b"below");
    assert!(s3.get_bucket_policy().bucket("keep").send().await.is_ok());
    let parts = s3.list_parts().bucket("keep").key("later").upload_id(up.upload_id().unwrap()).send().await.unwrap();
    assert!(parts.parts().is_empty());
}

#[tokio::test]
async fn a_file_that_disagrees_with_its_metadata_is_an_error_not_wrong_bytes() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "dmg").await;
    s3.put_object().bucket("dmg").key("k").body(ByteStream::from_static(b"twelve bytes")).send().await.unwrap();
    std::fs::write(cloud.data_dir().join("s3/dmg/k"), b"short").unwrap();
    let err = s3.get_object().bucket("dmg").key("k").send().await.unwrap_err();
    let e = err.into_service_error();
    assert_eq!(code(&e), "InternalError");
    assert!(e.message().unwrap_or("").contains("s3/dmg/k"), "{:?}", e.message());
}
