//! How local services invoke local Lambda functions (API Gateway's Lambda proxy integrations) without
//! going through the wire: a narrow handle Lambda installs on the context.

use std::sync::{Arc, RwLock};

use super::error::ApiError;

/// What a synchronous invocation answered, as Invoke's response carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The function's response document (or, on a function error, the error document Lambda returns).
    pub payload: Vec<u8>,
    /// `Some("Unhandled")` when the function failed, as Invoke's `X-Amz-Function-Error` header says.
    pub function_error: Option<String>,
    /// The function version that ran (`$LATEST`).
    pub executed_version: String,
}

/// The local Lambda, seen from another service.
pub trait FunctionRunner: Send + Sync {
    /// Invokes the function named by `function` (a name, a partial or a full ARN, as Invoke accepts)
    /// with `payload`, request-response; Lambda's error (`ResourceNotFoundException`,
    /// `TooManyRequestsException`, …) when it cannot run.
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Vec<u8>,
    ) -> futures_util::future::BoxFuture<'a, Result<Invocation, ApiError>>;
}

/// The handle services hold: the runner Lambda installs, or a clear error before it is. The newest install
/// wins, so a test can stand a runner of its own in for the local Lambda.
#[derive(Default)]
pub struct FunctionInvoker {
    runner: RwLock<Option<Arc<dyn FunctionRunner>>>,
}

impl FunctionInvoker {
    pub fn install(&self, runner: Arc<dyn FunctionRunner>) {
        if let Ok(mut slot) = self.runner.write() {
            *slot = Some(runner);
        }
    }

    fn runner(&self) -> Option<Arc<dyn FunctionRunner>> {
        self.runner.read().ok().and_then(|r| r.clone())
    }

    pub async fn invoke(&self, function: &str, payload: Vec<u8>) -> Result<Invocation, ApiError> {
        match self.runner() {
            Some(runner) => runner.invoke(function, payload).await,
            None => Err(ApiError::internal(format!("the local Lambda is not running (invoking {function})"))),
        }
    }

    pub fn is_installed(&self) -> bool {
        self.runner().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl FunctionRunner for Echo {
        fn invoke<'a>(
            &'a self,
            function: &'a str,
            payload: Vec<u8>,
        ) -> futures_util::future::BoxFuture<'a, Result<Invocation, ApiError>> {
            Box::pin(async move {
                let mut body = function.as_bytes().to_vec();
                body.extend(payload);
                Ok(Invocation { payload: body, function_error: None, executed_version: "$LATEST".into() })
            })
        }
    }

    #[tokio::test]
    async fn invocations_are_refused_with_the_function_named_until_lambda_installs_itself() {
        let invoker = FunctionInvoker::default();
        let refused = invoker.invoke("fare", b"{}".to_vec()).await.unwrap_err();
        assert!(refused.message.contains("fare"), "{}", refused.message);
        invoker.install(Arc::new(Echo));
        let ran = invoker.invoke("fare", b"{}".to_vec()).await.unwrap();
        assert_eq!(ran.payload, b"fare{}");
        assert!(invoker.is_installed());
    }
}
