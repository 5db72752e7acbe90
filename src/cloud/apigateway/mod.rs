//! API Gateway (REST APIs).

pub mod velocity;
