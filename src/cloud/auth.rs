//! SigV4 verification against the local credentials.
//!
//! The signature is recomputed with the `aws-sigv4` crate over exactly the headers the client says
//! it signed, at the client's own `X-Amz-Date`, and compared with the one it sent.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
    sign,
};
use aws_sigv4::sign::v4;
use http::{HeaderMap, Method, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::error::ApiError;

/// Requests signed further than this from real time are refused, as AWS does.
pub const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LocalCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for LocalCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCredentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

impl LocalCredentials {
    /// Fresh random credentials shaped like AWS's (20-character key id, 40-character secret), drawn
    /// from the OS's cryptographic RNG: the secret guards every record of the data dir.
    pub fn generate() -> Self {
        Self::try_generate().expect("the OS random number generator is available")
    }

    /// As [`generate`](Self::generate), saying why when the OS RNG cannot be read.
    pub fn try_generate() -> Result<Self, getrandom::Error> {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        // Both alphabets have a power-of-two size that divides 256, so `byte % len` is unbiased.
        let pick = |alphabet: &[u8], n: usize| -> Result<String, getrandom::Error> {
            let mut bytes = vec![0u8; n];
            getrandom::fill(&mut bytes)?;
            Ok(bytes.iter().map(|b| alphabet[*b as usize % alphabet.len()] as char).collect())
        };
        Ok(LocalCredentials {
            access_key_id: format!("AKLC{}", pick(UPPER, 16)?),
            secret_access_key: pick(SECRET, 40)?,
        })
    }
}

/// Compares two secrets (signatures, bearer tokens) in time independent of where they differ.
pub fn secrets_equal(given: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    pub fn from_headers(headers: &HeaderMap) -> Option<Result<Self, ApiError>> {
        let value = headers.get(http::header::AUTHORIZATION)?;
        Some(value.to_str().ok().and_then(Self::parse).ok_or_else(|| {
            ApiError::bad_request(
                "IncompleteSignatureException",
                "Authorization header is not a valid AWS4-HMAC-SHA256 signature",
            )
        }))
    }

    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=')?;
            match k {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed = Some(v),
                "Signature" => signature = Some(v),
                _ => {}
            }
        }
        let mut scope = credential?.split('/');
        let access_key_id = scope.next()?.to_string();
        let date = scope.next()?.to_string();
        let region = scope.next()?.to_string();
        let service = scope.next()?.to_string();
        if scope.next()? != "aws4_request" {
            return None;
        }
        Some(Authorization {
            access_key_id,
            date,
            region,
            service,
            signed_headers: signed?.split(';').map(str::to_ascii_lowercase).collect(),
            signature: signature?.to_string(),
        })
    }
}

fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let dt = PrimitiveDateTime::parse(value, format).ok()?;
    Some(dt.assume_utc().into())
}

/// Checks a request's signature. `now` is real time: signing skew is about the client's clock.
pub fn verify(
    creds: &LocalCredentials,
    auth: &Authorization,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), ApiError> {
    let forbidden = |code: &'static str, message: String| ApiError::new(StatusCode::FORBIDDEN, code, message);
    if auth.access_key_id != creds.access_key_id {
        return Err(forbidden(
            "UnrecognizedClientException",
            format!("The security token included in the request is invalid: unknown access key {}", auth.access_key_id),
        ));
    }
    let date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).and_then(parse_amz_date).ok_or_else(|| {
        ApiError::bad_request("IncompleteSignatureException", "Request must contain a valid X-Amz-Date header")
    })?;
    let skew = now.duration_since(date).or_else(|e| Ok::<_, ()>(e.duration())).unwrap_or_default();
    if skew > MAX_SKEW {
        return Err(forbidden(
            "InvalidSignatureException",
            "Signature expired: the request's X-Amz-Date is more than 15 minutes from the server's time".into(),
        ));
    }

    let mut signed = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        if name == "authorization" {
            continue;
        }
        let values: Vec<&str> = headers.get_all(name.as_str()).iter().filter_map(|v| v.to_str().ok()).collect();
        if values.is_empty() && name != "host" {
            return Err(forbidden(
                "InvalidSignatureException",
                format!("Signed header {name} is missing from the request"),
            ));
        }
        signed.push((name.as_str(), values.join(",")));
    }
    let is_s3 = auth.service == "s3";
    let content_sha = headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok());
    if let Some(hash) = content_sha {
        let literal = hash == "UNSIGNED-PAYLOAD" || hash.starts_with("STREAMING-");
        // Only S3 lets a client leave its payload out of the signature; everywhere else the
        // signature must cover the body, or a captured signature would carry any payload.
        if literal && !is_s3 {
            return Err(forbidden(
                "InvalidSignatureException",
                format!(
                    "x-amz-content-sha256: {hash} is accepted by S3 only; service {} needs the payload's SHA-256",
                    auth.service
                ),
            ));
        }
        if !literal && !hash.eq_ignore_ascii_case(&hex::encode(Sha256::digest(body))) {
            return Err(forbidden(
                "XAmzContentSHA256Mismatch",
                "The provided x-amz-content-sha256 header does not match what was computed".into(),
            ));
        }
    }
    let body = match content_sha {
        Some(hash) => SignableBody::Precomputed(hash.to_string()),
        None => SignableBody::Bytes(body),
    };

    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(Vec::<Cow<'static, str>>::new());
    settings.payload_checksum_kind =
        if content_sha.is_some() { PayloadChecksumKind::XAmzSha256 } else { PayloadChecksumKind::NoHeader };
    if is_s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let session_token = headers.get("x-amz-security-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let identity =
        Credentials::new(&creds.access_key_id, &creds.secret_access_key, session_token, None, "local").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&auth.region)
        .name(&auth.service)
        .time(date)
        .settings(settings)
        .build()
        .map_err(|e| ApiError::internal(format!("signing parameters: {e}")))?
        .into();
    let uri = uri.to_string();
    let signable = SignableRequest::new(method.as_str(), &uri, signed.iter().map(|(k, v)| (*k, v.as_str())), body)
        .map_err(|e| forbidden("InvalidSignatureException", format!("request cannot be signed: {e}")))?;
    let (_, expected) = sign(signable, &params)
        .map_err(|e| forbidden("InvalidSignatureException", format!("request cannot be signed: {e}")))?
        .into_parts();
    if !secrets_equal(&auth.signature, &expected) {
        return Err(forbidden(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.".into(),
        ));
    }
    Ok(())
}

/// awsQuery services name the same signature failures differently.
pub fn query_error_code(json_code: &str) -> String {
    match json_code {
        "InvalidSignatureException" => "SignatureDoesNotMatch",
        "UnrecognizedClientException" => "InvalidClientTokenId",
        "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
        "IncompleteSignatureException" => "IncompleteSignature",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_are_random_and_shaped_like_aws() {
        let a = LocalCredentials::generate();
        let b = LocalCredentials::generate();
        assert_ne!(a.access_key_id, b.access_key_id);
        assert_ne!(a.secret_access_key, b.secret_access_key);
        for c in [&a, &b] {
            let id = c.access_key_id.strip_prefix("AKLC").expect("AKLC prefix");
            assert_eq!(id.len(), 16);
            assert!(id.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{id}");
            assert_eq!(c.secret_access_key.len(), 40);
            assert!(c.secret_access_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'));
        }
        // 40 draws from 64 symbols: a generator stuck on a few values would show as repeats.
        let distinct: std::collections::HashSet<char> = a.secret_access_key.chars().collect();
        assert!(distinct.len() > 15, "{distinct:?}");
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(secrets_equal("Bearer abc", "Bearer abc"));
        assert!(!secrets_equal("Bearer abd", "Bearer abc"));
        assert!(!secrets_equal("Bearer ab", "Bearer abc"));
        assert!(!secrets_equal("", "Bearer abc"));
    }
}
