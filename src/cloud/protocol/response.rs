//! The HTTP response every protocol renders into, below the protocol modules that build one.

use bytes::Bytes;
use http::{HeaderValue, Response};
use http_body_util::Full;

pub type HttpResponse = Response<Full<Bytes>>;

pub fn response(status: http::StatusCode, content_type: &'static str, body: Vec<u8>) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
