//! Core errors cross into JS as `Error`s whose message is `LOOKER_CI_ERROR:` + the error's JSON
//! details; `lib/errors.js` turns them into `LookerCIError`s with a `code` and fields.

use napi::Status;
use napi_derive::napi;

/// The marker `lib/errors.js` looks for.
const MARKER: &str = "LOOKER_CI_ERROR:";

pub fn to_js(error: looker_ci_core::Error) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{MARKER}{}", error.details()),
    )
}

/// One core error of each variant (every field set), each as the message `lib/errors.js` turns
/// into a `LookerCIError`: the test that every error field reaches JS reads them. Not public API.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn error_samples() -> Vec<String> {
    looker_ci_core::testing::error_samples()
        .into_iter()
        .map(|error| to_js(error).reason)
        .collect()
}

pub fn invalid(argument: &str, message: impl Into<String>) -> napi::Error {
    to_js(looker_ci_core::Error::InvalidArgument {
        argument: argument.to_owned(),
        message: message.into(),
    })
}

/// Run a core future for an async JS method: a panic inside it becomes the core's typed
/// `LOOKER_CI_INTERNAL` error (never napi's bare "Panic in async function"), every error a JS one.
pub async fn guarded<T>(
    what: &str,
    future: impl std::future::Future<Output = looker_ci_core::Result<T>>,
) -> napi::Result<T> {
    looker_ci_core::catch_panic(what, future)
        .await
        .map_err(to_js)
}
