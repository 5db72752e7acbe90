use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, Delete, ObjectIdentifier};

use super::*;

#[tokio::test]
async fn an_object_round_trips_with_metadata_etag_and_checksum() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "data").await;
    let put = s3
        .put_object()
        .bucket("data")
        .key("a/b c.json")
        .body(ByteStream::from_static(b"hello world"))
        .content_type("application/json")
        .metadata("owner", "ops")
        .send()
        .await
        .unwrap();
    assert_eq!(put.e_tag(), Some("\"5eb63bbbe01eeed093cb22bb8f5acdc3\""));
    let got =
        s3.get_object().bucket("data").key("a/b c.json").checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
    assert_eq!(got.content_type(), Some("application/json"));
    assert_eq!(got.metadata().unwrap()["owner"], "ops");
    assert_eq!(got.e_tag(), put.e_tag());
    assert_eq!(got.checksum_crc32(), put.checksum_crc32(), "the SDK's default checksum is stored and returned");
    assert!(got.checksum_crc32().is_some());
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello world");
    let head = s3.head_object().bucket("data").key("a/b c.json").send().await.unwrap();
    assert_eq!(head.content_length(), Some(11));
    // The body is a plain file an operator can open.
    let file = cloud.data_dir().join("s3/data/a%2F/b%20c.json");
    assert_eq!(std::fs::read(&file).unwrap(), b"hello world");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
}

#[tokio::test]
async fn every_checksum_algorithm_is_verified_and_returned() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "sums").await;
    for alg in [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Crc64Nvme,
    ] {
        let key = alg.as_str().to_string();
        let put = s3
            .put_object()
            .bucket("sums")
            .key(&key)
            .body(ByteStream::from_static(b"payload"))
            .checksum_algorithm(alg.clone())
            .send()
            .await
            .unwrap();
        let got = s3.get_object().bucket("sums").key(&key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        let pair = match alg {
            ChecksumAlgorithm::Crc32 => (put.checksum_crc32(), got.checksum_crc32()),
            ChecksumAlgorithm::Crc32C => (put.checksum_crc32_c(), got.checksum_crc32_c()),
            ChecksumAlgorithm::Sha1 => (put.checksum_sha1(), got.checksum_sha1()),
            ChecksumAlgorithm::Sha256 => (put.checksum_sha256(), got.checksum_sha256()),
            _ => (put.checksum_crc64_nvme(), got.checksum_crc64_nvme()),
        };
        assert!(pair.0.is_some(), "{key}: PutObject returns the checksum");
        assert_eq!(pair.0, pair.1, "{key}");
    }
    // A wrong checksum is refused and nothing is stored.
    let err = s3
        .put_object()
        .bucket("sums")
        .key("bad")
        .body(ByteStream::from_static(b"x"))
        .checksum_crc32("AAAAAA==")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "BadDigest");
    let missing = s3.head_object().bucket("sums").key("bad").send().await.unwrap_err();
    assert!(missing.into_service_error().is_not_found());
}

#[tokio::test]
async fn ranges_and_conditions_are_answered_as_s3_does() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "ranges").await;
    let put =
        s3.put_object().bucket("ranges").key("k").body(ByteStream::from_static(b"0123456789")).send().await.unwrap();
    let etag = put.e_tag().unwrap().to_string();
    for (range, want, content_range) in
        [("bytes=2-4", "234", "bytes 2-4/10"), ("bytes=7-", "789", "bytes 7-9/10"), ("bytes=-2", "89", "bytes 8-9/10")]
    {
        let got = s3.get_object().bucket("ranges").key("k").range(range).send().await.unwrap();
        assert_eq!(got.content_range(), Some(content_range));
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), want.as_bytes());
    }
    let err = s3.get_object().bucket("ranges").key("k").range("bytes=10-20").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidRange");
    let ok = s3.get_object().bucket("ranges").key("k").if_match(&etag).send().await.unwrap();
    assert_eq!(ok.content_length(), Some(10));
    let err = s3.get_object().bucket("ranges").key("k").if_match("\"nope\"").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "PreconditionFailed");
    let raw = s3.get_object().bucket("ranges").key("k").if_none_match(&etag).send().await.unwrap_err();
    assert_eq!(raw.raw_response().map(|r| r.status().as_u16()), Some(304));
    let err = s3
        .put_object()
        .bucket("ranges")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "PreconditionFailed");
    let missing = s3.get_object().bucket("ranges").key("nope").send().await.unwrap_err();
    assert!(missing.into_service_error().is_no_such_key());
}

#[tokio::test]
async fn copy_and_delete_objects() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "src").await;
    bucket(&s3, "dst").await;
    s3.put_object()
        .bucket("src")
        .key("a b")
        .metadata("m", "1")
        .content_type("text/plain")
        .body(ByteStream::from_static(b"abc"))
        .send()
        .await
        .unwrap();
    let copied = s3.copy_object().bucket("dst").key("copy").copy_source("src/a%20b").send().await.unwrap();
    assert_eq!(copied.copy_object_result().unwrap().e_tag(), Some("\"900150983cd24fb0d6963f7d28e17f72\""));
    let got = s3.get_object().bucket("dst").key("copy").send().await.unwrap();
    assert_eq!(got.metadata().unwrap()["m"], "1");
    assert_eq!(got.content_type(), Some("text/plain"));
    let err = s3.copy_object().bucket("src").key("a b").copy_source("src/a%20b").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidRequest");
    let err = s3.copy_object().bucket("dst").key("x").copy_source("src/none").send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchKey");

    for k in ["x/1", "x/2", "y"] {
        s3.put_object().bucket("src").key(k).body(ByteStream::from_static(b"1")).send().await.unwrap();
    }
    let ids = ["x/1", "x/2", "never"].map(|k| ObjectIdentifier::builder().key(k).build().unwrap());
    let out = s3
        .delete_objects()
        .bucket("src")
        .delete(Delete::builder().set_objects(Some(ids.to_vec())).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(out.deleted().len(), 3, "deleting a missing key succeeds, as in S3");
    s3.delete_object().bucket("src").key("y").send().await.unwrap();
    let listed = s3.list_objects_v2().bucket("src").send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a b"]);
    assert!(!cloud.data_dir().join("s3/src/x%2F").exists(), "emptied prefix directories are removed");
}

#[tokio::test]
async fn listing_pages_through_prefixes_delimiters_and_tokens() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "list").await;
    for k in ["a/1", "a/2", "b/1", "c", "d/x/1", "e"] {
        s3.put_object().bucket("list").key(k).body(ByteStream::from_static(b"")).send().await.unwrap();
    }
    let top = s3.list_objects_v2().bucket("list").delimiter("/").send().await.unwrap();
    let prefixes: Vec<&str> = top.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["a/", "b/", "d/"]);
    let keys: Vec<&str> = top.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["c", "e"]);
    assert_eq!(top.key_count(), Some(5));

    // Two entries a page, delimiter on: a/ b/ | c d/ | e
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("list")
            .delimiter("/")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        seen.extend(page.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_string)));
        seen.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        token = page.next_continuation_token().map(str::to_string);
        if !page.is_truncated().unwrap_or(false) {
            break;
        }
    }
    seen.sort();
    assert_eq!(seen, ["a/", "b/", "c", "d/", "e"]);

    let under = s3.list_objects_v2().bucket("list").prefix("a/").start_after("a/1").send().await.unwrap();
    let keys: Vec<&str> = under.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/2"]);
    let err = s3.list_objects_v2().bucket("nothere").send().await.unwrap_err();
    assert!(err.into_service_error().is_no_such_bucket());
}

#[tokio::test]
async fn virtual_host_addressing_reaches_the_same_buckets() {
    let cloud = cloud().await;
    let vh = virtual_host_client(&cloud).await;
    let path = client(&cloud).await;
    bucket(&vh, "vhost").await;
    vh.put_object().bucket("vhost").key("k/v").body(ByteStream::from_static(b"via host")).send().await.unwrap();
    let got = path.get_object().bucket("vhost").key("k/v").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"via host");
    let listed = vh.list_objects_v2().bucket("vhost").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(1));
}

#[tokio::test]
async fn the_object_writer_stores_what_s3_then_serves() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "delivery").await;
    let writer = &cloud.cloud.ctx.object_writer;
    let etag = writer.put_object("delivery", "2026/11/28/batch-1.gz", b"records", "application/gzip").unwrap();
    assert_eq!(
        etag,
        "\"d3c5a6f6a8a4d0e5b2c1b9b28ca2b5f1\"".replace("d3c5a6f6a8a4d0e5b2c1b9b28ca2b5f1", &hex_md5(b"records"))
    );
    let got = s3.get_object().bucket("delivery").key("2026/11/28/batch-1.gz").send().await.unwrap();
    assert_eq!(got.content_type(), Some("application/gzip"));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"records");
    let err = writer.put_object("missing", "k", b"x", "text/plain").unwrap_err();
    assert_eq!(err.code, "NoSuchBucket");
}

fn hex_md5(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}
