//! Wire framing of the protocols the official clients speak: each module decodes a request body into
//! an [`Input`](super::service::Input) and renders outputs and [`ApiError`]s in its own shape.

pub mod cbor;
pub mod json;
pub mod query;
pub mod query_params;
pub mod query_tree;
pub mod response;
pub mod xml;

pub use response::{HttpResponse, response};

use http::HeaderValue;

use super::error::ApiError;
use super::service::{Descriptor, Output, Protocol};

pub const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// Renders an error in the framing of `protocol`.
pub fn error_response(protocol: Protocol, desc: Option<&Descriptor>, err: &ApiError, request_id: &str) -> HttpResponse {
    let mut response = match protocol {
        // S3 is REST-XML: its clients read every error, also the host's own refusals, as XML.
        Protocol::Rest if desc.is_some_and(|d| d.signing_name == "s3") => xml::rest_error(err, request_id),
        Protocol::AwsJson1_0 | Protocol::AwsJson1_1 | Protocol::Rest => json::error(protocol, err),
        Protocol::RpcV2Cbor => cbor::error(err),
        Protocol::AwsQuery => query::error(err, request_id),
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    if desc.is_some_and(|d| d.query_compatible) {
        let fault = if err.sender_fault { "Sender" } else { "Receiver" };
        if let Ok(v) = HeaderValue::from_str(&format!("{};{fault}", err.code)) {
            headers.insert("x-amzn-query-error", v);
        }
    }
    response
}

/// Renders a successful output in the framing of `protocol`.
pub fn output_response(
    protocol: Protocol,
    desc: &Descriptor,
    operation: &str,
    output: Output,
    request_id: &str,
) -> Result<HttpResponse, ApiError> {
    let mut response = match (protocol, output) {
        (Protocol::AwsJson1_0 | Protocol::AwsJson1_1, Output::Json(v)) => json::output(protocol, &v),
        (Protocol::RpcV2Cbor, Output::Json(v)) => cbor::output(&v, desc.is_timestamp_member)?,
        (Protocol::AwsQuery, Output::Xml(inner)) => query::output(desc, operation, &inner, request_id),
        (_, Output::Rest(r)) => r,
        _ => return Err(ApiError::internal(format!("{operation} produced output in the wrong protocol"))),
    };
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    Ok(response)
}
