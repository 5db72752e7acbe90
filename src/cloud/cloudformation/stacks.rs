//! CreateStack, UpdateStack, DeleteStack, CancelUpdateStack, UpdateTerminationProtection: each checks
//! the request and the template synchronously (so a bad input is the caller's ValidationError), records
//! the stack's new status, and leaves the work to a background operation (`runner.rs`, `update.rs`).

use serde_json::Value;

use super::api::Api;
use super::input::{self, check_capabilities, check_name, template_error, validation};
use super::model::{Previous, Stack};
use super::runner::{Loaded, pseudo};
use super::state::stack_event;
use super::template::{ParamInput, ResolvedParameters, Template};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::xml::XmlWriter;
use crate::cloud::service::Call;

/// A template with its parameters resolved, checked against the capabilities given and planned.
pub struct Prepared {
    pub body: String,
    pub params: Value,
    pub description: Option<String>,
    pub loaded: Loaded,
}

/// Everything CloudFormation checks before it accepts a template for `stack`.
pub fn prepare(
    cf: &Api,
    stack: &Stack,
    body: String,
    given: &[(String, ParamInput)],
    previous: Option<&ResolvedParameters>,
    capabilities: &[String],
) -> Result<Prepared, ApiError> {
    let template = Template::parse(&body).map_err(template_error)?;
    let params = template.resolve_parameters(given, previous).map_err(template_error)?;
    check_capabilities(&template.required_capabilities(), capabilities)?;
    let pseudo = pseudo(stack, cf.runner.ctx.account_id());
    template.plan(&params, &pseudo, &|t| cf.runner.providers.attributes_of(t)).map_err(template_error)?;
    let description = template.description().map(str::to_string);
    let params_json = params.to_json();
    Ok(Prepared { body, params: params_json, description, loaded: Loaded { template, params, pseudo } })
}

/// A stack record that does not exist yet (REVIEW_IN_PROGRESS until something runs on it).
pub fn new_stack(cf: &Api, name: &str, region: &str, q: &QueryParams) -> Result<Stack, ApiError> {
    check_name(name, "stackName")?;
    let account = cf.runner.ctx.account_id();
    let now = cf.runner.now();
    Ok(Stack {
        id: format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/{}", uuid::Uuid::new_v4()),
        name: name.to_string(),
        region: region.to_string(),
        status: "REVIEW_IN_PROGRESS".to_string(),
        reason: None,
        created_ms: now,
        updated_ms: None,
        deleted_ms: None,
        description: None,
        template: String::new(),
        params: Value::Null,
        capabilities: q.strings("Capabilities"),
        tags: input::tags(q)?,
        notification_arns: q.strings("NotificationARNs"),
        disable_rollback: false,
        delete_on_failure: false,
        termination_protection: input::flag(q, "EnableTerminationProtection")?.unwrap_or(false),
        outputs: Vec::new(),
        resources: Vec::new(),
        events: Vec::new(),
        previous: None,
        change_sets: Vec::new(),
        cancel_requested: false,
        rollback: None,
        imports: Default::default(),
    })
}

pub fn create_stack(cf: &Api, q: &QueryParams, call: &Call) -> Result<String, ApiError> {
    let name = q.required("StackName")?;
    let mut stack = new_stack(cf, name, &call.region, q)?;
    if cf.runner.stacks.find(name).is_some_and(|s| !s.is_deleted()) {
        return Err(ApiError::bad_request("AlreadyExistsException", format!("Stack [{name}] already exists")));
    }
    if cf.runner.stacks.live_count() >= cf.runner.ctx.config.cloudformation.max_stacks {
        return Err(ApiError::bad_request(
            "LimitExceededException",
            format!(
                "Limit on the number of stacks in this region exceeded ({})",
                cf.runner.ctx.config.cloudformation.max_stacks
            ),
        ));
    }
    let body = input::template_body(q, true)?.unwrap_or_default();
    let given = input::parameters(q)?;
    let prepared = prepare(cf, &stack, body, &given, None, &stack.capabilities.clone())?;
    let disable = input::flag(q, "DisableRollback")?;
    match (q.get("OnFailure"), disable) {
        (Some(_), Some(_)) => {
            return Err(validation("You cannot specify both OnFailure and DisableRollback."));
        }
        (Some("DO_NOTHING"), None) => stack.disable_rollback = true,
        (Some("DELETE"), None) => stack.delete_on_failure = true,
        (Some("ROLLBACK"), None) | (None, _) => stack.disable_rollback = disable.unwrap_or(false),
        (Some(other), None) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'onFailure' failed to satisfy constraint: Member must satisfy enum value set: [ROLLBACK, DELETE, DO_NOTHING]"
            )));
        }
    }
    let id = stack.id.clone();
    stack.template = prepared.body;
    stack.params = prepared.params;
    stack.description = prepared.description;
    stack_event(&mut stack, "CREATE_IN_PROGRESS", Some("User Initiated".into()), cf.runner.now());
    cf.runner.stacks.insert(stack)?;
    cf.spawn(Some(&call.request_id), cf.runner.clone().create(id.clone()));
    Ok(stack_id(&id))
}

pub fn stack_id(id: &str) -> String {
    let mut w = XmlWriter::new();
    w.elem("StackId", id);
    w.finish()
}

/// Statuses from which a stack can be updated.
pub fn updatable(stack: &Stack) -> Result<(), ApiError> {
    match stack.status.as_str() {
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" => Ok(()),
        other => Err(validation(format!("Stack:{} is in {other} state and can not be updated.", stack.id))),
    }
}

pub fn update_stack(cf: &Api, q: &QueryParams, call: &Call) -> Result<String, ApiError> {
    let name = q.required("StackName")?;
    let stack = cf.runner.stacks.get(name)?;
    if stack.is_deleted() {
        return Err(super::state::missing(name));
    }
    updatable(&stack)?;
    let prepared = prepare_update(cf, &stack, q)?;
    let changes =
        super::update::changes(&stack, &prepared.loaded, &cf.runner.providers, cf.runner.stacks.exports(&stack.id))
            .map_err(validation)?;
    let tags = if q.get("Tags.member.1.Key").is_some() { Some(input::tags(q)?) } else { None };
    if changes.is_empty() && prepared.body == stack.template && prepared.params == stack.params && tags.is_none() {
        return Err(validation("No updates are to be performed."));
    }
    let id = begin_update(cf, call, &stack, prepared, q.strings("Capabilities"), tags)?;
    Ok(stack_id(&id))
}

/// The new template (or the previous one) and parameters of an UpdateStack or UPDATE change set.
pub fn prepare_update(cf: &Api, stack: &Stack, q: &QueryParams) -> Result<Prepared, ApiError> {
    let use_previous = input::flag(q, "UsePreviousTemplate")?.unwrap_or(false);
    let body = match (input::template_body(q, false)?, use_previous) {
        (Some(_), true) => {
            return Err(validation("You cannot specify both usePreviousTemplate and Template Body/Template Url"));
        }
        (Some(b), false) => b,
        (None, true) => stack.template.clone(),
        (None, false) => return Err(validation("Either Template URL or Template Body must be specified.")),
    };
    let previous = ResolvedParameters::from_json(&stack.params);
    prepare(cf, stack, body, &input::parameters(q)?, previous.as_ref(), &q.strings("Capabilities"))
}

/// Records the update (the previous state kept for cleanup or rollback) and starts it.
pub fn begin_update(
    cf: &Api,
    call: &Call,
    stack: &Stack,
    prepared: Prepared,
    capabilities: Vec<String>,
    tags: Option<Vec<(String, String)>>,
) -> Result<String, ApiError> {
    let now = cf.runner.now();
    cf.runner.stacks.update(&stack.id, |s| {
        s.previous = Some(Previous {
            template: s.template.clone(),
            params: s.params.clone(),
            resources: s.resources.clone(),
            outputs: s.outputs.clone(),
            description: s.description.clone(),
        });
        s.template = prepared.body;
        s.params = prepared.params;
        s.description = prepared.description;
        s.capabilities = capabilities;
        if let Some(tags) = tags {
            s.tags = tags;
        }
        s.updated_ms = Some(now);
        s.cancel_requested = false;
        s.rollback = None;
        stack_event(s, "UPDATE_IN_PROGRESS", Some("User Initiated".into()), now);
        Ok(())
    })?;
    cf.spawn(Some(&call.request_id), cf.runner.clone().update(stack.id.clone()));
    Ok(stack.id.clone())
}

pub fn delete_stack(cf: &Api, q: &QueryParams, call: &Call) -> Result<String, ApiError> {
    let name = q.required("StackName")?;
    // Deleting a stack that does not exist (or no longer does) succeeds, as on AWS.
    let Some(stack) = cf.runner.stacks.find(name) else { return Ok(String::new()) };
    if stack.is_deleted() || stack.status == "DELETE_IN_PROGRESS" {
        return Ok(String::new());
    }
    if stack.termination_protection {
        return Err(validation(format!(
            "Stack [{}] cannot be deleted while TerminationProtection is enabled",
            stack.name
        )));
    }
    if stack.in_progress() {
        return Err(validation(format!("Stack [{}] is in {} state and can not be deleted.", stack.name, stack.status)));
    }
    let retain: Vec<String> = q.strings("RetainResources");
    if let Some(importer) = importer_of(cf, &stack) {
        return Err(validation(importer));
    }
    let now = cf.runner.now();
    cf.runner.stacks.update(&stack.id, |s| {
        for r in s.resources.iter_mut().filter(|r| retain.contains(&r.logical_id)) {
            r.retain_on_delete = true;
        }
        stack_event(s, "DELETE_IN_PROGRESS", Some("User Initiated".into()), now);
        Ok(())
    })?;
    cf.spawn(Some(&call.request_id), cf.runner.clone().delete(stack.id.clone()));
    Ok(String::new())
}

/// Why the stack's exports cannot go: another live stack imports one of them.
pub fn importer_of(cf: &Api, stack: &Stack) -> Option<String> {
    stack.outputs.iter().filter_map(|o| o.export_name.as_deref()).find_map(|export| {
        let importer = cf.runner.stacks.importer(export, &stack.id)?;
        Some(format!("Export {export} cannot be deleted as it is in use by {importer}"))
    })
}

pub fn cancel_update_stack(cf: &Api, q: &QueryParams, _call: &Call) -> Result<String, ApiError> {
    let stack = cf.runner.stacks.get(q.required("StackName")?)?;
    if stack.status != "UPDATE_IN_PROGRESS" {
        return Err(validation(format!(
            "CancelUpdateStack cannot be called from current stack status {}.",
            stack.status
        )));
    }
    cf.runner.stacks.update(&stack.id, |s| {
        s.cancel_requested = true;
        Ok(())
    })?;
    Ok(String::new())
}

pub fn update_termination_protection(cf: &Api, q: &QueryParams, _call: &Call) -> Result<String, ApiError> {
    let enable = input::flag(q, "EnableTerminationProtection")?.ok_or_else(|| {
        ApiError::bad_request("MissingParameter", "The request must contain the parameter EnableTerminationProtection")
    })?;
    let stack = cf.runner.stacks.get(q.required("StackName")?)?;
    if stack.is_deleted() {
        return Err(super::state::missing(&stack.name));
    }
    cf.runner.stacks.update(&stack.id, |s| {
        s.termination_protection = enable;
        Ok(())
    })?;
    Ok(stack_id(&stack.id))
}
