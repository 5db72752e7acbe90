//! Durable storage of the local cloud: per-shard append-only record logs.

mod error;
mod index;
mod record;
mod segment;
pub mod shard_log;
mod writer;

pub use error::StorageError;
pub use shard_log::*;
