//! Panics stop at the library's edge: a future that panics becomes [`Error::Internal`], so a bug
//! (ours, or in a user's credential callback) fails one call instead of poisoning shared state
//! such as the token cache's in-flight refresh, which every later caller would otherwise await.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::error::{Error, Result};

/// Run `future`; a panic inside it is returned as [`Error::Internal`] naming `what` was running.
/// The panic's message is not copied into the error: it may quote any value, secrets included.
pub async fn catch_panic<T>(what: &str, future: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(_) => {
            tracing::error!(what, "a panic interrupted this operation; it was abandoned");
            Err(Error::Internal {
                message: format!("a panic interrupted {what}; the operation was abandoned"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_the_typed_internal_error_without_its_message() {
        let result: Result<()> = catch_panic("the test", async {
            panic!("secret-in-panic-message");
        })
        .await;
        let error = result.unwrap_err();
        assert_eq!(error.code(), "LOOKER_CI_INTERNAL");
        assert!(error.to_string().contains("the test"), "{error}");
        assert!(!error.to_string().contains("secret-in-panic-message"));
        assert_eq!(catch_panic("ok", async { Ok(7) }).await.unwrap(), 7);
    }
}
