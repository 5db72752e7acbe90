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
    let damage = cloud.cloud.ctx.damage.list();
    assert!(damage.iter().any(|d| d.service == "s3" && d.resource == "dmg/k"), "{damage:?}");
}

#[tokio::test]
async fn unreadable_metadata_is_set_aside_and_the_cloud_still_serves() {
    let cloud = TestCloud::start_with(|c| {
        let meta = c.data_dir.join("s3/.meta");
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(meta.join("meta.redb"), b"not a redb file at all").unwrap();
    })
    .await;
    let damage = cloud.cloud.ctx.damage.list();
    assert!(damage.iter().any(|d| d.service == "s3" && d.resource.ends_with("meta.redb")), "{damage:?}");
    let aside = std::fs::read_dir(cloud.data_dir().join("s3/.meta"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("meta.redb.damaged-"));
    assert!(aside, "the damaged file is kept for the operator");
    let s3 = client(&cloud).await;
    bucket(&s3, "fresh").await;
    assert_eq!(s3.list_buckets().send().await.unwrap().buckets().len(), 1);
}

#[tokio::test]
async fn a_write_that_fails_on_disk_changes_nothing() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "fail").await;
    s3.put_object().bucket("fail").key("kept").body(ByteStream::from_static(b"old")).send().await.unwrap();
    // Something in the way of the object's file: its rename cannot happen.
    let blocked = cloud.data_dir().join("s3/fail/blocked");
    std::fs::create_dir_all(blocked.join("inside")).unwrap();
    let err =
        s3.put_object().bucket("fail").key("blocked").body(ByteStream::from_static(b"new")).send().await.unwrap_err();
    let e = err.into_service_error();
    assert_eq!(code(&e), "InternalError");
    assert!(e.message().unwrap_or("").contains("s3/fail/blocked"), "{:?}", e.message());
    assert!(
        s3.head_object().bucket("fail").key("blocked").send().await.unwrap_err().into_service_error().is_not_found()
    );
    let listed = s3.list_objects_v2().bucket("fail").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1));
    let leftovers: Vec<_> = std::fs::read_dir(cloud.data_dir().join("s3/fail"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no temp file is left behind: {leftovers:?}");
    let got = s3.get_object().bucket("fail").key("kept").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"old");
}

#[tokio::test]
async fn a_bucket_may_be_named_like_the_metadata_file() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "meta.redb").await;
    s3.put_object().bucket("meta.redb").key("k").body(ByteStream::from_static(b"1")).send().await.unwrap();
    assert_eq!(s3.list_objects_v2().bucket("meta.redb").send().await.unwrap().key_count(), Some(1));
}
