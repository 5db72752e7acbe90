//! CreateFunction, GetFunction(Configuration), ListFunctions, UpdateFunctionCode,
//! UpdateFunctionConfiguration and DeleteFunction. Code is kept as the zip the client sent (inline
//! `ZipFile` only: S3-hosted code is refused, as the local cloud has no S3 reader for Lambda); the
//! handler that runs is the built-in the function's tag names (`builtins.rs`).

use std::collections::BTreeMap;
use std::io::Cursor;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::model::Function;
use super::names::{function_arn, function_state, last_modified, not_found, resolve_name};
use super::op::{Input, Op, Reply, invalid, object, opt_int, opt_str, req_str, str_map};
use crate::cloud::error::ApiError;

/// The deployment package limit for a direct upload (50 MB zipped).
const MAX_ZIP: usize = 50 * 1024 * 1024;
const RUNTIMES: &[&str] = &[
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "java11",
    "java17",
    "java21",
    "dotnet8",
    "ruby3.2",
    "ruby3.3",
    "provided.al2",
    "provided.al2023",
];

pub fn configuration(op: &Op, f: &Function) -> Value {
    let (state, update) = function_state(f, op.now);
    let mut c = json!({
        "FunctionName": f.name,
        "FunctionArn": f.arn,
        "Runtime": f.runtime,
        "Role": f.role,
        "Handler": f.handler,
        "CodeSize": f.zip.len(),
        "Description": f.description,
        "Timeout": f.timeout,
        "MemorySize": f.memory_size,
        "LastModified": last_modified(f.last_modified_ms),
        "CodeSha256": f.code_sha256,
        "Version": "$LATEST",
        "TracingConfig": { "Mode": f.tracing_mode },
        "RevisionId": f.revision_id,
        "State": state,
        "LastUpdateStatus": update,
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": { "Size": 512 },
        "LoggingConfig": { "LogFormat": "Text", "LogGroup": f.log_group() },
    });
    if state == "Pending" {
        c["StateReason"] = json!("The function is being created.");
        c["StateReasonCode"] = json!("Creating");
    }
    if update == "InProgress" && state == "Active" {
        c["LastUpdateStatusReason"] = json!("The function is being created.");
        c["LastUpdateStatusReasonCode"] = json!("Creating");
    }
    if !f.environment.is_empty() {
        c["Environment"] = json!({ "Variables": f.environment });
    }
    c
}

/// The zip in `Code` (or in UpdateFunctionCode's input): inline base64 `ZipFile`, checked to be a zip.
fn code_zip(code: &Input) -> Result<Vec<u8>, ApiError> {
    if code.get("S3Bucket").is_some() || code.get("S3Key").is_some() || code.get("ImageUri").is_some() {
        return Err(invalid(
            "The local cloud keeps inline code only: send the deployment package as ZipFile (S3Bucket/S3Key and ImageUri are not supported locally)",
        ));
    }
    let Some(b64) = opt_str(code, "ZipFile")? else {
        return Err(invalid("Please provide a source for function code."));
    };
    let zip =
        STANDARD.decode(b64.as_bytes()).map_err(|e| ApiError::serialization(format!("ZipFile is not base64: {e}")))?;
    if zip.len() > MAX_ZIP {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLargeException",
            format!("Request must be smaller than {MAX_ZIP} bytes for the CreateFunction operation"),
        ));
    }
    if zip::ZipArchive::new(Cursor::new(&zip)).is_err() {
        return Err(invalid("Could not unzip uploaded file. Please check your file, then try to upload again."));
    }
    Ok(zip)
}

fn sha(zip: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(zip))
}

fn check_role(role: &str) -> Result<(), ApiError> {
    let ok = role.starts_with("arn:aws:iam::") && role.contains(":role/") && role.len() <= 2048;
    if ok {
        return Ok(());
    }
    Err(ApiError::validation(format!(
        "1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{{12}}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
    )))
}

fn check_runtime(runtime: &str) -> Result<(), ApiError> {
    if RUNTIMES.contains(&runtime) {
        return Ok(());
    }
    Err(invalid(format!(
        "The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions, or is not a runtime Lambda knows. Supported: {}",
        RUNTIMES.join(", ")
    )))
}

/// The settings CreateFunction and UpdateFunctionConfiguration share, applied onto `f`.
fn apply_settings(f: &mut Function, input: &Input) -> Result<(), ApiError> {
    if let Some(role) = opt_str(input, "Role")? {
        check_role(&role)?;
        f.role = role;
    }
    if let Some(runtime) = opt_str(input, "Runtime")? {
        check_runtime(&runtime)?;
        f.runtime = runtime;
    }
    if let Some(h) = opt_str(input, "Handler")? {
        f.handler = h;
    }
    if let Some(d) = opt_str(input, "Description")? {
        if d.chars().count() > 256 {
            return Err(ApiError::validation(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256",
            ));
        }
        f.description = d;
    }
    if let Some(t) = opt_int(input, "Timeout", 1, 900)? {
        f.timeout = t as u32;
    }
    if let Some(m) = opt_int(input, "MemorySize", 128, 10240)? {
        f.memory_size = m as u32;
    }
    if let Some(env) = input.get("Environment") {
        f.environment = str_map(env.get("Variables"), "Environment.Variables")?;
    }
    if let Some(mode) = input.get("TracingConfig").and_then(|t| t.get("Mode")).and_then(Value::as_str) {
        if mode != "Active" && mode != "PassThrough" {
            return Err(invalid(format!("Invalid TracingConfig Mode: {mode}")));
        }
        f.tracing_mode = mode.to_string();
    }
    if let Some(group) = input.get("LoggingConfig").and_then(|l| l.get("LogGroup")).and_then(Value::as_str) {
        f.log_group = Some(group.to_string());
    }
    Ok(())
}

pub fn create(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let name = resolve_name(&req_str(&input, "FunctionName")?, op.region, op.account())?;
    let code = object(input.get("Code").cloned().unwrap_or(Value::Null)).map_err(|_| {
        ApiError::validation(
            "1 validation error detected: Value null at 'code' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let zip = code_zip(&code)?;
    req_str(&input, "Role")?;
    if opt_str(&input, "Runtime")?.is_none() || opt_str(&input, "Handler")?.is_none() {
        return Err(invalid(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
        ));
    }
    let mut f = Function {
        arn: function_arn(op.region, op.account(), &name),
        name: name.clone(),
        runtime: String::new(),
        role: String::new(),
        handler: String::new(),
        description: String::new(),
        timeout: 3,
        memory_size: 128,
        environment: BTreeMap::new(),
        tracing_mode: "PassThrough".into(),
        log_group: None,
        code_sha256: sha(&zip),
        zip,
        revision_id: uuid::Uuid::new_v4().to_string(),
        last_modified_ms: op.now,
        ready_at_ms: op.transition_end(),
        created_only: true,
        tags: str_map(input.get("Tags"), "Tags")?,
        reserved_concurrency: None,
        statements: Vec::new(),
    };
    apply_settings(&mut f, &input)?;
    let mut tables = op.state.lock();
    if tables.functions.contains_key(&name) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ResourceConflictException",
            format!("Function already exist: {name}"),
        ));
    }
    let config = configuration(op, &f);
    op.state.put_function(&mut tables, f)?;
    Ok(Reply::with(StatusCode::CREATED, config))
}

/// The function `FunctionName` names in `input`.
pub fn lookup(op: &Op, input: &Input) -> Result<Function, ApiError> {
    let name = resolve_name(&req_str(input, "FunctionName")?, op.region, op.account())?;
    op.state.lock().functions.get(&name).cloned().ok_or_else(|| not_found(&name, op.region, op.account()))
}

pub fn get(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let f = lookup(op, &object(input)?)?;
    let endpoint = op.ctx.endpoint_url.get().cloned().unwrap_or_default();
    let expires = op.now + op.ctx.config.lambda.code_url_ttl_ms;
    let mut out = json!({
        "Configuration": configuration(op, &f),
        "Code": { "RepositoryType": "S3", "Location": op.code_key.link(&endpoint, &f.name, &f.code_sha256, expires) },
        "Tags": f.tags,
    });
    if let Some(n) = f.reserved_concurrency {
        out["Concurrency"] = json!({ "ReservedConcurrentExecutions": n });
    }
    Ok(Reply::ok(out))
}

pub fn get_configuration(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let f = lookup(op, &object(input)?)?;
    Ok(Reply::ok(configuration(op, &f)))
}

pub fn list(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let max = opt_int(&input, "MaxItems", 1, 10_000)?.unwrap_or(50) as usize;
    let marker = opt_str(&input, "Marker")?;
    let tables = op.state.lock();
    let mut names = tables.functions.keys().filter(|n| marker.as_ref().is_none_or(|m| *n > m)).peekable();
    let mut functions = Vec::new();
    let mut last = None;
    while functions.len() < max {
        let Some(name) = names.next() else { break };
        functions.push(configuration(op, &tables.functions[name]));
        last = Some(name.clone());
    }
    let mut out = json!({ "Functions": functions });
    if names.peek().is_some()
        && let Some(last) = last
    {
        out["NextMarker"] = json!(last);
    }
    Ok(Reply::ok(out))
}

fn check_not_updating(op: &Op, f: &Function) -> Result<(), ApiError> {
    if function_state(f, op.now).1 == "InProgress" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ResourceConflictException",
            format!("The operation cannot be performed at this time. An update is in progress for resource: {}", f.arn),
        ));
    }
    Ok(())
}

fn check_revision(input: &Input, f: &Function) -> Result<(), ApiError> {
    match opt_str(input, "RevisionId")? {
        Some(r) if r != f.revision_id => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )),
        _ => Ok(()),
    }
}

/// Persists an updated function: a new revision, InProgress for the transition.
fn commit_update(op: &Op, mut f: Function) -> Result<Reply, ApiError> {
    f.revision_id = uuid::Uuid::new_v4().to_string();
    f.last_modified_ms = op.now;
    f.ready_at_ms = op.transition_end();
    f.created_only = false;
    let config = configuration(op, &f);
    let mut tables = op.state.lock();
    if !tables.functions.contains_key(&f.name) {
        return Err(not_found(&f.name, op.region, op.account()));
    }
    op.state.put_function(&mut tables, f)?;
    Ok(Reply::ok(config))
}

pub fn update_code(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut f = lookup(op, &input)?;
    check_not_updating(op, &f)?;
    check_revision(&input, &f)?;
    let zip = code_zip(&input)?;
    f.code_sha256 = sha(&zip);
    f.zip = zip;
    commit_update(op, f)
}

pub fn update_configuration(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let input = object(input)?;
    let mut f = lookup(op, &input)?;
    check_not_updating(op, &f)?;
    check_revision(&input, &f)?;
    apply_settings(&mut f, &input)?;
    commit_update(op, f)
}

pub fn delete(op: &Op, input: Value) -> Result<Reply, ApiError> {
    let f = lookup(op, &object(input)?)?;
    let mut tables = op.state.lock();
    op.state.remove_function(&mut tables, &f.name)?;
    Ok(Reply::with(StatusCode::NO_CONTENT, Value::Null))
}

/// The zip a `Code.Location` link serves.
pub fn code_of(op: &Op, name: &str) -> Option<(String, Vec<u8>)> {
    op.state.lock().functions.get(name).map(|f| (f.code_sha256.clone(), f.zip.clone()))
}
