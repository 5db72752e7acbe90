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

pub fn error(err: &ApiError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.nest("ErrorResponse", |w| {
        w.nest("Error", |w| {
            w.elem("Type", if err.sender_fault { "Sender" } else { "Receiver" });
            w.elem("Code", &err.code);
            w.elem("Message", &err.message);
        });
        w.elem("RequestId", request_id);
    });
    response(err.status, "text/xml", w.finish().into_bytes())
}
