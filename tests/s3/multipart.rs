use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};

use super::*;

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn a_multipart_upload_completes_with_s3s_etag_and_refuses_small_parts() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "mpu").await;
    let parts_data = [vec![b'a'; 5 * MIB], vec![b'b'; 5 * MIB], b"tail".to_vec()];
    let up = s3
        .create_multipart_upload()
        .bucket("mpu")
        .key("big")
        .content_type("text/plain")
        .checksum_algorithm(ChecksumAlgorithm::Crc32)
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let mut completed = Vec::new();
    for (i, data) in parts_data.iter().enumerate() {
        let n = i as i32 + 1;
        let p = s3
            .upload_part()
            .bucket("mpu")
            .key("big")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from(data.clone()))
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .unwrap();
        completed.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(p.e_tag().unwrap())
                .set_checksum_crc32(p.checksum_crc32().map(str::to_string))
                .build(),
        );
    }
    let listed = s3.list_parts().bucket("mpu").key("big").upload_id(&id).send().await.unwrap();
    assert_eq!(listed.parts().len(), 3);
    // A wrong part ETag, parts out of order.
    let wrong = CompletedPart::builder().part_number(1).e_tag("\"00\"").build();
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().parts(wrong).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidPart");
    let reversed: Vec<CompletedPart> = completed.iter().rev().cloned().collect();
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(reversed)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidPartOrder");

    let done = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("big")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .unwrap();
    let mut md5s = Vec::new();
    for d in &parts_data {
        use md5::Digest;
        md5s.extend_from_slice(&md5::Md5::digest(d));
    }
    let expected = {
        use md5::Digest;
        format!("\"{}-3\"", hex::encode(md5::Md5::digest(&md5s)))
    };
    assert_eq!(done.e_tag(), Some(expected.as_str()));
    assert!(done.checksum_crc32().is_some_and(|c| c.ends_with("-3")), "{:?}", done.checksum_crc32());
    let head = s3.head_object().bucket("mpu").key("big").send().await.unwrap();
    assert_eq!(head.content_length(), Some((10 * MIB + 4) as i64));
    assert_eq!(head.content_type(), Some("text/plain"));
    let tail = s3.get_object().bucket("mpu").key("big").range("bytes=-5").send().await.unwrap();
    assert_eq!(tail.body.collect().await.unwrap().into_bytes().as_ref(), b"btail");
    let err = s3.list_parts().bucket("mpu").key("big").upload_id(&id).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchUpload");

    // A part smaller than 5 MiB that is not the last.
    let up = s3.create_multipart_upload().bucket("mpu").key("small").send().await.unwrap();
    let id = up.upload_id().unwrap().to_string();
    let mut parts = Vec::new();
    for n in 1..=2 {
        let p = s3
            .upload_part()
            .bucket("mpu")
            .key("small")
            .upload_id(&id)
            .part_number(n)
            .body(ByteStream::from_static(b"tiny"))
            .send()
            .await
            .unwrap();
        parts.push(CompletedPart::builder().part_number(n).e_tag(p.e_tag().unwrap()).build());
    }
    let err = s3
        .complete_multipart_upload()
        .bucket("mpu")
        .key("small")
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "EntityTooSmall");
    s3.abort_multipart_upload().bucket("mpu").key("small").upload_id(&id).send().await.unwrap();
    let err = s3.abort_multipart_upload().bucket("mpu").key("small").upload_id(&id).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "NoSuchUpload");
}

#[tokio::test]
async fn a_put_beyond_64_mib_is_entity_too_large() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "big").await;
    let err = s3
        .put_object()
        .bucket("big")
        .key("k")
        .body(ByteStream::from(vec![0u8; 64 * MIB + 1]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err.into_service_error()), "EntityTooLarge");
    let err =
        s3.put_object().bucket("big").key("k").body(ByteStream::from(vec![0u8; 70 * MIB])).send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "EntityTooLarge");
}
