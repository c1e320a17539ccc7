//! Core errors cross into JS as `Error`s whose message is `LOOKER_CI_ERROR:` + the error's JSON
//! details; `lib/errors.js` turns them into `LookerCIError`s with a `code` and fields.

use napi::Status;

/// The marker `lib/errors.js` looks for.
const MARKER: &str = "LOOKER_CI_ERROR:";

pub fn to_js(error: looker_ci_core::Error) -> napi::Error {
    napi::Error::new(
        Status::GenericFailure,
        format!("{MARKER}{}", error.details()),
    )
}

pub fn invalid(argument: &str, message: impl Into<String>) -> napi::Error {
    to_js(looker_ci_core::Error::InvalidArgument {
        argument: argument.to_owned(),
        message: message.into(),
    })
}
