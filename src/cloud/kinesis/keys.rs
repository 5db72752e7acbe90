//! Identifiers and positions: hash keys, shard ids, sequence numbers, ARNs and shard iterators.

use std::path::Path;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2_hmac::Sha256;

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
        let a = SeqNo { stream_ms: 1_700_000_000_000, shard: 3, log_seq: 9 };
        let b = SeqNo { log_seq: 10, ..a };
        assert_eq!(a.to_string().len(), SEQ_DIGITS);
        assert!(a.to_string() < b.to_string());
        assert_eq!(SeqNo::parse(&b.to_string()), Some(b));
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
