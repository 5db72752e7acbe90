//! Building S3's REST responses: headers, XML documents in S3's namespace, timestamps.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::Full;

use crate::cloud::protocol::xml::XmlWriter;

pub const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub type Reply = Response<Full<Bytes>>;

pub fn empty(status: StatusCode) -> Reply {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

pub fn bytes(status: StatusCode, body: Vec<u8>) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

/// `<?xml …?><root xmlns="…">…</root>` with `application/xml`.
pub fn xml(root: &str, inner: impl FnOnce(&mut XmlWriter)) -> Reply {
    let mut w = XmlWriter::new();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.open_with_ns(root, XMLNS);
    inner(&mut w);
    w.close(root);
    let mut r = bytes(StatusCode::OK, w.finish().into_bytes());
    set(&mut r, "content-type", "application/xml");
    r
}

/// Sets a header, skipping a value that is not a valid header value (user metadata is checked
/// when it comes in, so this only guards against the impossible).
pub fn set(r: &mut Reply, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
        r.headers_mut().insert(n, v);
    }
}

/// ISO 8601 with milliseconds, as S3 writes timestamps in XML.
pub fn iso(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.format(f).unwrap_or_default()
}

/// RFC 7231 date, as S3 writes `Last-Modified`.
pub fn http_date(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(f).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_written_as_s3_writes_them() {
        assert_eq!(iso(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(http_date(1_700_000_000_123), "Tue, 14 Nov 2023 22:13:20 GMT");
    }
}
