//! The read operations: DescribeStacks, DescribeStackEvents, DescribeStackResource(s),
//! ListStackResources, ListStacks, GetTemplate, GetTemplateSummary, ValidateTemplate, ListExports.

use super::api::Api;
use super::input::{self, template_error, validation};
use super::model::Stack;
use super::render;
use super::template::{ParameterDecl, Template};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::xml::XmlWriter;
use crate::cloud::service::Call;

const PAGE: usize = 100;

/// A stack named by `StackName` (a name finds a live stack; an id finds a deleted one too).
fn named(cf: &Api, q: &QueryParams) -> Result<Stack, ApiError> {
    cf.runner.stacks.get(q.required("StackName")?)
}

pub fn describe_stacks(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let stacks = match q.get("StackName") {
        Some(name) => vec![cf.runner.stacks.get(name)?],
        None => cf.runner.stacks.all().into_iter().filter(|s| !s.is_deleted()).collect(),
    };
    let mut w = XmlWriter::new();
    render::page(&mut w, "Stacks", &stacks, input::start(q)?, PAGE, render::stack);
    Ok(w.finish())
}

pub fn describe_stack_events(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let stack = named(cf, q)?;
    let newest_first: Vec<_> = stack.events.iter().rev().collect();
    let mut w = XmlWriter::new();
    render::page(&mut w, "StackEvents", &newest_first, input::start(q)?, PAGE, |w, e| render::event(w, &stack, e));
    Ok(w.finish())
}

pub fn describe_stack_resource(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let stack = named(cf, q)?;
    let logical_id = q.required("LogicalResourceId")?;
    let Some(r) = stack.resource(logical_id) else {
        return Err(validation(format!("Resource {logical_id} does not exist for stack {}", stack.name)));
    };
    let mut w = XmlWriter::new();
    w.nest("StackResourceDetail", |w| render::resource(w, &stack, r, true));
    Ok(w.finish())
}

pub fn describe_stack_resources(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let stack = match (q.get("StackName"), q.get("PhysicalResourceId")) {
        (Some(name), _) => cf.runner.stacks.get(name)?,
        (None, Some(physical)) => cf
            .runner
            .stacks
            .all()
            .into_iter()
            .find(|s| !s.is_deleted() && s.resources.iter().any(|r| r.physical_id.as_deref() == Some(physical)))
            .ok_or_else(|| validation(format!("Stack for {physical} does not exist")))?,
        (None, None) => return Err(validation("Either StackName or PhysicalResourceId must be specified.")),
    };
    let logical = q.get("LogicalResourceId");
    let mut w = XmlWriter::new();
    w.nest("StackResources", |w| {
        for r in stack.resources.iter().filter(|r| logical.is_none_or(|l| l == r.logical_id)) {
            w.nest("member", |w| render::resource(w, &stack, r, false));
        }
    });
    Ok(w.finish())
}

pub fn list_stack_resources(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let stack = named(cf, q)?;
    let mut w = XmlWriter::new();
    render::page(&mut w, "StackResourceSummaries", &stack.resources, input::start(q)?, PAGE, render::resource_summary);
    Ok(w.finish())
}

pub fn list_stacks(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let filters = q.strings("StackStatusFilter");
    let stacks: Vec<Stack> =
        cf.runner.stacks.all().into_iter().filter(|s| filters.is_empty() || filters.contains(&s.status)).collect();
    let mut w = XmlWriter::new();
    render::page(&mut w, "StackSummaries", &stacks, input::start(q)?, PAGE, render::stack_summary);
    Ok(w.finish())
}

pub fn get_template(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let (body, stack) = match q.get("ChangeSetName") {
        Some(cs) => {
            let (stack, set) = super::change_sets::find(cf, q.get("StackName"), cs)?;
            (set.template, stack)
        }
        None => {
            let stack = named(cf, q)?;
            (stack.template.clone(), stack)
        }
    };
    let _ = stack;
    let mut w = XmlWriter::new();
    w.elem("TemplateBody", body);
    render::strings(&mut w, "StagesAvailable", &["Original".to_string(), "Processed".to_string()]);
    Ok(w.finish())
}

/// The template a summary or validation is about: a body, or a stack's.
fn template_of(cf: &Api, q: &QueryParams) -> Result<Template, ApiError> {
    let body = match (input::template_body(q, false)?, q.get("StackName")) {
        (Some(b), _) => b,
        (None, Some(name)) => cf.runner.stacks.get(name)?.template,
        (None, None) => return Err(validation("Either Template URL or Template Body must be specified.")),
    };
    Template::parse(&body).map_err(template_error)
}

fn capabilities(w: &mut XmlWriter, t: &Template) {
    let caps = t.required_capabilities();
    render::strings(w, "Capabilities", &caps);
    if !caps.is_empty() {
        w.elem("CapabilitiesReason", "The following resource(s) require capabilities: [AWS::IAM::*]");
    }
}

fn declared(w: &mut XmlWriter, p: &ParameterDecl, summary: bool) {
    w.elem("ParameterKey", &p.name);
    w.opt("DefaultValue", p.default.as_deref());
    if summary {
        w.elem("ParameterType", &p.type_name);
    }
    w.elem("NoEcho", p.no_echo);
    w.opt("Description", p.description.as_deref());
    if summary {
        w.nest("ParameterConstraints", |w| render::strings(w, "AllowedValues", &p.allowed_values));
    }
}

pub fn get_template_summary(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let t = template_of(cf, q)?;
    let mut w = XmlWriter::new();
    w.nest("Parameters", |w| {
        for p in t.parameters() {
            w.nest("member", |w| declared(w, p, true));
        }
    });
    w.opt("Description", t.description());
    capabilities(&mut w, &t);
    let mut types = t.resource_types();
    types.sort();
    types.dedup();
    render::strings(&mut w, "ResourceTypes", &types);
    w.elem("Version", "2010-09-09");
    render::strings(&mut w, "DeclaredTransforms", &[]);
    Ok(w.finish())
}

pub fn validate_template(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let body = input::template_body(q, true)?.unwrap_or_default();
    let _ = cf;
    let t = Template::parse(&body).map_err(template_error)?;
    let mut w = XmlWriter::new();
    w.nest("Parameters", |w| {
        for p in t.parameters() {
            w.nest("member", |w| declared(w, p, false));
        }
    });
    w.opt("Description", t.description());
    capabilities(&mut w, &t);
    render::strings(&mut w, "DeclaredTransforms", &[]);
    Ok(w.finish())
}

/// Every export of the live stacks: (stack id, name, value).
pub fn exports(cf: &Api) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = cf
        .runner
        .stacks
        .all()
        .into_iter()
        .filter(|s| !s.is_deleted())
        .flat_map(|s| {
            let id = s.id.clone();
            s.outputs.into_iter().filter_map(move |o| Some((id.clone(), o.export_name?, o.value)))
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

pub fn list_exports(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let all = exports(cf);
    let mut w = XmlWriter::new();
    render::page(&mut w, "Exports", &all, input::start(q)?, PAGE, |w, (id, name, value)| {
        w.elem("ExportingStackId", id).elem("Name", name).elem("Value", value);
    });
    Ok(w.finish())
}
