//! Deploying a pattern: everything decided and checked before the first call (the stack name, the
//! parameter values against the template's constraints, the values the console generates, the console's
//! tags), then one CreateStack with the template's original text.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
use serde::Serialize;

use super::model::{PATTERN_TAG, VERSION_TAG};
use super::retry::CallError;
use crate::patterns::parameters::Parameter as Declared;
use crate::patterns::{Pattern, Problem, validate_pairs};

/// The longest stack name the bundled templates allow: they name the stream `<stack>-stream`, and a
/// stream name has at most 128 characters.
pub const MAX_STACK_NAME: usize = 121;
/// Length of a generated secret when the template's constraints allow it.
const GENERATED_LENGTH: u64 = 40;

/// A deployment ready to send.
#[derive(Debug, Clone, Serialize)]
pub struct DeployRequest {
    pub pattern: String,
    pub stack_name: String,
    #[serde(skip)]
    pub template_body: &'static str,
    /// Every parameter's value, defaults filled in.
    #[serde(skip)]
    pub parameters: BTreeMap<String, String>,
    /// Parameters whose value is secret (`NoEcho`): shown as `****`.
    pub no_echo: Vec<String>,
    /// Parameters the console generated a value for.
    pub generated: Vec<String>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeployError {
    #[error("invalid stack name {name:?}: {why}")]
    StackName { name: String, why: String },
    #[error("{} parameter problem(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Parameters(Vec<Problem>),
}

/// CloudFormation's rule for stack names, with the templates' shorter bound.
pub fn check_stack_name(name: &str) -> Result<(), DeployError> {
    let bad = |why: &str| Err(DeployError::StackName { name: name.to_string(), why: why.to_string() });
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return bad("it must start with a letter");
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return bad("it may hold only letters, digits and hyphens");
    }
    if name.len() > MAX_STACK_NAME {
        return bad(&format!("it is longer than {MAX_STACK_NAME} characters (the stream is named <stack>-stream)"));
    }
    Ok(())
}

/// A secret the console generates: a `NoEcho` parameter without a default that the user did not give
/// (pattern 4's API key), random from the OS's RNG within the parameter's length bounds.
fn generate(p: &Declared) -> Option<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let min = p.min_length.unwrap_or(1);
    let len = GENERATED_LENGTH.max(min).min(p.max_length.unwrap_or(u64::MAX)) as usize;
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect())
}

/// Checks and completes a deployment of `pattern` without any call.
pub fn prepare(
    pattern: &Pattern,
    stack_name: Option<&str>,
    given: &[(String, String)],
) -> Result<DeployRequest, DeployError> {
    let stack_name = stack_name.unwrap_or(pattern.id).to_string();
    check_stack_name(&stack_name)?;
    let declared = &pattern.template.parameters;
    let mut values = given.to_vec();
    let mut generated = Vec::new();
    for p in declared.iter().filter(|p| p.no_echo && p.default.is_none()) {
        if !given.iter().any(|(n, _)| n == &p.name)
            && let Some(v) = generate(p)
        {
            values.push((p.name.clone(), v));
            generated.push(p.name.clone());
        }
    }
    let parameters = validate_pairs(declared, &values).map_err(DeployError::Parameters)?;
    Ok(DeployRequest {
        pattern: pattern.id.to_string(),
        stack_name,
        template_body: pattern.template_text(),
        parameters,
        no_echo: declared.iter().filter(|p| p.no_echo).map(|p| p.name.clone()).collect(),
        generated,
        tags: vec![(PATTERN_TAG.into(), pattern.id.into()), (VERSION_TAG.into(), crate::VERSION.into())],
    })
}

impl DeployRequest {
    /// The values as they may be shown: secrets masked.
    pub fn shown_parameters(&self) -> BTreeMap<String, String> {
        let mask = |k: &String, v: &String| if self.no_echo.contains(k) { "****".to_string() } else { v.clone() };
        self.parameters.iter().map(|(k, v)| (k.clone(), mask(k, v))).collect()
    }
}

/// CreateStack; returns the new stack's id.
pub async fn create(client: &Client, req: &DeployRequest) -> Result<String, CallError> {
    let params = req.parameters.iter().map(|(k, v)| Parameter::builder().parameter_key(k).parameter_value(v).build());
    let tags = req.tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build());
    let out = client
        .create_stack()
        .stack_name(&req.stack_name)
        .template_body(req.template_body)
        .set_parameters(Some(params.collect()))
        .set_tags(Some(tags.collect()))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .map_err(|e| CallError::from_sdk("CreateStack", &e))?;
    Ok(out.stack_id().unwrap_or(&req.stack_name).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patterns::catalogue;

    fn pattern(id: &str) -> &'static Pattern {
        catalogue().expect("catalogue").find(id).expect("pattern")
    }

    #[test]
    fn pattern_four_gets_a_fresh_secret_api_key_that_satisfies_its_constraints() {
        let bucket = [("ApplicationCodeBucket".to_string(), "code-bucket".to_string())];
        let a = prepare(pattern("kds-kda-apigw"), Some("taxi"), &bucket).expect("valid");
        let b = prepare(pattern("kds-kda-apigw"), Some("taxi"), &bucket).expect("valid");
        assert_eq!(a.generated, ["ApiKeyValue"]);
        let key = &a.parameters["ApiKeyValue"];
        assert_eq!(key.len(), 40);
        assert_ne!(key, &b.parameters["ApiKeyValue"], "one key per deployment");
        assert_eq!(a.shown_parameters()["ApiKeyValue"], "****");
        let given = [bucket[0].clone(), ("ApiKeyValue".to_string(), "k".repeat(24))];
        let c = prepare(pattern("kds-kda-apigw"), Some("taxi"), &given).expect("valid");
        assert!(c.generated.is_empty() && c.parameters["ApiKeyValue"] == "k".repeat(24), "a given key is kept");
    }

    #[test]
    fn parameters_are_checked_before_any_call() {
        let e = prepare(pattern("kds-kdf-s3"), None, &[("ShardCount".into(), "0".into())]).expect_err("invalid");
        let DeployError::Parameters(problems) = e else { panic!("parameter problems") };
        assert_eq!(problems[0].parameter, "ShardCount");
    }

    #[test]
    fn the_stack_carries_the_console_tags_and_the_template_as_bundled() {
        let r = prepare(pattern("3"), None, &[]).expect("defaults are valid");
        assert_eq!(r.stack_name, "kds-kdf-s3");
        assert_eq!(r.template_body, pattern("3").template_text());
        assert_eq!(
            r.tags,
            [
                (PATTERN_TAG.to_string(), "kds-kdf-s3".to_string()),
                (VERSION_TAG.to_string(), crate::VERSION.to_string())
            ]
        );
    }

    #[test]
    fn stack_names_follow_cloudformations_rule_and_the_templates_bound() {
        assert!(check_stack_name("orders-1").is_ok());
        assert!(check_stack_name("1orders").is_err());
        assert!(check_stack_name("orders_1").is_err());
        assert!(check_stack_name(&"a".repeat(MAX_STACK_NAME)).is_ok());
        assert!(check_stack_name(&"a".repeat(MAX_STACK_NAME + 1)).is_err());
    }
}
