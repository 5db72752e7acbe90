//! The host: protocols and framing, serving and attaching, security, STS, fault injection and the
//! virtual clock, through the SDKs, raw HTTP and the `kinesis-console` binary.

#[path = "../support/mod.rs"]
mod support;

mod admin_faults;
mod hosting;
mod protocols;
mod security;
mod sts;
mod virtual_clock;
