//! The per-shard record log (`cloud/storage/`): its operations, crashes on a simulated disk and of a
//! real process, and random operation sequences against a model.

mod crash;
mod index;
mod log;
mod model;
