//! IAM: awsQuery with `Version=2010-05-08`, signing name `iam`, a global service (its requests are
//! signed for us-east-1). Roles, inline and managed policies are recorded with real ARNs and ids and
//! returned as AWS returns them (policy documents URL-encoded), never enforced. State lives in
//! `<data dir>/iam/iam.redb` (`state.rs`).

pub mod managed_policy_provider;
pub mod model;
pub mod op;
pub mod policies;
pub mod policy_provider;
pub mod role_policies;
pub mod role_provider;
pub mod roles;
pub mod state;
pub mod validate;

use std::sync::Arc;

use anyhow::Context as _;

use super::context::CloudContext;
use super::error::ApiError;
use super::protocol::query_params::QueryParams;
use super::service::{BoxFuture, Call, Descriptor, Input, Output, QueryInfo, Service, no_timestamps};
pub use op::Op;
use state::IamState;

pub const VERSION: &str = "2010-05-08";

pub struct Iam {
    descriptor: Descriptor,
    pub state: Arc<IamState>,
}

impl Iam {
    pub fn new(ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        let dir = ctx.config.data_dir.join("iam");
        let (state, unreadable) =
            IamState::open(&dir).with_context(|| format!("opening the IAM data in {}", dir.display()))?;
        for (key, reason) in unreadable {
            ctx.damage.report("iam", key, format!("unreadable document, left out: {reason}"));
        }
        Ok(Iam {
            descriptor: Descriptor {
                id: "iam",
                signing_name: "iam",
                json_target: None,
                cbor_service: None,
                query: Some(QueryInfo { version: VERSION, xmlns: "https://iam.amazonaws.com/doc/2010-05-08/" }),
                rest: false,
                query_compatible: false,
                max_body: 256 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
            state: Arc::new(state),
        })
    }
}

fn dispatch(op: &Op<'_>, operation: &str, q: &QueryParams) -> Result<String, ApiError> {
    match operation {
        "CreateRole" => roles::create(op, q),
        "GetRole" => roles::get(op, q),
        "ListRoles" => roles::list(op, q),
        "DeleteRole" => roles::delete(op, q),
        "UpdateRole" => roles::update(op, q),
        "UpdateAssumeRolePolicy" => roles::update_assume_role_policy(op, q),
        "TagRole" => roles::tag(op, q),
        "UntagRole" => roles::untag(op, q),
        "ListRoleTags" => roles::list_tags(op, q),
        "PutRolePolicy" => role_policies::put(op, q),
        "GetRolePolicy" => role_policies::get(op, q),
        "ListRolePolicies" => role_policies::list(op, q),
        "DeleteRolePolicy" => role_policies::delete(op, q),
        "AttachRolePolicy" => role_policies::attach(op, q),
        "DetachRolePolicy" => role_policies::detach(op, q),
        "ListAttachedRolePolicies" => role_policies::list_attached(op, q),
        "CreatePolicy" => policies::create(op, q),
        "GetPolicy" => policies::get(op, q),
        "DeletePolicy" => policies::delete(op, q),
        "CreatePolicyVersion" => policies::create_version(op, q),
        "GetPolicyVersion" => policies::get_version(op, q),
        "DeletePolicyVersion" => policies::delete_version(op, q),
        "ListPolicyVersions" => policies::list_versions(op, q),
        other => Err(ApiError::bad_request(
            "InvalidAction",
            format!("Could not find operation {other} for version {VERSION}"),
        )),
    }
}

impl Service for Iam {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            let Input::Query(q) = call.input else {
                return Err(ApiError::bad_request("InvalidAction", "IAM speaks the awsQuery protocol only"));
            };
            let op = Op { state: &self.state, account: ctx.account_id(), now: ctx.clock.now_ms() };
            dispatch(&op, &call.operation, &q).map(Output::Xml)
        })
    }

    fn reset(&self) -> BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move { self.state.drop_all().map_err(|e| anyhow::anyhow!("{e}")) })
    }
}
