//! S3's error codes and messages, and their REST-XML rendering (`<Error><Code>…`).

use http::StatusCode;

use crate::cloud::error::ApiError;

fn e(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

pub fn no_such_bucket() -> ApiError {
    e(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist")
}

pub fn no_such_key() -> ApiError {
    e(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.")
}

pub fn no_such_upload() -> ApiError {
    e(
        StatusCode::NOT_FOUND,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

pub fn no_such_policy() -> ApiError {
    e(StatusCode::NOT_FOUND, "NoSuchBucketPolicy", "The bucket policy does not exist")
}

pub fn bucket_not_empty() -> ApiError {
    e(StatusCode::CONFLICT, "BucketNotEmpty", "The bucket you tried to delete is not empty")
}

pub fn already_owned() -> ApiError {
    e(
        StatusCode::CONFLICT,
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
    )
}

pub fn already_exists() -> ApiError {
    e(
        StatusCode::CONFLICT,
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
    )
}

pub fn invalid_bucket_name() -> ApiError {
    e(StatusCode::BAD_REQUEST, "InvalidBucketName", "The specified bucket is not valid.")
}

pub fn invalid_range() -> ApiError {
    e(StatusCode::RANGE_NOT_SATISFIABLE, "InvalidRange", "The requested range is not satisfiable")
}

pub fn precondition_failed() -> ApiError {
    e(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
}

pub fn invalid_part() -> ApiError {
    e(
        StatusCode::BAD_REQUEST,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    )
}

pub fn invalid_part_order() -> ApiError {
    e(
        StatusCode::BAD_REQUEST,
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )
}

pub fn entity_too_small() -> ApiError {
    e(
        StatusCode::BAD_REQUEST,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed object size.",
    )
}

pub fn entity_too_large() -> ApiError {
    e(StatusCode::BAD_REQUEST, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
}

pub fn malformed_xml() -> ApiError {
    e(
        StatusCode::BAD_REQUEST,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

pub fn malformed_policy(detail: &str) -> ApiError {
    e(StatusCode::BAD_REQUEST, "MalformedPolicy", detail.to_string())
}

pub fn bad_digest(what: &str) -> ApiError {
    e(StatusCode::BAD_REQUEST, "BadDigest", format!("The {what} you specified did not match the calculated checksum."))
}

pub fn invalid_argument(message: impl Into<String>) -> ApiError {
    e(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

pub fn invalid_request(message: impl Into<String>) -> ApiError {
    e(StatusCode::BAD_REQUEST, "InvalidRequest", message)
}

pub fn key_too_long() -> ApiError {
    e(StatusCode::BAD_REQUEST, "KeyTooLongError", "Your key is too long")
}

pub fn not_implemented(what: &str) -> ApiError {
    e(StatusCode::NOT_IMPLEMENTED, "NotImplemented", format!("{what} is not implemented by the local S3"))
}

pub fn method_not_allowed() -> ApiError {
    e(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "The specified method is not allowed against this resource.")
}

pub fn internal(detail: impl std::fmt::Display) -> ApiError {
    e(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", format!("We encountered an internal error: {detail}"))
}

/// The error document S3 answers with (HEAD answers carry no body).
pub fn render(
    err: &ApiError,
    resource: &str,
    request_id: &str,
    head: bool,
) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let mut w = crate::cloud::protocol::xml::XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.nest("Error", |w| {
        w.elem("Code", &err.code).elem("Message", &err.message);
        if !resource.is_empty() {
            w.elem("Resource", resource);
        }
        w.elem("RequestId", request_id);
    });
    let body = if head { Vec::new() } else { w.finish().into_bytes() };
    let mut r = crate::cloud::protocol::response::response(err.status, "application/xml", body);
    if let Ok(v) = http::HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amz-request-id", v);
    }
    r
}
