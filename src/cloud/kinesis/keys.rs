//! Identifiers and positions: hash keys, shard ids, sequence numbers, ARNs and shard iterators.

use std::path::Path;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2_hmac::Sha256;

/// AWS prints sequence numbers as 56 decimal digits.
pub const SEQ_DIGITS: usize = 56;

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

/// The shard number a shard id names, read as AWS reads it: the text between the first hyphen and the
/// next one (or the whole id when it has no hyphen, or nothing after it) is the number, whatever the
/// prefix; leading zeros are allowed and the number must fit an `int` (up to 2147483647). So
/// `shardId-000000000001`, `shardId-1`, `foo-1`, `-01` and `1` all name shard 1; `shardId-`, `1.0`
/// and `shardId-2147483648` name none, and AWS answers those with "Could not find shard".
pub fn parse_shard_id(id: &str) -> Option<u32> {
    let digits = match id.split('-').nth(1) {
        Some(after) if !after.is_empty() => after,
        _ => id,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 10 {
        return None;
    }
    let n: u64 = if significant.is_empty() { 0 } else { significant.parse().ok()? };
    u32::try_from(n).ok().filter(|n| *n <= i32::MAX as u32)
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

/// A sequence number, printed in AWS's "version 2" layout: 186 bits, written in decimal (always 56
/// digits). The KCL checks the bit length, reads the version and the shard index, and compares that
/// index with the shard it reads; the other fields are ours, laid out (most significant first) so
/// that numbers sort as AWS promises:
///
/// | bits     | field                                                                           |
/// |----------|---------------------------------------------------------------------------------|
/// | 184..188 | version, 2: bit 185 is the top bit, so every number has 186 bits                 |
/// | 142..184 | the stream's creation time (ms): which incarnation of the stream name it is from |
/// | 100..142 | the shard's epoch: ms from the stream's creation to the shard's, plus its index  |
/// | 36..100  | the record's position in the shard's log                                        |
/// | 4..36    | the shard index                                                                 |
/// | 0..4     | zero                                                                            |
///
/// Within a shard the log position decides. A child shard is created no earlier than its parents and
/// always has a higher index, so its epoch is strictly higher even when it was created in the same
/// millisecond (instant transitions on a still virtual clock): its numbers sort after its parents'.
/// AWS also carries the record's arrival second; a number here depends on the position alone, since
/// shard ranges and SubscribeToShard continuations name positions whose record is not at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqNo {
    pub stream_ms: i64,
    pub shard: u32,
    /// When the shard was created. The earlier layout did not carry it: parsing one of its numbers
    /// gives the stream's creation time here.
    pub shard_ms: i64,
    pub log_seq: u64,
}

const SEQ_VERSION: u64 = 2;
const VERSION_BIT: u32 = 184;
const STREAM_BIT: u32 = 142;
const EPOCH_BIT: u32 = 100;
const LOG_BIT: u32 = 36;
const SHARD_BIT: u32 = 4;
const TIME_WIDTH: u32 = 42;
const SEQ_BITS: u32 = 186;
/// The earlier layout: `49`, the stream's creation ms (20 digits), the shard index (6), the log position (28).
/// Its numbers are below 2^185, so they never have the 186 bits of the current one.
const LEGACY_STREAM_DIGITS: usize = 20;
const LEGACY_SHARD_DIGITS: usize = 6;

impl SeqNo {
    fn epoch(&self) -> u64 {
        let since_stream = u64::try_from(self.shard_ms.saturating_sub(self.stream_ms)).unwrap_or(0);
        since_stream.saturating_add(u64::from(self.shard)).min(low_mask(TIME_WIDTH))
    }

    fn bits(&self) -> Bits {
        let mut b = Bits::default();
        b.put(VERSION_BIT, 4, SEQ_VERSION);
        b.put(STREAM_BIT, TIME_WIDTH, u64::try_from(self.stream_ms).unwrap_or(0).min(low_mask(TIME_WIDTH)));
        b.put(EPOCH_BIT, TIME_WIDTH, self.epoch());
        b.put(LOG_BIT, 64, self.log_seq);
        b.put(SHARD_BIT, 32, u64::from(self.shard));
        b
    }

    /// A number in the current layout, or in the earlier one (still held in clients' checkpoints).
    pub fn parse(s: &str) -> Option<SeqNo> {
        if s.len() != SEQ_DIGITS {
            return None;
        }
        let b = Bits::from_decimal(s)?;
        if b.bit_len() == SEQ_BITS {
            return Self::from_bits(&b);
        }
        let legacy = s.strip_prefix("49")?;
        let (stream, rest) = legacy.split_at(LEGACY_STREAM_DIGITS);
        let (shard, log) = rest.split_at(LEGACY_SHARD_DIGITS);
        let stream_ms = stream.parse().ok()?;
        Some(SeqNo { stream_ms, shard: shard.parse().ok()?, shard_ms: stream_ms, log_seq: log.parse().ok()? })
    }

    fn from_bits(b: &Bits) -> Option<SeqNo> {
        if b.get(VERSION_BIT, 4) != SEQ_VERSION || b.get(0, SHARD_BIT) != 0 {
            return None;
        }
        let stream_ms = i64::try_from(b.get(STREAM_BIT, TIME_WIDTH)).ok()?;
        let shard = u32::try_from(b.get(SHARD_BIT, 32)).ok()?;
        let since_stream = b.get(EPOCH_BIT, TIME_WIDTH).checked_sub(u64::from(shard))?;
        let shard_ms = stream_ms.checked_add(i64::try_from(since_stream).ok()?)?;
        Some(SeqNo { stream_ms, shard, shard_ms, log_seq: b.get(LOG_BIT, 64) })
    }
}

impl std::fmt::Display for SeqNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.bits().to_decimal())
    }
}

fn low_mask(width: u32) -> u64 {
    if width >= 64 { u64::MAX } else { (1u64 << width) - 1 }
}

/// A 192-bit unsigned number as three 64-bit limbs, least significant first: just enough arithmetic
/// for sequence numbers (fields of up to 64 bits, decimal in and out) without a big-integer crate.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Bits([u64; 3]);

/// The largest power of ten in a limb: decimal conversion goes 19 digits at a time.
const DEC_CHUNK: u64 = 10_000_000_000_000_000_000;

impl Bits {
    /// Two adjacent limbs, so that any field of up to 64 bits lies inside one window.
    fn window(&self, limb: usize) -> u128 {
        let high = self.0.get(limb + 1).copied().unwrap_or(0);
        (u128::from(high) << 64) | u128::from(self.0[limb])
    }

    fn get(&self, offset: u32, width: u32) -> u64 {
        let limb = (offset / 64) as usize;
        (self.window(limb) >> (offset % 64)) as u64 & low_mask(width)
    }

    /// Sets a field that is still zero.
    fn put(&mut self, offset: u32, width: u32, value: u64) {
        let limb = (offset / 64) as usize;
        let shifted = u128::from(value & low_mask(width)) << (offset % 64);
        self.0[limb] |= shifted as u64;
        if let Some(next) = self.0.get_mut(limb + 1) {
            *next |= (shifted >> 64) as u64;
        }
    }

    fn bit_len(&self) -> u32 {
        (0..3).rev().find(|&i| self.0[i] != 0).map_or(0, |i| 64 * i as u32 + 64 - self.0[i].leading_zeros())
    }

    /// Parses decimal digits; None on anything else or on overflow.
    fn from_decimal(s: &str) -> Option<Bits> {
        let mut b = Bits::default();
        for chunk in s.as_bytes().chunks(19) {
            let digits = std::str::from_utf8(chunk).ok()?;
            if !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let scale = 10u64.pow(chunk.len() as u32);
            let mut carry = u128::from(digits.parse::<u64>().ok()?);
            for limb in &mut b.0 {
                let v = u128::from(*limb) * u128::from(scale) + carry;
                *limb = v as u64;
                carry = v >> 64;
            }
            if carry != 0 {
                return None;
            }
        }
        Some(b)
    }

    fn to_decimal(self) -> String {
        let mut n = self;
        let mut chunks = Vec::with_capacity(4);
        while n != Bits::default() {
            let mut rem = 0u128;
            for limb in n.0.iter_mut().rev() {
                let cur = (rem << 64) | u128::from(*limb);
                *limb = (cur / u128::from(DEC_CHUNK)) as u64;
                rem = cur % u128::from(DEC_CHUNK);
            }
            chunks.push(rem as u64);
        }
        let mut out = chunks.pop().map_or_else(|| "0".to_string(), |top| top.to_string());
        for chunk in chunks.iter().rev() {
            out.push_str(&format!("{chunk:019}"));
        }
        out
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

const ITER_VERSION: u8 = 2;
/// Bytes of the HMAC-SHA256 tag an iterator carries: 128 bits is beyond guessing.
const TAG_LEN: usize = 16;
const FIXED_LEN: usize = 29;

impl Iter {
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(FIXED_LEN + self.stream.len() + TAG_LEN);
        b.push(ITER_VERSION);
        b.extend_from_slice(&self.created_ms.to_be_bytes());
        b.extend_from_slice(&self.stream_ms.to_be_bytes());
        b.extend_from_slice(&self.shard.to_be_bytes());
        b.extend_from_slice(&self.log_seq.to_be_bytes());
        b.extend_from_slice(self.stream.as_bytes());
        b
    }

    /// The iterator as a client sees it, tagged with `key` so it cannot be forged or altered.
    pub fn encode(&self, key: &IteratorKey) -> String {
        let mut b = self.body();
        let tag = key.tag(&b);
        b.extend_from_slice(&tag);
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    /// Parses an iterator's layout without checking its tag: only `IteratorKey::open` may be trusted.
    pub fn decode(s: &str) -> Option<Iter> {
        Self::split(s).map(|(it, _, _)| it)
    }

    /// The iterator, its tagged bytes, and its tag.
    fn split(s: &str) -> Option<(Iter, Vec<u8>, Vec<u8>)> {
        let mut b = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
        if b.len() < FIXED_LEN + 1 + TAG_LEN || b[0] != ITER_VERSION {
            return None;
        }
        let tag = b.split_off(b.len() - TAG_LEN);
        let created_ms = i64::from_be_bytes(b[1..9].try_into().ok()?);
        let stream_ms = i64::from_be_bytes(b[9..17].try_into().ok()?);
        let shard = u32::from_be_bytes(b[17..21].try_into().ok()?);
        let log_seq = u64::from_be_bytes(b[21..29].try_into().ok()?);
        let stream = String::from_utf8(b[FIXED_LEN..].to_vec()).ok()?;
        Some((Iter { stream, stream_ms, shard, log_seq, created_ms }, b, tag))
    }
}

/// The secret that tags shard iterators: 32 bytes from the OS's RNG, kept in a private file in the
/// Kinesis data dir so iterators stay valid across a restart of the cloud.
#[derive(Clone)]
pub struct IteratorKey([u8; 32]);

impl std::fmt::Debug for IteratorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IteratorKey(..)")
    }
}

impl IteratorKey {
    pub const FILE: &str = "iterator.key";

    /// Reads the key in `dir`, or makes one (also in place of a file of the wrong size).
    pub fn load_or_create(dir: &Path) -> std::io::Result<IteratorKey> {
        let path = dir.join(Self::FILE);
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                return Ok(IteratorKey(key));
            }
            Ok(bytes) => {
                tracing::warn!(file = %path.display(), len = bytes.len(), "replacing a malformed iterator key")
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(std::io::Error::new(e.kind(), format!("reading {}: {e}", path.display()))),
        }
        let key = Self::generate()?;
        crate::cloud::files::write_atomic(&path, &key.0)
            .map_err(|e| std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display())))?;
        Ok(key)
    }

    pub fn generate() -> std::io::Result<IteratorKey> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| std::io::Error::other(format!("the OS random source failed: {e}")))?;
        Ok(IteratorKey(key))
    }

    fn mac(&self, bytes: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(bytes);
        mac
    }

    fn tag(&self, bytes: &[u8]) -> Vec<u8> {
        self.mac(bytes).finalize().into_bytes()[..TAG_LEN].to_vec()
    }

    /// The iterator `s` encodes, if this key tagged it (compared in constant time).
    pub fn open(&self, s: &str) -> Option<Iter> {
        let (it, body, tag) = Iter::split(s)?;
        self.mac(&body).verify_truncated_left(&tag).ok()?;
        Some(it)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases AWS was observed to accept and refuse (GetShardIterator, SplitShard, MergeShards).
    #[test]
    fn shard_ids_resolve_as_aws_reads_them() {
        for (id, want) in [
            ("shardId-000000000001", Some(1)),
            ("shardId-1", Some(1)),
            ("foo-1", Some(1)),
            ("1", Some(1)),
            ("shard-0", Some(0)),
            ("-00002147483647", Some(2_147_483_647)),
            ("a-00002147483647", Some(2_147_483_647)),
            ("2147483647", Some(2_147_483_647)),
            ("x-1-2", Some(1)),
            ("2147483648", None),
            ("shardId-002147483648", None),
            ("shardId-", None),
            ("ABKLFD8", None),
            ("2.14E4", None),
            ("shardId-1.5", None),
            ("1-", None),
            ("-", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(parse_shard_id(id), want, "{id}");
        }
        assert_eq!(shard_id(parse_shard_id("foo-7").unwrap()), "shardId-000000000007");
    }

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
        let a = SeqNo { stream_ms: 1_700_000_000_000, shard: 3, shard_ms: 1_700_000_000_000, log_seq: 9 };
        let b = SeqNo { log_seq: 10, ..a };
        assert_eq!(a.to_string().len(), SEQ_DIGITS);
        assert!(a.to_string() < b.to_string());
        assert_eq!(SeqNo::parse(&b.to_string()), Some(b));
    }

    /// The KCL's `SequenceNumberValidator`, as it computes: a big integer from the decimal, its bit
    /// length, then shifts and masks. Some((version, shard index)) when it accepts the number.
    fn kcl_read(s: &str) -> Option<(u64, u64)> {
        use num_bigint::BigUint;
        let n = BigUint::parse_bytes(s.as_bytes(), 10)?;
        if n.bits() != 186 {
            return None;
        }
        let field = |offset: usize, mask: u64| (&n >> offset).iter_u64_digits().next().unwrap_or(0) & mask;
        let version = field(184, (1 << 4) - 1);
        (version == 2).then(|| (version, field(4, (1 << 32) - 1)))
    }

    fn big(s: &str) -> num_bigint::BigUint {
        num_bigint::BigUint::parse_bytes(s.as_bytes(), 10).unwrap()
    }

    /// The earlier layout, as it was printed.
    fn legacy(stream_ms: i64, shard: u32, log_seq: u64) -> String {
        format!("49{stream_ms:020}{shard:06}{log_seq:028}")
    }

    const T0: i64 = 1_764_000_000_000;

    #[test]
    fn the_kcl_accepts_every_number_and_reads_its_shard() {
        for (shard, log_seq) in [(0, 0), (1, 1), (7, 123_456_789), (u32::MAX, u64::MAX), (4095, 1 << 40)] {
            let n = SeqNo { stream_ms: T0, shard, shard_ms: T0 + 5_000, log_seq };
            let s = n.to_string();
            assert_eq!(s.len(), SEQ_DIGITS, "{s}");
            assert_eq!(kcl_read(&s), Some((2, u64::from(shard))), "{s}");
            assert_eq!(SeqNo::parse(&s), Some(n));
        }
        let earliest = SeqNo { stream_ms: 0, shard: 0, shard_ms: 0, log_seq: 0 }.to_string();
        assert_eq!(kcl_read(&earliest), Some((2, 0)), "the smallest number still has 186 bits: {earliest}");
    }

    #[test]
    fn numbers_of_the_earlier_layout_are_recognised_and_resolve_to_their_record() {
        let old = legacy(T0, 12, 345);
        assert_eq!(kcl_read(&old), None, "the earlier layout has fewer than 186 bits");
        assert_eq!(SeqNo::parse(&old), Some(SeqNo { stream_ms: T0, shard: 12, shard_ms: T0, log_seq: 345 }));
        let new = SeqNo { stream_ms: T0, shard: 12, shard_ms: T0, log_seq: 0 }.to_string();
        assert!(big(&new) > big(&old), "a current number sorts after every number of the earlier layout");
    }

    #[test]
    fn malformed_numbers_are_refused() {
        let good = SeqNo { stream_ms: T0, shard: 1, shard_ms: T0, log_seq: 2 }.to_string();
        let mut b = Bits::from_decimal(&good).unwrap();
        assert_eq!(b.to_decimal(), good);
        b.put(0, 4, 1);
        assert_eq!(SeqNo::parse(&b.to_decimal()), None, "the low bits are zero");
        let mut v3 = Bits::default();
        v3.put(VERSION_BIT, 4, 3);
        assert_eq!(v3.bit_len(), 186);
        assert_eq!(SeqNo::parse(&v3.to_decimal()), None, "version 3");
        for bad in ["0", "1", &good[1..], &format!("{good}0"), &good.replace('1', "x"), "9".repeat(56).as_str()] {
            assert_eq!(SeqNo::parse(bad), None, "{bad}");
        }
        assert_eq!(Bits::from_decimal(&"9".repeat(58)), None, "more than 192 bits");
    }

    proptest::proptest! {
        #[test]
        fn numbers_round_trip_and_sort_as_the_records_do(
            stream_ms in 0i64..(1 << 42),
            shard in 0u32..100_000,
            age in 0i64..(1 << 34),
            logs in (proptest::prelude::any::<u64>(), proptest::prelude::any::<u64>()),
            child_gap in (1u32..100_000, 0i64..(1 << 34)),
            child_logs in (proptest::prelude::any::<u64>(), proptest::prelude::any::<u64>()),
        ) {
            let shard_ms = stream_ms.saturating_add(age).min(stream_ms + (1 << 40));
            let a = SeqNo { stream_ms, shard, shard_ms, log_seq: logs.0.min(logs.1) };
            let b = SeqNo { log_seq: logs.0.max(logs.1), ..a };
            for n in [a, b] {
                let s = n.to_string();
                proptest::prop_assert_eq!(kcl_read(&s), Some((2, u64::from(shard))));
                proptest::prop_assert_eq!(SeqNo::parse(&s), Some(n));
            }
            // Within a shard, numeric order is log order.
            proptest::prop_assert_eq!(big(&a.to_string()).cmp(&big(&b.to_string())), a.log_seq.cmp(&b.log_seq));
            // A child (a higher index, created no earlier, possibly in the same millisecond) sorts
            // after every number of its parent, whatever the positions.
            let child = SeqNo { shard: shard + child_gap.0, shard_ms: shard_ms + child_gap.1, log_seq: child_logs.0, ..a };
            let parent_last = SeqNo { log_seq: u64::MAX, ..a };
            proptest::prop_assert!(big(&child.to_string()) > big(&parent_last.to_string()));
            let child_last = SeqNo { log_seq: u64::MAX, ..child };
            let grandchild = SeqNo { shard: child.shard + 1, log_seq: child_logs.1, ..child };
            proptest::prop_assert!(big(&grandchild.to_string()) > big(&child_last.to_string()));
        }
    }

    #[test]
    fn iterators_round_trip_and_reject_tampering() {
        let key = IteratorKey::generate().unwrap();
        let it = Iter { stream: "s".into(), stream_ms: 5, shard: 2, log_seq: 77, created_ms: 1234 };
        let enc = it.encode(&key);
        assert_eq!(key.open(&enc), Some(it.clone()));
        let mut bad = enc.clone().into_bytes();
        bad[10] = if bad[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(key.open(&String::from_utf8(bad).unwrap()), None);
        let other = IteratorKey::generate().unwrap();
        assert_eq!(other.open(&enc), None, "another data dir's key does not open it");
    }

    #[test]
    fn an_iterator_built_without_the_key_is_refused() {
        let key = IteratorKey::generate().unwrap();
        let it = Iter { stream: "s".into(), stream_ms: 5, shard: 2, log_seq: 77, created_ms: i64::MAX / 2 };
        // What a client could build from the layout: a fresh creation time and a guessed tag.
        let mut forged = it.body();
        forged.extend_from_slice(&[0u8; TAG_LEN]);
        let forged = base64::engine::general_purpose::STANDARD.encode(forged);
        assert_eq!(Iter::decode(&forged), Some(it), "the layout alone parses");
        assert_eq!(key.open(&forged), None);
    }

    #[test]
    fn the_key_is_kept_in_a_private_file_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let first = IteratorKey::load_or_create(tmp.path()).unwrap();
        let path = tmp.path().join(IteratorKey::FILE);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let again = IteratorKey::load_or_create(tmp.path()).unwrap();
        assert_eq!(first.0, again.0);
        std::fs::write(&path, b"short").unwrap();
        let replaced = IteratorKey::load_or_create(tmp.path()).unwrap();
        assert_ne!(replaced.0, first.0);
    }

    #[test]
    fn arns_name_their_stream() {
        assert_eq!(stream_name_from_arn("arn:aws:kinesis:us-east-1:000000000000:stream/ticks"), Some("ticks"));
        assert_eq!(stream_name_from_arn("arn:aws:sqs:us-east-1:0:q"), None);
    }
}
