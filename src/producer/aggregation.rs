//! KPL aggregation: many user records in one Kinesis record, in the format the Kinesis Producer Library
//! writes and the KCL, Firehose and Lambda's KPL-aware consumers read.
//!
//! A record is the magic bytes `F3 89 9A C2`, a protobuf `AggregatedRecord` (partition-key and explicit-
//! hash-key tables, then the user records pointing into them) and the MD5 of the protobuf bytes. A record
//! whose magic or digest does not match is an ordinary record, as the KCL reads it.

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

/// The user records of an aggregated record, or `None` when `data` is an ordinary record: no magic, a
/// digest that does not match, a body that is not the protobuf, or an index outside its table.
/// Decoding is bounded by `data`'s length (prost refuses nesting past its recursion limit).
pub fn deaggregate(data: &[u8]) -> Option<Vec<UserRecord>> {
    let rest = data.strip_prefix(&MAGIC)?;
    let body_len = rest.len().checked_sub(DIGEST_LEN)?;
    let (body, digest) = rest.split_at(body_len);
    if Md5::digest(body).as_slice() != digest {
        return None;
    }
    let message = AggregatedRecord::decode(body).ok()?;
    let key = |table: &[String], i: u64| table.get(usize::try_from(i).ok()?).cloned();
    message
        .records
        .into_iter()
        .map(|r| {
            Some(UserRecord {
                partition_key: key(&message.partition_key_table, r.partition_key_index)?,
                explicit_hash_key: match r.explicit_hash_key_index {
                    Some(i) => Some(key(&message.explicit_hash_key_table, i)?),
                    None => None,
                },
                data: r.data,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
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
