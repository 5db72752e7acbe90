//! KPL-aggregated records split back into the user records they carry.
//!
//! The KPL's format: the magic `F3 89 9A C2`, a protobuf `AggregatedRecord`, then the 16-byte MD5 of the
//! protobuf bytes. `AggregatedRecord { repeated string partition_key_table = 1; repeated string
//! explicit_hash_key_table = 2; repeated Record records = 3 }`, `Record { required uint64
//! partition_key_index = 1; optional uint64 explicit_hash_key_index = 2; required bytes data = 3; repeated
//! Tag tags = 4 }`. A small reader rather than a protobuf crate: it reads only these fields, walks the input
//! once and never allocates more than the input holds.

use md5::{Digest, Md5};

pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;
/// Kinesis partition keys are 1–256 Unicode characters; explicit hash keys are decimal numbers below 2^128.
const MAX_PARTITION_KEY_CHARS: usize = 256;
const MAX_HASH_KEY_LEN: usize = 39;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
}

/// The user records of a KPL-aggregated record; None when `data` is not one (no magic 0xF3 0x89 0x9A 0xC2,
/// a wrong MD5 trailer, malformed protobuf): the record is then delivered as it is. Bounded: a record never
/// yields more user records or bytes than it can hold.
pub fn deaggregate(data: &[u8]) -> Option<Vec<UserRecord>> {
    let body = data.strip_prefix(&MAGIC)?;
    let split = body.len().checked_sub(DIGEST_LEN)?;
    let (message, digest) = body.split_at(split);
    if Md5::digest(message).as_slice() != digest {
        return None;
    }
    let mut keys = Vec::new();
    let mut hash_keys = Vec::new();
    let mut raw_records = Vec::new();
    let mut r = Reader(message);
    while !r.0.is_empty() {
        match r.field()? {
            (1, Value::Bytes(b)) => keys.push(key(b, MAX_PARTITION_KEY_CHARS)?),
            (2, Value::Bytes(b)) => hash_keys.push(hash_key(b)?),
            (3, Value::Bytes(b)) => raw_records.push(b),
            (1..=3, _) => return None,
            _ => {}
        }
    }
    raw_records.into_iter().map(|b| record(b, &keys, &hash_keys)).collect()
}

fn key(b: &[u8], max_chars: usize) -> Option<String> {
    let s = std::str::from_utf8(b).ok()?;
    (s.chars().count() <= max_chars).then(|| s.to_string())
}

fn hash_key(b: &[u8]) -> Option<String> {
    let ok = !b.is_empty() && b.len() <= MAX_HASH_KEY_LEN && b.iter().all(u8::is_ascii_digit);
    ok.then(|| String::from_utf8_lossy(b).into_owned())
}

fn record(b: &[u8], keys: &[String], hash_keys: &[String]) -> Option<UserRecord> {
    let (mut pk, mut ehk, mut data) = (None, None, None);
    let mut r = Reader(b);
    while !r.0.is_empty() {
        match r.field()? {
            (1, Value::Varint(i)) => pk = Some(i),
            (2, Value::Varint(i)) => ehk = Some(i),
            (3, Value::Bytes(d)) => data = Some(d),
            (1..=3, _) => return None,
            _ => {}
        }
    }
    let index = |i: u64, table: &[String]| table.get(usize::try_from(i).ok()?).cloned();
    Some(UserRecord {
        partition_key: index(pk?, keys)?,
        explicit_hash_key: match ehk {
            Some(i) => Some(index(i, hash_keys)?),
            None => None,
        },
        data: data?.to_vec(),
    })
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// A protobuf wire-format reader over a slice; every method returns None on malformed input.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            if i == 9 && byte > 1 {
                return None;
            }
            v |= u64::from(byte & 0x7F) << (7 * i);
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    /// One field: its number and value. Groups (wire types 3 and 4) are refused.
    fn field(&mut self) -> Option<(u64, Value<'a>)> {
        let tag = self.varint()?;
        let number = tag >> 3;
        if number == 0 {
            return None;
        }
        let value = match tag & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.take(8).map(|_| Value::Fixed)?,
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                Value::Bytes(self.take(len)?)
            }
            5 => self.take(4).map(|_| Value::Fixed)?,
            _ => return None,
        };
        Some((number, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An encoder written from the format description, independent of the reader above.
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn bytes_field(n: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(n << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }
    fn varint_field(n: u64, v: u64, out: &mut Vec<u8>) {
        varint(n << 3, out);
        varint(v, out);
    }
    fn record_msg(pk: u64, ehk: Option<u64>, data: &[u8], tag: bool) -> Vec<u8> {
        let mut r = Vec::new();
        varint_field(1, pk, &mut r);
        if let Some(e) = ehk {
            varint_field(2, e, &mut r);
        }
        bytes_field(3, data, &mut r);
        if tag {
            let mut t = Vec::new();
            bytes_field(1, b"key", &mut t);
            bytes_field(2, b"value", &mut t);
            bytes_field(4, &t, &mut r);
        }
        r
    }
    fn frame(message: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(message);
        out.extend_from_slice(&Md5::digest(message));
        out
    }
    fn aggregate(keys: &[&str], hash_keys: &[&str], records: &[Vec<u8>]) -> Vec<u8> {
        let mut m = Vec::new();
        for k in keys {
            bytes_field(1, k.as_bytes(), &mut m);
        }
        for k in hash_keys {
            bytes_field(2, k.as_bytes(), &mut m);
        }
        for r in records {
            bytes_field(3, r, &mut m);
        }
        frame(&m)
    }

    #[test]
    fn round_trip() {
        let records = vec![
            record_msg(0, None, b"first", false),
            record_msg(1, Some(0), b"second", true),
            record_msg(0, None, b"", false),
        ];
        let blob = aggregate(&["pk-a", "pk-b"], &["170141183460469231731687303715884105728"], &records);
        let out = deaggregate(&blob).unwrap();
        assert_eq!(
            out,
            vec![
                UserRecord { partition_key: "pk-a".into(), explicit_hash_key: None, data: b"first".to_vec() },
                UserRecord {
                    partition_key: "pk-b".into(),
                    explicit_hash_key: Some("170141183460469231731687303715884105728".into()),
                    data: b"second".to_vec()
                },
                UserRecord { partition_key: "pk-a".into(), explicit_hash_key: None, data: vec![] },
            ]
        );
        assert_eq!(deaggregate(&aggregate(&[], &[], &[])), Some(vec![]));
    }

    #[test]
    fn many_records_round_trip() {
        let keys: Vec<String> = (0..10).map(|i| format!("key-{i}")).collect();
        let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let records: Vec<Vec<u8>> =
            (0..500).map(|i| record_msg(i % 10, None, format!("record {i}").as_bytes(), false)).collect();
        let out = deaggregate(&aggregate(&key_refs, &[], &records)).unwrap();
        assert_eq!(out.len(), 500);
        assert_eq!(out[123].data, b"record 123");
        assert_eq!(out[123].partition_key, "key-3");
    }

    #[test]
    fn malformed_forms_are_not_aggregates() {
        let good = aggregate(&["pk"], &[], &[record_msg(0, None, b"x", false)]);
        assert!(deaggregate(&good).is_some());
        // Plain data, too short, or no magic.
        assert_eq!(deaggregate(b"{\"plain\":\"json\"}"), None);
        assert_eq!(deaggregate(&MAGIC), None);
        assert_eq!(deaggregate(&good[1..]), None);
        // A flipped bit in the protobuf or the digest.
        let mut bad = good.clone();
        bad[6] ^= 1;
        assert_eq!(deaggregate(&bad), None);
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(deaggregate(&bad), None);
        // Partition key or explicit hash key index out of range.
        assert_eq!(deaggregate(&aggregate(&["pk"], &[], &[record_msg(1, None, b"x", false)])), None);
        assert_eq!(deaggregate(&aggregate(&["pk"], &[], &[record_msg(0, Some(0), b"x", false)])), None);
        assert_eq!(deaggregate(&aggregate(&["pk"], &["12"], &[record_msg(0, Some(u64::MAX), b"x", false)])), None);
        // A record without its required partition key index or data.
        let mut no_data = Vec::new();
        varint_field(1, 0, &mut no_data);
        assert_eq!(deaggregate(&aggregate(&["pk"], &[], &[no_data])), None);
        let mut no_key = Vec::new();
        bytes_field(3, b"x", &mut no_key);
        assert_eq!(deaggregate(&aggregate(&["pk"], &[], &[no_key])), None);
        // Truncated protobuf (a length running past the end) with a valid digest.
        let mut m = Vec::new();
        varint(3 << 3 | 2, &mut m);
        varint(1000, &mut m);
        m.extend_from_slice(b"short");
        assert_eq!(deaggregate(&frame(&m)), None);
        // An over-long varint, a group wire type, a wrong wire type for a known field.
        assert_eq!(deaggregate(&frame(&[0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])), None);
        assert_eq!(deaggregate(&frame(&[0x0B])), None);
        assert_eq!(deaggregate(&frame(&[0x08, 0x01])), None);
        // Keys Kinesis would never accept: invalid UTF-8, too long, non-decimal hash key.
        assert_eq!(deaggregate(&aggregate(&["\u{0}"], &[], &[])).map(|v| v.len()), Some(0));
        let mut m = Vec::new();
        bytes_field(1, &[0xFF, 0xFE], &mut m);
        assert_eq!(deaggregate(&frame(&m)), None);
        let long = "k".repeat(257);
        assert_eq!(deaggregate(&aggregate(&[&long], &[], &[])), None);
        assert_eq!(deaggregate(&aggregate(&[], &["0x10"], &[])), None);
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let mut m = Vec::new();
        bytes_field(1, b"pk", &mut m);
        varint_field(9, 7, &mut m);
        m.extend_from_slice(&[(10 << 3) | 5, 1, 2, 3, 4]);
        m.extend_from_slice(&[(11 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]);
        bytes_field(3, &record_msg(0, None, b"x", false), &mut m);
        let out = deaggregate(&frame(&m)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, b"x");
    }
}
