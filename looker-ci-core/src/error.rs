//! The one error type of looker-ci.
//!
//! Every variant carries what a user needs to fix the problem and nothing secret: no token, no
//! client secret, never the body of a login request or reply. Building an error makes no network
//! call. Errors are `Clone` so that one failed token refresh can be handed to every caller that
//! waited on it.

use std::sync::Arc;
use std::time::Duration;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A reply from Looker with a non-success HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// HTTP method of the request, upper case.
    pub method: String,
    /// Path of the request, without the query string (it may hold user data).
    pub path: String,
    /// Looker's `message` field, or the HTTP reason phrase when the body has none.
    pub message: String,
    /// Looker's `documentation_url` field, when present.
    pub documentation_url: Option<String>,
    /// The request id Looker or a proxy sent back (`x-request-id` and similar), when present.
    pub request_id: Option<String>,
    /// Looker's per-field validation errors (the `errors` of a 422 reply), so the message says
    /// which field to fix.
    pub field_errors: Vec<FieldError>,
    /// What the error means and what to do, where looker-ci knows more than Looker's `message`
    /// says (for example a rejected API key, which Looker answers with a bare 404).
    pub hint: Option<String>,
}

/// One invalid field of a request, as Looker's 422 reply names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[non_exhaustive]
pub struct FieldError {
    /// The request body's field, as Looker names it (empty when the reply leaves it out).
    #[serde(default)]
    pub field: String,
    /// Looker's code for the problem, e.g. `missing` or `already_exists` (empty when absent).
    #[serde(default)]
    pub code: String,
    /// Looker's text for the problem (empty when absent).
    #[serde(default)]
    pub message: String,
}

impl ApiError {
    /// `; field `x`: message; ...` for the display, empty when there are none.
    fn field_summary(&self) -> String {
        self.field_errors
            .iter()
            .map(|e| format!("; field `{}`: {}", e.field, e.message))
            .collect()
    }
}

/// Everything that can go wrong in looker-ci.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or invalid. `origin` says where the value came from
    /// (an environment variable, a `looker.ini` section, or the builder).
    #[error("invalid setting `{setting}` (from {origin}): {message}")]
    Config {
        /// The setting's name, e.g. `base_url` or `okta_issuer`.
        setting: String,
        /// Where its value came from, e.g. `environment variable LOOKERSDK_BASE_URL`,
        /// `looker.ini [Looker]`, `explicit settings`, or `no source` when it is missing.
        origin: String,
        /// What is wrong with it and how to fix it.
        message: String,
    },

    /// Looker answered with an error status.
    #[error("{} {} failed with HTTP {}: {}{}{}{}", .0.method, .0.path, .0.status, .0.message,
        .0.hint.as_deref().map(|h| format!(" — {h}")).unwrap_or_default(),
        .0.field_summary(),
        .0.documentation_url.as_deref().map(|u| format!(" (see {u})")).unwrap_or_default())]
    Api(Box<ApiError>),

    /// The request did not complete within the configured total timeout.
    #[error("{method} {path} timed out after {}s (setting `timeout`)", .after.as_secs_f64())]
    Timeout {
        /// HTTP method of the request, upper case.
        method: String,
        /// Path of the request, without the query string.
        path: String,
        /// The timeout that ran out (the `timeout` setting).
        after: Duration,
    },

    /// The server answered with a redirect. No client of looker-ci follows one: a redirect could
    /// carry the login's client secret, a token or a proxy header to another origin.
    #[error(
        "{method} {path} was redirected (HTTP {status}) to {location}; looker-ci never follows \
         redirects: set the base URL (or the endpoint) to the final address"
    )]
    Redirect {
        /// HTTP method of the request, upper case.
        method: String,
        /// Path of the request, without the query string.
        path: String,
        /// The redirect's HTTP status (3xx).
        status: u16,
        /// Where the redirect pointed: scheme, host, port and path (never the query).
        location: String,
    },

    /// The connection failed (refused, reset, TLS, proxy, DNS) after all retries.
    #[error("{method} {path}: connection failed: {message}")]
    Connection {
        /// HTTP method of the request, upper case.
        method: String,
        /// Path of the request, without the query string.
        path: String,
        /// The failure and its causes, joined by `: ` (no URL, which may carry query values).
        message: String,
        /// The underlying error, when there is one (the HTTP client's or an I/O error).
        #[source]
        source: Option<Arc<dyn std::error::Error + Send + Sync>>,
    },

    /// The reply could not be decoded into the requested type.
    #[error("{method} {path}: could not decode the reply: {message}")]
    Decode {
        /// HTTP method of the request, upper case.
        method: String,
        /// Path of the request without the query string; for a reply of the generic call path,
        /// the operation's path template (`/lookml_models/{lookml_model_name}`).
        path: String,
        /// What did not fit: the kind of error and its line and column, or the content type
        /// received; never the reply's content.
        message: String,
    },

    /// A credential provider could not produce credentials.
    #[error("credential provider `{provider}` failed: {message}")]
    Credentials {
        /// The provider's or identity source's name, e.g. `aws-sts`, `okta`, `env:LOOKER_ID_TOKEN`.
        provider: String,
        /// What failed and what to fix; never a token or secret.
        message: String,
    },

    /// An argument passed to the client is invalid (for example a path outside the API).
    #[error("invalid argument `{argument}`: {message}")]
    InvalidArgument {
        /// The argument's name, as the caller spelled it (for an operation, the spec's name).
        argument: String,
        /// Why the value is refused.
        message: String,
    },

    /// The client was closed; create a new one to make further calls.
    #[error("the Looker client is closed; create a new client to make further calls")]
    Closed,

    /// The operation was cancelled (a CI runner's SIGTERM, Ctrl-C) after cleaning up what it
    /// had changed in Looker.
    #[error("cancelled: {message}")]
    Cancelled {
        /// What was interrupted and what was cleaned up.
        message: String,
    },

    /// A bug stopped the operation (a panic, in looker-ci or in a user callback). Nothing shared
    /// was left half-done: the next call starts afresh. Please report it.
    #[error("internal error: {message}")]
    Internal {
        /// What failed, e.g. the panic's message.
        message: String,
    },
}

impl Error {
    /// A stable, language-neutral code for the variant; the bindings expose it as-is.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config { .. } => "LOOKER_CI_CONFIG",
            Error::Api(_) => "LOOKER_CI_API",
            Error::Timeout { .. } => "LOOKER_CI_TIMEOUT",
            Error::Redirect { .. } => "LOOKER_CI_REDIRECT",
            Error::Connection { .. } => "LOOKER_CI_CONNECTION",
            Error::Decode { .. } => "LOOKER_CI_DECODE",
            Error::Credentials { .. } => "LOOKER_CI_CREDENTIALS",
            Error::InvalidArgument { .. } => "LOOKER_CI_INVALID_ARGUMENT",
            Error::Closed => "LOOKER_CI_CLOSED",
            Error::Cancelled { .. } => "LOOKER_CI_CANCELLED",
            Error::Internal { .. } => "LOOKER_CI_INTERNAL",
        }
    }

    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            _ => None,
        }
    }

    /// The API error details, for API errors.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// Method and path of the request the error belongs to, when it belongs to one.
    pub fn request(&self) -> Option<(&str, &str)> {
        match self {
            Error::Api(api) => Some((&api.method, &api.path)),
            Error::Timeout { method, path, .. }
            | Error::Connection { method, path, .. }
            | Error::Decode { method, path, .. } => Some((method, path)),
            _ => None,
        }
    }

    /// Every field of the error as a JSON object (`code`, `message`, and the variant's fields),
    /// for the bindings, which turn it into a Python exception or a JS `Error`. Secret-free like
    /// the error itself; `cause` holds the source chain's text for connection errors.
    pub fn details(&self) -> serde_json::Value {
        use serde_json::json;
        let mut details = json!({"code": self.code(), "message": self.to_string()});
        let extra = match self {
            Error::Config {
                setting, origin, ..
            } => json!({"setting": setting, "origin": origin}),
            Error::Api(api) => json!({
                "status": api.status, "method": api.method, "path": api.path,
                "api_message": api.message, "documentation_url": api.documentation_url,
                "request_id": api.request_id, "field_errors": api.field_errors,
                "hint": api.hint,
            }),
            Error::Timeout {
                method,
                path,
                after,
            } => {
                json!({"method": method, "path": path, "timeout_secs": after.as_secs_f64()})
            }
            Error::Connection {
                method,
                path,
                message,
                ..
            } => {
                json!({"method": method, "path": path, "cause": message})
            }
            Error::Decode { method, path, .. } => json!({"method": method, "path": path}),
            Error::Redirect {
                method,
                path,
                status,
                location,
            } => json!({"method": method, "path": path, "status": status, "location": location}),
            Error::Credentials { provider, .. } => json!({"provider": provider}),
            Error::InvalidArgument { argument, .. } => json!({"argument": argument}),
            Error::Closed | Error::Internal { .. } | Error::Cancelled { .. } => json!({}),
        };
        if let (Some(target), serde_json::Value::Object(extra)) = (details.as_object_mut(), extra) {
            target.extend(extra);
        }
        details
    }

    pub(crate) fn config(
        setting: impl Into<String>,
        origin: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            setting: setting.into(),
            origin: origin.into(),
            message: message.into(),
        }
    }

    /// A reply of `method path` that is not the JSON expected. Position and category only:
    /// serde's message may quote reply content.
    pub fn decode(method: &str, path: &str, error: &serde_json::Error) -> Self {
        Error::Decode {
            method: method.to_owned(),
            path: path.to_owned(),
            message: format!(
                "{:?} error at line {} column {}",
                error.classify(),
                error.line(),
                error.column()
            ),
        }
    }

    /// An invalid argument, named as the caller spelled it.
    pub fn invalid_argument(argument: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            argument: argument.into(),
            message: message.into(),
        }
    }
}
