//! What an SQS operation works with: the state, the cloud context, the region and the cloud time of
//! the request; and how a queue URL names a queue.

use serde_json::Value;

use super::errors;
use super::model::queue_arn;
use super::state::SqsState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;

pub struct Op<'a> {
    pub state: &'a SqsState,
    pub ctx: &'a CloudContext,
    pub now: Millis,
}

impl Op<'_> {
    pub fn account(&self) -> &str {
        self.ctx.account_id()
    }

    /// `{endpoint}/{account}/{name}`: the host's URL, so clients that follow queue URLs reach it.
    pub fn url(&self, name: &str) -> String {
        let endpoint = self.ctx.endpoint_url.get().map(String::as_str).unwrap_or("http://localhost");
        format!("{}/{}/{name}", endpoint.trim_end_matches('/'), self.account())
    }

    pub fn arn(&self, name: &str) -> String {
        queue_arn(&self.ctx.config.region, self.account(), name)
    }
}

/// The queue a URL names: its last two path segments are the account and the name. Any host is
/// accepted (clients build URLs from the endpoint they were given); another account is a queue that
/// does not exist.
pub fn queue_name_of_url(account: &str, url: &str) -> Result<String, ApiError> {
    let path = url.split_once("://").map_or(url, |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
    let path = path.split(['?', '#']).next().unwrap_or_default().trim_matches('/');
    let mut segments = path.rsplit('/');
    let (Some(name), Some(owner)) = (segments.next(), segments.next()) else {
        return Err(ApiError::bad_request(
            "InvalidAddress",
            format!("The address {url} is not valid for this endpoint."),
        ));
    };
    if name.is_empty() || owner != account {
        return Err(errors::no_queue());
    }
    Ok(name.to_string())
}

/// A required string member of an input document.
pub fn required<'v>(input: &'v Value, member: &str) -> Result<&'v str, ApiError> {
    match input.get(member) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(errors::missing(member)),
        Some(_) => Err(ApiError::serialization(format!("{member} must be a string"))),
    }
}

/// An optional integer member (awsQuery forms carry numbers as text and are typed on the way in).
pub fn integer(input: &Value, member: &str) -> Result<Option<i64>, ApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| errors::invalid_parameter(format!("Value {v} for parameter {member} is invalid."))),
    }
}

/// The queue named by the input's `QueueUrl`.
pub fn queue_of(op: &Op<'_>, input: &Value) -> Result<String, ApiError> {
    queue_name_of_url(op.account(), required(input, "QueueUrl")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_url_names_account_and_queue_whatever_its_host() {
        let acct = "000000000000";
        assert_eq!(queue_name_of_url(acct, "http://127.0.0.1:4599/000000000000/dlq").unwrap(), "dlq");
        assert_eq!(queue_name_of_url(acct, "https://sqs.us-east-1.amazonaws.com/000000000000/a-b_c").unwrap(), "a-b_c");
        assert_eq!(queue_name_of_url(acct, "/000000000000/q").unwrap(), "q");
        assert_eq!(queue_name_of_url(acct, "http://h/111111111111/q").unwrap_err().code, errors::NON_EXISTENT_QUEUE);
        assert_eq!(queue_name_of_url(acct, "q").unwrap_err().code, "InvalidAddress");
        assert_eq!(queue_name_of_url(acct, "http://h/").unwrap_err().code, "InvalidAddress");
    }
}
