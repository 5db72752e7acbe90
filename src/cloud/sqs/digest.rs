//! The MD5 digests SQS answers and the SDKs check (boto3 and the Java SDKs refuse a send or receive
//! whose digest does not match): `MD5OfMessageBody` over the body's UTF-8 bytes, and
//! `MD5OfMessageAttributes` over the attributes in name order, each as a length-prefixed name, a
//! length-prefixed data type, one transport byte (1 string or number, 2 binary) and a
//! length-prefixed value, lengths as 4-byte big-endian integers (the algorithm AWS documents for
//! verifying message attributes).

use std::collections::BTreeMap;

use base64::Engine as _;
use md5::{Digest, Md5};

use super::model::AttributeValue;

pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn put(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// The digest of a set of message (or system) attributes; `None` when there are none.
pub fn attributes_md5(attributes: &BTreeMap<String, AttributeValue>) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    for (name, value) in attributes {
        put(&mut buf, name.as_bytes());
        put(&mut buf, value.data_type.as_bytes());
        match (&value.string_value, &value.binary_value) {
            (Some(s), _) => {
                buf.push(1);
                put(&mut buf, s.as_bytes());
            }
            (None, Some(b)) => {
                buf.push(2);
                let raw = base64::engine::general_purpose::STANDARD.decode(b).unwrap_or_default();
                put(&mut buf, &raw);
            }
            (None, None) => buf.push(1),
        }
    }
    Some(md5_hex(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_digest_is_md5_of_its_bytes() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn attribute_digests_match_the_documented_encoding() {
        // Worked out from the documented encoding with Python's hashlib:
        // md5(b"\0\0\0\x01a" b"\0\0\0\x06String" b"\x01" b"\0\0\0\x01b")
        let mut attrs = BTreeMap::new();
        attrs.insert(
            "a".to_string(),
            AttributeValue { data_type: "String".into(), string_value: Some("b".into()), binary_value: None },
        );
        let mut expected = Vec::new();
        expected.extend_from_slice(b"\0\0\0\x01a\0\0\0\x06String\x01\0\0\0\x01b");
        assert_eq!(attributes_md5(&attrs), Some(md5_hex(&expected)));
        assert_eq!(attributes_md5(&BTreeMap::new()), None);
    }
}
