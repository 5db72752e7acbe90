//! The one mapping between an API Gateway stage's AWS URL and where the local cloud serves it.
//!
//! Templates output AWS's form, `https://{api}.execute-api.{region}.amazonaws.com/{stage}/…`; the local
//! cloud serves the same API at `{endpoint}/_aws/execute-api/{api}/{stage}/…`. The producer, the Flink
//! jobs and the UI go through these two functions, so the forms never drift apart. A caller of such an
//! API (the producer's REST sink, pattern 4's Flink job) signs its request with [`signed`], the one
//! SigV4 `execute-api` signer of the crate.

use std::time::SystemTime;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::Full;

/// The path prefix under which the local cloud serves REST APIs.
pub const LOCAL_PREFIX: &str = "/_aws/execute-api/";

/// The local URL of an AWS execute-api URL: `https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/x`
/// at `http://127.0.0.1:4599` is `http://127.0.0.1:4599/_aws/execute-api/a1b2c3d4e5/prod/x`. The stage,
/// the path after it, a trailing slash and a query string are kept as they are. `None` for a URL that is
/// not an execute-api URL with a stage.
pub fn local_url(aws_url: &str, endpoint: &str) -> Option<String> {
    let rest = aws_url.strip_prefix("https://").or_else(|| aws_url.strip_prefix("http://"))?;
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (api, domain) = host.split_once(".execute-api.")?;
    let region = domain.strip_suffix(".amazonaws.com").or_else(|| domain.strip_suffix(".amazonaws.com.cn"))?;
    if !is_label(api) || !is_label(region) {
        return None;
    }
    let stage_and_path = path.strip_prefix('/')?;
    let stage = stage_and_path.split(['/', '?']).next().unwrap_or_default();
    if stage.is_empty() {
        return None;
    }
    Some(format!("{}{LOCAL_PREFIX}{api}/{stage_and_path}", endpoint.trim_end_matches('/')))
}

/// The AWS execute-api URL of a local one, in `region`: the reverse of [`local_url`]. `None` when the
/// URL is not under `endpoint`'s execute-api prefix or names no stage.
pub fn aws_url(local_url: &str, endpoint: &str, region: &str) -> Option<String> {
    let rest = local_url.strip_prefix(endpoint.trim_end_matches('/'))?.strip_prefix(LOCAL_PREFIX)?;
    let (api, stage_and_path) = rest.split_once('/')?;
    let stage = stage_and_path.split(['/', '?']).next().unwrap_or_default();
    if !is_label(api) || stage.is_empty() {
        return None;
    }
    let suffix = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    Some(format!("https://{api}.execute-api.{region}.{suffix}/{stage_and_path}"))
}

fn is_label(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A `method` request of `body` to `url` with `headers` (besides `host`), SigV4-signed for
/// `execute-api` in `region` when there are credentials (the method's `AWS_IAM` authorization). The
/// signature covers every header given, so an `x-api-key` travels signed. Signing uses the wall clock:
/// AWS checks a signature's time against real time.
pub async fn signed(
    method: &str,
    url: &str,
    region: &str,
    credentials: Option<&SharedCredentialsProvider>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<http::Request<Full<Bytes>>, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{url} is not a URL: {e}"))?;
    let host = uri.authority().map(|a| a.to_string()).ok_or_else(|| format!("{url} names no host"))?;
    let mut all: Vec<(String, String)> = vec![("host".into(), host)];
    all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    if let Some(provider) = credentials {
        let creds = provider.provide_credentials().await.map_err(|e| format!("credentials for signing: {e}"))?;
        let identity = creds.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| format!("signing parameters: {e}"))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            all.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| format!("signing the request: {e}"))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| format!("signing the request: {e}"))?.into_parts();
        all.extend(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())));
    }
    let method = http::Method::from_bytes(method.as_bytes()).map_err(|e| format!("{method} is not a method: {e}"))?;
    let mut request = http::Request::builder().method(method).uri(uri);
    for (k, v) in &all {
        request = request.header(k, v);
    }
    request.body(Full::new(Bytes::from(body))).map_err(|e| format!("building the request: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "http://127.0.0.1:4599";

    #[test]
    fn aws_urls_map_to_the_local_prefix_keeping_stage_path_and_query() {
        let cases = [
            ("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/", "/a1b2c3d4e5/prod/"),
            ("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod", "/a1b2c3d4e5/prod"),
            ("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/records", "/a1b2c3d4e5/prod/records"),
            (
                "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/predictFare?ride_request_id=7",
                "/a1b2c3d4e5/prod/predictFare?ride_request_id=7",
            ),
            ("https://x.execute-api.cn-north-1.amazonaws.com.cn/dev/a/b", "/x/dev/a/b"),
        ];
        for (aws, local) in cases {
            let expected = format!("{ENDPOINT}/_aws/execute-api{local}");
            assert_eq!(local_url(aws, ENDPOINT).as_deref(), Some(expected.as_str()), "{aws}");
            assert_eq!(local_url(aws, &format!("{ENDPOINT}/")).as_deref(), Some(expected.as_str()), "{aws}");
        }
    }

    #[test]
    fn other_urls_are_not_mapped() {
        for url in [
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "https://kinesis.us-east-1.amazonaws.com/prod/",
            "https://a1b2c3d4e5.execute-api.us-east-1.example.com/prod/",
            "ftp://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/",
            "https://a_b.execute-api.us-east-1.amazonaws.com/prod/",
            "",
        ] {
            assert_eq!(local_url(url, ENDPOINT), None, "{url}");
        }
        assert_eq!(aws_url("http://127.0.0.1:4599/_aws/execute-api/abc/", ENDPOINT, "us-east-1"), None);
        assert_eq!(aws_url("http://127.0.0.1:9999/_aws/execute-api/abc/prod/", ENDPOINT, "us-east-1"), None);
        assert_eq!(aws_url("http://127.0.0.1:4599/restapis", ENDPOINT, "us-east-1"), None);
    }

    #[test]
    fn the_two_directions_are_inverse() {
        for aws in [
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/",
            "https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com/prod/records",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/v1/predictFare?ride_request_id=1",
        ] {
            let local = local_url(aws, ENDPOINT).unwrap();
            let region = aws.split('.').nth(2).unwrap();
            assert_eq!(aws_url(&local, ENDPOINT, region).as_deref(), Some(aws));
        }
    }
}
