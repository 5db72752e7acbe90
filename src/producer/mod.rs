//! The producer: what the console puts on a stream for an operator. Records are batched within the
//! stream's limits, paced, retried and counted; this module starts with the record formats producers share.

pub mod counters;
pub mod engine;
pub mod pacing;
pub mod rest_sink;
pub mod shard_map;
pub mod sink;
pub mod workloads;
