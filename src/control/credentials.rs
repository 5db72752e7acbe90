//! Missing or expired AWS credentials as one sentence and the command that fixes it, for the CLI
//! and the TUI alike, instead of the SDK's provider-chain dump.
//!
//! The credential provider the console gives the SDK ([`Hinting`]) knows the profile in use and
//! whether it signs in through IAM Identity Center (SSO); when the chain fails it fails with a
//! [`CredentialsHint`] carrying the sentence, so wherever the error surfaces — any command, any
//! view — [`explain`] finds it in the error's chain. Service answers that say a token expired
//! (`ExpiredToken`, `ExpiredTokenException`) get the same treatment from the error code.
//!
//! | situation | the fix named |
//! |---|---|
//! | SSO profile, no or expired token | `aws sso login --profile X` |
//! | other named profile | `aws configure --profile X` |
//! | no profile | `aws configure`, or `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` |

use std::path::PathBuf;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, future};

/// Where credentials come from, as far as the fix is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The named profile (`--profile` or `AWS_PROFILE`); `None` is the default one.
    pub profile: Option<String>,
    /// Whether that profile signs in through IAM Identity Center.
    pub sso: bool,
}

impl Source {
    /// The source for `profile`, reading the AWS config file to learn whether it is an SSO one.
    pub fn for_profile(profile: Option<&str>) -> Source {
        let text = config_file().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
        Source { profile: profile.map(str::to_string), sso: is_sso_profile(&text, profile.unwrap_or("default")) }
    }

    /// The command that fixes missing or expired credentials from this source.
    pub fn fix(&self) -> String {
        match (&self.profile, self.sso) {
            (Some(p), true) if p != "default" => format!("run `aws sso login --profile {p}`"),
            (_, true) => "run `aws sso login`".to_string(),
            (Some(p), false) if p != "default" => format!("run `aws configure --profile {p}`"),
            _ => "run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".to_string(),
        }
    }

    /// The whole sentence: what is wrong and the command that fixes it.
    pub fn sentence(&self, expired: bool) -> String {
        let whose = match &self.profile {
            Some(p) => format!("The AWS credentials for profile {p}"),
            None => "The AWS credentials".to_string(),
        };
        let what = match (expired, self.sso) {
            (true, _) => "have expired",
            (false, true) => "are not available (no current SSO sign-in)",
            (false, false) => "were not found",
        };
        format!("{whose} {what}: {}.", self.fix())
    }
}

/// The AWS config file the CLI and the SDKs read: `AWS_CONFIG_FILE`, else `~/.aws/config`.
fn config_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AWS_CONFIG_FILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".aws").join("config"))
}

/// Whether the config file's section for `profile` names an SSO session or start URL.
fn is_sso_profile(config: &str, profile: &str) -> bool {
    let mut in_section = false;
    for line in config.lines().map(str::trim) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = header.trim();
            let name = name.strip_prefix("profile ").map(str::trim).unwrap_or(name);
            in_section = name == profile;
        } else if in_section {
            let key = line.split('=').next().unwrap_or("").trim();
            if key == "sso_session" || key == "sso_start_url" {
                return true;
            }
        }
    }
    false
}

/// Credentials could not be had; `Display` is the sentence shown to the person.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{sentence}")]
pub struct CredentialsHint {
    pub sentence: String,
}

/// The SDK's credential chain, with its failures turned into a [`CredentialsHint`].
#[derive(Debug)]
pub struct Hinting<P> {
    inner: P,
    source: Source,
}

impl<P: ProvideCredentials> Hinting<P> {
    pub fn new(inner: P, source: Source) -> Self {
        Hinting { inner, source }
    }

    async fn load(&self) -> provider::Result {
        self.inner.provide_credentials().await.map_err(|e| {
            tracing::warn!(error = %chain_text(&e), "loading AWS credentials");
            let hint = CredentialsHint { sentence: self.source.sentence(says_expired(&chain_text(&e))) };
            match e {
                CredentialsError::CredentialsNotLoaded(_) => CredentialsError::not_loaded(hint),
                _ => CredentialsError::provider_error(hint),
            }
        })
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Hinting<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}

/// An error and all its sources, as one line.
fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        parts.push(s.to_string());
        next = s.source();
    }
    parts.join(": ")
}

fn says_expired(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("expired") || t.contains("expiredtoken")
}

/// The sentence of a [`CredentialsHint`] among `first` and its sources (an SDK error's causes).
pub fn hint_in(first: Option<&(dyn std::error::Error + 'static)>) -> Option<String> {
    let mut next = first;
    while let Some(e) = next {
        if let Some(hint) = e.downcast_ref::<CredentialsHint>() {
            return Some(hint.sentence.clone());
        }
        next = e.source();
    }
    None
}

/// Service answers about the credentials themselves: expired, or not known to the service.
const EXPIRED_CODES: [&str; 2] = ["ExpiredToken", "ExpiredTokenException"];
const REFUSED_CODES: [&str; 5] = [
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
];

/// The AWS error code among `e`'s causes, when it is one of `codes`. The SDK's errors show their
/// metadata (`code: "…"`) in `Debug`, not in `Display`, and are generic per operation, so the
/// text is the one place every operation's error can be read the same way.
fn code_among(e: &anyhow::Error, codes: &[&'static str]) -> Option<&'static str> {
    e.chain().find_map(|c| {
        let debug = format!("{c:?}");
        codes.iter().copied().find(|code| {
            debug.contains(&format!("code: Some(\"{code}\")")) || debug.contains(&format!("code: \"{code}\""))
        })
    })
}

/// The one sentence for a credentials failure anywhere in `e`'s chain, or `None` when `e` is
/// about something else. `profile` is the one in use (for service answers, which do not say).
pub fn explain_for(e: &anyhow::Error, profile: Option<&str>) -> Option<String> {
    if let Some(sentence) = hint_in(Some(e.as_ref())) {
        return Some(sentence);
    }
    if code_among(e, &EXPIRED_CODES).is_some() {
        return Some(Source::for_profile(profile).sentence(true));
    }
    let code = code_among(e, &REFUSED_CODES)?;
    let source = Source::for_profile(profile);
    let whose = match &source.profile {
        Some(p) => format!("The AWS credentials for profile {p}"),
        None => "The AWS credentials".to_string(),
    };
    Some(format!("{whose} were refused ({code}): {}.", source.fix()))
}

/// [`explain_for`] with the profile `AWS_PROFILE` names (the console's views, which see only
/// the error).
pub fn explain(e: &anyhow::Error) -> Option<String> {
    explain_for(e, std::env::var("AWS_PROFILE").ok().as_deref())
}

/// `e` as a person reads it: the credentials sentence when that is the trouble, else the
/// error with its context.
pub fn human(e: &anyhow::Error) -> String {
    explain(e).unwrap_or_else(|| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use aws_credential_types::Credentials;

    use super::*;

    const CONFIG: &str = "[default]\nregion = eu-west-1\n\n[profile work]\nsso_session = corp\nsso_account_id = 1\n\n\
        [profile ci]\naws_access_key_id = AKIA\n\n[sso-session corp]\nsso_start_url = https://x\n";

    #[test]
    fn sso_profiles_are_recognised_by_their_section() {
        assert!(is_sso_profile(CONFIG, "work"));
        assert!(!is_sso_profile(CONFIG, "ci"));
        assert!(!is_sso_profile(CONFIG, "default"));
        assert!(!is_sso_profile(CONFIG, "corp"), "an sso-session section is not a profile");
        assert!(is_sso_profile("[default]\nsso_start_url = https://x\n", "default"));
    }

    #[test]
    fn each_source_names_the_command_that_fixes_it() {
        let sso = Source { profile: Some("work".into()), sso: true };
        assert_eq!(
            sso.sentence(true),
            "The AWS credentials for profile work have expired: run `aws sso login --profile work`."
        );
        let plain = Source { profile: Some("ci".into()), sso: false };
        assert_eq!(
            plain.sentence(false),
            "The AWS credentials for profile ci were not found: run `aws configure --profile ci`."
        );
        let none = Source { profile: None, sso: false };
        assert_eq!(
            none.sentence(false),
            "The AWS credentials were not found: run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        );
        assert_eq!(Source { profile: None, sso: true }.fix(), "run `aws sso login`");
    }

    #[derive(Debug)]
    struct Failing(fn() -> CredentialsError);

    impl ProvideCredentials for Failing {
        fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            future::ProvideCredentials::ready(Err((self.0)()))
        }
    }

    #[tokio::test]
    async fn a_failing_chain_fails_with_the_sentence_and_explain_finds_it_under_context() {
        let source = Source { profile: Some("work".into()), sso: true };
        let expired = Hinting::new(
            Failing(|| CredentialsError::provider_error("the SSO session has expired or is invalid")),
            source.clone(),
        );
        let err = expired.provide_credentials().await.expect_err("fails");
        let wrapped = anyhow::Error::new(err).context("DescribeAlarms failed");
        assert_eq!(
            explain(&wrapped).as_deref(),
            Some("The AWS credentials for profile work have expired: run `aws sso login --profile work`.")
        );
        let missing = Hinting::new(Failing(CredentialsError::not_loaded_no_source), source);
        let err = missing.provide_credentials().await.expect_err("fails");
        assert!(matches!(err, CredentialsError::CredentialsNotLoaded(_)));
        assert!(human(&anyhow::Error::new(err)).contains("no current SSO sign-in"));
    }

    #[tokio::test]
    async fn working_credentials_pass_through_and_other_errors_keep_their_text() {
        let creds = Credentials::new("AKID", "secret", None, None, "test");
        let ok = Hinting::new(creds, Source { profile: None, sso: false });
        assert_eq!(ok.provide_credentials().await.map(|c| c.access_key_id().to_string()).ok().as_deref(), Some("AKID"));
        let other = anyhow::anyhow!("no such stream").context("DescribeStream orders");
        assert_eq!(explain(&other), None);
        assert_eq!(human(&other), "DescribeStream orders: no such stream");
    }

    #[test]
    fn service_answers_about_the_credentials_get_the_sentence_too() {
        use aws_sdk_cloudwatch::error::ErrorMetadata;
        use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsError;
        let answer = |code: &str| {
            let meta = ErrorMetadata::builder()
                .code(code)
                .message("The security token included in the request is expired")
                .build();
            anyhow::Error::new(DescribeAlarmsError::generic(meta)).context("DescribeAlarms failed")
        };
        assert_eq!(
            explain_for(&answer("ExpiredToken"), Some("ci")).as_deref(),
            Some("The AWS credentials for profile ci have expired: run `aws configure --profile ci`.")
        );
        assert_eq!(
            explain_for(&answer("UnrecognizedClientException"), None).as_deref(),
            Some(
                "The AWS credentials were refused (UnrecognizedClientException): run `aws configure`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
            )
        );
        assert_eq!(explain_for(&answer("ResourceNotFound"), None), None);
    }
}
