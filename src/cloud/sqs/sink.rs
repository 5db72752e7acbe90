//! The local SQS as the context's queue sink: how other services (an event source mapping's
//! on-failure destination) send a message without the wire. The message goes through the same
//! checks and the same durable write as a SendMessage.

use std::sync::{Arc, Weak};

use super::errors;
use super::op::Op;
use super::send::{Outgoing, enqueue};
use super::state::SqsState;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::queue_sink::QueueSink;

pub struct SqsSink {
    state: Arc<SqsState>,
    /// Weak: the context holds this sink.
    ctx: Weak<CloudContext>,
}

impl SqsSink {
    pub fn new(state: Arc<SqsState>, ctx: &Arc<CloudContext>) -> Self {
        SqsSink { state, ctx: Arc::downgrade(ctx) }
    }
}

/// The queue an ARN names in this account (any region: the local queues are one set).
fn queue_of_arn(account: &str, arn: &str) -> Result<String, ApiError> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", _, owner, name] if *owner == account && !name.is_empty() => Ok(name.to_string()),
        ["arn", _, "sqs", _, _, _] => Err(errors::no_queue()),
        _ => Err(errors::invalid_parameter(format!("{arn} is not the ARN of an SQS queue."))),
    }
}

impl QueueSink for SqsSink {
    fn send_message(&self, queue_arn: &str, body: &str) -> Result<String, ApiError> {
        let ctx = self.ctx.upgrade().ok_or_else(|| ApiError::internal("the local cloud is stopping"))?;
        let op = Op { state: &self.state, ctx: &ctx, now: ctx.clock.now_ms() };
        let queue = queue_of_arn(op.account(), queue_arn)
            .map_err(|e| ApiError { message: format!("{} ({queue_arn})", e.message), ..e })?;
        let outgoing = Outgoing::checked(body)?;
        let sent = enqueue(&op, &queue, vec![outgoing])
            .map_err(|e| ApiError { message: format!("{} ({queue_arn})", e.message), ..e })?;
        Ok(sent.into_iter().next().map(|m| m.id).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_names_a_queue_of_this_account() {
        assert_eq!(queue_of_arn("000000000000", "arn:aws:sqs:us-east-1:000000000000:dlq").unwrap(), "dlq");
        assert_eq!(
            queue_of_arn("000000000000", "arn:aws:sqs:us-east-1:111111111111:dlq").unwrap_err().code,
            errors::NON_EXISTENT_QUEUE
        );
        assert_eq!(queue_of_arn("000000000000", "dlq").unwrap_err().code, "InvalidParameterValue");
    }
}
