//! What IAM records: roles (with their inline policies and attached managed policies) and customer
//! managed policies with their versions. Recorded with real ARNs and ids, never enforced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cloud::clock::Millis;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: Millis,
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: u32,
    pub tags: Vec<(String, String)>,
    /// Inline policies by name.
    pub inline: BTreeMap<String, String>,
    /// ARNs of the managed policies attached, in attachment order.
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created_ms: Millis,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Policy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created_ms: Millis,
    pub updated_ms: Millis,
    pub description: Option<String>,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets (`v<N>`); versions are never renumbered.
    pub next_version: u32,
    pub tags: Vec<(String, String)>,
}

impl Policy {
    pub fn default_document(&self) -> &str {
        self.versions.iter().find(|v| v.id == self.default_version).map_or("", |v| v.document.as_str())
    }
}

/// AWS managed policies (`arn:aws:iam::aws:policy/…`) exist without being recorded here.
pub fn is_aws_managed(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/")
}

/// The last path segment of a policy ARN: its name.
pub fn policy_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A unique id as IAM forms them: a 4-letter prefix for the kind (`AROA` role, `ANPA` policy) and 17
/// characters of IAM's base-32 alphabet, 21 in all.
pub fn unique_id(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let tail: String = (0..17).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect();
    format!("{prefix}{tail}")
}

/// Percent-encodes a policy document the way IAM returns it (RFC 3986: all but unreserved characters).
pub fn url_encode(document: &str) -> String {
    let mut out = String::with_capacity(document.len() * 2);
    for b in document.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// ISO 8601 with seconds, as IAM's XML carries dates.
pub fn iso(ms: Millis) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_encoding_and_dates_look_like_iams() {
        let id = unique_id("AROA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AROA") && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
        assert_eq!(url_encode(r#"{"a": "b/c"}"#), "%7B%22a%22%3A%20%22b%2Fc%22%7D");
        assert_eq!(iso(1_700_000_000_500), "2023-11-14T22:13:20Z");
        assert_eq!(policy_name_of("arn:aws:iam::aws:policy/service-role/AWSLambdaRole"), "AWSLambdaRole");
    }
}
