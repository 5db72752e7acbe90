//! ListObjectsV2 (prefix, delimiter with CommonPrefixes, max-keys, continuation-token, start-after,
//! encoding-type=url) and the older ListObjects (marker) over the same walk.

use base64::Engine as _;

use super::errors;
use super::meta::ObjectMeta;
use super::reply::{self, Reply};
use super::request::S3Request;
use super::store::Store;
use crate::cloud::error::ApiError;
use crate::cloud::protocol::xml::XmlWriter;

const MAX_KEYS: usize = 1000;
/// Keys read from the metadata per scan while walking.
const BATCH: usize = 1000;

/// One page of a listing.
#[derive(Debug, Default)]
pub struct Page {
    pub contents: Vec<(String, ObjectMeta)>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
    /// The last key or common prefix returned, where the next page starts after.
    pub last: Option<String>,
}

/// Walks `bucket` from after `start` (a key or a common prefix returned earlier), rolling keys
/// that contain `delimiter` after `prefix` into common prefixes, until `max` entries.
pub fn walk(
    store: &Store,
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    start: Option<&str>,
    max: usize,
) -> Result<Page, ApiError> {
    let mut page = Page::default();
    let mut after: Option<String> = start.map(str::to_string);
    let rolled = |key: &str| -> Option<String> {
        if delimiter.is_empty() {
            return None;
        }
        let rest = key.strip_prefix(prefix)?;
        rest.find(delimiter).map(|i| format!("{prefix}{}", &rest[..i + delimiter.len()]))
    };
    // A page that ended on a common prefix resumes past every key below it.
    let mut skip_under: Option<String> = start.filter(|s| rolled(s).as_deref() == Some(*s)).map(str::to_string);
    loop {
        let rows = store.list(bucket, prefix, after.as_deref(), BATCH)?;
        let exhausted = rows.len() < BATCH;
        for (key, object) in rows {
            after = Some(key.clone());
            if skip_under.as_deref().is_some_and(|p| key.starts_with(p)) {
                continue;
            }
            if page.contents.len() + page.common_prefixes.len() >= max {
                page.truncated = true;
                return Ok(page);
            }
            match rolled(&key) {
                Some(cp) => {
                    page.last = Some(cp.clone());
                    skip_under = Some(cp.clone());
                    page.common_prefixes.push(cp);
                }
                None => {
                    page.last = Some(key.clone());
                    page.contents.push((key, object));
                }
            }
        }
        if exhausted {
            return Ok(page);
        }
    }
}

/// S3's `encoding-type=url`: everything but unreserved characters and `/` percent-encoded.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn max_keys(req: &S3Request) -> Result<usize, ApiError> {
    match req.param("max-keys") {
        None => Ok(MAX_KEYS),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| (n as usize).min(MAX_KEYS))
            .ok_or_else(|| errors::invalid_argument("Provided max-keys not an integer or within integer range")),
    }
}

fn contents(w: &mut XmlWriter, page: &Page, enc: &dyn Fn(&str) -> String) {
    for (key, o) in &page.contents {
        w.nest("Contents", |w| {
            w.elem("Key", enc(key)).elem("LastModified", reply::iso(o.last_modified_ms)).elem("ETag", &o.etag);
            if let Some((alg, _)) = &o.checksum {
                w.elem("ChecksumAlgorithm", alg);
                w.opt("ChecksumType", o.checksum_type.as_ref());
            }
            w.elem("Size", o.size).elem("StorageClass", "STANDARD");
        });
    }
    for cp in &page.common_prefixes {
        w.nest("CommonPrefixes", |w| {
            w.elem("Prefix", enc(cp));
        });
    }
}

pub fn list_v2(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = req.bucket()?;
    store.bucket(bucket)?;
    let prefix = req.param("prefix").unwrap_or("");
    let delimiter = req.param("delimiter").unwrap_or("");
    let max = max_keys(req)?;
    let token = req.param("continuation-token");
    let from_token = match token {
        Some(t) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| errors::invalid_argument("The continuation token provided is incorrect"))?,
        ),
        None => None,
    };
    let start_after = req.param("start-after");
    let start = from_token.as_deref().or(start_after);
    let page = walk(store, bucket, prefix, delimiter, start, max)?;
    let url = req.param("encoding-type") == Some("url");
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    Ok(reply::xml("ListBucketResult", |w| {
        w.elem("Name", bucket).elem("Prefix", enc(prefix));
        if !delimiter.is_empty() {
            w.elem("Delimiter", enc(delimiter));
        }
        w.elem("MaxKeys", max);
        if url {
            w.elem("EncodingType", "url");
        }
        w.elem("KeyCount", page.contents.len() + page.common_prefixes.len()).elem("IsTruncated", page.truncated);
        w.opt("ContinuationToken", token);
        if page.truncated
            && let Some(last) = &page.last
        {
            w.elem("NextContinuationToken", base64::engine::general_purpose::STANDARD.encode(last));
        }
        w.opt("StartAfter", start_after.map(enc));
        contents(w, &page, &enc);
    }))
}

pub fn list_v1(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = req.bucket()?;
    store.bucket(bucket)?;
    let prefix = req.param("prefix").unwrap_or("");
    let delimiter = req.param("delimiter").unwrap_or("");
    let marker = req.param("marker").filter(|m| !m.is_empty());
    let max = max_keys(req)?;
    let page = walk(store, bucket, prefix, delimiter, marker, max)?;
    let url = req.param("encoding-type") == Some("url");
    let enc = |s: &str| if url { url_encode(s) } else { s.to_string() };
    Ok(reply::xml("ListBucketResult", |w| {
        w.elem("Name", bucket).elem("Prefix", enc(prefix)).elem("Marker", enc(marker.unwrap_or("")));
        if !delimiter.is_empty() {
            w.elem("Delimiter", enc(delimiter));
        }
        w.elem("MaxKeys", max);
        if url {
            w.elem("EncodingType", "url");
        }
        w.elem("IsTruncated", page.truncated);
        if page.truncated && !delimiter.is_empty() {
            w.opt("NextMarker", page.last.as_deref().map(enc));
        }
        contents(w, &page, &enc);
    }))
}
