//! Object operations: PutObject (conditional with If-None-Match/If-Match), GetObject (Range,
//! If-Match, If-None-Match, checksum mode), HeadObject, DeleteObject, DeleteObjects, CopyObject.

use http::StatusCode;

use super::errors;
use super::meta::ObjectMeta;
use super::reply::{self, Reply};
use super::request::{S3Request, percent_decode};
use super::store::{NewObject, Store};
use super::{checksum, xml_in};
use crate::cloud::error::ApiError;

/// DeleteObjects takes at most this many keys per request.
const MAX_DELETE_KEYS: usize = 1000;

/// The headers every GET/HEAD of an object carries; the checksum only when asked for and the whole
/// object is returned.
fn object_headers(r: &mut Reply, o: &ObjectMeta, with_checksum: bool) {
    reply::set(r, "etag", &o.etag);
    reply::set(r, "last-modified", &reply::http_date(o.last_modified_ms));
    reply::set(r, "content-type", &o.content_type);
    reply::set(r, "accept-ranges", "bytes");
    reply::set(r, "x-amz-server-side-encryption", "AES256");
    for (k, v) in &o.user_meta {
        reply::set(r, &format!("x-amz-meta-{k}"), v);
    }
    if let Some(parts) = o.parts {
        reply::set(r, "x-amz-mp-parts-count", &parts.to_string());
    }
    if with_checksum && let Some((alg, value)) = &o.checksum {
        reply::set(r, &checksum::header_name(alg), value);
        if let Some(t) = &o.checksum_type {
            reply::set(r, "x-amz-checksum-type", t);
        }
    }
}

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|t| t == "*" || t.trim_matches('"') == etag.trim_matches('"'))
}

/// `Some(status)` when a condition stops the request: If-Match failing is 412, If-None-Match
/// matching is 304 on a read.
fn read_conditions(req: &S3Request, o: &ObjectMeta) -> Result<Option<StatusCode>, ApiError> {
    if let Some(m) = req.header("if-match")
        && !etag_matches(m, &o.etag)
    {
        return Err(errors::precondition_failed());
    }
    if let Some(m) = req.header("if-none-match")
        && etag_matches(m, &o.etag)
    {
        return Ok(Some(StatusCode::NOT_MODIFIED));
    }
    Ok(None)
}

/// A single `bytes=` range over `size` bytes as (first, last) inclusive; `Ok(None)` for a header S3
/// ignores (not a single byte range); `InvalidRange` when it starts past the end.
pub fn parse_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else { return Ok(None) };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else { return Ok(None) };
        if n == 0 || size == 0 {
            return Err(errors::invalid_range());
        }
        return Ok(Some((size.saturating_sub(n), size - 1)));
    }
    let Ok(first) = a.parse::<u64>() else { return Ok(None) };
    let last = if b.is_empty() {
        u64::MAX
    } else {
        match b.parse::<u64>() {
            Ok(l) if l >= first => l,
            _ => return Ok(None),
        }
    };
    if first >= size {
        return Err(errors::invalid_range());
    }
    Ok(Some((first, last.min(size - 1))))
}

pub fn put(store: &Store, req: &S3Request, now_ms: u64) -> Result<Reply, ApiError> {
    let (bucket, key) = (req.bucket()?, req.key()?);
    let payload = req.payload()?;
    let existing = match store.object(bucket, key) {
        Ok(o) => Some(o),
        Err(e) if e.code == "NoSuchKey" => None,
        Err(e) => return Err(e),
    };
    if req.header("if-none-match").is_some_and(|m| m.trim() == "*") && existing.is_some() {
        return Err(errors::precondition_failed());
    }
    if let Some(m) = req.header("if-match") {
        match &existing {
            None => return Err(errors::no_such_key()),
            Some(o) if !etag_matches(m, &o.etag) => return Err(errors::precondition_failed()),
            Some(_) => {}
        }
    }
    let new = NewObject {
        content_type: req.header("content-type").map(str::to_string),
        user_meta: req.user_meta(),
        checksum: payload.checksum,
    };
    let stored = store.put_object(bucket, key, &payload.data, new, now_ms)?;
    let mut r = reply::empty(StatusCode::OK);
    reply::set(&mut r, "etag", &stored.etag);
    reply::set(&mut r, "x-amz-server-side-encryption", "AES256");
    if let Some((alg, value)) = &stored.checksum {
        reply::set(&mut r, &checksum::header_name(alg), value);
        reply::set(&mut r, "x-amz-checksum-type", "FULL_OBJECT");
    }
    Ok(r)
}

pub fn get(store: &Store, req: &S3Request, head: bool) -> Result<Reply, ApiError> {
    let (bucket, key) = (req.bucket()?, req.key()?);
    let o = store.object(bucket, key)?;
    if let Some(status) = read_conditions(req, &o)? {
        let mut r = reply::empty(status);
        reply::set(&mut r, "etag", &o.etag);
        return Ok(r);
    }
    let range = match req.header("range") {
        Some(h) => parse_range(h, o.size)?,
        None => None,
    };
    let with_checksum =
        req.header("x-amz-checksum-mode").is_some_and(|m| m.eq_ignore_ascii_case("ENABLED")) && range.is_none();
    let (status, first, len) = match range {
        Some((a, b)) => (StatusCode::PARTIAL_CONTENT, a, b - a + 1),
        None => (StatusCode::OK, 0, o.size),
    };
    let mut r = if head {
        let mut r = reply::empty(status);
        reply::set(&mut r, "content-length", &len.to_string());
        r
    } else {
        reply::bytes(status, store.read(bucket, key, &o, first, len)?)
    };
    object_headers(&mut r, &o, with_checksum);
    if range.is_some() {
        reply::set(&mut r, "content-range", &format!("bytes {first}-{}/{}", first + len - 1, o.size));
    }
    Ok(r)
}

pub fn delete(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    store.delete_object(req.bucket()?, req.key()?)?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

pub fn delete_many(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = req.bucket()?;
    let payload = req.payload()?;
    let doc = xml_in::parse(&payload.data)?;
    if doc.name != "Delete" {
        return Err(errors::malformed_xml());
    }
    let keys: Vec<&str> = doc.all("Object").map(|o| o.text_of("Key").unwrap_or("")).collect();
    if keys.is_empty() || keys.len() > MAX_DELETE_KEYS {
        return Err(errors::malformed_xml());
    }
    store.bucket(bucket)?;
    let quiet = doc.text_of("Quiet") == Some("true");
    let results: Vec<(&str, Result<(), ApiError>)> =
        keys.iter().map(|k| (*k, store.delete_object(bucket, k))).collect();
    Ok(reply::xml("DeleteResult", |w| {
        for (key, result) in &results {
            match result {
                Ok(()) if quiet => {}
                Ok(()) => {
                    w.nest("Deleted", |w| {
                        w.elem("Key", key);
                    });
                }
                Err(e) => {
                    w.nest("Error", |w| {
                        w.elem("Key", key).elem("Code", &e.code).elem("Message", &e.message);
                    });
                }
            }
        }
    }))
}

/// `x-amz-copy-source: /bucket/key` (or without the leading slash), URL-encoded.
fn copy_source(header: &str) -> Result<(String, String), ApiError> {
    let source = header.split_once("?versionId=").map_or(header, |(s, _)| s);
    let decoded = percent_decode(source)?;
    let trimmed = decoded.strip_prefix('/').unwrap_or(&decoded);
    match trimmed.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_string(), k.to_string())),
        _ => Err(errors::invalid_argument("Invalid copy source object key")),
    }
}

pub fn copy(store: &Store, req: &S3Request, now_ms: u64) -> Result<Reply, ApiError> {
    let (bucket, key) = (req.bucket()?, req.key()?);
    let (src_bucket, src_key) = copy_source(req.header("x-amz-copy-source").unwrap_or(""))?;
    let source = store.object(&src_bucket, &src_key)?;
    if let Some(m) = req.header("x-amz-copy-source-if-match")
        && !etag_matches(m, &source.etag)
    {
        return Err(errors::precondition_failed());
    }
    if let Some(m) = req.header("x-amz-copy-source-if-none-match")
        && etag_matches(m, &source.etag)
    {
        return Err(errors::precondition_failed());
    }
    let replace = req.header("x-amz-metadata-directive").is_some_and(|d| d.eq_ignore_ascii_case("REPLACE"));
    if (src_bucket.as_str(), src_key.as_str()) == (bucket, key) && !replace {
        return Err(errors::invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    let data = store.read(&src_bucket, &src_key, &source, 0, source.size)?;
    let checksum_alg = req.header("x-amz-checksum-algorithm").map(checksum::normalize).transpose()?;
    let checksum = match (checksum_alg, &source.checksum) {
        (Some(alg), _) => Some((alg.clone(), checksum::base64(&checksum::digest(&alg, &[&data])))),
        (None, Some((alg, _))) => Some((alg.clone(), checksum::base64(&checksum::digest(alg, &[&data])))),
        (None, None) => None,
    };
    let new = if replace {
        NewObject { content_type: req.header("content-type").map(str::to_string), user_meta: req.user_meta(), checksum }
    } else {
        NewObject { content_type: Some(source.content_type.clone()), user_meta: source.user_meta.clone(), checksum }
    };
    let stored = store.put_object(bucket, key, &data, new, now_ms)?;
    Ok(reply::xml("CopyObjectResult", |w| {
        w.elem("LastModified", reply::iso(stored.last_modified_ms)).elem("ETag", &stored.etag);
        if let Some((alg, value)) = &stored.checksum {
            w.elem(&format!("Checksum{alg}"), value);
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_s3_reads_them() {
        assert_eq!(parse_range("bytes=0-4", 10).unwrap(), Some((0, 4)));
        assert_eq!(parse_range("bytes=5-", 10).unwrap(), Some((5, 9)));
        assert_eq!(parse_range("bytes=-3", 10).unwrap(), Some((7, 9)));
        assert_eq!(parse_range("bytes=-30", 10).unwrap(), Some((0, 9)));
        assert_eq!(parse_range("bytes=8-100", 10).unwrap(), Some((8, 9)));
        assert_eq!(parse_range("bytes=10-12", 10).unwrap_err().code, "InvalidRange");
        assert_eq!(parse_range("bytes=0-0", 0).unwrap_err().code, "InvalidRange");
        assert_eq!(parse_range("bytes=-0", 10).unwrap_err().code, "InvalidRange");
        // Not a single byte range: S3 returns the whole object.
        assert_eq!(parse_range("bytes=0-1,3-4", 10).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 10).unwrap(), None);
        assert_eq!(parse_range("bytes=5-2", 10).unwrap(), None);
    }

    #[test]
    fn copy_sources_are_decoded() {
        assert_eq!(copy_source("/b/a%20b/c").unwrap(), ("b".into(), "a b/c".into()));
        assert_eq!(copy_source("b/k?versionId=x").unwrap(), ("b".into(), "k".into()));
        assert_eq!(copy_source("b").unwrap_err().code, "InvalidArgument");
    }
}
