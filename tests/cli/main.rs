//! The `kinesis-console` commands and the pattern catalogue they show: alarms, objects, patterns (and the
//! catalogue against its sources and its monitoring against the local CloudWatch), and stacks.

#[path = "../support/mod.rs"]
mod support;

mod alarms;
mod config;
mod credentials;
mod dlq;
mod flink_app;
mod invoke;
mod objects;
mod patterns;
mod patterns_catalogue;
mod patterns_monitoring;
mod produce;
mod stacks;
mod tail;
