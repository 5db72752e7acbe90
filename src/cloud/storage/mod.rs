//! Durable storage of the local cloud: per-shard append-only record logs.

mod disk;
mod error;
mod handles;
mod index;
mod index_file;
mod reader;
mod record;
mod recover;
mod segment;
pub mod shard_log;
mod sim_disk;
mod writer;

pub use disk::Disk;
pub use error::StorageError;
pub use shard_log::*;
pub use sim_disk::SimDisk;
