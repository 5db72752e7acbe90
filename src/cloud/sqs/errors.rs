//! SQS's errors. The service is `awsQueryCompatible`: an error's code is its awsQuery code
//! (`AWS.SimpleQueueService.NonExistentQueue`), which awsQuery writes in `<Code>` and the JSON
//! protocol in the `x-amzn-query-error` header the SDKs read; the JSON body's `__type` names the
//! model's shape (`com.amazonaws.sqs#QueueDoesNotExist`), as AWS answers. Codes and shapes from the
//! SQS API model (2012-11-05):
//!
//! | shape | awsQuery code |
//! |---|---|
//! | QueueDoesNotExist | AWS.SimpleQueueService.NonExistentQueue |
//! | QueueNameExists | QueueAlreadyExists |
//! | PurgeQueueInProgress | AWS.SimpleQueueService.PurgeQueueInProgress |
//! | EmptyBatchRequest | AWS.SimpleQueueService.EmptyBatchRequest |
//! | TooManyEntriesInBatchRequest | AWS.SimpleQueueService.TooManyEntriesInBatchRequest |
//! | BatchEntryIdsNotDistinct | AWS.SimpleQueueService.BatchEntryIdsNotDistinct |
//! | BatchRequestTooLong | AWS.SimpleQueueService.BatchRequestTooLong |
//! | InvalidBatchEntryId | AWS.SimpleQueueService.InvalidBatchEntryId |
//! | MessageNotInflight | AWS.SimpleQueueService.MessageNotInflight |
//! | UnsupportedOperation | AWS.SimpleQueueService.UnsupportedOperation |
//! | ReceiptHandleIsInvalid, InvalidAttributeName, InvalidAttributeValue, InvalidMessageContents, InvalidAddress, OverLimit | the same |

use crate::cloud::error::ApiError;

pub const NON_EXISTENT_QUEUE: &str = "AWS.SimpleQueueService.NonExistentQueue";

/// The model's shape for an awsQuery code; common errors (`InvalidParameterValue`,
/// `MissingParameter`) keep their code.
pub fn shape_of(code: &str) -> &str {
    match code {
        NON_EXISTENT_QUEUE => "QueueDoesNotExist",
        "QueueAlreadyExists" => "QueueNameExists",
        other => other.strip_prefix("AWS.SimpleQueueService.").unwrap_or(other),
    }
}

pub fn no_queue() -> ApiError {
    ApiError::bad_request(NON_EXISTENT_QUEUE, "The specified queue does not exist.")
}

pub fn invalid_parameter(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("InvalidParameterValue", message)
}

pub fn missing(parameter: &str) -> ApiError {
    ApiError::bad_request("MissingParameter", format!("The request must contain the parameter {parameter}."))
}

pub fn invalid_attribute_name(name: &str) -> ApiError {
    ApiError::bad_request("InvalidAttributeName", format!("Unknown Attribute {name}."))
}

pub fn invalid_attribute_value(name: &str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("InvalidAttributeValue", format!("Invalid value for the parameter {name}. Reason: {detail}"))
}

pub fn receipt_invalid(handle: &str) -> ApiError {
    ApiError::bad_request(
        "ReceiptHandleIsInvalid",
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
}

pub fn batch(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_the_models_names_for_the_query_codes() {
        assert_eq!(shape_of(NON_EXISTENT_QUEUE), "QueueDoesNotExist");
        assert_eq!(shape_of("QueueAlreadyExists"), "QueueNameExists");
        assert_eq!(shape_of("AWS.SimpleQueueService.EmptyBatchRequest"), "EmptyBatchRequest");
        assert_eq!(shape_of("InvalidParameterValue"), "InvalidParameterValue");
    }
}
