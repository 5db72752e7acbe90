//! Updating a stack through a change set, as an operator wants it: the new values checked first, the
//! change set created on the stack's current template, its changes shown (what is modified, what is
//! replaced), and executed only once accepted; a change set with no changes is removed and said so.

use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{Capability, Change, ChangeSetStatus, ChangeSetType, Parameter};
use serde::Serialize;

use super::model::StackSummary;
use super::retry::{CallError, Pace};
use crate::patterns::{Pattern, Problem, Rule};

/// CloudFormation's reason for a change set that changes nothing (the aws CLI matches the same text).
pub const NO_CHANGES: &str = "didn't contain changes";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRow {
    /// Add, Modify, Remove, …
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// `True`, `False` or `Conditional` for a modification; `None` otherwise.
    pub replacement: Option<String>,
    /// The properties whose change causes this one.
    pub properties: Vec<String>,
}

impl From<&Change> for ChangeRow {
    fn from(c: &Change) -> Self {
        let r = c.resource_change();
        let mut properties: Vec<String> = r
            .map(|r| r.details().iter().filter_map(|d| d.target()?.name().map(str::to_string)).collect())
            .unwrap_or_default();
        properties.dedup();
        ChangeRow {
            action: r.and_then(|r| r.action()).map(|a| a.as_str().to_string()).unwrap_or_default(),
            logical_id: r.and_then(|r| r.logical_resource_id()).unwrap_or_default().to_string(),
            physical_id: r.and_then(|r| r.physical_resource_id()).map(str::to_string),
            resource_type: r.and_then(|r| r.resource_type()).unwrap_or_default().to_string(),
            replacement: r.and_then(|r| r.replacement()).map(|x| x.as_str().to_string()),
            properties,
        }
    }
}

impl ChangeRow {
    pub fn replaces(&self) -> bool {
        matches!(self.replacement.as_deref(), Some("True" | "Conditional"))
    }
}

/// A change set ready to execute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub change_set_id: String,
    pub stack_id: String,
    pub changes: Vec<ChangeRow>,
}

/// What creating a change set gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Proposed {
    Changes(Proposal),
    /// Nothing would change; the change set was deleted again.
    NoChanges,
}

/// The given values' problems: a name the stack does not have, or (when the stack's pattern is known) a
/// value outside the template's constraint.
pub fn check_values(stack: &StackSummary, pattern: Option<&Pattern>, given: &[(String, String)]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (name, value) in given {
        if !stack.parameters.iter().any(|(k, _)| k == name) {
            let known: Vec<&str> = stack.parameters.iter().map(|(k, _)| k.as_str()).collect();
            let message = format!("the stack has no such parameter; it has: {}", known.join(", "));
            problems.push(Problem { parameter: name.clone(), rule: Rule::UnknownParameter, message });
            continue;
        }
        if let Some(p) = pattern.and_then(|p| p.template.parameter(name)) {
            problems.extend(crate::patterns::validate::check(p, value));
        }
    }
    problems
}

/// Creates a change set on the stack's current template with the given values (the others keep their
/// previous values) and waits until CloudFormation has computed it.
pub async fn propose(
    client: &Client,
    stack: &StackSummary,
    given: &[(String, String)],
    poll: Duration,
) -> Result<Proposed, CallError> {
    let params = stack.parameters.iter().map(|(k, _)| match given.iter().rev().find(|(n, _)| n == k) {
        Some((_, v)) => Parameter::builder().parameter_key(k).parameter_value(v).build(),
        None => Parameter::builder().parameter_key(k).use_previous_value(true).build(),
    });
    let name = format!("kinesis-console-{}", crate::cloud::clock::wall_ms());
    let created = client
        .create_change_set()
        .stack_name(&stack.stack_id)
        .change_set_name(&name)
        .change_set_type(ChangeSetType::Update)
        .use_previous_template(true)
        .set_parameters(Some(params.collect()))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .map_err(|e| CallError::from_sdk("CreateChangeSet", &e))?;
    let id = created.id().unwrap_or(&name).to_string();
    let mut pace = Pace::new(poll);
    loop {
        let throttled = match describe(client, &id, stack).await {
            Ok(Some(done)) => return Ok(done),
            Ok(None) => false,
            Err(CallError::Throttled { .. }) => true,
            Err(e) => return Err(e),
        };
        let wait = pace.next(throttled).ok_or(CallError::Throttled { operation: "DescribeChangeSet".into() })?;
        tokio::time::sleep(wait).await;
    }
}

/// The change set once computed (`None` while CloudFormation is still at it).
async fn describe(client: &Client, id: &str, stack: &StackSummary) -> Result<Option<Proposed>, CallError> {
    let mut changes = Vec::new();
    let mut token = None;
    loop {
        let d = client
            .describe_change_set()
            .change_set_name(id)
            .stack_name(&stack.stack_id)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DescribeChangeSet", &e))?;
        match d.status() {
            Some(ChangeSetStatus::CreateComplete) => {}
            Some(ChangeSetStatus::Failed) => {
                let reason = d.status_reason().unwrap_or("the change set failed").to_string();
                if reason.contains(NO_CHANGES) {
                    let _ = client.delete_change_set().change_set_name(id).stack_name(&stack.stack_id).send().await;
                    return Ok(Some(Proposed::NoChanges));
                }
                return Err(CallError::Other { operation: "CreateChangeSet".into(), code: None, message: reason });
            }
            _ => return Ok(None),
        }
        changes.extend(d.changes().iter().map(ChangeRow::from));
        token = d.next_token().map(str::to_string);
        if token.is_none() {
            let stack_id = stack.stack_id.clone();
            return Ok(Some(Proposed::Changes(Proposal { change_set_id: id.to_string(), stack_id, changes })));
        }
    }
}

pub async fn execute(client: &Client, proposal: &Proposal) -> Result<(), CallError> {
    client
        .execute_change_set()
        .change_set_name(&proposal.change_set_id)
        .stack_name(&proposal.stack_id)
        .send()
        .await
        .map_err(|e| CallError::from_sdk("ExecuteChangeSet", &e))?;
    Ok(())
}

/// A change set the user declined: removed so it does not linger on the stack.
pub async fn discard(client: &Client, proposal: &Proposal) -> Result<(), CallError> {
    client
        .delete_change_set()
        .change_set_name(&proposal.change_set_id)
        .stack_name(&proposal.stack_id)
        .send()
        .await
        .map_err(|e| CallError::from_sdk("DeleteChangeSet", &e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::types::{
        ChangeAction, ChangeType, Replacement, ResourceAttribute, ResourceChange, ResourceChangeDetail,
        ResourceTargetDefinition,
    };

    fn change(action: ChangeAction, logical: &str, replacement: Option<Replacement>, property: &str) -> Change {
        let detail = ResourceChangeDetail::builder()
            .target(ResourceTargetDefinition::builder().attribute(ResourceAttribute::Properties).name(property).build())
            .build();
        let rc = ResourceChange::builder()
            .action(action)
            .logical_resource_id(logical)
            .physical_resource_id(format!("orders-{logical}"))
            .resource_type("AWS::Kinesis::Stream")
            .set_replacement(replacement)
            .details(detail.clone())
            .details(detail)
            .build();
        Change::builder().r#type(ChangeType::Resource).resource_change(rc).build()
    }

    #[test]
    fn a_recorded_change_set_reads_into_rows_that_say_what_is_replaced() {
        let modify = ChangeRow::from(&change(ChangeAction::Modify, "Stream", Some(Replacement::False), "ShardCount"));
        assert_eq!(modify.action, "Modify");
        assert_eq!(modify.properties, ["ShardCount"], "one entry per property");
        assert!(!modify.replaces());
        let replace = ChangeRow::from(&change(ChangeAction::Modify, "Stream", Some(Replacement::True), "Name"));
        assert!(replace.replaces());
        let conditional =
            ChangeRow::from(&change(ChangeAction::Modify, "Stream", Some(Replacement::Conditional), "Name"));
        assert!(conditional.replaces());
    }

    #[test]
    fn values_are_checked_against_the_stack_and_its_pattern_before_any_call() {
        let stack = StackSummary {
            name: "orders".into(),
            stack_id: "id".into(),
            pattern: Some("kds-kdf-s3".into()),
            console_version: None,
            status: "CREATE_COMPLETE".into(),
            reason: None,
            created_ms: 0,
            updated_ms: None,
            alarms_in_alarm: None,
            parameters: vec![("ShardCount".into(), "2".into())],
            outputs: vec![],
        };
        let pattern = crate::patterns::catalogue().expect("catalogue").find("kds-kdf-s3").expect("pattern");
        assert!(check_values(&stack, Some(pattern), &[("ShardCount".into(), "4".into())]).is_empty());
        let bad = check_values(&stack, Some(pattern), &[("ShardCount".into(), "0".into())]);
        assert_eq!(bad[0].parameter, "ShardCount");
        let unknown = check_values(&stack, Some(pattern), &[("Shards".into(), "4".into())]);
        assert!(unknown[0].message.contains("it has: ShardCount"), "{:?}", unknown[0]);
    }
}
