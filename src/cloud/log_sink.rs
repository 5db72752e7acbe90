//! How local services (Managed Flink, Lambda) write their logs into the local CloudWatch Logs without
//! going through the wire: a narrow handle the Logs service installs on the context when it starts.

use std::sync::{Arc, OnceLock};

use super::clock::Millis;

/// One log line, shaped like a PutLogEvents input event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub timestamp_ms: Millis,
    pub message: String,
}

/// Why a write was refused, in words naming the group and stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LogSinkError(pub String);

/// Where services write logs. CloudWatch Logs installs itself here when it starts.
pub trait LogSink: Send + Sync {
    /// Creates the group and the stream when they do not exist yet (as Lambda does for its functions).
    fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), LogSinkError>;

    /// Appends lines to an existing stream, durably, under PutLogEvents' rules (lines outside the
    /// accepted time window are dropped, as AWS rejects them).
    fn append(&self, group: &str, stream: &str, lines: Vec<LogLine>) -> Result<(), LogSinkError>;
}

/// The slot on the context; writes before CloudWatch Logs is installed are refused with a reason.
#[derive(Default)]
pub struct LogPublisher {
    sink: OnceLock<Arc<dyn LogSink>>,
}

impl LogPublisher {
    pub fn install(&self, sink: Arc<dyn LogSink>) {
        let _ = self.sink.set(sink);
    }

    pub fn is_installed(&self) -> bool {
        self.sink.get().is_some()
    }

    fn sink(&self) -> Result<&Arc<dyn LogSink>, LogSinkError> {
        self.sink.get().ok_or_else(|| LogSinkError("CloudWatch Logs is not running in this local cloud".into()))
    }

    pub fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), LogSinkError> {
        self.sink()?.ensure_stream(group, stream)
    }

    pub fn append(&self, group: &str, stream: &str, lines: Vec<LogLine>) -> Result<(), LogSinkError> {
        if lines.is_empty() {
            return Ok(());
        }
        self.sink()?.append(group, stream, lines)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl LogSink for Recorder {
        fn ensure_stream(&self, group: &str, stream: &str) -> Result<(), LogSinkError> {
            self.0.lock().unwrap().push(format!("ensure {group}/{stream}"));
            Ok(())
        }

        fn append(&self, group: &str, stream: &str, lines: Vec<LogLine>) -> Result<(), LogSinkError> {
            self.0.lock().unwrap().push(format!("append {group}/{stream} {}", lines.len()));
            Ok(())
        }
    }

    #[test]
    fn writes_before_installation_are_refused_then_reach_the_sink() {
        let publisher = LogPublisher::default();
        let line = LogLine { timestamp_ms: 1, message: "hello".into() };
        let err = publisher.append("g", "s", vec![line.clone()]).unwrap_err();
        assert!(err.0.contains("not running"), "{err}");
        let recorder = Arc::new(Recorder::default());
        publisher.install(recorder.clone());
        assert!(publisher.is_installed());
        publisher.ensure_stream("g", "s").unwrap();
        publisher.append("g", "s", vec![line]).unwrap();
        publisher.append("g", "s", Vec::new()).unwrap();
        assert_eq!(*recorder.0.lock().unwrap(), ["ensure g/s", "append g/s 1"]);
    }
}
