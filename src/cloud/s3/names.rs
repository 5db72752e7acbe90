//! Bucket and key names as S3 accepts them (general purpose buckets).

use super::errors;
use crate::cloud::error::ApiError;

const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// S3's naming rules: 3–63 characters of lowercase letters, digits, `.` and `-`, starting and
/// ending with a letter or digit, no `..`, not shaped like an IPv4 address, and none of the
/// reserved prefixes and suffixes.
pub fn validate_bucket(name: &str) -> Result<(), ApiError> {
    let ok = (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        && !name.contains("..")
        && name.parse::<std::net::Ipv4Addr>().is_err()
        && !RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        && !RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s));
    if ok { Ok(()) } else { Err(errors::invalid_bucket_name()) }
}

/// Keys are 1 to 1,024 bytes of UTF-8.
pub fn validate_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(errors::invalid_argument("The key must not be empty"));
    }
    if key.len() > 1024 {
        return Err(errors::key_too_long());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["abc", "my-bucket.logs", "a1b", &"a".repeat(63), "1-2"] {
            assert!(validate_bucket(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "-abc",
            "abc-",
            "a..b",
            "192.168.5.4",
            "xn--abc",
            "sthree-x",
            "bucket-s3alias",
            "bucket--ol-s3",
            "a_b",
            "amzn-s3-demo-bucket",
        ] {
            assert_eq!(validate_bucket(bad).unwrap_err().code, "InvalidBucketName", "{bad}");
        }
    }

    #[test]
    fn keys_are_at_most_1024_bytes() {
        assert!(validate_key(&"k".repeat(1024)).is_ok());
        assert_eq!(validate_key(&"k".repeat(1025)).unwrap_err().code, "KeyTooLongError");
    }
}
