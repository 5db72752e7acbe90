//! awsQuery: form-encoded `Action=<Op>&Version=<v>&…` requests, XML responses and errors.

use http::StatusCode;

use super::response::{HttpResponse, response};
use super::xml::XmlWriter;
use crate::cloud::error::ApiError;
use crate::cloud::service::Descriptor;

/// Where query inputs used to be found; they sit below both protocols and services.
pub use super::query_params::QueryParams;

pub fn output(desc: &Descriptor, operation: &str, inner: &str, request_id: &str) -> HttpResponse {
    let xmlns = desc.query.map(|q| q.xmlns).unwrap_or_default();
    let mut w = XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.open_with_ns(&format!("{operation}Response"), xmlns);
    if !inner.is_empty() {
        w.open(&format!("{operation}Result")).raw(inner).close(&format!("{operation}Result"));
    }
    w.nest("ResponseMetadata", |w| {
        w.elem("RequestId", request_id);
    });
    w.close(&format!("{operation}Response"));
    response(StatusCode::OK, "text/xml", w.finish().into_bytes())
}

/// The awsQuery code of an error the shared code raises under its awsJson name: an unknown
/// `Action` is `InvalidAction` and a body that cannot be read `MalformedInput`, as awsQuery
/// services answer; service codes pass as they are.
pub fn error_code(code: &str) -> &str {
    match code {
        "UnknownOperationException" => "InvalidAction",
        "SerializationException" => "MalformedInput",
        other => other,
    }
}

pub fn error(err: &ApiError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.nest("ErrorResponse", |w| {
        w.nest("Error", |w| {
            w.elem("Type", if err.sender_fault { "Sender" } else { "Receiver" });
            w.elem("Code", error_code(&err.code));
            w.elem("Message", &err.message);
        });
        w.elem("RequestId", request_id);
    });
    response(err.status, "text/xml", w.finish().into_bytes())
}
