//! The checksums current SDKs send by default (CRC32, CRC32C, SHA1, SHA256, CRC64NVME), computed
//! with the implementations the SDKs themselves use, plus S3's ETags.

use std::str::FromStr;

use aws_smithy_checksums::ChecksumAlgorithm;
use base64::Engine as _;
use md5::{Digest, Md5};

use super::errors;
use crate::cloud::error::ApiError;

pub const ALGORITHMS: [&str; 5] = ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"];

/// `x-amz-checksum-crc32` and so on.
pub fn header_name(algorithm: &str) -> String {
    format!("x-amz-checksum-{}", algorithm.to_ascii_lowercase())
}

/// The algorithm a header or a request names, upper case as S3 writes it.
pub fn normalize(algorithm: &str) -> Result<String, ApiError> {
    let upper = algorithm.to_ascii_uppercase();
    if ALGORITHMS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(errors::invalid_request(format!("Value for x-amz-checksum-algorithm header is invalid: {algorithm}")))
    }
}

/// The raw digest of `parts` concatenated.
pub fn digest(algorithm: &str, parts: &[&[u8]]) -> Vec<u8> {
    let Ok(alg) = ChecksumAlgorithm::from_str(&algorithm.to_ascii_lowercase()) else { return Vec::new() };
    let mut c = alg.into_impl();
    for p in parts {
        c.update(p);
    }
    c.finalize().to_vec()
}

pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Checks a client's claimed checksum against the body; S3 answers `BadDigest` on a mismatch and
/// `InvalidRequest` on a value that is not base64 of the right length.
pub fn verify(algorithm: &str, claimed: &str, body: &[u8]) -> Result<String, ApiError> {
    let computed = base64(&digest(algorithm, &[body]));
    let decoded = base64::engine::general_purpose::STANDARD.decode(claimed.trim()).ok();
    let expected_len = digest(algorithm, &[b""]).len();
    if decoded.is_none_or(|d| d.len() != expected_len) {
        return Err(errors::invalid_request(format!(
            "Value for x-amz-checksum-{} header is invalid.",
            algorithm.to_ascii_lowercase()
        )));
    }
    if computed != claimed.trim() {
        return Err(errors::bad_digest(algorithm));
    }
    Ok(computed)
}

/// `"<hex md5>"`.
pub fn etag(body: &[u8]) -> String {
    format!("\"{}\"", hex::encode(Md5::digest(body)))
}

/// A multipart object's ETag: the MD5 of the parts' binary MD5s, then `-<number of parts>`.
pub fn multipart_etag(part_etags: &[String]) -> String {
    let mut md5 = Md5::new();
    for e in part_etags {
        if let Ok(raw) = hex::decode(e.trim_matches('"')) {
            md5.update(raw);
        }
    }
    format!("\"{}-{}\"", hex::encode(md5.finalize()), part_etags.len())
}

/// Checks `Content-MD5` (base64 of the binary MD5) when a client sends one.
pub fn verify_content_md5(claimed: &str, body: &[u8]) -> Result<(), ApiError> {
    let decoded = base64::engine::general_purpose::STANDARD.decode(claimed.trim()).ok();
    match decoded {
        Some(d) if d.len() == 16 => {
            if d[..] == Md5::digest(body)[..] {
                Ok(())
            } else {
                Err(ApiError::bad_request("BadDigest", "The Content-MD5 you specified did not match what we received."))
            }
        }
        _ => Err(ApiError::bad_request("InvalidDigest", "The Content-MD5 you specified was invalid.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        // CRC32 of "hello world" is 0x0d4a1185.
        assert_eq!(base64(&digest("CRC32", &[b"hello ", b"world"])), base64(&0x0d4a1185u32.to_be_bytes()));
        assert_eq!(digest("SHA256", &[b""]).len(), 32);
        assert_eq!(digest("CRC64NVME", &[b"x"]).len(), 8);
        let crc = base64(&digest("CRC32C", &[b"abc"]));
        assert_eq!(verify("CRC32C", &crc, b"abc").unwrap(), crc);
        assert_eq!(verify("CRC32C", &crc, b"abd").unwrap_err().code, "BadDigest");
        assert_eq!(verify("CRC32C", "nope", b"abc").unwrap_err().code, "InvalidRequest");
    }

    #[test]
    fn etags_are_computed_as_s3_does() {
        assert_eq!(etag(b""), "\"d41d8cd98f00b204e9800998ecf8427e\"");
        // Two parts: MD5 of the concatenated binary MD5s, then "-2".
        let parts = [etag(b"a"), etag(b"b")];
        let mut joined = Vec::new();
        for p in &parts {
            joined.extend(hex::decode(p.trim_matches('"')).unwrap());
        }
        assert_eq!(multipart_etag(&parts), format!("\"{}-2\"", hex::encode(Md5::digest(&joined))));
    }
}
