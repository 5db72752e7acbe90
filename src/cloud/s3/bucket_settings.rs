//! Bucket tagging (Get/Put/DeleteBucketTagging) and GetBucketVersioning, over what CreateBucket and
//! the `AWS::S3::Bucket` provider store.

use http::StatusCode;

use super::errors;
use super::reply::{self, Reply};
use super::request::S3Request;
use super::store::Store;
use super::xml_in;
use crate::cloud::error::ApiError;

const MAX_TAGS: usize = 50;

fn invalid_tag(message: &str) -> ApiError {
    ApiError::bad_request("InvalidTag", message.to_string())
}

/// S3's tag rules: at most 50, keys 1–128 and values up to 256 characters, keys unique, and no
/// `aws:` keys from a requester.
pub fn check_tags(tags: &[(String, String)]) -> Result<(), ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag("Object tags cannot be greater than 50"));
    }
    for (i, (k, v)) in tags.iter().enumerate() {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if v.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
        if k.starts_with("aws:") {
            return Err(invalid_tag("System tags cannot be added/updated by requester"));
        }
        if tags[..i].iter().any(|(other, _)| other == k) {
            return Err(invalid_tag("Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(())
}

pub fn put_tagging(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let payload = req.payload()?;
    let doc = xml_in::parse(&payload.data)?;
    let set = doc.child("TagSet").filter(|_| doc.name == "Tagging").ok_or_else(errors::malformed_xml)?;
    let tags: Vec<(String, String)> = set
        .all("Tag")
        .map(|t| (t.text_of("Key").unwrap_or("").to_string(), t.text_of("Value").unwrap_or("").to_string()))
        .collect();
    check_tags(&tags)?;
    store.update_bucket(req.bucket()?, |b| {
        b.tags = tags;
        Ok(())
    })?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

pub fn get_tagging(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = store.bucket(req.bucket()?)?;
    if bucket.tags.is_empty() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "NoSuchTagSet", "The TagSet does not exist"));
    }
    Ok(reply::xml("Tagging", |w| {
        w.nest("TagSet", |w| {
            for (k, v) in &bucket.tags {
                w.nest("Tag", |w| {
                    w.elem("Key", k).elem("Value", v);
                });
            }
        });
    }))
}

pub fn delete_tagging(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    store.update_bucket(req.bucket()?, |b| {
        b.tags.clear();
        Ok(())
    })?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

/// The versioning status a template set (the local S3 keeps one version of each object); a bucket
/// never configured answers an empty configuration, as S3 does.
pub fn get_versioning(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = store.bucket(req.bucket()?)?;
    let status = bucket
        .stored
        .get("VersioningConfiguration")
        .and_then(|v| v.get("Status"))
        .and_then(|s| s.as_str())
        .map(str::to_string);
    Ok(reply::xml("VersioningConfiguration", |w| {
        w.opt("Status", status.as_ref());
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn tags_follow_s3s_rules() {
        assert!(check_tags(&tags(&[("team", "data"), ("env", "")])).is_ok());
        for bad in [
            tags(&[("a", "1"), ("a", "2")]),
            tags(&[("aws:x", "1")]),
            tags(&[("", "1")]),
            vec![("k".repeat(129), String::new())],
            vec![("k".into(), "v".repeat(257))],
            (0..51).map(|i| (format!("k{i}"), String::new())).collect(),
        ] {
            assert_eq!(check_tags(&bad).unwrap_err().code, "InvalidTag", "{bad:?}");
        }
    }
}
