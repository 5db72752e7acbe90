//! Bucket operations: CreateBucket (with S3's LocationConstraint rules), HeadBucket, ListBuckets,
//! DeleteBucket, GetBucketLocation, and the bucket policy and default encryption configurations.

use http::StatusCode;

use super::errors;
use super::meta::{BucketMeta, Encryption};
use super::reply::{self, Reply};
use super::request::S3Request;
use super::store::Store;
use super::xml_in;
use crate::cloud::error::ApiError;

const US_EAST_1: &str = "us-east-1";

fn invalid_location() -> ApiError {
    ApiError::bad_request("InvalidLocationConstraint", "The specified location-constraint is not valid")
}

fn illegal_location(lc: Option<&str>) -> ApiError {
    let what = lc.map_or("unspecified".to_string(), |l| l.to_string());
    ApiError::bad_request(
        "IllegalLocationConstraintException",
        format!(
            "The {what} location constraint is incompatible for the region specific endpoint this request was sent to."
        ),
    )
}

/// The region a bucket is created in: us-east-1 takes no constraint (naming it is refused), any
/// other region must be named and match the endpoint's, except that us-east-1's endpoint may
/// create buckets anywhere; `EU` is eu-west-1.
pub fn resolve_region(request_region: &str, constraint: Option<&str>) -> Result<String, ApiError> {
    let constraint = constraint.map(str::trim).filter(|c| !c.is_empty());
    match constraint {
        None if request_region == US_EAST_1 => Ok(US_EAST_1.to_string()),
        None => Err(illegal_location(None)),
        Some(US_EAST_1) => Err(invalid_location()),
        Some(lc) => {
            let region = if lc == "EU" { "eu-west-1" } else { lc };
            let shaped = region.split('-').count() >= 3
                && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !shaped {
                return Err(invalid_location());
            }
            if request_region == US_EAST_1 || request_region == region {
                Ok(region.to_string())
            } else {
                Err(illegal_location(Some(lc)))
            }
        }
    }
}

/// Creates a bucket, answering for a name that exists as S3 does: us-east-1 re-creating its own
/// us-east-1 bucket succeeds, anything else is `BucketAlreadyOwnedByYou`.
pub fn create_bucket(
    store: &Store,
    name: &str,
    request_region: &str,
    constraint: Option<&str>,
    now_ms: u64,
) -> Result<BucketMeta, ApiError> {
    super::names::validate_bucket(name)?;
    let region = resolve_region(request_region, constraint)?;
    let bucket = BucketMeta { name: name.to_string(), region, created_ms: now_ms, ..Default::default() };
    if store.create_bucket(bucket.clone())? {
        return Ok(bucket);
    }
    let existing = store.bucket(name)?;
    if request_region == US_EAST_1 && existing.region == US_EAST_1 && bucket.region == US_EAST_1 {
        Ok(existing)
    } else {
        Err(errors::already_owned())
    }
}

pub fn create(store: &Store, req: &S3Request, now_ms: u64) -> Result<Reply, ApiError> {
    let name = req.bucket()?;
    super::names::validate_bucket(name)?;
    let constraint = if req.body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let doc = xml_in::parse(&req.body)?;
        if doc.name != "CreateBucketConfiguration" {
            return Err(errors::malformed_xml());
        }
        doc.text_of("LocationConstraint").map(str::to_string)
    };
    create_bucket(store, name, &req.region, constraint.as_deref(), now_ms)?;
    let mut r = reply::empty(StatusCode::OK);
    reply::set(&mut r, "location", &format!("/{name}"));
    Ok(r)
}

pub fn head(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = store.bucket(req.bucket()?)?;
    let mut r = reply::empty(StatusCode::OK);
    reply::set(&mut r, "x-amz-bucket-region", &bucket.region);
    Ok(r)
}

pub fn location(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = store.bucket(req.bucket()?)?;
    Ok(reply::xml("LocationConstraint", |w| {
        if bucket.region != US_EAST_1 {
            w.raw(&quick_xml::escape::escape(bucket.region.as_str()));
        }
    }))
}

pub fn list(store: &Store, account: &str) -> Result<Reply, ApiError> {
    let buckets = store.buckets()?;
    Ok(reply::xml("ListAllMyBucketsResult", |w| {
        w.nest("Owner", |w| {
            w.elem("ID", account).elem("DisplayName", "local");
        });
        w.nest("Buckets", |w| {
            for b in &buckets {
                w.nest("Bucket", |w| {
                    w.elem("Name", &b.name)
                        .elem("CreationDate", reply::iso(b.created_ms))
                        .elem("BucketRegion", &b.region);
                });
            }
        });
    }))
}

pub fn delete(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    store.delete_bucket(req.bucket()?)?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

/// A policy must be a JSON object; S3 checks more (principals, actions), the local S3 stores it.
pub fn check_policy(policy: &str) -> Result<(), ApiError> {
    match serde_json::from_str::<serde_json::Value>(policy) {
        Ok(v) if v.is_object() => Ok(()),
        _ => Err(errors::malformed_policy("Policies must be valid JSON and the first byte must be '{'")),
    }
}

pub fn put_policy(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let payload = req.payload()?;
    let policy = String::from_utf8(payload.data)
        .map_err(|_| errors::malformed_policy("Policies must be valid JSON and the first byte must be '{'"))?;
    check_policy(&policy)?;
    store.update_bucket(req.bucket()?, |b| {
        b.policy = Some(policy);
        Ok(())
    })?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

pub fn get_policy(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let policy = store.bucket(req.bucket()?)?.policy.ok_or_else(errors::no_such_policy)?;
    let mut r = reply::bytes(StatusCode::OK, policy.into_bytes());
    reply::set(&mut r, "content-type", "application/json");
    Ok(r)
}

pub fn delete_policy(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    store.update_bucket(req.bucket()?, |b| {
        b.policy = None;
        Ok(())
    })?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

/// Checks an encryption rule as S3 does: a known algorithm, a key id only with KMS.
pub fn check_encryption(e: &Encryption) -> Result<(), ApiError> {
    if !["AES256", "aws:kms", "aws:kms:dsse"].contains(&e.algorithm.as_str()) {
        return Err(errors::malformed_xml());
    }
    if e.kms_key_id.is_some() && e.algorithm == "AES256" {
        return Err(errors::invalid_argument(
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        ));
    }
    Ok(())
}

pub fn put_encryption(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let payload = req.payload()?;
    let doc = xml_in::parse(&payload.data)?;
    let rule = doc
        .child("Rule")
        .filter(|_| doc.name == "ServerSideEncryptionConfiguration")
        .ok_or_else(errors::malformed_xml)?;
    let default = rule.child("ApplyServerSideEncryptionByDefault").ok_or_else(errors::malformed_xml)?;
    let encryption = Encryption {
        algorithm: default.text_of("SSEAlgorithm").ok_or_else(errors::malformed_xml)?.to_string(),
        kms_key_id: default.text_of("KMSMasterKeyID").map(str::to_string),
        bucket_key_enabled: rule.text_of("BucketKeyEnabled") == Some("true"),
    };
    check_encryption(&encryption)?;
    store.update_bucket(req.bucket()?, |b| {
        b.encryption = Some(encryption);
        Ok(())
    })?;
    Ok(reply::empty(StatusCode::OK))
}

/// Every bucket is encrypted: without a configuration, S3's default SSE-S3 (AES256).
pub fn get_encryption(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    let bucket = store.bucket(req.bucket()?)?;
    let e = bucket.encryption.unwrap_or(Encryption {
        algorithm: "AES256".into(),
        kms_key_id: None,
        bucket_key_enabled: false,
    });
    Ok(reply::xml("ServerSideEncryptionConfiguration", |w| {
        w.nest("Rule", |w| {
            w.nest("ApplyServerSideEncryptionByDefault", |w| {
                w.elem("SSEAlgorithm", &e.algorithm).opt("KMSMasterKeyID", e.kms_key_id.as_ref());
            });
            w.elem("BucketKeyEnabled", e.bucket_key_enabled);
        });
    }))
}

pub fn delete_encryption(store: &Store, req: &S3Request) -> Result<Reply, ApiError> {
    store.update_bucket(req.bucket()?, |b| {
        b.encryption = None;
        Ok(())
    })?;
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_constraints_follow_s3s_rules() {
        assert_eq!(resolve_region("us-east-1", None).unwrap(), "us-east-1");
        assert_eq!(resolve_region("us-east-1", Some("eu-west-2")).unwrap(), "eu-west-2");
        assert_eq!(resolve_region("eu-west-1", Some("EU")).unwrap(), "eu-west-1");
        assert_eq!(resolve_region("eu-west-2", Some("eu-west-2")).unwrap(), "eu-west-2");
        assert_eq!(resolve_region("us-east-1", Some("us-east-1")).unwrap_err().code, "InvalidLocationConstraint");
        assert_eq!(resolve_region("us-east-1", Some("mars")).unwrap_err().code, "InvalidLocationConstraint");
        let e = resolve_region("eu-west-2", None).unwrap_err();
        assert_eq!(e.code, "IllegalLocationConstraintException");
        assert!(e.message.contains("unspecified location constraint"), "{}", e.message);
        assert!(resolve_region("eu-west-2", Some("ap-south-1")).unwrap_err().message.contains("ap-south-1"));
    }
}
