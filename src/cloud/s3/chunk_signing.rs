//! Chunk signatures of `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)` bodies. The request's own
//! signature (checked by the host) covers only its headers; each chunk is signed in a chain from it
//! and the trailer after the last chunk, so a captured request cannot carry another body.

use std::time::SystemTime;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use sha2::{Digest, Sha256};

use super::chunked::Decoded;
use crate::cloud::auth::{Authorization, secrets_equal};
use crate::cloud::error::ApiError;

/// What the chain starts from: the request's signature, date and scope, and the secret.
pub struct Seed<'a> {
    pub auth: &'a Authorization,
    pub amz_date: &'a str,
    pub secret: &'a str,
}

fn amz_time(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    Some(time::PrimitiveDateTime::parse(value, format).ok()?.assume_utc().into())
}

/// Checks a request's chunk signatures when it sent a signed streaming body.
pub fn verify_request(headers: &http::HeaderMap, decoded: &Decoded, secret: &str) -> Result<(), ApiError> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let Some(mode) = header("x-amz-content-sha256").and_then(|s| s.strip_prefix("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
    else {
        return Ok(());
    };
    let auth = header("authorization").and_then(Authorization::parse).ok_or_else(mismatch)?;
    let amz_date = header("x-amz-date").ok_or_else(mismatch)?;
    verify(decoded, &Seed { auth: &auth, amz_date, secret }, mode == "-TRAILER")
}

fn mismatch() -> ApiError {
    ApiError::new(
        http::StatusCode::FORBIDDEN,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    )
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks every chunk's signature and, with `trailer`, the trailer's.
pub fn verify(decoded: &Decoded, seed: &Seed<'_>, trailer: bool) -> Result<(), ApiError> {
    let a = seed.auth;
    let scope = format!("{}/{}/{}/aws4_request", a.date, a.region, a.service);
    let time = amz_time(seed.amz_date).ok_or_else(mismatch)?;
    let key = generate_signing_key(seed.secret, time, &a.region, &a.service);
    let empty = hex_sha256(b"");
    let mut previous = a.signature.clone();
    if decoded.chunk_signatures.is_empty() {
        return Err(mismatch());
    }
    for (given, range) in &decoded.chunk_signatures {
        let data = decoded.data.get(range.clone()).ok_or_else(mismatch)?;
        let sts =
            format!("AWS4-HMAC-SHA256-PAYLOAD\n{}\n{scope}\n{previous}\n{empty}\n{}", seed.amz_date, hex_sha256(data));
        let expected = calculate_signature(&key, sts.as_bytes());
        if !secrets_equal(given, &expected) {
            return Err(mismatch());
        }
        previous = expected;
    }
    if trailer {
        let canonical: String = decoded.trailers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let sts = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{scope}\n{previous}\n{}",
            seed.amz_date,
            hex_sha256(canonical.as_bytes())
        );
        let expected = calculate_signature(&key, sts.as_bytes());
        if !decoded.trailer_signature.as_deref().is_some_and(|given| secrets_equal(given, &expected)) {
            return Err(mismatch());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signed aws-chunked PutObject of 10 KiB of `a` with a CRC32 trailer, as aws-sdk-s3 recorded
    /// it in its own test data (`tests/data/aws_chunked/chunk-signing.json`, test credentials).
    fn recorded() -> (Authorization, Vec<u8>) {
        let auth = Authorization::parse("AWS4-HMAC-SHA256 Credential=ANOTREAL/20090213/us-east-1/s3/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer;x-amz-user-agent, Signature=4d5247cc603cc816a7ab5272ed9e47cf173e45bc42bfa68e1181267dd0f0bf73").unwrap();
        let mut body = Vec::new();
        body.extend_from_slice(
            b"2000;chunk-signature=25851a3d29c435720498cdfd7540bb131ae653ea7371cb885f4fe1ba092d37f3\r\n",
        );
        body.extend(std::iter::repeat_n(b'a', 0x2000));
        body.extend_from_slice(
            b"\r\n800;chunk-signature=bf16b3638d50be9f090044f98d838e6643fa2d37db299cbdb884a92d2a659a03\r\n",
        );
        body.extend(std::iter::repeat_n(b'a', 0x800));
        body.extend_from_slice(
            b"\r\n0;chunk-signature=7110bd9a94d4fa381c0ad159f6b14acb99e93ecec95cb3fd0fd61b414a692ae6\r\n",
        );
        body.extend_from_slice(b"x-amz-checksum-crc32:X9RA0w==\r\nx-amz-trailer-signature:a1764ee8bc0edc8b723a91b19c28bbcc7f8ac8a5932b0e7b7497dd6a8fee78f0\r\n\r\n");
        (auth, body)
    }

    const SECRET: &str = "notrealrnrELgWzOk3IfjzDKtFBhDby";

    #[test]
    fn the_sdks_own_signed_chunks_verify() {
        let (auth, body) = recorded();
        let decoded = super::super::chunked::decode(&body, Some(10240)).unwrap();
        let seed = Seed { auth: &auth, amz_date: "20090213T233130Z", secret: SECRET };
        verify(&decoded, &seed, true).unwrap();
    }

    #[test]
    fn an_altered_chunk_trailer_or_secret_is_refused() {
        let (auth, body) = recorded();
        let seed = Seed { auth: &auth, amz_date: "20090213T233130Z", secret: SECRET };
        let mut altered = body.clone();
        altered[200] = b'b';
        let decoded = super::super::chunked::decode(&altered, None).unwrap();
        assert_eq!(verify(&decoded, &seed, true).unwrap_err().code, "SignatureDoesNotMatch");
        let text = String::from_utf8(body.clone()).unwrap().replace("X9RA0w==", "AAAAAA==");
        let decoded = super::super::chunked::decode(text.as_bytes(), None).unwrap();
        assert_eq!(verify(&decoded, &seed, true).unwrap_err().code, "SignatureDoesNotMatch");
        let decoded = super::super::chunked::decode(&body, None).unwrap();
        let wrong = Seed { secret: "another", ..seed };
        assert_eq!(verify(&decoded, &wrong, true).unwrap_err().code, "SignatureDoesNotMatch");
    }
}
