//! Pattern 3 (`kds-kdf-s3`) run as a user runs it: the real binary deploys the bundled template,
//! records go in through aws-sdk-kinesis, the virtual clock moves time, and what Firehose delivered is
//! read back from S3 with a decoder that did not write it. Also the freshness alarm under S3 faults
//! and a `local serve` killed with SIGKILL during delivery.

#[path = "../support/mod.rs"]
mod support;

mod alarm;
mod crash;
mod end_to_end;
mod firehose_support;
