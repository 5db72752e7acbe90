//! IAM (placeholder while the service is built).
