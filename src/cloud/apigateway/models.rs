//! Model and RequestValidator operations. A model's schema must be JSON Schema draft 4, as API Gateway
//! reads it; it is compiled when created, so a method never holds a schema it cannot check.

use serde_json::Value;

use super::apis::{read_api, update_api};
use super::model::{Model, RequestValidator};
use super::op::{Op, Reply, Req, bad_request, conflict, new_id, not_found, page, to_json};
use super::patch;
use crate::cloud::error::ApiError;

/// Compiles a model's schema as draft 4 (offline: a `$ref` to anything outside the schema fails).
pub fn compile(schema: &str) -> Result<jsonschema::Validator, String> {
    let value: Value = serde_json::from_str(schema).map_err(|e| format!("the schema is not JSON: {e}"))?;
    jsonschema::options().with_draft(jsonschema::Draft::Draft4).build(&value).map_err(|e| e.to_string())
}

pub fn create_model(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.required("name")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad_request(format!("Model name must be alphanumeric: {name}")));
    }
    let content_type = req.required("contentType")?;
    let schema = match req.body.get("schema") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) => None,
        Some(other) => Some(other.to_string()),
    };
    if let Some(s) = &schema {
        compile(s).map_err(|e| {
            bad_request(format!("Invalid model specified: Validation Result: warnings : [], errors : [{e}]"))
        })?;
    }
    let model = Model { id: new_id(6), name, description: req.str("description")?, schema, content_type };
    update_api(op, req.seg(1), |d| {
        if d.models.values().any(|m| m.name == model.name) {
            return Err(conflict("Another Model with the same name already exists"));
        }
        d.models.insert(model.id.clone(), model.clone());
        Reply::created(&model)
    })
}

fn model_by_name<'d>(d: &'d super::model::ApiDoc, name: &str) -> Result<&'d Model, ApiError> {
    d.models.values().find(|m| m.name == name).ok_or_else(|| not_found(format!("Invalid model name specified: {name}")))
}

pub fn get_model(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| Reply::ok(model_by_name(d, req.seg(3))?))
}

pub fn get_models(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| page(req, d.models.values().map(|m| (m.id.clone(), m.clone())).collect()))
}

pub fn update_model(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    update_api(op, req.seg(1), |d| {
        let id = model_by_name(d, req.seg(3))?.id.clone();
        let m = d.models.get_mut(&id).ok_or_else(|| ApiError::internal("model vanished"))?;
        let mut v = to_json(&*m)?;
        patch::apply(&mut v, &ops, &["schema", "description"])?;
        let updated: Model = serde_json::from_value(v).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
        if let Some(s) = &updated.schema {
            compile(s).map_err(|e| bad_request(format!("Invalid model specified: {e}")))?;
        }
        *m = updated;
        Reply::ok(&*m)
    })
}

pub fn delete_model(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let name = req.seg(3).to_string();
    update_api(op, req.seg(1), |d| {
        let id = model_by_name(d, &name)?.id.clone();
        let used = d
            .resources
            .values()
            .flat_map(|r| r.resource_methods.values())
            .any(|m| m.request_models.values().any(|n| *n == name));
        if used {
            return Err(conflict(format!("Cannot delete model '{name}', is referenced in method request")));
        }
        d.models.remove(&id);
        Reply::accepted()
    })
}

pub fn create_request_validator(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let v = RequestValidator {
        id: new_id(6),
        name: req.str("name")?.unwrap_or_default(),
        validate_request_body: req.bool("validateRequestBody")?.unwrap_or(false),
        validate_request_parameters: req.bool("validateRequestParameters")?.unwrap_or(false),
    };
    update_api(op, req.seg(1), |d| {
        d.validators.insert(v.id.clone(), v.clone());
        Reply::created(&v)
    })
}

fn no_validator(id: &str) -> ApiError {
    not_found(format!("Invalid Request Validator identifier specified {id}"))
}

pub fn get_request_validator(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(3);
    read_api(op, req.seg(1), |d| Reply::ok(d.validators.get(id).ok_or_else(|| no_validator(id))?))
}

pub fn get_request_validators(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    read_api(op, req.seg(1), |d| page(req, d.validators.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
}

pub fn update_request_validator(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let ops = req.patch()?;
    let id = req.seg(3).to_string();
    update_api(op, req.seg(1), |d| {
        let v = d.validators.get_mut(&id).ok_or_else(|| no_validator(&id))?;
        let mut j = to_json(&*v)?;
        patch::apply(&mut j, &ops, &["name", "validateRequestBody", "validateRequestParameters"])?;
        *v = serde_json::from_value(j).map_err(|e| bad_request(format!("Invalid patch value: {e}")))?;
        Reply::ok(&*v)
    })
}

pub fn delete_request_validator(op: &Op<'_>, req: &Req) -> Result<Reply, ApiError> {
    let id = req.seg(3).to_string();
    update_api(op, req.seg(1), |d| {
        d.validators.remove(&id).ok_or_else(|| no_validator(&id))?;
        Reply::accepted()
    })
}
