//! How the stack commands meet a slow or unwilling API: every call through a client whose retries back
//! off exponentially with jitter and whose calls time out (so nothing hangs), the event follower's own
//! jittered backoff when CloudFormation throttles its polling, and expired or missing credentials told
//! apart from other failures, with what to run, instead of being retried.

use std::fmt;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// Error codes AWS answers for credentials that expired or that it does not know.
const CREDENTIAL_CODES: &[&str] =
    &["ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId", "UnrecognizedClientException"];
const THROTTLING_CODES: &[&str] =
    &["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"];

/// A CloudFormation client for the console: standard retries (exponential backoff with full jitter,
/// throttling included) and a bound on every call.
pub fn client(sdk: &SdkConfig) -> Client {
    let conf = aws_sdk_cloudformation::config::Builder::from(sdk)
        .retry_config(RetryConfig::standard().with_max_attempts(5).with_initial_backoff(Duration::from_millis(200)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        )
        .build();
    Client::from_conf(conf)
}

/// Why a CloudFormation call failed, as the stack commands report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Credentials expired or unknown: retrying cannot help; the user must refresh them.
    Credentials { operation: String, detail: String },
    /// The console's credential chain found none: its one sentence naming the fix (`control::credentials`).
    NoCredentials { sentence: String },
    /// Still throttled after the client's retries.
    Throttled { operation: String },
    /// Any other refusal or failure, with AWS's code when there is one.
    Other { operation: String, code: Option<String>, message: String },
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Credentials { operation, detail } => write!(
                f,
                "{operation}: the AWS credentials have expired or are not valid ({detail}); refresh them \
                 (`aws sso login`, or new keys in the environment or profile) and run the command again"
            ),
            CallError::NoCredentials { sentence } => f.write_str(sentence),
            CallError::Throttled { operation } => {
                write!(f, "{operation}: CloudFormation is throttling requests; try again in a minute")
            }
            CallError::Other { operation, code: Some(code), message } => write!(f, "{operation}: {code}: {message}"),
            CallError::Other { operation, code: None, message } => write!(f, "{operation}: {message}"),
        }
    }
}

impl std::error::Error for CallError {}

impl CallError {
    pub fn from_sdk<E, R>(operation: &str, err: &SdkError<E, R>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: fmt::Debug,
    {
        if let Some(sentence) = crate::control::credentials::hint_in(std::error::Error::source(err)) {
            return CallError::NoCredentials { sentence };
        }
        let code = err.code().map(str::to_string);
        let detail = format!("{}", DisplayErrorContext(err));
        Self::classify(operation, code, err.message().map(str::to_string), detail)
    }

    /// Credential trouble shows as one of AWS's codes or, before any request is sent, as the credential
    /// provider's own failure (an expired SSO token, no credentials at all).
    pub fn classify(operation: &str, code: Option<String>, message: Option<String>, detail: String) -> CallError {
        let operation = operation.to_string();
        let lowered = detail.to_ascii_lowercase();
        let provider_failed = code.is_none()
            && (lowered.contains("credential") || lowered.contains("token has expired") || lowered.contains("sso"));
        if code.as_deref().is_some_and(|c| CREDENTIAL_CODES.contains(&c)) || provider_failed {
            return CallError::Credentials { operation, detail: message.unwrap_or(detail) };
        }
        if code.as_deref().is_some_and(|c| THROTTLING_CODES.contains(&c)) {
            return CallError::Throttled { operation };
        }
        CallError::Other { operation, code, message: message.unwrap_or(detail) }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            CallError::Other { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn message(&self) -> String {
        match self {
            CallError::Other { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// The follower's polling pace: a steady interval, doubled per consecutive throttling up to a cap,
/// each wait drawn between half and all of it ("equal jitter"), so many consoles do not poll in step.
#[derive(Debug, Clone)]
pub struct Pace {
    interval: Duration,
    cap: Duration,
    throttled: u32,
}

/// Consecutive throttled polls after which the follower gives up.
pub const MAX_THROTTLED_POLLS: u32 = 8;

impl Pace {
    pub fn new(interval: Duration) -> Self {
        Pace { interval, cap: Duration::from_secs(30).max(interval), throttled: 0 }
    }

    /// The wait before the next poll; `throttled` says whether the last one was throttled. `None`
    /// once throttled [`MAX_THROTTLED_POLLS`] times in a row.
    pub fn next(&mut self, throttled: bool) -> Option<Duration> {
        if !throttled {
            self.throttled = 0;
            return Some(self.interval);
        }
        self.throttled += 1;
        if self.throttled > MAX_THROTTLED_POLLS {
            return None;
        }
        let ceiling = self.interval.saturating_mul(1 << self.throttled.min(16)).min(self.cap);
        let half = ceiling / 2;
        Some(half + half.mul_f64(fastrand::f64()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_credentials_are_told_apart_and_say_what_to_run() {
        let e =
            CallError::classify("DescribeStacks", Some("ExpiredToken".into()), Some("expired".into()), String::new());
        assert!(matches!(e, CallError::Credentials { .. }));
        assert!(e.to_string().contains("aws sso login"), "{e}");
        let provider = CallError::classify(
            "CreateStack",
            None,
            None,
            "failed to construct request: the SSO token has expired".into(),
        );
        assert!(matches!(provider, CallError::Credentials { .. }), "{provider:?}");
    }

    #[test]
    fn throttling_and_other_refusals_are_classified_by_code() {
        let t = CallError::classify(
            "DescribeStackEvents",
            Some("Throttling".into()),
            Some("Rate exceeded".into()),
            String::new(),
        );
        assert_eq!(t, CallError::Throttled { operation: "DescribeStackEvents".into() });
        let v = CallError::classify(
            "CreateStack",
            Some("ValidationError".into()),
            Some("Stack [x] does not exist".into()),
            String::new(),
        );
        assert_eq!(v.code(), Some("ValidationError"));
        assert_eq!(v.to_string(), "CreateStack: ValidationError: Stack [x] does not exist");
    }

    #[test]
    fn throttled_polls_back_off_with_jitter_up_to_a_cap_then_give_up() {
        let mut pace = Pace::new(Duration::from_secs(1));
        assert_eq!(pace.next(false), Some(Duration::from_secs(1)));
        let mut ceilings = Vec::new();
        for n in 1..=MAX_THROTTLED_POLLS {
            let wait = pace.next(true).expect("still polling");
            let ceiling = Duration::from_secs(1 << n).min(Duration::from_secs(30));
            assert!(wait >= ceiling / 2 && wait <= ceiling, "poll {n}: {wait:?} outside {ceiling:?}");
            ceilings.push(ceiling);
        }
        assert_eq!(pace.next(true), None, "gives up after {MAX_THROTTLED_POLLS} throttled polls");
        assert_eq!(pace.next(false), Some(Duration::from_secs(1)), "a good poll resets the pace");
        assert_eq!(ceilings.last(), Some(&Duration::from_secs(30)));
    }
}
