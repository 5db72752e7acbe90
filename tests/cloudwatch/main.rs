//! CloudWatch in the local cloud: metrics, dashboards and alarms through aws-sdk-cloudwatch and the aws CLI.

#[path = "../support/mod.rs"]
mod support;

mod alarms;
mod cli;
mod metrics;
