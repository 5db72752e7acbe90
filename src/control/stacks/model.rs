//! What the stack views show, read out of the SDK's CloudFormation types into plain values the CLI
//! prints and the UI draws (the SDK's types are all optional fields; these say what is there).

use aws_sdk_cloudformation::types as cfn;
use serde::Serialize;

/// The stack tag naming the pattern a stack was deployed from (templates/README.md).
pub const PATTERN_TAG: &str = "kinesis-console:pattern";
/// The stack tag naming the console version that deployed it.
pub const VERSION_TAG: &str = "kinesis-console:version";
/// The resource type of a stack's own events.
pub const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackEvent {
    pub event_id: String,
    /// Milliseconds since the epoch.
    pub timestamp_ms: i64,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

impl From<&cfn::StackEvent> for StackEvent {
    fn from(e: &cfn::StackEvent) -> Self {
        StackEvent {
            event_id: e.event_id().unwrap_or_default().to_string(),
            timestamp_ms: e.timestamp().and_then(|t| t.to_millis().ok()).unwrap_or_default(),
            logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
            physical_id: e.physical_resource_id().filter(|p| !p.is_empty()).map(str::to_string),
            resource_type: e.resource_type().unwrap_or_default().to_string(),
            status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            reason: e.resource_status_reason().filter(|r| !r.is_empty()).map(str::to_string),
        }
    }
}

impl StackEvent {
    /// Whether the event is the stack's own (rather than one of its resources').
    pub fn is_stack(&self) -> bool {
        self.resource_type == STACK_TYPE
    }

    /// A resource that failed for a reason of its own, not because another one did.
    pub fn is_root_failure(&self) -> bool {
        !self.is_stack()
            && self.status.ends_with("_FAILED")
            && !self.reason.as_deref().is_some_and(|r| r.contains("cancelled"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackOutput {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}

impl From<&cfn::Output> for StackOutput {
    fn from(o: &cfn::Output) -> Self {
        StackOutput {
            key: o.output_key().unwrap_or_default().to_string(),
            value: o.output_value().unwrap_or_default().to_string(),
            description: o.description().map(str::to_string),
            export_name: o.export_name().map(str::to_string),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

impl From<&cfn::StackResourceSummary> for StackResource {
    fn from(r: &cfn::StackResourceSummary) -> Self {
        StackResource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
            physical_id: r.physical_resource_id().filter(|p| !p.is_empty()).map(str::to_string),
            resource_type: r.resource_type().unwrap_or_default().to_string(),
            status: r.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            reason: r.resource_status_reason().map(str::to_string),
        }
    }
}

/// One of the console's deployments, as `stacks` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackSummary {
    pub name: String,
    pub stack_id: String,
    /// The pattern id from the stack's tag; `None` for a stack the console did not deploy.
    pub pattern: Option<String>,
    pub console_version: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub created_ms: i64,
    pub updated_ms: Option<i64>,
    /// Alarms of this stack in ALARM (the templates name every alarm `<stack>-…`); `None` when
    /// CloudWatch could not be read.
    pub alarms_in_alarm: Option<usize>,
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<StackOutput>,
}

impl From<&cfn::Stack> for StackSummary {
    fn from(s: &cfn::Stack) -> Self {
        let tag =
            |key: &str| s.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value()).map(str::to_string);
        StackSummary {
            name: s.stack_name().unwrap_or_default().to_string(),
            stack_id: s.stack_id().unwrap_or_default().to_string(),
            pattern: tag(PATTERN_TAG),
            console_version: tag(VERSION_TAG),
            status: s.stack_status().map(|st| st.as_str().to_string()).unwrap_or_default(),
            reason: s.stack_status_reason().map(str::to_string),
            created_ms: s.creation_time().and_then(|t| t.to_millis().ok()).unwrap_or_default(),
            updated_ms: s.last_updated_time().and_then(|t| t.to_millis().ok()),
            alarms_in_alarm: None,
            parameters: s
                .parameters()
                .iter()
                .map(|p| {
                    (
                        p.parameter_key().unwrap_or_default().to_string(),
                        p.parameter_value().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            outputs: s.outputs().iter().map(StackOutput::from).collect(),
        }
    }
}

/// A stack's status that no operation is changing any more.
pub fn is_settled(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// A settled status that says the last operation did what was asked.
pub fn is_success(status: &str) -> bool {
    matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "DELETE_COMPLETE" | "IMPORT_COMPLETE")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::primitives::DateTime;

    #[test]
    fn an_sdk_event_reads_into_the_view_with_empty_fields_as_none() {
        let e = cfn::StackEvent::builder()
            .event_id("e1")
            .logical_resource_id("Stream")
            .physical_resource_id("")
            .resource_type("AWS::Kinesis::Stream")
            .resource_status(cfn::ResourceStatus::CreateFailed)
            .resource_status_reason("Resource creation cancelled")
            .timestamp(DateTime::from_millis(1_700_000_000_500))
            .build();
        let v = StackEvent::from(&e);
        assert_eq!(v.timestamp_ms, 1_700_000_000_500);
        assert_eq!(v.physical_id, None);
        assert_eq!(v.status, "CREATE_FAILED");
        assert!(!v.is_root_failure(), "a cancelled resource did not cause the failure");
        let own = StackEvent { reason: Some("Resource handler returned message: \"x\"".into()), ..v };
        assert!(own.is_root_failure());
    }

    #[test]
    fn a_stack_is_read_with_its_console_tags() {
        let s = cfn::Stack::builder()
            .stack_name("orders")
            .stack_id("arn:aws:cloudformation:us-east-1:000000000000:stack/orders/1")
            .stack_status(cfn::StackStatus::CreateComplete)
            .tags(cfn::Tag::builder().key(PATTERN_TAG).value("kds-kdf-s3").build())
            .tags(cfn::Tag::builder().key(VERSION_TAG).value("0.1.0").build())
            .outputs(cfn::Output::builder().output_key("StreamName").output_value("orders-stream").build())
            .build();
        let v = StackSummary::from(&s);
        assert_eq!(v.pattern.as_deref(), Some("kds-kdf-s3"));
        assert_eq!(v.console_version.as_deref(), Some("0.1.0"));
        assert_eq!(v.outputs[0].value, "orders-stream");
        assert!(is_settled(&v.status) && is_success(&v.status));
        assert!(!is_settled("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(!is_success("ROLLBACK_COMPLETE"));
    }
}
