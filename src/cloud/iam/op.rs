//! What every IAM operation works with; below the operation files, so none of them imports `mod.rs`.

use super::state::IamState;
use crate::cloud::clock::Millis;

/// What an operation works with.
pub struct Op<'a> {
    pub state: &'a IamState,
    pub account: &'a str,
    pub now: Millis,
}
