//! The XML shapes of CloudFormation's responses (the inner part of `<OpResult>`), as the SDKs and the
//! aws CLI parse them. Parameters marked NoEcho read back as `****` everywhere.

use super::model::{ChangeSet, Event, Resource, Stack};
use super::template::ResolvedParameters;
use crate::cloud::protocol::xml::XmlWriter;

/// `2026-11-28T22:05:52.123Z`.
pub fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| ms.to_string())
}

fn members<T>(w: &mut XmlWriter, name: &str, items: &[T], each: impl Fn(&mut XmlWriter, &T)) {
    w.nest(name, |w| {
        for item in items {
            w.nest("member", |w| each(w, item));
        }
    });
}

pub fn strings(w: &mut XmlWriter, name: &str, items: &[String]) {
    members(w, name, items, |w, s| {
        w.raw(&quick_xml::escape::escape(s.as_str()));
    });
}

pub fn tags(w: &mut XmlWriter, tags: &[(String, String)]) {
    members(w, "Tags", tags, |w, (k, v)| {
        w.elem("Key", k).elem("Value", v);
    });
}

/// The masked parameters of a stored parameter document.
pub fn parameters(w: &mut XmlWriter, params: &serde_json::Value) {
    let masked = ResolvedParameters::from_json(params).map(|p| p.masked()).unwrap_or_default();
    members(w, "Parameters", &masked, |w, (k, v)| {
        w.elem("ParameterKey", k).elem("ParameterValue", v);
    });
}

pub fn stack(w: &mut XmlWriter, s: &Stack) {
    w.elem("StackId", &s.id).elem("StackName", &s.name);
    w.opt("Description", s.description.as_deref());
    parameters(w, &s.params);
    w.elem("CreationTime", iso(s.created_ms));
    w.opt("DeletionTime", s.deleted_ms.map(iso));
    w.opt("LastUpdatedTime", s.updated_ms.map(iso));
    w.elem("StackStatus", &s.status);
    w.opt("StackStatusReason", s.reason.as_deref());
    w.elem("DisableRollback", s.disable_rollback);
    strings(w, "NotificationARNs", &s.notification_arns);
    strings(w, "Capabilities", &s.capabilities);
    members(w, "Outputs", &s.outputs, |w, o| {
        w.elem("OutputKey", &o.key).elem("OutputValue", &o.value);
        w.opt("Description", o.description.as_deref()).opt("ExportName", o.export_name.as_deref());
    });
    tags(w, &s.tags);
    w.elem("EnableTerminationProtection", s.termination_protection);
    w.nest("DriftInformation", |w| {
        w.elem("StackDriftStatus", "NOT_CHECKED");
    });
}

pub fn stack_summary(w: &mut XmlWriter, s: &Stack) {
    w.elem("StackId", &s.id).elem("StackName", &s.name);
    w.opt("TemplateDescription", s.description.as_deref());
    w.elem("CreationTime", iso(s.created_ms));
    w.opt("LastUpdatedTime", s.updated_ms.map(iso));
    w.opt("DeletionTime", s.deleted_ms.map(iso));
    w.elem("StackStatus", &s.status);
    w.opt("StackStatusReason", s.reason.as_deref());
    w.nest("DriftInformation", |w| {
        w.elem("StackDriftStatus", "NOT_CHECKED");
    });
}

pub fn event(w: &mut XmlWriter, s: &Stack, e: &Event) {
    w.elem("StackId", &s.id).elem("EventId", &e.id).elem("StackName", &s.name);
    w.elem("LogicalResourceId", &e.logical_id);
    w.opt("PhysicalResourceId", e.physical_id.as_deref());
    w.elem("ResourceType", &e.type_name).elem("Timestamp", iso(e.at_ms)).elem("ResourceStatus", &e.status);
    w.opt("ResourceStatusReason", e.reason.as_deref());
    w.opt("ResourceProperties", e.properties.as_deref());
}

/// A resource as DescribeStackResources (`detail`: DescribeStackResource) shows it.
pub fn resource(w: &mut XmlWriter, s: &Stack, r: &Resource, detail: bool) {
    w.elem("StackName", &s.name).elem("StackId", &s.id).elem("LogicalResourceId", &r.logical_id);
    w.opt("PhysicalResourceId", r.physical_id.as_deref());
    w.elem("ResourceType", &r.type_name);
    w.elem(if detail { "LastUpdatedTimestamp" } else { "Timestamp" }, iso(r.updated_ms));
    w.elem("ResourceStatus", &r.status);
    w.opt("ResourceStatusReason", r.reason.as_deref());
    if detail {
        w.elem("Metadata", "{}");
    }
    w.nest("DriftInformation", |w| {
        w.elem("StackResourceDriftStatus", "NOT_CHECKED");
    });
}

pub fn resource_summary(w: &mut XmlWriter, r: &Resource) {
    w.elem("LogicalResourceId", &r.logical_id);
    w.opt("PhysicalResourceId", r.physical_id.as_deref());
    w.elem("ResourceType", &r.type_name).elem("LastUpdatedTimestamp", iso(r.updated_ms));
    w.elem("ResourceStatus", &r.status);
    w.opt("ResourceStatusReason", r.reason.as_deref());
    w.nest("DriftInformation", |w| {
        w.elem("StackResourceDriftStatus", "NOT_CHECKED");
    });
}

pub fn change_set(w: &mut XmlWriter, s: &Stack, c: &ChangeSet) {
    w.elem("ChangeSetName", &c.name).elem("ChangeSetId", &c.id).elem("StackId", &s.id).elem("StackName", &s.name);
    w.opt("Description", c.description.as_deref());
    parameters(w, &c.params);
    w.elem("CreationTime", iso(c.created_ms));
    w.elem("ExecutionStatus", &c.execution_status).elem("Status", &c.status);
    w.opt("StatusReason", c.reason.as_deref());
    strings(w, "NotificationARNs", &s.notification_arns);
    strings(w, "Capabilities", &c.capabilities);
    tags(w, &c.tags);
    members(w, "Changes", &c.changes, |w, ch| {
        w.elem("Type", "Resource");
        w.nest("ResourceChange", |w| {
            w.elem("Action", &ch.action).elem("LogicalResourceId", &ch.logical_id);
            w.opt("PhysicalResourceId", ch.physical_id.as_deref());
            w.elem("ResourceType", &ch.type_name);
            w.opt("Replacement", ch.replacement.as_deref());
            if ch.action == "Modify" {
                strings(w, "Scope", &["Properties".to_string()]);
            }
            w.nest("Details", |_| {});
        });
    });
    w.elem("IncludeNestedStacks", false);
}

pub fn change_set_summary(w: &mut XmlWriter, s: &Stack, c: &ChangeSet) {
    w.elem("StackId", &s.id).elem("StackName", &s.name).elem("ChangeSetId", &c.id).elem("ChangeSetName", &c.name);
    w.elem("ExecutionStatus", &c.execution_status).elem("Status", &c.status);
    w.opt("StatusReason", c.reason.as_deref());
    w.elem("CreationTime", iso(c.created_ms));
    w.opt("Description", c.description.as_deref());
    w.elem("IncludeNestedStacks", false);
}

/// Writes `items[start..start+page]` under `name` and the `NextToken` for the rest.
pub fn page<T>(
    w: &mut XmlWriter,
    name: &str,
    items: &[T],
    start: usize,
    size: usize,
    each: impl Fn(&mut XmlWriter, &T),
) {
    let end = (start + size).min(items.len());
    members(w, name, items.get(start..end).unwrap_or(&[]), each);
    if end < items.len() {
        w.elem("NextToken", end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso_8601_utc_with_milliseconds() {
        assert_eq!(iso(1_764_367_552_123), "2025-11-28T22:05:52.123Z");
    }

    #[test]
    fn pages_carry_a_next_token_until_the_end() {
        let items: Vec<String> = (0..5).map(|n| n.to_string()).collect();
        let mut w = XmlWriter::new();
        page(&mut w, "L", &items, 2, 2, |w, s| {
            w.elem("V", s);
        });
        assert_eq!(w.finish(), "<L><member><V>2</V></member><member><V>3</V></member></L><NextToken>4</NextToken>");
    }
}
