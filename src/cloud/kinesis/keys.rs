//! Identifiers and positions: hash keys, shard ids, sequence numbers, ARNs and shard iterators.

use base64::Engine as _;
use md5::{Digest, Md5};

/// AWS prints sequence numbers as 56 decimal digits.
pub const SEQ_DIGITS: usize = 56;
const STREAM_DIGITS: usize = 20;
const SHARD_DIGITS: usize = 6;
const LOG_DIGITS: usize = SEQ_DIGITS - 2 - STREAM_DIGITS - SHARD_DIGITS;

pub fn partition_hash(key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(key.as_bytes()).into())
}

/// Splits `[start, end]` into `n` contiguous ranges as even as integers allow.
pub fn split_range(start: u128, end: u128, n: u32) -> Vec<(u128, u128)> {
    if n <= 1 {
        return vec![(start, end)];
    }
    let n = n as u128;
    let span = end - start; // one less than the number of keys
    let step = span / n + u128::from(span % n == n - 1);
    (0..n)
        .map(|i| {
            let s = start + step * i;
            let e = if i == n - 1 { end } else { start + step * (i + 1) - 1 };
            (s, e)
        })
        .collect()
}

pub fn shard_id(index: u32) -> String {
    format!("shardId-{index:012}")
}

pub fn parse_shard_id(id: &str) -> Option<u32> {
    let digits = id.strip_prefix("shardId-").unwrap_or(id);
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub fn stream_arn(region: &str, name: &str) -> String {
    format!("arn:aws:kinesis:{region}:{}:stream/{name}", crate::cloud::context::LOCAL_ACCOUNT_ID)
}

/// The stream name in a stream ARN (`arn:aws:kinesis:{region}:{account}:stream/{name}`).
pub fn stream_name_from_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (arn_lit, _, service, _, _, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn_lit != "arn" || service != "kinesis" {
        return None;
    }
    let name = resource.strip_prefix("stream/")?;
    Some(name.split('/').next().unwrap_or(name))
}

/// A sequence number: the stream's creation instant, the shard index, and the position in the shard's log.
/// Within a shard the numeric order is the log order; children (higher indexes) sort after their parents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqNo {
    pub stream_ms: i64,
    pub shard: u32,
    pub log_seq: u64,
}

impl std::fmt::Display for SeqNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "49{:0sw$}{:0hw$}{:0lw$}",
            self.stream_ms.max(0),
            self.shard,
            self.log_seq,
            sw = STREAM_DIGITS,
            hw = SHARD_DIGITS,
            lw = LOG_DIGITS
        )
    }
}

impl SeqNo {
    pub fn parse(s: &str) -> Option<SeqNo> {
        if s.len() != SEQ_DIGITS || !s.starts_with("49") || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let stream_ms = s[2..2 + STREAM_DIGITS].parse().ok()?;
        let shard = s[2 + STREAM_DIGITS..2 + STREAM_DIGITS + SHARD_DIGITS].parse().ok()?;
        let log_seq = s[2 + STREAM_DIGITS + SHARD_DIGITS..].parse().ok()?;
        Some(SeqNo { stream_ms, shard, log_seq })
    }
}

/// A shard iterator: where to read next, in which shard of which incarnation of a stream, and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iter {
    pub stream: String,
    pub stream_ms: i64,
    pub shard: u32,
    pub log_seq: u64,
    pub created_ms: i64,
}

const ITER_VERSION: u8 = 1;

impl Iter {
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(29 + self.stream.len() + 4);
        b.push(ITER_VERSION);
        b.extend_from_slice(&self.created_ms.to_be_bytes());
        b.extend_from_slice(&self.stream_ms.to_be_bytes());
        b.extend_from_slice(&self.shard.to_be_bytes());
        b.extend_from_slice(&self.log_seq.to_be_bytes());
        b.extend_from_slice(self.stream.as_bytes());
        let sum = Md5::digest(&b);
        b.extend_from_slice(&sum[..4]);
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    pub fn decode(s: &str) -> Option<Iter> {
        let b = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        if b.len() < 29 + 1 + 4 || b[0] != ITER_VERSION {
            return None;
        }
        let (body, sum) = b.split_at(b.len() - 4);
        if Md5::digest(body)[..4] != *sum {
            return None;
        }
        let created_ms = i64::from_be_bytes(body[1..9].try_into().ok()?);
        let stream_ms = i64::from_be_bytes(body[9..17].try_into().ok()?);
        let shard = u32::from_be_bytes(body[17..21].try_into().ok()?);
        let log_seq = u64::from_be_bytes(body[21..29].try_into().ok()?);
        let stream = String::from_utf8(body[29..].to_vec()).ok()?;
        Some(Iter { stream, stream_ms, shard, log_seq, created_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_hash_space_evenly() {
        let r = split_range(0, u128::MAX, 4);
        assert_eq!(r[0].0, 0);
        assert_eq!(r[1].0, 1u128 << 126);
        assert_eq!(r[3].1, u128::MAX);
        for w in r.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0);
        }
        assert_eq!(split_range(0, u128::MAX, 1), vec![(0, u128::MAX)]);
        assert_eq!(split_range(10, 13, 2), vec![(10, 11), (12, 13)]);
    }

    #[test]
    fn sequence_numbers_have_aws_length_and_order() {
        let a = SeqNo { stream_ms: 1_700_000_000_000, shard: 3, log_seq: 9 };
        let b = SeqNo { log_seq: 10, ..a };
        assert_eq!(a.to_string().len(), SEQ_DIGITS);
        assert!(a.to_string() < b.to_string());
        assert_eq!(SeqNo::parse(&b.to_string()), Some(b));
    }

    #[test]
    fn iterators_round_trip_and_reject_tampering() {
        let it = Iter { stream: "s".into(), stream_ms: 5, shard: 2, log_seq: 77, created_ms: 1234 };
        let enc = it.encode();
        assert_eq!(Iter::decode(&enc), Some(it));
        let mut bad = enc.into_bytes();
        bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(Iter::decode(&String::from_utf8(bad).unwrap()), None);
    }

    #[test]
    fn arns_name_their_stream() {
        assert_eq!(stream_name_from_arn("arn:aws:kinesis:us-east-1:000000000000:stream/ticks"), Some("ticks"));
        assert_eq!(stream_name_from_arn("arn:aws:sqs:us-east-1:0:q"), None);
    }
}
