//! CloudWatch alarms: definitions, evaluation on the cloud clock, state history.

use std::sync::Arc;

use crate::cloud::context::CloudContext;
use crate::cloud::error::ApiError;
use crate::cloud::service::Input;

pub struct Alarms {}

impl Alarms {
    pub fn new(_ctx: &Arc<CloudContext>) -> anyhow::Result<Self> {
        Ok(Alarms {})
    }

    /// Handles the alarm operations; `None` for any other operation.
    pub fn call(
        &self,
        _ctx: &Arc<CloudContext>,
        _operation: &str,
        _input: Input,
    ) -> Option<Result<serde_json::Value, ApiError>> {
        None
    }
}
