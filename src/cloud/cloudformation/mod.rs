//! The local CloudFormation.

pub mod template;
