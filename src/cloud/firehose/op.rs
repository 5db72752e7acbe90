//! What every Firehose operation works with; below the operation files, so none imports `mod.rs`.

use super::state::FirehoseState;
use crate::cloud::clock::Millis;
use crate::cloud::context::CloudContext;

pub struct Op<'a> {
    pub state: &'a FirehoseState,
    pub ctx: &'a CloudContext,
    pub region: &'a str,
    pub now: Millis,
}

impl Op<'_> {
    pub fn account(&self) -> &str {
        self.ctx.account_id()
    }
}
