//! aws-chunked bodies, as the SDKs send them over https (over http both the Rust SDK and the aws CLI
//! sign the whole payload instead, which the other tests cover).

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sdk_s3::types::ChecksumMode;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;

use super::*;

/// The request's signature, date and secret, for framing a signed body.
pub struct Seed {
    signature: String,
    date: String,
    secret: String,
}

impl Seed {
    /// `<hex size>;chunk-signature=…` chunks of `data` (one per slice, then the empty one) and a
    /// signed CRC32 trailer, each signature chained from the previous, as the SDKs sign them.
    fn frame(&self, chunks: &[&[u8]], trailer: &str) -> Vec<u8> {
        use sha2::Digest;
        let hex = |b: &[u8]| hex::encode(sha2::Sha256::digest(b));
        let key = aws_sigv4::sign::v4::generate_signing_key(&self.secret, SystemTime::now(), "us-east-1", "s3");
        let scope = format!("{}/us-east-1/s3/aws4_request", &self.date[..8]);
        let mut previous = self.signature.clone();
        let mut out = Vec::new();
        for data in chunks.iter().copied().chain(std::iter::once(&b""[..])) {
            let sts =
                format!("AWS4-HMAC-SHA256-PAYLOAD\n{}\n{scope}\n{previous}\n{}\n{}", self.date, hex(b""), hex(data));
            previous = aws_sigv4::sign::v4::calculate_signature(&key, sts.as_bytes());
            out.extend_from_slice(format!("{:x};chunk-signature={previous}\r\n", data.len()).as_bytes());
            if !data.is_empty() {
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
            }
        }
        let canonical = format!("x-amz-checksum-crc32:{trailer}\n");
        let sts =
            format!("AWS4-HMAC-SHA256-TRAILER\n{}\n{scope}\n{previous}\n{}", self.date, hex(canonical.as_bytes()));
        let sig = aws_sigv4::sign::v4::calculate_signature(&key, sts.as_bytes());
        out.extend_from_slice(
            format!("x-amz-checksum-crc32:{trailer}\r\nx-amz-trailer-signature:{sig}\r\n\r\n").as_bytes(),
        );
        out
    }
}

/// A PUT of `body` (already framed) with `x-amz-content-sha256: <content_sha>`, signed.
async fn put_chunked(
    cloud: &TestCloud,
    path: &str,
    content_sha: &str,
    decoded_len: usize,
    body: Vec<u8>,
) -> (u16, String) {
    put_framed(cloud, path, content_sha, decoded_len, |_| body).await
}

/// As [`put_chunked`], the body framed once the request's signature is known.
async fn put_framed(
    cloud: &TestCloud,
    path: &str,
    content_sha: &str,
    decoded_len: usize,
    frame: impl FnOnce(&Seed) -> Vec<u8>,
) -> (u16, String) {
    let creds = cloud.cloud.credentials();
    let host = cloud.url().trim_start_matches("http://").to_string();
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"))
        .unwrap();
    let mut headers = vec![
        ("host".to_string(), host),
        ("x-amz-date".to_string(), date),
        ("x-amz-content-sha256".to_string(), content_sha.to_string()),
        ("content-encoding".to_string(), "aws-chunked".to_string()),
        ("x-amz-decoded-content-length".to_string(), decoded_len.to_string()),
        ("x-amz-trailer".to_string(), "x-amz-checksum-crc32".to_string()),
    ];
    let identity = Credentials::new(&creds.access_key_id, &creds.secret_access_key, None, None, "test").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = format!("{}{path}", cloud.url());
    let signable = SignableRequest::new(
        "PUT",
        &uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Precomputed(content_sha.to_string()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    for (k, v) in instructions.headers() {
        headers.push((k.to_string(), v.to_string()));
    }
    let authorization = headers.iter().find(|(k, _)| k == "authorization").map(|(_, v)| v.clone()).unwrap();
    let seed = Seed {
        signature: authorization.rsplit_once("Signature=").unwrap().1.to_string(),
        date: headers.iter().find(|(k, _)| k == "x-amz-date").unwrap().1.clone(),
        secret: creds.secret_access_key.clone(),
    };
    let body = frame(&seed);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client.put(uri);
    for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
        req = req.header(k, v);
    }
    let resp = req.body(body).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn crc32_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(crc32fast::hash(data).to_be_bytes())
}

#[tokio::test]
async fn unsigned_and_signed_chunked_bodies_with_trailing_checksums_are_stored() {
    let cloud = cloud().await;
    let s3 = client(&cloud).await;
    bucket(&s3, "chunks").await;
    let crc = crc32_b64(b"hello world");
    let unsigned = format!("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");
    let (status, body) =
        put_chunked(&cloud, "/chunks/u", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", 11, unsigned.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    let signed = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    let (status, body) =
        put_framed(&cloud, "/chunks/s", signed, 11, |seed| seed.frame(&[b"hello", b" world"], &crc)).await;
    assert_eq!(status, 200, "{body}");
    // The same framing with a chunk changed after signing: the chain no longer holds.
    let (status, body) = put_framed(&cloud, "/chunks/forged", signed, 11, |seed| {
        let mut framed = seed.frame(&[b"hello", b" world"], &crc);
        let at = framed.windows(5).position(|w| w == b"hello").unwrap();
        framed[at] = b'j';
        framed
    })
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("<Code>SignatureDoesNotMatch</Code>"), "{body}");
    for key in ["u", "s"] {
        let got = s3.get_object().bucket("chunks").key(key).checksum_mode(ChecksumMode::Enabled).send().await.unwrap();
        assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
        assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"hello world");
    }
    let wrong = format!("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n");
    let (status, body) =
        put_chunked(&cloud, "/chunks/bad", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", 5, wrong.into_bytes()).await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>BadDigest</Code>"), "{body}");
    let short = "5\r\nhel".to_string();
    let (status, body) =
        put_chunked(&cloud, "/chunks/short", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", 5, short.into_bytes()).await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>IncompleteBody</Code>"), "{body}");
}

#[tokio::test]
async fn the_hosts_refusals_are_s3_xml_errors() {
    let cloud = cloud().await;
    let conf = aws_sdk_s3::config::Builder::from(
        &cloud.sdk_config_with(&cloud.cloud.credentials().access_key_id, "wrong-secret").await,
    )
    .force_path_style(true)
    .build();
    let s3 = Client::from_conf(conf);
    let err = s3.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "SignatureDoesNotMatch");
    let conf = aws_sdk_s3::config::Builder::from(&cloud.sdk_config_with("AKIDUNKNOWN", "x").await)
        .force_path_style(true)
        .build();
    let err = Client::from_conf(conf).list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err.into_service_error()), "InvalidAccessKeyId");
}
