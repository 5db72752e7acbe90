//! KPL aggregation read by a decoder written here from the format's published description
//! (amazon-kinesis-producer, `aggregation-format.md`), not from our de-aggregator: 4 magic bytes
//! `F3 89 9A C2`, a protobuf `AggregatedRecord` (field 1: partition key table, repeated string; field 2:
//! explicit hash key table, repeated string; field 3: records, repeated message with field 1 partition key
//! index (varint), field 2 explicit hash key index (varint, optional), field 3 data (bytes), field 4 tags),
//! then the MD5 of the protobuf bytes.

use kinesis_console::kpl::{Aggregator, UserRecord};
use md5::{Digest, Md5};

fn varint(buf: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = buf[*at];
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    value
}

/// (field number, wire type, the field's bytes for length-delimited fields or its varint value).
fn fields(buf: &[u8]) -> Vec<(u64, Vec<u8>, u64)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let key = varint(buf, &mut at);
        match key & 7 {
            0 => out.push((key >> 3, Vec::new(), varint(buf, &mut at))),
            2 => {
                let len = varint(buf, &mut at) as usize;
                out.push((key >> 3, buf[at..at + len].to_vec(), 0));
                at += len;
            }
            other => panic!("wire type {other} does not occur in the format"),
        }
    }
    out
}

/// The user records of one aggregated Kinesis record, read by the published layout.
fn decode(data: &[u8]) -> Vec<UserRecord> {
    assert_eq!(&data[..4], &[0xF3, 0x89, 0x9A, 0xC2], "magic bytes");
    let body = &data[4..data.len() - 16];
    assert_eq!(&data[data.len() - 16..], Md5::digest(body).as_slice(), "MD5 trailer of the protobuf bytes");
    let (mut keys, mut hash_keys, mut records) = (Vec::new(), Vec::new(), Vec::new());
    for (field, bytes, _) in fields(body) {
        match field {
            1 => keys.push(String::from_utf8(bytes).unwrap()),
            2 => hash_keys.push(String::from_utf8(bytes).unwrap()),
            3 => records.push(bytes),
            other => panic!("AggregatedRecord has no field {other}"),
        }
    }
    records
        .iter()
        .map(|r| {
            let (mut key, mut hash_key, mut data) = (None, None, Vec::new());
            for (field, bytes, value) in fields(r) {
                match field {
                    1 => key = Some(keys[value as usize].clone()),
                    2 => hash_key = Some(hash_keys[value as usize].clone()),
                    3 => data = bytes,
                    4 => {}
                    other => panic!("Record has no field {other}"),
                }
            }
            UserRecord { partition_key: key.expect("a partition key index"), explicit_hash_key: hash_key, data }
        })
        .collect()
}

#[test]
fn an_independent_decoder_reads_what_the_aggregator_writes() {
    let records: Vec<UserRecord> = (0..300)
        .map(|i| UserRecord {
            partition_key: format!("key-{}", i % 7),
            explicit_hash_key: (i % 3 == 0).then(|| format!("{}", u128::MAX / 300 * i)),
            data: format!("{{\"id\":{i},\"pad\":\"{}\"}}", "x".repeat((i % 50) as usize)).into_bytes(),
        })
        .collect();
    // Small aggregates, so the run spans several and each is read on its own.
    let mut agg = Aggregator::new(4_096);
    let mut decoded = Vec::new();
    let mut aggregates = 0;
    for r in records.clone() {
        if let Err(back) = agg.try_add(r) {
            decoded.extend(decode(&agg.finish().expect("a full aggregate").data));
            aggregates += 1;
            agg.try_add(back).expect("an empty aggregate takes a record");
        }
    }
    decoded.extend(decode(&agg.finish().expect("the last aggregate").data));
    assert_eq!(decoded, records);
    assert!(aggregates >= 3, "about 20 KB of records in 4 KiB aggregates: {aggregates} were full");
}
