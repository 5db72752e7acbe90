//! How local services send messages into the local SQS (an event source mapping's on-failure
//! destination) without going through the wire: a narrow handle SQS installs on the context.

use std::sync::{Arc, OnceLock};

use super::error::ApiError;

/// Where messages go. The local SQS installs itself here when it is built.
pub trait QueueSink: Send + Sync {
    /// Sends `body` to the queue named by `queue_arn` (`arn:aws:sqs:<region>:<account>:<name>`), durably,
    /// before returning; the new message's id on success, SQS's error (`AWS.SimpleQueueService.NonExistentQueue`,
    /// `InvalidParameterValue`, …) otherwise.
    fn send_message(&self, queue_arn: &str, body: &str) -> Result<String, ApiError>;
}

/// The handle services hold: the sink SQS installs, or a clear error before it is.
#[derive(Default)]
pub struct QueueSender {
    sink: OnceLock<Arc<dyn QueueSink>>,
}

impl QueueSender {
    pub fn install(&self, sink: Arc<dyn QueueSink>) {
        let _ = self.sink.set(sink);
    }

    /// Blocking (it syncs to disk): call it from a blocking task in async code.
    pub fn send_message(&self, queue_arn: &str, body: &str) -> Result<String, ApiError> {
        match self.sink.get() {
            Some(sink) => sink.send_message(queue_arn, body),
            None => Err(ApiError::internal(format!("the local SQS is not running (sending to {queue_arn})"))),
        }
    }

    pub fn is_installed(&self) -> bool {
        self.sink.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, String)>>);

    impl QueueSink for Recorder {
        fn send_message(&self, queue_arn: &str, body: &str) -> Result<String, ApiError> {
            let mut sent = self.0.lock().unwrap();
            sent.push((queue_arn.to_string(), body.to_string()));
            Ok(format!("m-{}", sent.len()))
        }
    }

    #[test]
    fn sends_are_refused_with_the_queue_named_until_sqs_installs_itself() {
        let sender = QueueSender::default();
        let refused = sender.send_message("arn:aws:sqs:us-east-1:000000000000:dlq", "{}").unwrap_err();
        assert!(refused.message.contains("arn:aws:sqs:us-east-1:000000000000:dlq"), "{}", refused.message);
        assert!(!sender.is_installed());
        let recorder = Arc::new(Recorder::default());
        sender.install(recorder.clone());
        assert_eq!(sender.send_message("arn:aws:sqs:us-east-1:000000000000:dlq", "{\"a\":1}").unwrap(), "m-1");
        assert_eq!(recorder.0.lock().unwrap()[0].1, "{\"a\":1}");
    }
}
