//! One error of every variant, each field filled in: the bindings' tests check that every field
//! of [`Error::details`] reaches `looker_ci.errors` (Python) and `LookerCIError` (Node).

use std::sync::Arc;
use std::time::Duration;

use crate::{ApiError, Error, FieldError};

/// One [`Error`] of each variant, with every optional field set (so that each field of
/// [`Error::details`] has a value a binding can drop or keep).
pub fn error_samples() -> Vec<Error> {
    let samples = vec![
        Error::Config {
            setting: "base_url".into(),
            origin: "LOOKERSDK_BASE_URL".into(),
            message: "is not a URL".into(),
        },
        Error::Api(Box::new(ApiError {
            status: 422,
            method: "PATCH".into(),
            path: "/api/4.0/users/1".into(),
            message: "Validation Failed".into(),
            documentation_url: Some("https://docs.example/422".into()),
            request_id: Some("req-1".into()),
            field_errors: vec![FieldError {
                field: "email".into(),
                code: "invalid".into(),
                message: "is not an email".into(),
            }],
            hint: Some("fix the email".into()),
        })),
        Error::Timeout {
            method: "GET".into(),
            path: "/api/4.0/user".into(),
            after: Duration::from_millis(2500),
        },
        Error::Redirect {
            method: "GET".into(),
            path: "/api/4.0/user".into(),
            status: 302,
            location: "https://other.example/login".into(),
        },
        Error::Connection {
            method: "GET".into(),
            path: "/api/4.0/user".into(),
            message: "connection refused".into(),
            source: Some(Arc::new(std::io::Error::other("refused"))),
        },
        Error::Decode {
            method: "GET".into(),
            path: "/api/4.0/user".into(),
            message: "Syntax error at line 1 column 1".into(),
        },
        Error::Credentials {
            provider: "aws-secrets-manager".into(),
            message: "access denied".into(),
        },
        Error::InvalidArgument {
            argument: "path".into(),
            message: "must start with /".into(),
        },
        Error::Closed,
        Error::Cancelled {
            message: "SIGTERM".into(),
        },
        Error::Internal {
            message: "a panic".into(),
        },
    ];
    // A variant added to `Error` stops the build here until it has a sample above and an arm.
    for sample in &samples {
        match sample {
            Error::Config { .. }
            | Error::Api(_)
            | Error::Timeout { .. }
            | Error::Redirect { .. }
            | Error::Connection { .. }
            | Error::Decode { .. }
            | Error::Credentials { .. }
            | Error::InvalidArgument { .. }
            | Error::Closed
            | Error::Cancelled { .. }
            | Error::Internal { .. } => {}
        }
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_variant_with_every_field_set() {
        let samples = error_samples();
        let mut codes: Vec<_> = samples.iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), samples.len(), "two samples of one variant");
        for sample in &samples {
            let details = sample.details();
            for (field, value) in details.as_object().unwrap() {
                assert!(!value.is_null(), "{}: `{field}` is null", sample.code());
            }
        }
    }
}
