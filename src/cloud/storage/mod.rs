//! Durable storage shared by the local services.

pub mod shard_log;

pub use shard_log::{LogOptions, NewRecord, ShardLog, StorageError, StoredRecord};
