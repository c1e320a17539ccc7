//! The argument rules of FakeLooker's controls, shared by the Python and Node bindings: their
//! arguments arrive as plain values (seconds as numbers, a project as JSON), and a bad one is the
//! crate's [`Error::InvalidArgument`] in every language, with the same message.

use std::time::Duration;

use super::project::{FakeProject, FakeWorldError};
use crate::error::{Error, Result};

/// A non-negative, finite number of seconds as a duration.
pub fn seconds(argument: &str, value: f64) -> Result<Duration> {
    if value.is_finite() && value >= 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Error::invalid_argument(
            argument,
            format!("must be a non-negative number of seconds, not {value}"),
        ))
    }
}

/// A [`FakeProject`] from its JSON form (unknown keys refused).
pub fn project_from_json(project: serde_json::Value) -> Result<FakeProject> {
    serde_json::from_value(project)
        .map_err(|e| Error::invalid_argument("project", format!("is not a FakeProject: {e}")))
}

/// A [`FakeProject`] from JSON text (what the Python facade sends).
pub fn project_from_json_text(project: &str) -> Result<FakeProject> {
    serde_json::from_str(project)
        .map_err(|e| Error::invalid_argument("project", format!("is not a FakeProject: {e}")))
}

/// The JSON form of a [`FakeProject`].
pub fn project_to_json(project: &FakeProject) -> Result<serde_json::Value> {
    serde_json::to_value(project).map_err(|e| Error::Internal {
        message: format!("the FakeLooker project could not be encoded: {e}"),
    })
}

impl FakeWorldError {
    /// This refused change as the crate's invalid-argument error, naming `branch` when the
    /// branch is unknown and `argument` otherwise.
    pub fn into_error(self, argument: &str) -> Error {
        let argument = if self.0.starts_with("no branch") {
            "branch"
        } else {
            argument
        };
        Error::invalid_argument(argument, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_are_the_crates_invalid_argument_error() {
        assert_eq!(seconds("delay", 1.5).unwrap(), Duration::from_millis(1500));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let err = seconds("delay", bad).unwrap_err();
            assert_eq!(err.code(), "LOOKER_CI_INVALID_ARGUMENT");
            assert!(err.to_string().contains("delay"), "{err}");
        }
        let err = project_from_json(serde_json::json!({"nope": 1})).unwrap_err();
        assert_eq!(err.code(), "LOOKER_CI_INVALID_ARGUMENT");
        let unknown = FakeWorldError("no branch \"x\"".into()).into_error("field");
        assert!(unknown.to_string().contains("branch"), "{unknown}");
        let other = FakeWorldError("no field \"v.f\"".into()).into_error("field");
        assert!(other.to_string().contains("field"), "{other}");
    }
}
