//! awsQuery: form-encoded `Action=<Op>&Version=<v>&…` requests, XML responses and errors.

use http::StatusCode;

use super::response::{HttpResponse, response};
use super::xml::XmlWriter;
use crate::cloud::error::ApiError;
use crate::cloud::service::Descriptor;

/// Where query inputs used to be found; they sit below both protocols and services.
pub use super::query_params::QueryParams;

/// `<OpResponse>` with `inner` as its `<OpResult>`; an empty `inner` writes no result element.
pub fn output(desc: &Descriptor, operation: &str, inner: &str, request_id: &str) -> HttpResponse {
    respond(desc, operation, (!inner.is_empty()).then_some(inner), request_id)
}

/// `<OpResponse>` with a `<OpResult>` exactly when the operation has an output in its API model,
/// even an empty one: the SDKs' parsers look for the result element of such an operation
/// (botocore fails on `<DeleteDashboardsResponse>` without `<DeleteDashboardsResult/>`), and
/// write none for an operation without output.
pub fn respond(desc: &Descriptor, operation: &str, result: Option<&str>, request_id: &str) -> HttpResponse {
    let xmlns = desc.query.map(|q| q.xmlns).unwrap_or_default();
    let mut w = XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.open_with_ns(&format!("{operation}Response"), xmlns);
    match result {
        Some("") => {
            w.raw(&format!("<{operation}Result/>"));
        }
        Some(inner) => {
            w.open(&format!("{operation}Result")).raw(inner).close(&format!("{operation}Result"));
        }
        None => {}
    }
    w.nest("ResponseMetadata", |w| {
        w.elem("RequestId", request_id);
    });
    w.close(&format!("{operation}Response"));
    response(StatusCode::OK, "text/xml", w.finish().into_bytes())
}

/// The awsQuery code of an error the shared code raises under its awsJson name, from AWS's common
/// errors of query services: an unknown `Action` is `InvalidAction`, an input that does not fit
/// the operation's shapes (a required member missing, a list given as a value) `ValidationError`;
/// service codes pass as they are.
pub fn error_code(code: &str) -> &str {
    match code {
        "UnknownOperationException" => "InvalidAction",
        "SerializationException" => "ValidationError",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::service::{QueryInfo, no_timestamps};

    fn body(r: HttpResponse) -> String {
        use http_body_util::BodyExt;
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        String::from_utf8(rt.block_on(r.into_body().collect()).unwrap().to_bytes().to_vec()).unwrap()
    }

    fn desc() -> Descriptor {
        Descriptor {
            id: "t",
            signing_name: "t",
            json_target: None,
            cbor_service: None,
            query: Some(QueryInfo { version: "1", xmlns: "urn:t" }),
            rest: false,
            query_compatible: false,
            max_body: 1,
            is_timestamp_member: no_timestamps,
            open_path: None,
        }
    }

    #[test]
    fn an_operation_with_an_empty_output_still_has_its_result_element() {
        let empty = body(respond(&desc(), "Op", Some(""), "r1"));
        assert!(empty.contains(r#"<OpResponse xmlns="urn:t"><OpResult/><ResponseMetadata>"#), "{empty}");
        let none = body(respond(&desc(), "Op", None, "r1"));
        assert!(none.contains(r#"<OpResponse xmlns="urn:t"><ResponseMetadata><RequestId>r1</RequestId>"#), "{none}");
        let some = body(output(&desc(), "Op", "<A>1</A>", "r1"));
        assert!(some.contains("<OpResult><A>1</A></OpResult>"), "{some}");
    }

    #[test]
    fn shared_refusals_carry_their_query_codes() {
        assert_eq!(error_code("UnknownOperationException"), "InvalidAction");
        assert_eq!(error_code("SerializationException"), "ValidationError");
        assert_eq!(error_code("ResourceNotFound"), "ResourceNotFound");
        let text = body(error(&ApiError::unknown_operation("Nope"), "r2"));
        assert!(text.contains("<Type>Sender</Type><Code>InvalidAction</Code>"), "{text}");
    }
}
