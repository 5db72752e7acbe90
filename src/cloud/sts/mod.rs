//! STS: `GetCallerIdentity`, which identifies the local account to the console and to any client.

use std::sync::Arc;

use super::context::CloudContext;
use super::error::ApiError;
use super::protocol::xml::XmlWriter;
use super::service::{BoxFuture, Call, Descriptor, Output, Protocol, QueryInfo, Service, no_timestamps};

pub struct Sts {
    descriptor: Descriptor,
}

impl Sts {
    pub fn new() -> Self {
        Sts {
            descriptor: Descriptor {
                id: "sts",
                signing_name: "sts",
                json_target: Some("AWSSecurityTokenServiceV20110615"),
                cbor_service: None,
                query: Some(QueryInfo { version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/" }),
                rest: false,
                query_compatible: true,
                max_body: 64 * 1024,
                is_timestamp_member: no_timestamps,
                open_path: None,
            },
        }
    }
}

impl Default for Sts {
    fn default() -> Self {
        Self::new()
    }
}

impl Service for Sts {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    fn call<'a>(&'a self, ctx: &'a Arc<CloudContext>, call: Call) -> BoxFuture<'a, Result<Output, ApiError>> {
        Box::pin(async move {
            match call.operation.as_str() {
                "GetCallerIdentity" => Ok(caller_identity(ctx, call.protocol)),
                other => Err(ApiError::bad_request(
                    "InvalidAction",
                    format!("Could not find operation {other} for version 2011-06-15"),
                )),
            }
        })
    }
}

fn caller_identity(ctx: &CloudContext, protocol: Protocol) -> Output {
    let account = ctx.account_id();
    let arn = format!("arn:aws:iam::{account}:root");
    match protocol {
        Protocol::AwsQuery => {
            let mut w = XmlWriter::new();
            w.elem("Arn", &arn).elem("UserId", account).elem("Account", account);
            Output::Xml(w.finish())
        }
        _ => Output::Json(serde_json::json!({ "Arn": arn, "UserId": account, "Account": account })),
    }
}
