//! The producer engine against the local Kinesis: every record acknowledged through throttling and
//! injected faults, and proved by reading the stream back.

#[path = "../support/mod.rs"]
mod support;

mod aggregation;
mod delivery;
mod rate;
