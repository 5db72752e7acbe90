//! Firehose's object keys: the evaluated prefix and the object name.

use super::timestamp::{Instant, compile};

/// `<expanded prefix><stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid><extension>`, the time in `time_zone`.
///
/// Which instant the name carries: AWS's "Amazon S3 Object Name Format" gives the pattern and says the
/// prefix and the suffix share the CustomTimeZone, but does not name the instant; the prefix's is the
/// approximate arrival of the oldest record in the object. Callers pass that same instant, so an object's
/// name never disagrees with the `yyyy/MM/dd/HH/` directory it sits in. `version` is the delivery stream's
/// version id (1 on creation, +1 per configuration change); the uuid is a fresh random v4 per call.
pub fn object_key(
    expanded_prefix: &str,
    stream_name: &str,
    version: u64,
    timestamp_ms: i64,
    time_zone: &str,
    extension: &str,
) -> String {
    let mut key = String::with_capacity(expanded_prefix.len() + stream_name.len() + 80);
    key.push_str(expanded_prefix);
    key.push_str(stream_name);
    key.push('-');
    key.push_str(&version.to_string());
    key.push('-');
    if let Ok(p) = compile("yyyy-MM-dd-HH-mm-ss") {
        p.format(&Instant::new(timestamp_ms, time_zone), &mut key);
    }
    key.push('-');
    key.push_str(&uuid::Uuid::new_v4().to_string());
    key.push_str(extension);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2018-08-27T23:30:05Z.
    const LATE: i64 = 1_535_412_605_000;

    fn split(key: &str, prefix: &str, ext: &str) -> (String, String) {
        let rest = key.strip_prefix(prefix).unwrap().strip_suffix(ext).unwrap();
        // The uuid is the last 36 characters.
        let (head, uuid) = rest.split_at(rest.len() - 36);
        (head.to_string(), uuid.to_string())
    }

    #[test]
    fn name_follows_firehose_format() {
        let key = object_key("logs/2018/08/27/23/", "orders", 3, LATE, "UTC", ".gz");
        let (head, uuid) = split(&key, "logs/2018/08/27/23/", ".gz");
        assert_eq!(head, "orders-3-2018-08-27-23-30-05-");
        assert!(uuid::Uuid::parse_str(&uuid).is_ok(), "{key}");
        let other = object_key("logs/2018/08/27/23/", "orders", 3, LATE, "UTC", ".gz");
        assert_ne!(key, other, "each object gets its own uuid");
    }

    #[test]
    fn name_time_is_in_the_custom_time_zone() {
        let key = object_key("", "s", 1, LATE, "Asia/Tokyo", "");
        let (head, _) = split(&key, "", "");
        assert_eq!(head, "s-1-2018-08-28-08-30-05-");
        let key = object_key("p/", "s", 1, LATE, "America/Los_Angeles", ".snappy");
        let (head, _) = split(&key, "p/", ".snappy");
        assert_eq!(head, "s-1-2018-08-27-16-30-05-");
    }
}
