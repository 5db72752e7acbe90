//! Resharding: UpdateShardCount (uniform scaling), SplitShard and MergeShards. Parents are closed
//! (after in-flight appends finish), children take over their hash ranges, and the lineage is kept
//! so readers can go from a parent's last record to its children.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::{shard_id, split_range};
use super::model::{ClosedShard, Mode, ShardMeta, Status};
use super::op::{Op, Target, parse};
use super::state::{ShardRt, open_shard};
use super::streams::{MAX_SHARDS_PER_STREAM, check_shard_room};
use super::validate::{
    Checks, HASH_KEY_PATTERN, NAME_PATTERN, in_use, invalid, is_hash_key, is_name, limit_exceeded, not_active,
};
use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

/// A child shard to create: its range and the shards it replaces.
struct Child {
    start: u128,
    end: u128,
    parents: Vec<u32>,
}

/// Who asks for a reshard: a client's operation (refused on on-demand streams, as on AWS) or the
/// on-demand scaler.
#[derive(Clone, Copy)]
pub enum Caller {
    Api(&'static str),
    OnDemandScaling,
}

/// Closes `parents` and opens `children` atomically with respect to writers.
async fn reshard(
    op: &Op<'_>,
    target: &Target,
    caller: Caller,
    plan: impl FnOnce(&[ShardMeta]) -> Result<(Vec<u32>, Vec<Child>), ApiError>,
) -> Result<(), ApiError> {
    let stream = op.stream(target)?;
    let (closing, children): (Vec<Arc<ShardRt>>, Vec<Child>) = {
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
        let (close, children) = plan(&inner.meta.shards)?;
        let added = children.len().saturating_sub(close.len());
        drop(inner);
        check_shard_room(op, added)?;
        let inner = stream.read();
        (close.iter().filter_map(|i| inner.shard(*i).cloned()).collect(), children)
    };
    let mut gates = Vec::with_capacity(closing.len());
    for rt in &closing {
        gates.push(rt.gate.write().await);
    }
    let mut inner = stream.write();
    if inner.meta.status != Status::Active
        || closing.iter().any(|rt| inner.meta.shards[rt.index as usize].closed.is_some())
    {
        return Err(not_active(&inner.meta.name, inner.meta.status.as_str()));
    }
    for (rt, gate) in closing.iter().zip(gates.iter_mut()) {
        let shard = &mut inner.meta.shards[rt.index as usize];
        let last_log_seq = rt.log.next_seq().saturating_sub(1).max(shard.first_log_seq);
        shard.closed = Some(ClosedShard { at_ms: op.now, last_log_seq });
        **gate = true;
    }
    let stream_dir = stream.dir.clone();
    for child in children {
        let index = inner.meta.shards.len() as u32;
        inner.meta.shards.push(ShardMeta {
            index,
            parent: child.parents.first().copied(),
            adjacent_parent: child.parents.get(1).copied(),
            start_hash: child.start,
            end_hash: child.end,
            created_ms: op.now,
            first_log_seq: 0,
            closed: None,
            gone: false,
            parents: child.parents,
        });
        let rt = open_shard(&stream_dir, &inner.meta, index).map_err(|e| ApiError::internal(e.to_string()))?;
        inner.shards.push(Some(rt));
    }
    if let Some(end) = op.transition_end() {
        inner.meta.status = Status::Updating;
        inner.meta.transition_at_ms = Some(end);
    }
    op.state.persist(&inner.meta)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateInput {
    #[serde(flatten)]
    target: Target,
    target_shard_count: Option<i64>,
    scaling_type: Option<String>,
}

pub async fn update_shard_count(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let i: UpdateInput = parse(input)?;
    let mut c = Checks::new();
    i.target.check(&mut c);
    c.required("targetShardCount", &i.target_shard_count).range(
        "targetShardCount",
        i.target_shard_count,
        1,
        MAX_SHARDS_PER_STREAM,
    );
    c.required("scalingType", &i.scaling_type).one_of("scalingType", i.scaling_type.as_deref(), &["UNIFORM_SCALING"]);
    c.finish()?;
    let target_count = i.target_shard_count.unwrap_or(1) as usize;
    let name = i.target.name()?;
    let current = uniform(op, &i.target, target_count, Caller::Api("UpdateShardCount")).await?;
    Ok(json!({
        "StreamName": name,
        "CurrentShardCount": current,
        "TargetShardCount": target_count,
        "StreamARN": super::keys::stream_arn(op.region, &name),
    }))
}

/// Replaces the open shards with `target_count` shards of equal hash ranges; returns how many were open.
pub async fn uniform(op: &Op<'_>, target: &Target, target_count: usize, caller: Caller) -> Result<usize, ApiError> {
    let mut current = 0;
    reshard(op, target, caller, |shards| {
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
        let children = split_range(0, u128::MAX, target_count as u32)
            .into_iter()
            .map(|(start, end)| Child { start, end, parents: open.iter().filter(|p| p.start_hash <= end && start <= p.end_hash).map(|p| p.index).collect() })
            .collect();
        Ok((open.iter().map(|s| s.index).collect(), children))
    })
    .await?;
    Ok(current)
}

fn open_shard_named<'a>(shards: &'a [ShardMeta], id: &str, stream: &str) -> Result<&'a ShardMeta, ApiError> {
    let shard =
        super::keys::parse_shard_id(id).and_then(|i| shards.get(i as usize)).filter(|s| !s.gone).ok_or_else(|| {
            ApiError::bad_request(
                "ResourceNotFoundException",
                format!("Could not find shard {id} in stream {stream} under account {LOCAL_ACCOUNT_ID}."),
            )
        })?;
    if !shard.is_open() {
        return Err(in_use(format!(
            "Shard {id} in stream {stream} under account {LOCAL_ACCOUNT_ID} has already been merged or split, and thus is not eligible for merging or splitting."
        )));
    }
    Ok(shard)
}

fn check_shard_member(c: &mut Checks, member: &str, v: &Option<String>) {
    c.required(member, v).len(member, v.as_deref(), 1, 128).pattern(member, v.as_deref(), is_name, NAME_PATTERN);
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SplitInput {
    #[serde(flatten)]
    target: Target,
    shard_to_split: Option<String>,
    new_starting_hash_key: Option<String>,
}

pub async fn split_shard(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let i: SplitInput = parse(input)?;
    let mut c = Checks::new();
    i.target.check(&mut c);
    check_shard_member(&mut c, "shardToSplit", &i.shard_to_split);
    c.required("newStartingHashKey", &i.new_starting_hash_key);
    c.pattern("newStartingHashKey", i.new_starting_hash_key.as_deref(), is_hash_key, HASH_KEY_PATTERN);
    c.finish()?;
    let name = i.target.name()?;
    let id = i.shard_to_split.unwrap_or_default();
    let key_text = i.new_starting_hash_key.unwrap_or_default();
    reshard(op, &i.target, Caller::Api("SplitShard"), |shards| {
        let shard = open_shard_named(shards, &id, &name)?;
        let key = key_text.parse::<u128>().ok().filter(|k| *k > shard.start_hash.saturating_add(1) && *k < shard.end_hash);
        let Some(key) = key else {
            return Err(invalid(format!(
                "NewStartingHashKey {key_text} used in SplitShard() on shard {id} in stream {name} under account {LOCAL_ACCOUNT_ID} is not both \
                 greater than one plus the shard's StartingHashKey {} and less than the shard's EndingHashKey {}.",
                shard.start_hash, shard.end_hash
            )));
        };
        let children = vec![
            Child { start: shard.start_hash, end: key - 1, parents: vec![shard.index] },
            Child { start: key, end: shard.end_hash, parents: vec![shard.index] },
        ];
        Ok((vec![shard.index], children))
    })
    .await?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MergeInput {
    #[serde(flatten)]
    target: Target,
    shard_to_merge: Option<String>,
    adjacent_shard_to_merge: Option<String>,
}

pub async fn merge_shards(op: &Op<'_>, input: Value) -> Result<Value, ApiError> {
    let i: MergeInput = parse(input)?;
    let mut c = Checks::new();
    i.target.check(&mut c);
    check_shard_member(&mut c, "shardToMerge", &i.shard_to_merge);
    check_shard_member(&mut c, "adjacentShardToMerge", &i.adjacent_shard_to_merge);
    c.finish()?;
    let name = i.target.name()?;
    let (a_id, b_id) = (i.shard_to_merge.unwrap_or_default(), i.adjacent_shard_to_merge.unwrap_or_default());
    reshard(op, &i.target, Caller::Api("MergeShards"), |shards| {
        let a = open_shard_named(shards, &a_id, &name)?;
        let b = open_shard_named(shards, &b_id, &name)?;
        let adjacent = a.index != b.index && (a.end_hash.checked_add(1) == Some(b.start_hash) || b.end_hash.checked_add(1) == Some(a.start_hash));
        if !adjacent {
            return Err(invalid(format!(
                "Shards {} and {} in stream {name} under account {LOCAL_ACCOUNT_ID} are not an adjacent pair of shards eligible for merging",
                shard_id(a.index),
                shard_id(b.index)
            )));
        }
        let child = Child { start: a.start_hash.min(b.start_hash), end: a.end_hash.max(b.end_hash), parents: vec![a.index, b.index] };
        Ok((vec![a.index, b.index], vec![child]))
    })
    .await?;
    Ok(json!({}))
}
