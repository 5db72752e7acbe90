//! The pattern catalogue: the four pipelines the console deploys, each a bundled CloudFormation
//! template read for its parameters, outputs, alarms and dashboard, and a validator for the
//! parameter values a user gives.

pub mod alarms;
pub mod aws_types;
pub mod catalogue;
pub mod dashboard;
pub mod intrinsic;
pub mod outputs;
pub mod parameters;
pub mod template;
pub mod validate;
pub mod yaml;

pub use catalogue::{Catalogue, CatalogueError, Pattern, UnknownPattern, catalogue};
pub use template::Template;
pub use validate::{Problem, Rule, validate, validate_pairs};
pub use yaml::TemplateError;
