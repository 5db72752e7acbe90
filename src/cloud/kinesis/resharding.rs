//! Resharding: UpdateShardCount (uniform scaling, done as splits and merges), SplitShard and
//! MergeShards. As on AWS, a reshard takes effect when the stream returns from UPDATING to ACTIVE:
//! then the parents close at their last record (after in-flight appends finish), the children take
//! over their hash ranges, and the lineage is kept so readers go from a parent's end to its children.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::{parse_shard_id, shard_id, split_range};
use super::model::{ClosedShard, Mode, ShardMeta, Status, StreamMeta};
use super::op::{Op, StreamRef, parse};
use super::state::{ShardRt, Stream, unknown_shard};
use super::streams::{MAX_SHARDS_PER_STREAM, check_shard_room};
use super::validate::{
    Checks, HASH_KEY_PATTERN, NAME_PATTERN, in_use, invalid, is_hash_key, is_name, limit_exceeded, not_active,
};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

/// A shard a child replaces: an existing one, or a child created earlier in the same reshard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Parent {
    Old(u32),
    New(usize),
}

/// A child shard to create: its range and the one (split) or two (merge) shards it replaces.
/// A child that a later child replaces is a short-lived intermediate, closed as it is created.
#[derive(Debug, PartialEq, Eq)]
struct Child {
    start: u128,
    end: u128,
    parents: Vec<Parent>,
}

/// Who asks for a reshard: a client's operation (refused on on-demand streams, as on AWS) or the
/// on-demand scaler.
#[derive(Clone, Copy)]
pub enum Caller {
    Api(&'static str),
    OnDemandScaling,
}

/// Plans a reshard of an ACTIVE stream and sets it going. As on AWS it takes effect when the stream
/// returns to ACTIVE: until then the stream is UPDATING, its parents stay open and take the writes,
/// and no child is listed (the children wait in the metadata's `pending_shards`, and the status
/// transition makes them real: `State::settle`). With instant transitions it takes effect now, after
/// the appends in flight to the parents finish. Either way the new metadata is built on a copy and
/// persisted before it is applied; on any error the stream is as it was.
async fn reshard(
    op: &Op<'_>,
    stream_ref: &StreamRef,
    caller: Caller,
    plan: impl FnOnce(&[ShardMeta]) -> Result<Vec<Child>, ApiError>,
) -> Result<(), ApiError> {
    let stream = op.stream(stream_ref)?;
    let (closing, children) = planned(&stream, caller, plan)?;
    let added = (children.len() - superseded(&children).len()).saturating_sub(closing.len());
    let end = op.transition_end();
    let mut gates = Vec::with_capacity(closing.len());
    if end.is_none() {
        for rt in &closing {
            gates.push(rt.gate.write().await);
        }
    }
    let _quota = op.state.quota_lock();
    check_shard_room(op, added)?;
    let mut inner = stream.write();
    if inner.meta.status != Status::Active
        || closing.iter().any(|rt| inner.meta.shards[rt.index as usize].closed.is_some())
    {
        return Err(not_active(&inner.meta.name, inner.meta.status.as_str()));
    }
    let mut meta = inner.meta.clone();
    meta.pending_shards = child_shards(&meta, children, op.now);
    let created = match end {
        Some(end) => {
            meta.status = Status::Updating;
            meta.transition_at_ms = Some(end);
            Vec::new()
        }
        None => op.state.take_effect(&stream.dir, &mut meta, &inner.shards, op.now)?,
    };
    if let Err(e) = op.state.persist(&meta) {
        op.state.discard_shards(created);
        return Err(e);
    }
    for gate in gates.iter_mut() {
        **gate = true;
    }
    inner.meta = meta;
    inner.shards.extend(created.into_iter().map(Some));
    Ok(())
}

/// The shards a reshard closes and the children it makes, for an ACTIVE stream the caller may reshard.
fn planned(
    stream: &Stream,
    caller: Caller,
    plan: impl FnOnce(&[ShardMeta]) -> Result<Vec<Child>, ApiError>,
) -> Result<(Vec<Arc<ShardRt>>, Vec<Child>), ApiError> {
    let inner = stream.read();
    if let (Caller::Api(operation), Mode::OnDemand) = (caller, inner.meta.mode) {
        return Err(ApiError::bad_request(
            "ValidationException",
            format!(
                "{operation} is only supported for streams in PROVISIONED mode; stream {} is ON_DEMAND.",
                inner.meta.name
            ),
        ));
    }
    if inner.meta.status != Status::Active {
        return Err(not_active(&inner.meta.name, inner.meta.status.as_str()));
    }
    let children = plan(&inner.meta.shards)?;
    let closing = closed_by(&children).iter().filter_map(|i| inner.shard(*i).cloned()).collect();
    Ok((closing, children))
}

/// The children as shards numbered after the existing ones; intermediates are closed from the start.
fn child_shards(meta: &StreamMeta, children: Vec<Child>, now: i64) -> Vec<ShardMeta> {
    let base = meta.shards.len();
    let intermediate = superseded(&children);
    children
        .into_iter()
        .enumerate()
        .map(|(k, child)| {
            let parents: Vec<u32> = child
                .parents
                .iter()
                .map(|p| match p {
                    Parent::Old(i) => *i,
                    Parent::New(j) => (base + j) as u32,
                })
                .collect();
            let closed = intermediate.contains(&k).then_some(ClosedShard { at_ms: now, last_log_seq: 0 });
            ShardMeta {
                index: (base + k) as u32,
                parent: parents.first().copied(),
                adjacent_parent: parents.get(1).copied(),
                start_hash: child.start,
                end_hash: child.end,
                created_ms: now,
                first_log_seq: 0,
                closed,
                gone: false,
                parents,
            }
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    target_shard_count: Option<i64>,
    scaling_type: Option<String>,
}

pub async fn update_shard_count(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let i: UpdateInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    c.required("targetShardCount", &i.target_shard_count).range(
        "targetShardCount",
        i.target_shard_count,
        1,
        MAX_SHARDS_PER_STREAM,
    );
    c.required("scalingType", &i.scaling_type).one_of("scalingType", i.scaling_type.as_deref(), &["UNIFORM_SCALING"]);
    c.finish()?;
    let target_count = i.target_shard_count.unwrap_or(1) as usize;
    let name = i.stream_ref.name()?;
    let current = uniform(op, &i.stream_ref, target_count, Caller::Api("UpdateShardCount")).await?;
    Ok(json!({
        "StreamName": name,
        "CurrentShardCount": current,
        "TargetShardCount": target_count,
        "StreamARN": super::keys::stream_arn(op.region, &name),
    }))
}

/// Replaces the open shards with `target_count` shards of equal hash ranges; returns how many were open.
pub async fn uniform(
    op: &Op<'_>,
    stream_ref: &StreamRef,
    target_count: usize,
    caller: Caller,
) -> Result<usize, ApiError> {
    let mut current = 0;
    reshard(op, stream_ref, caller, |shards| {
        let mut open: Vec<&ShardMeta> = shards.iter().filter(|s| s.is_open()).collect();
        open.sort_by_key(|s| s.start_hash);
        current = open.len();
        if target_count > current * 2 {
            return Err(limit_exceeded(format!(
                "UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: {current} Target shard count: {target_count}"
            )));
        }
        if target_count * 2 < current {
            return Err(limit_exceeded(format!(
                "UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: {current} Target shard count: {target_count}"
            )));
        }
        let ranges: Vec<(u128, u128, u32)> = open.iter().map(|s| (s.start_hash, s.end_hash, s.index)).collect();
        Ok(uniform_children(&ranges, target_count as u32))
    })
    .await?;
    Ok(current)
}

/// The existing shards the children replace.
fn closed_by(children: &[Child]) -> Vec<u32> {
    replaced(children, |p| match p {
        Parent::Old(i) => Some(i),
        Parent::New(_) => None,
    })
}

/// Positions of the children that later children replace.
fn superseded(children: &[Child]) -> Vec<usize> {
    replaced(children, |p| match p {
        Parent::New(j) => Some(j),
        Parent::Old(_) => None,
    })
}

/// The parents `pick` keeps, each once, in order.
fn replaced<T: Ord>(children: &[Child], pick: impl Fn(Parent) -> Option<T>) -> Vec<T> {
    let mut out: Vec<T> = children.iter().flat_map(|c| c.parents.iter().copied()).filter_map(pick).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Uniform scaling as AWS performs it, by splits and merges, so every child has at most two
/// parents: each open shard (`(start, end, index)`, sorted) is split at every new boundary inside
/// it, then the pieces of each new range are merged pairwise. A shard whose range is already a
/// new range stays as it is.
fn uniform_children(open: &[(u128, u128, u32)], target_count: u32) -> Vec<Child> {
    let targets = split_range(0, u128::MAX, target_count);
    let cuts: Vec<u128> = targets.iter().skip(1).map(|(start, _)| *start).collect();
    let mut children = Vec::new();
    let mut pieces: Vec<(u128, u128, Parent)> = Vec::new();
    for &(start, end, index) in open {
        let (mut from, mut current) = (start, Parent::Old(index));
        for &cut in cuts.iter().filter(|c| start < **c && **c <= end) {
            children.push(Child { start: from, end: cut - 1, parents: vec![current] });
            pieces.push((from, cut - 1, Parent::New(children.len() - 1)));
            children.push(Child { start: cut, end, parents: vec![current] });
            (from, current) = (cut, Parent::New(children.len() - 1));
        }
        pieces.push((from, end, current));
    }
    for (start, end) in targets {
        let mut group = pieces.iter().filter(|(s, e, _)| start <= *s && *e <= end);
        let Some(&(_, _, mut merged)) = group.next() else { continue };
        for &(_, piece_end, piece) in group {
            children.push(Child { start, end: piece_end, parents: vec![merged, piece] });
            merged = Parent::New(children.len() - 1);
        }
    }
    children
}

/// The open shard numbered `index`, or AWS's error naming it in its canonical form.
fn open_shard<'a>(shards: &'a [ShardMeta], index: u32, stream: &str) -> Result<&'a ShardMeta, ApiError> {
    let id = shard_id(index);
    let shard = shards.get(index as usize).filter(|s| !s.gone).ok_or_else(|| unknown_shard(&id, stream))?;
    if !shard.is_open() {
        return Err(in_use(format!(
            "Shard {id} in stream {stream} under account {LOCAL_ACCOUNT_ID} has already been merged or split, and thus is not eligible for merging or splitting."
        )));
    }
    Ok(shard)
}

/// The shard number a request names; an id AWS cannot read is refused before the stream is looked up.
fn shard_number(id: &str, stream: &str) -> Result<u32, ApiError> {
    parse_shard_id(id).ok_or_else(|| unknown_shard(id, stream))
}

fn check_shard_member(c: &mut Checks, member: &str, v: &Option<String>) {
    c.required(member, v).len(member, v.as_deref(), 1, 128).pattern(member, v.as_deref(), is_name, NAME_PATTERN);
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SplitInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    shard_to_split: Option<String>,
    new_starting_hash_key: Option<String>,
}

pub async fn split_shard(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let i: SplitInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    check_shard_member(&mut c, "shardToSplit", &i.shard_to_split);
    c.required("newStartingHashKey", &i.new_starting_hash_key);
    c.pattern("newStartingHashKey", i.new_starting_hash_key.as_deref(), is_hash_key, HASH_KEY_PATTERN);
    c.finish()?;
    let name = i.stream_ref.name()?;
    let index = shard_number(i.shard_to_split.as_deref().unwrap_or_default(), &name)?;
    let id = shard_id(index);
    let key_text = i.new_starting_hash_key.unwrap_or_default();
    reshard(op, &i.stream_ref, Caller::Api("SplitShard"), |shards| {
        let shard = open_shard(shards, index, &name)?;
        let key = key_text.parse::<u128>().ok().filter(|k| *k > shard.start_hash.saturating_add(1) && *k < shard.end_hash);
        let Some(key) = key else {
            return Err(invalid(format!(
                "NewStartingHashKey {key_text} used in SplitShard() on shard {id} in stream {name} under account {LOCAL_ACCOUNT_ID} is not both \
                 greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
                shard.start_hash, shard.end_hash
            )));
        };
        let parent = vec![Parent::Old(shard.index)];
        Ok(vec![
            Child { start: shard.start_hash, end: key - 1, parents: parent.clone() },
            Child { start: key, end: shard.end_hash, parents: parent },
        ])
    })
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MergeInput {
    #[serde(flatten)]
    stream_ref: StreamRef,
    shard_to_merge: Option<String>,
    adjacent_shard_to_merge: Option<String>,
}

pub async fn merge_shards(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let i: MergeInput = parse(input)?;
    let mut c = Checks::new();
    i.stream_ref.check(&mut c);
    check_shard_member(&mut c, "shardToMerge", &i.shard_to_merge);
    check_shard_member(&mut c, "adjacentShardToMerge", &i.adjacent_shard_to_merge);
    c.finish()?;
    let name = i.stream_ref.name()?;
    let a_index = shard_number(i.shard_to_merge.as_deref().unwrap_or_default(), &name)?;
    let b_index = shard_number(i.adjacent_shard_to_merge.as_deref().unwrap_or_default(), &name)?;
    reshard(op, &i.stream_ref, Caller::Api("MergeShards"), |shards| {
        let a = open_shard(shards, a_index, &name)?;
        let b = open_shard(shards, b_index, &name)?;
        let adjacent = a.index != b.index && (a.end_hash.checked_add(1) == Some(b.start_hash) || b.end_hash.checked_add(1) == Some(a.start_hash));
        if !adjacent {
            return Err(invalid(format!(
                "Shards {} and {} in stream {name} under account {LOCAL_ACCOUNT_ID} are not an adjacent pair of shards eligible for merging",
                shard_id(a.index),
                shard_id(b.index)
            )));
        }
        let parents = vec![Parent::Old(a.index), Parent::Old(b.index)];
        Ok(vec![Child { start: a.start_hash.min(b.start_hash), end: a.end_hash.max(b.end_hash), parents }])
    })
    .await?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Applies the children in order to open shards `0..from` of equal ranges, checking that each
    /// split or merge is one AWS could make; returns the open ranges and the number of intermediates.
    fn apply(from: u32, to: u32) -> (Vec<(u128, u128)>, usize) {
        let open: Vec<(u128, u128, u32)> =
            split_range(0, u128::MAX, from).into_iter().zip(0..).map(|((s, e), i)| (s, e, i)).collect();
        let children = uniform_children(&open, to);
        let mut live: BTreeMap<Parent, (u128, u128)> = open.iter().map(|&(s, e, i)| (Parent::Old(i), (s, e))).collect();
        let mut split_halves: BTreeMap<Parent, Vec<(u128, u128)>> = BTreeMap::new();
        for (k, child) in children.iter().enumerate() {
            match child.parents[..] {
                [p] => {
                    let range = live.get(&p).copied().expect("a split parent is open");
                    let halves = split_halves.entry(p).or_default();
                    halves.push((child.start, child.end));
                    if halves.len() == 2 {
                        assert_eq!((halves[0].0, halves[0].1 + 1, halves[1].1), (range.0, halves[1].0, range.1));
                        live.remove(&p);
                    }
                }
                [a, b] => {
                    let (ra, rb) = (live.remove(&a).expect("open"), live.remove(&b).expect("open"));
                    assert_eq!(ra.1 + 1, rb.0, "merged shards are adjacent");
                    assert_eq!((child.start, child.end), (ra.0, rb.1));
                }
                _ => panic!("child {k} has {} parents", child.parents.len()),
            }
            live.insert(Parent::New(k), (child.start, child.end));
        }
        let mut ranges: Vec<(u128, u128)> = live.values().copied().collect();
        ranges.sort();
        (ranges, superseded(&children).len())
    }

    #[test]
    fn uniform_scaling_is_splits_and_merges_ending_in_equal_ranges() {
        for (from, to) in [(2, 4), (4, 2), (3, 5), (5, 3), (4, 7), (7, 4), (1, 2), (6, 6), (10, 19)] {
            let (ranges, _) = apply(from, to);
            assert_eq!(ranges, split_range(0, u128::MAX, to), "{from} -> {to}");
        }
    }

    #[test]
    fn doubling_and_halving_need_no_intermediate_shards() {
        let open: Vec<(u128, u128, u32)> =
            split_range(0, u128::MAX, 2).into_iter().zip(0..).map(|((s, e), i)| (s, e, i)).collect();
        assert_eq!(uniform_children(&open, 4).len(), 4);
        assert_eq!(apply(2, 4).1, 0);
        assert_eq!(apply(4, 2).1, 0);
        assert!(uniform_children(&open, 2).is_empty(), "equal ranges stay as they are");
        assert_eq!(apply(3, 5).1, 5, "3 -> 5 passes through short-lived shards");
    }
}
