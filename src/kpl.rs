//! KPL aggregation: many user records in one Kinesis record, in the format the Kinesis Producer Library
//! writes and the KCL, Firehose and Lambda's KPL-aware consumers read. The producer writes it, `tail` and
//! the local Firehose read it.
//!
//! A record is the magic `F3 89 9A C2`, a protobuf `AggregatedRecord { repeated string
//! partition_key_table = 1; repeated string explicit_hash_key_table = 2; repeated Record records = 3 }` with
//! `Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2; required
//! bytes data = 3; repeated Tag tags = 4 }`, then the 16-byte MD5 of the protobuf bytes. Writing goes through
//! `prost`'s derived messages. Reading is a small strict reader instead: proto2's required fields must be
//! there and keys must be ones Kinesis accepts (which prost does not check), it walks the input once and
//! never allocates more than the input holds. A record that is not a valid aggregate is an ordinary record,
//! as the KCL reads it.

use md5::{Digest, Md5};
use prost::Message;

pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];
const DIGEST_LEN: usize = 16;
/// The KPL's default `AggregationMaxSize`: aggregates stay small enough to spread over shards evenly.
pub const DEFAULT_MAX_BYTES: usize = 51_200;

#[derive(Clone, PartialEq, Message)]
struct AggregatedRecord {
    #[prost(string, repeated, tag = "1")]
    partition_key_table: Vec<String>,
    #[prost(string, repeated, tag = "2")]
    explicit_hash_key_table: Vec<String>,
    #[prost(message, repeated, tag = "3")]
    records: Vec<Record>,
}

#[derive(Clone, PartialEq, Message)]
struct Record {
    #[prost(uint64, required, tag = "1")]
    partition_key_index: u64,
    #[prost(uint64, optional, tag = "2")]
    explicit_hash_key_index: Option<u64>,
    #[prost(bytes = "vec", required, tag = "3")]
    data: Vec<u8>,
    #[prost(message, repeated, tag = "4")]
    tags: Vec<Tag>,
}

#[derive(Clone, PartialEq, Message)]
struct Tag {
    #[prost(string, required, tag = "1")]
    key: String,
    #[prost(string, optional, tag = "2")]
    value: Option<String>,
}

/// One record as the application produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub partition_key: String,
    /// A decimal 128-bit hash key that places the record, instead of the partition key's MD5.
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
}

/// The Kinesis record an aggregate is sent as: routed by the first user record's keys, so every user
/// record in it lands on the shard the first one was predicted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregated {
    pub partition_key: String,
    pub explicit_hash_key: Option<String>,
    pub data: Vec<u8>,
    /// How many user records it carries.
    pub count: usize,
}

/// Collects user records bound for one shard into one aggregate of at most `max_bytes`.
#[derive(Debug)]
pub struct Aggregator {
    max_bytes: usize,
    message: AggregatedRecord,
    /// Bytes of the whole record so far: magic, protobuf and digest.
    bytes: usize,
}

impl Aggregator {
    pub fn new(max_bytes: usize) -> Self {
        Aggregator { max_bytes, message: AggregatedRecord::default(), bytes: MAGIC.len() + DIGEST_LEN }
    }

    pub fn len(&self) -> usize {
        self.message.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.message.records.is_empty()
    }

    /// Adds `record` when the aggregate still fits in `max_bytes` with it; otherwise gives it back so the
    /// caller can send what is here first. A record too large for any aggregate is taken into an empty one
    /// anyway: the stream's own record limit decides whether it can be sent.
    pub fn try_add(&mut self, record: UserRecord) -> Result<(), UserRecord> {
        let (pk_index, pk_cost) = table_index(&self.message.partition_key_table, &record.partition_key, 1);
        let (ehk_index, ehk_cost) = match &record.explicit_hash_key {
            Some(ehk) => {
                let (i, cost) = table_index(&self.message.explicit_hash_key_table, ehk, 2);
                (Some(i), cost)
            }
            None => (None, 0),
        };
        let entry = Record {
            partition_key_index: pk_index as u64,
            explicit_hash_key_index: ehk_index.map(|i| i as u64),
            data: record.data,
            tags: Vec::new(),
        };
        let cost = pk_cost + ehk_cost + prost::encoding::message::encoded_len(3, &entry);
        if !self.is_empty() && self.bytes + cost > self.max_bytes {
            return Err(UserRecord { data: entry.data, ..record });
        }
        if pk_index == self.message.partition_key_table.len() {
            self.message.partition_key_table.push(record.partition_key);
        }
        if let (Some(i), Some(ehk)) = (ehk_index, record.explicit_hash_key)
            && i == self.message.explicit_hash_key_table.len()
        {
            self.message.explicit_hash_key_table.push(ehk);
        }
        self.message.records.push(entry);
        self.bytes += cost;
        Ok(())
    }

    /// The aggregate of everything added since the last call, or `None` when nothing was.
    pub fn finish(&mut self) -> Option<Aggregated> {
        if self.is_empty() {
            return None;
        }
        let message = std::mem::take(&mut self.message);
        self.bytes = MAGIC.len() + DIGEST_LEN;
        let first = &message.records[0];
        let partition_key = message.partition_key_table[first.partition_key_index as usize].clone();
        let explicit_hash_key =
            first.explicit_hash_key_index.map(|i| message.explicit_hash_key_table[i as usize].clone());
        let body = message.encode_to_vec();
        let mut data = Vec::with_capacity(MAGIC.len() + body.len() + DIGEST_LEN);
        data.extend_from_slice(&MAGIC);
        data.extend_from_slice(&body);
        data.extend_from_slice(&Md5::digest(&body));
        Some(Aggregated { partition_key, explicit_hash_key, data, count: message.records.len() })
    }
}

/// Where `key` is (or would go) in a key table, and what adding it would cost in bytes.
fn table_index(table: &[String], key: &str, tag: u32) -> (usize, usize) {
    match table.iter().position(|k| k == key) {
        Some(i) => (i, 0),
        None => (
            table.len(),
            prost::encoding::key_len(tag) + prost::encoding::encoded_len_varint(key.len() as u64) + key.len(),
        ),
    }
}

/// Kinesis partition keys are 1–256 Unicode characters; explicit hash keys are decimal numbers below 2^128.
const MAX_PARTITION_KEY_CHARS: usize = 256;
const MAX_HASH_KEY_LEN: usize = 39;

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

    use proptest::prelude::*;

    fn record(pk: &str, ehk: Option<&str>, data: &[u8]) -> UserRecord {
        UserRecord { partition_key: pk.into(), explicit_hash_key: ehk.map(Into::into), data: data.to_vec() }
    }

    #[test]
    fn an_aggregate_is_magic_protobuf_and_digest_with_shared_key_tables() {
        let mut agg = Aggregator::new(DEFAULT_MAX_BYTES);
        for (pk, ehk, data) in [("a", None, "1"), ("b", Some("42"), "2"), ("a", Some("42"), "3")] {
            agg.try_add(record(pk, ehk, data.as_bytes())).expect("fits");
        }
        let out = agg.finish().expect("three records");
        assert_eq!((out.partition_key.as_str(), out.explicit_hash_key.as_deref(), out.count), ("a", None, 3));
        assert_eq!(&out.data[..4], &MAGIC);
        let body = &out.data[4..out.data.len() - 16];
        assert_eq!(&out.data[out.data.len() - 16..], Md5::digest(body).as_slice());
        let message = AggregatedRecord::decode(body).expect("protobuf");
        assert_eq!(message.partition_key_table, ["a", "b"], "each key once");
        assert_eq!(message.explicit_hash_key_table, ["42"]);
        assert_eq!(message.records[2].partition_key_index, 0);
        assert_eq!(message.records[2].explicit_hash_key_index, Some(0));
        assert!(agg.finish().is_none(), "finish empties the aggregator");
    }

    #[test]
    fn records_that_do_not_fit_are_given_back_and_the_size_is_exact() {
        let mut agg = Aggregator::new(1_000);
        let mut taken = 0;
        let refused = loop {
            match agg.try_add(record(&format!("key-{taken}"), None, &[7; 100])) {
                Ok(()) => taken += 1,
                Err(r) => break r,
            }
        };
        assert_eq!(refused.partition_key, format!("key-{taken}"));
        assert_eq!(refused.data, vec![7; 100], "the refused record comes back whole");
        let out = agg.finish().expect("some records");
        assert!(out.data.len() <= 1_000 && out.data.len() > 1_000 - 120, "{} bytes", out.data.len());
        assert_eq!(out.data.len(), agg_len_of(&out), "the running size is the encoded size");

        let mut agg = Aggregator::new(10);
        agg.try_add(record("big", None, &[1; 50])).expect("an empty aggregate takes any one record");
        assert_eq!(agg.try_add(record("next", None, b"x")).unwrap_err().partition_key, "next");
    }

    fn agg_len_of(out: &Aggregated) -> usize {
        MAGIC.len() + AggregatedRecord::decode(&out.data[4..out.data.len() - 16]).unwrap().encoded_len() + DIGEST_LEN
    }

    #[test]
    fn ordinary_and_damaged_records_are_not_aggregates() {
        assert_eq!(deaggregate(b"{\"ticker\":\"AMZN\"}"), None);
        assert_eq!(deaggregate(&MAGIC), None, "too short for a digest");
        let mut agg = Aggregator::new(DEFAULT_MAX_BYTES);
        agg.try_add(record("a", None, b"payload")).unwrap();
        let mut data = agg.finish().unwrap().data;
        let last = data.len() - 1;
        data[last] ^= 1;
        assert_eq!(deaggregate(&data), None, "a digest that does not match");
        let mut bad_index = AggregatedRecord::default();
        bad_index.records.push(Record {
            partition_key_index: 3,
            explicit_hash_key_index: None,
            data: vec![],
            tags: vec![],
        });
        let body = bad_index.encode_to_vec();
        let framed: Vec<u8> = MAGIC.iter().copied().chain(body.iter().copied()).chain(Md5::digest(&body)).collect();
        assert_eq!(deaggregate(&framed), None, "an index outside the table");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn aggregation_round_trips(records in prop::collection::vec(
            ("[a-d]{1,3}", prop::option::of("[0-9]{1,38}"), prop::collection::vec(any::<u8>(), 0..300)), 1..60),
            max in 200usize..5_000,
        ) {
            let mut agg = Aggregator::new(max);
            let mut out = Vec::new();
            for (pk, ehk, data) in records.iter().cloned() {
                let mut r = UserRecord { partition_key: pk, explicit_hash_key: ehk, data };
                while let Err(back) = agg.try_add(r) {
                    out.push(agg.finish().expect("a full aggregate is not empty"));
                    r = back;
                }
            }
            out.extend(agg.finish());
            let mut read = Vec::new();
            for a in &out {
                prop_assert!(a.count == 1 || a.data.len() <= max, "{} > {max}", a.data.len());
                let users = deaggregate(&a.data).expect("an aggregate");
                prop_assert_eq!(users.len(), a.count);
                prop_assert_eq!(&users[0].partition_key, &a.partition_key);
                read.extend(users);
            }
            let expected: Vec<UserRecord> = records.into_iter()
                .map(|(pk, ehk, data)| UserRecord { partition_key: pk, explicit_hash_key: ehk, data })
                .collect();
            prop_assert_eq!(read, expected);
        }
    }
}
