//! Which shard a record goes to, predicted as Kinesis places it: the MD5 of the partition key (or the
//! explicit hash key) as a 128-bit number, in the hash key range of exactly one open shard.

use aws_sdk_kinesis::types::Shard;

use crate::cloud::kinesis::keys::partition_hash;

/// The open shards' hash key ranges, lowest first.
#[derive(Debug, Clone, Default)]
pub struct ShardMap {
    ranges: Vec<(u128, u128, String)>,
}

impl ShardMap {
    /// The open shards among `shards` (a closed shard takes no writes).
    pub fn from_shards(shards: &[Shard]) -> ShardMap {
        let mut ranges: Vec<(u128, u128, String)> = shards
            .iter()
            .filter(|s| s.sequence_number_range().is_some_and(|r| r.ending_sequence_number().is_none()))
            .filter_map(|s| {
                let range = s.hash_key_range()?;
                Some((
                    range.starting_hash_key().parse().ok()?,
                    range.ending_hash_key().parse().ok()?,
                    s.shard_id().to_string(),
                ))
            })
            .collect();
        ranges.sort();
        ShardMap { ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The shard a record with these keys lands on, if the map knows one.
    pub fn shard_for(&self, partition_key: &str, explicit_hash_key: Option<&str>) -> Option<&str> {
        self.slot_for(partition_key, explicit_hash_key).and_then(|slot| self.id(slot))
    }

    /// The same shard as a slot, `0..len()`: the engine keeps its queues by slot, so a record is placed
    /// without copying or comparing shard ids.
    pub fn slot_for(&self, partition_key: &str, explicit_hash_key: Option<&str>) -> Option<usize> {
        let key = hash_key(partition_key, explicit_hash_key);
        let i = self.ranges.partition_point(|(start, _, _)| *start <= key).checked_sub(1)?;
        (key <= self.ranges[i].1).then_some(i)
    }

    /// The id of the shard in `slot`.
    pub fn id(&self, slot: usize) -> Option<&str> {
        self.ranges.get(slot).map(|(_, _, id)| id.as_str())
    }
}

/// The 128-bit hash key Kinesis places a record by.
pub fn hash_key(partition_key: &str, explicit_hash_key: Option<&str>) -> u128 {
    explicit_hash_key.and_then(|k| k.parse::<u128>().ok()).unwrap_or_else(|| partition_hash(partition_key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::types::{HashKeyRange, SequenceNumberRange};

    fn shard(id: &str, start: u128, end: u128, closed: bool) -> Shard {
        let mut range = SequenceNumberRange::builder().starting_sequence_number("1");
        if closed {
            range = range.ending_sequence_number("2");
        }
        Shard::builder()
            .shard_id(id)
            .hash_key_range(
                HashKeyRange::builder()
                    .starting_hash_key(start.to_string())
                    .ending_hash_key(end.to_string())
                    .build()
                    .unwrap(),
            )
            .sequence_number_range(range.build().unwrap())
            .build()
            .unwrap()
    }

    #[test]
    fn records_map_to_the_open_shard_whose_range_holds_their_hash() {
        let half = u128::MAX / 2;
        let map = ShardMap::from_shards(&[
            shard("parent", 0, u128::MAX, true),
            shard("low", 0, half, false),
            shard("high", half + 1, u128::MAX, false),
        ]);
        assert_eq!(map.len(), 2, "closed shards take no writes");
        assert_eq!(map.shard_for("x", Some("0")), Some("low"));
        assert_eq!(map.shard_for("x", Some(&(half + 1).to_string())), Some("high"));
        assert_eq!(map.shard_for("x", Some(&u128::MAX.to_string())), Some("high"));
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661, below half.
        assert_eq!(hash_key("a", None), 0x0cc175b9c0f1b6a831c399e269772661);
        assert_eq!(map.shard_for("a", None), Some("low"));
        assert_eq!(map.shard_for("a", Some("not a number")), Some("low"), "a bad hash key falls back to the MD5");
        assert_eq!(ShardMap::default().shard_for("a", None), None);
        assert_eq!(map.slot_for("x", Some("0")), Some(0));
        assert_eq!((map.id(1), map.id(2)), (Some("high"), None));
    }
}
