//! AWS-style input validation: constraint violations collected into one `ValidationException`,
//! and the service's own error codes and messages.

use crate::cloud::context::LOCAL_ACCOUNT_ID;
use crate::cloud::error::ApiError;

pub const MAX_NAME: usize = 128;
pub const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";

/// Collects constraint violations in AWS's wording.
#[derive(Default)]
pub struct Checks {
    errors: Vec<String>,
}

fn shown(value: &impl std::fmt::Display) -> String {
    format!("'{value}'")
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    fn fail(&mut self, value: String, member: &str, constraint: &str) {
        self.errors.push(format!("Value {value} at '{member}' failed to satisfy constraint: Member must {constraint}"));
    }

    pub fn required<T>(&mut self, member: &str, value: &Option<T>) -> &mut Self {
        if value.is_none() {
            self.fail("null".into(), member, "not be null");
        }
        self
    }

    pub fn len(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) -> &mut Self {
        if let Some(v) = value {
            let n = v.chars().count();
            if n < min {
                self.fail(shown(&v), member, &format!("have length greater than or equal to {min}"));
            } else if n > max {
                self.fail(shown(&v), member, &format!("have length less than or equal to {max}"));
            }
        }
        self
    }

    pub fn pattern(
        &mut self,
        member: &str,
        value: Option<&str>,
        ok: impl Fn(&str) -> bool,
        pattern: &str,
    ) -> &mut Self {
        if let Some(v) = value
            && !v.is_empty()
            && !ok(v)
        {
            self.fail(shown(&v), member, &format!("satisfy regular expression pattern: {pattern}"));
        }
        self
    }

    pub fn stream_name(&mut self, member: &str, value: Option<&str>) -> &mut Self {
        self.len(member, value, 1, MAX_NAME).pattern(member, value, is_name, NAME_PATTERN)
    }

    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) -> &mut Self {
        if let Some(v) = value {
            if v < min {
                self.fail(v.to_string(), member, &format!("have value greater than or equal to {min}"));
            } else if v > max {
                self.fail(v.to_string(), member, &format!("have value less than or equal to {max}"));
            }
        }
        self
    }

    pub fn one_of(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) -> &mut Self {
        if let Some(v) = value
            && !allowed.contains(&v)
        {
            self.fail(shown(&v), member, &format!("satisfy enum value set: [{}]", allowed.join(", ")));
        }
        self
    }

    /// A blob longer than `max` bytes. AWS names no value for a blob (it would be megabytes).
    pub fn blob_len(&mut self, member: &str, max: usize) -> &mut Self {
        self.errors.push(format!(
            "Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        ));
        self
    }

    pub fn custom(&mut self, value: String, member: &str, constraint: &str) -> &mut Self {
        self.fail(value, member, constraint);
        self
    }

    pub fn finish(&mut self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            n => {
                let noun = if n == 1 { "error" } else { "errors" };
                Err(ApiError::validation(format!("{n} validation {noun} detected: {}", self.errors.join("; "))))
            }
        }
    }
}

pub fn is_name(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

pub fn is_hash_key(s: &str) -> bool {
    s == "0" || (s.len() <= 39 && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
}

pub fn is_seq_pattern(s: &str) -> bool {
    s == "0" || (s.len() <= 129 && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
}

pub const HASH_KEY_PATTERN: &str = "0|([1-9]\\d{0,38})";
pub const SEQ_PATTERN: &str = "0|([1-9]\\d{0,128})";
pub const ARN_PATTERN: &str = "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";

pub fn not_found(name: &str) -> ApiError {
    ApiError::bad_request(
        "ResourceNotFoundException",
        format!("Stream {name} under account {LOCAL_ACCOUNT_ID} not found."),
    )
}

pub fn in_use(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ResourceInUseException", message)
}

pub fn not_active(name: &str, status: &str) -> ApiError {
    in_use(format!("Stream {name} under account {LOCAL_ACCOUNT_ID} not ACTIVE, instead in state {status}"))
}

pub fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidArgumentException", message)
}

pub fn limit_exceeded(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("LimitExceededException", message)
}

pub fn throughput_exceeded(stream: &str, shard: &str) -> ApiError {
    ApiError::bad_request(
        "ProvisionedThroughputExceededException",
        format!("Rate exceeded for shard {shard} in stream {stream} under account {LOCAL_ACCOUNT_ID}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_are_counted_and_joined() {
        let name = Some("bad name".to_string());
        let err = Checks::new()
            .stream_name("streamName", name.as_deref())
            .range("shardCount", Some(0), 1, 10)
            .finish()
            .unwrap_err();
        assert_eq!(
            err.message,
            "2 validation errors detected: Value 'bad name' at 'streamName' failed to satisfy constraint: Member must satisfy regular \
             expression pattern: [a-zA-Z0-9_.-]+; Value 0 at 'shardCount' failed to satisfy constraint: Member must have value \
             greater than or equal to 1"
        );
    }
}
