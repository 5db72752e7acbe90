//! Pattern 1 (`apigw-kds-lambda`) run as a user runs it: the real binary deploys the bundled template,
//! records go in through the stack's REST API (`POST /records`, signed for `execute-api`), the virtual
//! clock moves time, and what the consumer function logged is read back from CloudWatch Logs, the
//! failure records from the dead-letter queue through aws-sdk-sqs, the dashboard through the console.
//! Also `produce` through the API (the `rest` workload) and what the aws CLI sees of the stack.

#[path = "../support/mod.rs"]
mod support;

mod aws_cli;
mod end_to_end;
mod produce;
mod stack;
