//! An S3 request as the operations see it: the bucket and key from virtual-host or path-style
//! addressing, the query's sub-resources, and the payload decoded (aws-chunked) and verified
//! (checksums, Content-MD5).

use bytes::Bytes;
use http::{HeaderMap, Method};

use super::{checksum, chunked, errors};
use crate::cloud::error::ApiError;
use crate::cloud::service::RestRequest;

/// The largest PutObject or UploadPart body; larger objects go through multipart upload.
pub const MAX_PUT_BYTES: usize = 64 * 1024 * 1024;

pub struct S3Request {
    pub method: Method,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub region: String,
}

/// A body as stored: the bytes and the checksum the client sent (or asked for), verified.
pub struct Payload {
    pub data: Vec<u8>,
    pub checksum: Option<(String, String)>,
}

/// `%XX` decoded; `+` stays `+` (it is a plus in a path).
pub fn percent_decode(s: &str) -> Result<String, ApiError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            let b = hex.ok_or_else(|| errors::invalid_argument("Invalid percent-encoding in the request URI"))?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| errors::invalid_argument("The request URI is not valid UTF-8"))
}

/// The bucket a `Host: <bucket>.localhost[:port]` names (virtual-host addressing).
fn host_bucket(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?;
    let name =
        host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    let bucket = name.strip_suffix(".localhost")?;
    let bucket = bucket.strip_suffix(".s3").unwrap_or(bucket);
    (!bucket.is_empty()).then(|| bucket.to_string())
}

impl S3Request {
    pub fn parse(req: RestRequest, region: String) -> Result<Self, ApiError> {
        let RestRequest { method, uri, headers, body } = req;
        let path = uri.path();
        let (bucket, key) = match host_bucket(&headers) {
            Some(bucket) => (Some(bucket), path.strip_prefix('/').unwrap_or(path).to_string()),
            None => {
                let rest = path.strip_prefix('/').unwrap_or(path);
                match rest.split_once('/') {
                    Some((b, k)) => (Some(percent_decode(b)?), k.to_string()),
                    None if rest.is_empty() => (None, String::new()),
                    None => (Some(percent_decode(rest)?), String::new()),
                }
            }
        };
        let key = percent_decode(&key)?;
        let query = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(S3Request { method, bucket, key: (!key.is_empty()).then_some(key), query, headers, body, region })
    }

    pub fn has(&self, name: &str) -> bool {
        self.query.iter().any(|(k, _)| k == name)
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `/<bucket>/<key>`, as S3 names the resource in its errors.
    pub fn resource(&self) -> String {
        match (&self.bucket, &self.key) {
            (Some(b), Some(k)) => format!("/{b}/{k}"),
            (Some(b), None) => format!("/{b}"),
            _ => "/".to_string(),
        }
    }

    pub fn bucket(&self) -> Result<&str, ApiError> {
        self.bucket.as_deref().ok_or_else(errors::method_not_allowed)
    }

    pub fn key(&self) -> Result<&str, ApiError> {
        self.key.as_deref().ok_or_else(errors::method_not_allowed)
    }

    /// `x-amz-meta-*` headers, names lower-cased without the prefix.
    pub fn user_meta(&self) -> Vec<(String, String)> {
        let mut meta: Vec<(String, String)> = self
            .headers
            .iter()
            .filter_map(|(k, v)| {
                let name = k.as_str().strip_prefix("x-amz-meta-")?;
                Some((name.to_string(), v.to_str().ok()?.to_string()))
            })
            .collect();
        meta.sort();
        meta
    }

    /// The body, decoded and checked: aws-chunked framing undone, `EntityTooLarge` beyond
    /// [`MAX_PUT_BYTES`], the checksum from a header or trailer verified (or computed when the
    /// client only named the algorithm), Content-MD5 verified.
    pub fn payload(&self) -> Result<Payload, ApiError> {
        let sha = self.header("x-amz-content-sha256").unwrap_or("");
        let chunked = sha.starts_with("STREAMING-")
            || self.header("content-encoding").is_some_and(|e| e.split(',').any(|p| p.trim() == "aws-chunked"));
        let (data, trailers) = if chunked {
            let expected = self.header("x-amz-decoded-content-length").and_then(|v| v.parse::<u64>().ok());
            if expected.is_some_and(|n| n > MAX_PUT_BYTES as u64) {
                return Err(errors::entity_too_large());
            }
            let decoded = chunked::decode(&self.body, expected)?;
            (decoded.data, decoded.trailers)
        } else {
            (self.body.to_vec(), Vec::new())
        };
        if data.len() > MAX_PUT_BYTES {
            return Err(errors::entity_too_large());
        }
        if let Some(md5) = self.header("content-md5") {
            checksum::verify_content_md5(md5, &data)?;
        }
        let mut checksum = None;
        for alg in checksum::ALGORITHMS {
            let name = checksum::header_name(alg);
            let claimed = self
                .header(&name)
                .map(str::to_string)
                .or_else(|| trailers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone()));
            if let Some(claimed) = claimed {
                checksum = Some((alg.to_string(), checksum::verify(alg, &claimed, &data)?));
                break;
            }
        }
        if checksum.is_none()
            && let Some(alg) =
                self.header("x-amz-sdk-checksum-algorithm").or_else(|| self.header("x-amz-checksum-algorithm"))
        {
            let alg = checksum::normalize(alg)?;
            checksum = Some((alg.clone(), checksum::base64(&checksum::digest(&alg, &[&data]))));
        }
        Ok(Payload { data, checksum })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(host: &str, path: &str) -> S3Request {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::HOST, host.parse().unwrap());
        let req = RestRequest { method: Method::GET, uri: path.parse().unwrap(), headers, body: Bytes::new() };
        S3Request::parse(req, "us-east-1".into()).unwrap()
    }

    #[test]
    fn path_style_and_virtual_host_name_the_same_object() {
        let p = request("127.0.0.1:4599", "/logs/a/b%20c.txt?list-type=2&prefix=x%2By");
        let v = request("logs.localhost:4599", "/a/b%20c.txt");
        assert_eq!((p.bucket.as_deref(), p.key.as_deref()), (Some("logs"), Some("a/b c.txt")));
        assert_eq!((v.bucket.as_deref(), v.key.as_deref()), (Some("logs"), Some("a/b c.txt")));
        assert_eq!(p.param("prefix"), Some("x+y"));
        let root = request("localhost:4599", "/");
        assert_eq!((root.bucket, root.key), (None, None));
        let bucket_only = request("localhost", "/logs");
        assert_eq!(bucket_only.bucket.as_deref(), Some("logs"));
    }
}
