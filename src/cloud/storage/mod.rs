//! Durable storage of the local cloud: per-shard append-only record logs.

mod disk;
mod error;
mod index;
mod record;
mod segment;
mod sim_disk;
pub mod shard_log;
mod writer;

pub use disk::Disk;
pub use error::StorageError;
pub use sim_disk::SimDisk;
pub use shard_log::*;
