//! The AWS-shaped error every service answers with; each protocol renders it in its own framing.

use std::borrow::Cow;

use http::StatusCode;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: String,
    /// `Sender` (the client's fault) or `Receiver` (ours), for query-compatible error headers.
    pub sender_fault: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        let status_is_client = status.is_client_error();
        ApiError { status, code: code.into(), message: message.into(), sender_fault: status_is_client }
    }

    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::bad_request("ValidationException", message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::bad_request("SerializationException", message)
    }

    pub fn unknown_operation(operation: &str) -> Self {
        Self::bad_request(
            "UnknownOperationException",
            format!("Operation {operation} is not supported by this service"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", message)
    }

    pub fn throttling(message: impl Into<String>) -> Self {
        Self::bad_request("ThrottlingException", message)
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("Request body exceeds the service limit of {limit} bytes"),
        )
    }
}
