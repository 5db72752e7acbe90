//! Change sets: CreateChangeSet (CREATE, which makes a REVIEW_IN_PROGRESS stack, or UPDATE),
//! DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet, ListChangeSets. A change set's changes are
//! worked out when it is created, so it is CREATE_COMPLETE (or FAILED) by the time the call returns.

use http::StatusCode;

use super::api::Api;
use super::input::{self, check_name, validation};
use super::model::{ChangeSet, Stack};
use super::render;
use super::runner::Loaded;
use super::stacks::{self, Prepared};
use super::state::stack_event;
use super::template::{ResolvedParameters, Template};
use crate::cloud::error::ApiError;
use crate::cloud::protocol::query_params::QueryParams;
use crate::cloud::protocol::xml::XmlWriter;
use crate::cloud::service::Call;

pub const NO_CHANGES: &str =
    "The submitted information didn't contain changes. Submit different information to create a change set.";

/// ExecuteChangeSet and DeleteChangeSet have an (empty) result element the aws CLI requires, unlike
/// DeleteStack; an inner text that is only whitespace makes the framing write `<OpResult> </OpResult>`.
const EMPTY_RESULT: &str = " ";

fn not_found(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "ChangeSetNotFound", format!("ChangeSet [{name}] does not exist"))
}

/// The change set named `name` (a name on `stack`, or an ARN) and its stack.
pub fn find(cf: &Api, stack: Option<&str>, name: &str) -> Result<(Stack, ChangeSet), ApiError> {
    let candidates: Vec<Stack> = match stack {
        Some(s) => vec![cf.runner.stacks.find(s).ok_or_else(|| not_found(name))?],
        None if name.starts_with("arn:") => cf.runner.stacks.all(),
        None => return Err(validation("StackName must be specified if ChangeSetName is not specified as an ARN.")),
    };
    for s in candidates {
        if let Some(c) = s.change_sets.iter().find(|c| c.name == name || c.id == name).cloned() {
            return Ok((s, c));
        }
    }
    Err(not_found(name))
}

pub fn create_change_set(cf: &Api, q: &QueryParams, call: &Call) -> Result<String, ApiError> {
    let stack_name = q.required("StackName")?;
    let name = q.required("ChangeSetName")?;
    check_name(name, "changeSetName")?;
    let kind = q.get("ChangeSetType").unwrap_or("UPDATE");
    let existing = cf.runner.stacks.find(stack_name).filter(|s| !s.is_deleted());
    let (stack, prepared, changes) = match (kind, existing) {
        ("CREATE", Some(s)) if s.status != "REVIEW_IN_PROGRESS" => {
            return Err(validation(format!(
                "Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}]."
            )));
        }
        ("CREATE", existing) => {
            let stack = match existing {
                Some(s) => s,
                None => stacks::new_stack(cf, stack_name, &call.region, q)?,
            };
            let body = input::template_body(q, true)?.unwrap_or_default();
            let prepared = stacks::prepare(cf, &stack, body, &input::parameters(q)?, None, &q.strings("Capabilities"))?;
            let changes = super::update::changes(
                &stack,
                &prepared.loaded,
                &cf.runner.providers,
                cf.runner.stacks.exports(&stack.id),
            )
            .map_err(validation)?;
            (stack, prepared, changes)
        }
        ("UPDATE", Some(s)) => {
            if s.status == "REVIEW_IN_PROGRESS" {
                return Err(validation(format!("Stack [{stack_name}] does not exist")));
            }
            let prepared = stacks::prepare_update(cf, &s, q)?;
            let changes =
                super::update::changes(&s, &prepared.loaded, &cf.runner.providers, cf.runner.stacks.exports(&s.id))
                    .map_err(validation)?;
            (s, prepared, changes)
        }
        ("UPDATE", None) => return Err(validation(format!("Stack [{stack_name}] does not exist"))),
        (other, _) => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'changeSetType' failed to satisfy constraint: Member must satisfy enum value set: [UPDATE, CREATE]"
            )));
        }
    };
    if stack.change_sets.iter().any(|c| c.name == name) {
        return Err(ApiError::bad_request("AlreadyExistsException", format!("ChangeSet {name} already exists")));
    }
    let region = &stack.region;
    let account = cf.runner.ctx.account_id();
    let empty = changes.is_empty() && kind == "UPDATE";
    let set = ChangeSet {
        id: format!("arn:aws:cloudformation:{region}:{account}:changeSet/{name}/{}", uuid::Uuid::new_v4()),
        name: name.to_string(),
        kind: kind.to_string(),
        status: if empty { "FAILED" } else { "CREATE_COMPLETE" }.to_string(),
        execution_status: if empty { "UNAVAILABLE" } else { "AVAILABLE" }.to_string(),
        reason: empty.then(|| NO_CHANGES.to_string()),
        created_ms: cf.runner.now(),
        description: q.get("Description").map(str::to_string),
        template: prepared.body,
        params: prepared.params,
        capabilities: q.strings("Capabilities"),
        tags: input::tags(q)?,
        changes,
    };
    let out = ids(&set.id, &stack.id);
    if cf.runner.stacks.find(&stack.id).is_none() {
        let mut stack = stack;
        stack_event(&mut stack, "REVIEW_IN_PROGRESS", Some("User Initiated".into()), cf.runner.now());
        stack.change_sets.push(set);
        cf.runner.stacks.insert(stack)?;
    } else {
        cf.runner.stacks.update(&stack.id, |s| {
            s.change_sets.push(set);
            Ok(())
        })?;
    }
    Ok(out)
}

fn ids(change_set: &str, stack: &str) -> String {
    let mut w = XmlWriter::new();
    w.elem("Id", change_set).elem("StackId", stack);
    w.finish()
}

pub fn describe_change_set(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let (stack, set) = find(cf, q.get("StackName"), q.required("ChangeSetName")?)?;
    let mut w = XmlWriter::new();
    render::change_set(&mut w, &stack, &set);
    Ok(w.finish())
}

pub fn list_change_sets(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let stack = cf.runner.stacks.get(q.required("StackName")?)?;
    let mut w = XmlWriter::new();
    render::page(&mut w, "Summaries", &stack.change_sets, input::start(q)?, 100, |w, c| {
        render::change_set_summary(w, &stack, c)
    });
    Ok(w.finish())
}

pub fn delete_change_set(cf: &Api, q: &QueryParams, _: &Call) -> Result<String, ApiError> {
    let (stack, set) = find(cf, q.get("StackName"), q.required("ChangeSetName")?)?;
    cf.runner.stacks.update(&stack.id, |s| {
        s.change_sets.retain(|c| c.id != set.id);
        Ok(())
    })?;
    Ok(EMPTY_RESULT.to_string())
}

pub fn execute_change_set(cf: &Api, q: &QueryParams, call: &Call) -> Result<String, ApiError> {
    let (stack, set) = find(cf, q.get("StackName"), q.required("ChangeSetName")?)?;
    if set.status != "CREATE_COMPLETE" || set.execution_status != "AVAILABLE" {
        return Err(ApiError::bad_request(
            "InvalidChangeSetStatus",
            format!("ChangeSet [{}] cannot be executed in its current status of [{}]", set.id, set.status),
        ));
    }
    let disable_rollback = input::flag(q, "DisableRollback")?.unwrap_or(false);
    let template = Template::parse(&set.template).map_err(input::template_error)?;
    let params = ResolvedParameters::from_json(&set.params)
        .ok_or_else(|| ApiError::internal(format!("the parameters of change set {} do not read back", set.name)))?;
    let description = template.description().map(str::to_string);
    if set.kind == "CREATE" {
        let now = cf.runner.now();
        cf.runner.stacks.update(&stack.id, |s| {
            s.template = set.template.clone();
            s.params = set.params.clone();
            s.description = description;
            s.capabilities = set.capabilities.clone();
            s.tags = set.tags.clone();
            s.disable_rollback = disable_rollback;
            executed(s, &set.id);
            stack_event(s, "CREATE_IN_PROGRESS", Some("User Initiated".into()), now);
            Ok(())
        })?;
        cf.spawn(Some(&call.request_id), cf.runner.clone().create(stack.id.clone()));
        return Ok(EMPTY_RESULT.to_string());
    }
    stacks::updatable(&stack)?;
    let pseudo = super::runner::pseudo(&stack, cf.runner.ctx.account_id());
    let prepared = Prepared {
        body: set.template.clone(),
        params: set.params.clone(),
        description,
        loaded: Loaded { template, params, pseudo },
    };
    cf.runner.stacks.update(&stack.id, |s| {
        executed(s, &set.id);
        Ok(())
    })?;
    stacks::begin_update(
        cf,
        call,
        &stack,
        prepared,
        set.capabilities.clone(),
        Some(set.tags.clone()).filter(|t| !t.is_empty()),
    )?;
    Ok(EMPTY_RESULT.to_string())
}

/// AWS drops a stack's other change sets once one is executed.
fn executed(s: &mut Stack, id: &str) {
    s.change_sets.retain(|c| c.id == id);
    for c in s.change_sets.iter_mut() {
        c.execution_status = "EXECUTE_COMPLETE".to_string();
    }
}
