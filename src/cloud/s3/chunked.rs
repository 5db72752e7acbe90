//! `Content-Encoding: aws-chunked` bodies: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` chunks, a
//! zero-size chunk, then optional trailers (`x-amz-checksum-crc32:…`) and an empty line. The SDKs
//! send them for `STREAMING-UNSIGNED-PAYLOAD-TRAILER` and `STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)`.

use super::errors;
use crate::cloud::error::ApiError;

#[derive(Debug, Default, PartialEq)]
pub struct Decoded {
    pub data: Vec<u8>,
    /// Trailer names lower-cased, values trimmed; the trailer signature is dropped.
    pub trailers: Vec<(String, String)>,
}

fn line(body: &[u8], at: usize) -> Result<(&[u8], usize), ApiError> {
    let rest = body.get(at..).ok_or_else(incomplete)?;
    let end = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(incomplete)?;
    Ok((&rest[..end], at + end + 2))
}

fn incomplete() -> ApiError {
    ApiError::bad_request("IncompleteBody", "The request body terminated unexpectedly")
}

/// Decodes a whole aws-chunked body; `expected` is `x-amz-decoded-content-length` when sent.
pub fn decode(body: &[u8], expected: Option<u64>) -> Result<Decoded, ApiError> {
    let mut out = Decoded {
        data: Vec::with_capacity(expected.unwrap_or(0).min(body.len() as u64) as usize),
        ..Default::default()
    };
    let mut at = 0;
    loop {
        let (header, next) = line(body, at)?;
        let header = std::str::from_utf8(header).map_err(|_| incomplete())?;
        let size_hex = header.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| errors::invalid_argument(format!("Invalid aws-chunked chunk size: {size_hex:?}")))?;
        at = next;
        if size == 0 {
            break;
        }
        let end = at.checked_add(size).filter(|e| *e <= body.len()).ok_or_else(incomplete)?;
        out.data.extend_from_slice(&body[at..end]);
        if body.get(end..end + 2) != Some(b"\r\n") {
            return Err(incomplete());
        }
        at = end + 2;
    }
    while at < body.len() {
        let (trailer, next) = line(body, at)?;
        at = next;
        if trailer.is_empty() {
            break;
        }
        let trailer = String::from_utf8_lossy(trailer);
        let (name, value) = trailer.split_once(':').ok_or_else(incomplete)?;
        let name = name.trim().to_ascii_lowercase();
        if name != "x-amz-trailer-signature" {
            out.trailers.push((name, value.trim().to_string()));
        }
    }
    if expected.is_some_and(|n| n != out.data.len() as u64) {
        return Err(incomplete());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_unsigned_chunks_with_a_trailer() {
        let body = b"5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
        let d = decode(body, Some(11)).unwrap();
        assert_eq!(d.data, b"hello world");
        assert_eq!(d.trailers, [("x-amz-checksum-crc32".to_string(), "DUoRhQ==".to_string())]);
    }

    #[test]
    fn decodes_signed_chunks_and_drops_the_trailer_signature() {
        let body = b"3;chunk-signature=ab\r\nabc\r\n0;chunk-signature=cd\r\nx-amz-checksum-sha256:x\r\nx-amz-trailer-signature:ef\r\n\r\n";
        let d = decode(body, None).unwrap();
        assert_eq!(d.data, b"abc");
        assert_eq!(d.trailers.len(), 1);
    }

    #[test]
    fn truncated_or_lying_bodies_are_refused() {
        assert_eq!(decode(b"5\r\nhel", None).unwrap_err().code, "IncompleteBody");
        assert_eq!(decode(b"zz\r\n", None).unwrap_err().code, "InvalidArgument");
        assert_eq!(decode(b"3\r\nabc\r\n0\r\n\r\n", Some(4)).unwrap_err().code, "IncompleteBody");
        assert_eq!(decode(b"ffffffffffffffff\r\nabc", None).unwrap_err().code, "IncompleteBody");
    }
}
