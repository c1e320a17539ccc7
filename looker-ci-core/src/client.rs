//! `LookerClient`: the public face of a Looker session.
//!
//! Cheap to clone (clones share one session and token); every future it returns owns its data,
//! so it can be handed to the Python and Node runtimes.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::audit::AuditTrail;
use crate::ci_run::{CiRun, user_agent};
use crate::credentials::summary::{IdentitySummary, identity_summary};
use crate::credentials::{
    CredentialProvider, CredentialReport, ProxyAuth, StaticCredentials, provider_http_client_as,
    resolve_chain, settings_report,
};
use crate::error::{Error, Result};
use crate::session::{Session, Stats};
use crate::settings::{Environment, Settings};
use crate::token_cache::RefreshPolicy;
use crate::transport::{RequestHeader, Transport};

/// One generic API request: method, path under `/api/4.0`, query, JSON body. Owns its data.
#[derive(Debug, Clone)]
pub struct ApiCall {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<CallBody>,
    min_timeout: Option<std::time::Duration>,
}

/// A request body: JSON, or text sent with its content type.
#[derive(Debug, Clone)]
enum CallBody {
    Json(serde_json::Value),
    Text {
        content_type: &'static str,
        text: String,
    },
}

impl ApiCall {
    /// A request; `method` is any HTTP method name (case-insensitive), `path` an API path such as
    /// `/user` or `/api/4.0/user`.
    pub fn new(method: &str, path: &str) -> Result<Self> {
        let method =
            Method::from_bytes(method.trim().to_ascii_uppercase().as_bytes()).map_err(|_| {
                Error::invalid_argument("method", format!("`{method}` is not an HTTP method"))
            })?;
        Ok(ApiCall {
            method,
            path: normalize_path(path)?,
            query: Vec::new(),
            body: None,
            min_timeout: None,
        })
    }

    /// A `GET` request for `path` (see [`ApiCall::new`]).
    pub fn get(path: &str) -> Result<Self> {
        Self::new("GET", path)
    }

    /// The HTTP method, upper case.
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The path under `/api/4.0`, as it is sent and as errors name it (e.g. `/user`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Give this call at least `limit` to answer, when the client's `timeout` setting is
    /// shorter: for calls Looker may take minutes to answer (a LookML validation of a large
    /// project, content validation, a run of data tests).
    pub fn timeout_at_least(mut self, limit: std::time::Duration) -> Self {
        self.min_timeout = Some(limit);
        self
    }

    /// Add a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Add a query parameter given as JSON, formatted the way the Looker API expects: strings as
    /// is, numbers and booleans as text, arrays joined with commas, objects as JSON text; `null`
    /// leaves the parameter out.
    pub fn query_value(self, name: impl Into<String>, value: &serde_json::Value) -> Self {
        use serde_json::Value;
        let text = match value {
            Value::Null => return self,
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        self.query(name, text)
    }

    /// Add every entry of a JSON object as a query parameter (see [`ApiCall::query_value`]).
    pub fn query_object(mut self, query: &serde_json::Map<String, serde_json::Value>) -> Self {
        for (name, value) in query {
            self = self.query_value(name.clone(), value);
        }
        self
    }

    /// A call from the parts the bindings' generic `request()` receives: `query` an object of
    /// parameter names to values (or null), `body_json` JSON text. The one place their argument
    /// rules and messages live.
    pub fn from_parts(
        method: &str,
        path: &str,
        query: Option<&serde_json::Value>,
        body_json: Option<&str>,
    ) -> Result<Self> {
        let mut call = ApiCall::new(method, path)?;
        match query {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(map)) => call = call.query_object(map),
            Some(_) => {
                return Err(Error::invalid_argument(
                    "query",
                    "must be a mapping (an object) of parameter names to values",
                ));
            }
        }
        if let Some(text) = body_json {
            let body = serde_json::from_str(text)
                .map_err(|e| Error::invalid_argument("body", format!("is not valid JSON: {e}")))?;
            call = call.json(body);
        }
        Ok(call)
    }

    /// Set the JSON body.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(CallBody::Json(body));
        self
    }

    /// Set a text body with its content type (the few operations that take text or a form).
    pub fn text(mut self, content_type: &'static str, text: String) -> Self {
        self.body = Some(CallBody::Text { content_type, text });
        self
    }
}

/// `.` or `..`, also spelt with `%2e` (URL parsers resolve those as dot segments too).
pub(crate) fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

/// Accept `/x`, `x` and `/api/4.0/x`; refuse anything that could leave the API root.
fn normalize_path(path: &str) -> Result<String> {
    let trimmed = path.trim();
    let with_slash = if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    };
    let path = with_slash
        .strip_prefix("/api/4.0")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
        .map(str::to_owned)
        .unwrap_or(with_slash);
    let bad = |why: &str| Error::invalid_argument("path", format!("`{trimmed}` {why}"));
    if path.contains("://") || path.starts_with("//") {
        return Err(bad("must be an API path such as /user, not a URL"));
    }
    if path.split('/').any(is_dot_segment) {
        return Err(bad(
            "must not contain `.` or `..` segments (nor their %2e spellings)",
        ));
    }
    if path.contains(['?', '#']) {
        return Err(bad(
            "must not hold a query or fragment; pass query parameters separately",
        ));
    }
    if path.chars().any(char::is_control) || path.contains(' ') {
        return Err(bad("must not contain spaces or control characters"));
    }
    if path == "/" {
        return Err(bad("names no API endpoint"));
    }
    Ok(path)
}

/// A Looker API 4.0 client with a self-refreshing session.
#[derive(Clone)]
pub struct LookerClient {
    session: Arc<Session>,
    settings: Arc<Settings>,
    policy: RefreshPolicy,
    identity: Arc<Identity>,
}

/// Who a client acts as and for which CI run: fixed when it is built, shared by its clones.
struct Identity {
    report: CredentialReport,
    summary: IdentitySummary,
    ci_run: Option<CiRun>,
    /// The environment the client was built from (the doctor reads it again).
    env: Arc<dyn Environment>,
}

impl fmt::Debug for LookerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookerClient")
            .field("base_url", &self.settings.base_url.as_str())
            .field("session", &self.session)
            .finish()
    }
}

impl LookerClient {
    /// Settings from `./looker.ini` and the `LOOKERSDK_*` variables; credentials from the
    /// default chain (an API key in the settings, else the CI job's OIDC token exchanged through
    /// AWS STS for the key in Secrets Manager). [`LookerClient::describe`] says which was chosen.
    /// The one-liner for [`LookerClient::builder`]`().read_env(true).build()`.
    pub fn from_env() -> Result<Self> {
        Self::builder().read_env(true).build()
    }

    /// A client using the API key in `settings` (source `settings`, as `describe()` says).
    pub fn new(settings: Settings) -> Result<Self> {
        Self::builder().settings(settings).build()
    }

    /// A client for `settings` whose credentials come from the default chain, reading `env` for
    /// the sources beyond the settings (CI identity token, AWS role, Okta).
    pub(crate) fn from_chain(
        settings: Settings,
        env: Arc<dyn Environment>,
        policy: RefreshPolicy,
    ) -> Result<Self> {
        let ci_run = CiRun::from_env(env.as_ref());
        let http = provider_http_client_as(&settings, &user_agent(ci_run.as_ref()))?;
        let chosen = resolve_chain(&settings, &env, http, &policy)?;
        tracing::debug!(report = %chosen.report, "credential source chosen");
        let summary = identity_summary(&chosen.report, &env);
        let identity = Identity {
            report: chosen.report,
            summary,
            ci_run,
            env: Arc::clone(&env),
        };
        Self::build(
            settings,
            chosen.provider,
            policy,
            identity,
            chosen.proxy_auth,
        )
    }

    /// A client using the API key in `settings`, with `policy`.
    pub(crate) fn from_settings_key(
        settings: Settings,
        env: Arc<dyn Environment>,
        policy: RefreshPolicy,
    ) -> Result<Self> {
        let provider = StaticCredentials::from_settings(&settings)?;
        let report = settings_report(&settings, Vec::new());
        Self::in_code(settings, Arc::new(provider), policy, report, env)
    }

    /// A client whose API key comes from `provider` (given in code) at every login.
    pub(crate) fn from_provider(
        settings: Settings,
        provider: Arc<dyn CredentialProvider>,
        env: Arc<dyn Environment>,
        policy: RefreshPolicy,
    ) -> Result<Self> {
        let report = CredentialReport {
            source: provider.name().to_owned(),
            detail: "credential provider given in code".into(),
            skipped: Vec::new(),
            proxy: None,
        };
        Self::in_code(settings, provider, policy, report, env)
    }

    /// Which credential source this client uses and why (never a secret).
    pub fn describe(&self) -> &CredentialReport {
        &self.identity.report
    }

    /// The identity behind this client as facts (source, the CI token's non-secret claims, the
    /// AWS role and STS session name, the Okta client), read when the client was built.
    pub fn identity(&self) -> &IdentitySummary {
        &self.identity.summary
    }

    /// [`identity`](Self::identity) with the [`ci_run`](Self::ci_run) under `ci`, as one JSON
    /// object (what the bindings' `identity()` return).
    pub fn identity_json(&self) -> serde_json::Value {
        let mut value =
            serde_json::to_value(self.identity()).expect("an identity summary is plain data");
        value["ci"] = serde_json::to_value(self.ci_run()).expect("a CI run is plain data");
        value
    }

    /// The CI run this client's requests are attributed to (in their `User-Agent` and in the
    /// audit trail), `None` outside GitLab CI and GitHub Actions.
    pub fn ci_run(&self) -> Option<&CiRun> {
        self.identity.ci_run.as_ref()
    }

    /// The lifetime Looker gave this client's last access token (`expires_in`), once it has
    /// logged in; the session refreshes it ahead of expiry.
    pub fn token_ttl(&self) -> Option<std::time::Duration> {
        self.session.token_ttl()
    }

    /// The environment this client's settings and credentials were read from.
    pub fn environment(&self) -> &Arc<dyn Environment> {
        &self.identity.env
    }

    /// The audit trail this client records its requests in, if any.
    pub fn audit_trail(&self) -> Option<&Arc<AuditTrail>> {
        self.session.audit_trail()
    }

    /// A client that records every request in `trail` (see [`AuditTrail`]), on a new Looker
    /// session with this client's login, settings and connection settings; the run's header (CI
    /// run, identity) goes before its first record. Build it before the first request and close
    /// it when done; clones, [`LookerClient::in_workspace`] and [`LookerClient::login_user`]
    /// share it. A client replaced this way before its first request leaves its own trail empty.
    pub fn with_audit(&self, trail: Arc<AuditTrail>) -> LookerClient {
        trail.run_started(serde_json::json!({
            "base_url": self.settings.base_url.as_str(),
            "user_agent": user_agent(self.ci_run()),
            "ci": self.ci_run(),
            "identity": self.identity(),
        }));
        LookerClient {
            session: self.session.with_audit(trail, self.policy.clone()),
            settings: Arc::clone(&self.settings),
            policy: self.policy.clone(),
            identity: Arc::clone(&self.identity),
        }
    }

    /// A client whose credentials were chosen in code rather than by the chain.
    fn in_code(
        settings: Settings,
        provider: Arc<dyn CredentialProvider>,
        policy: RefreshPolicy,
        report: CredentialReport,
        env: Arc<dyn Environment>,
    ) -> Result<Self> {
        let mut summary = identity_summary(&report, &env);
        // A provider given in code: the chain's AWS and Okta settings are not what it uses.
        summary.aws = None;
        summary.okta = None;
        let identity = Identity {
            report,
            summary,
            ci_run: CiRun::from_env(env.as_ref()),
            env,
        };
        Self::build(settings, provider, policy, identity, None)
    }

    fn build(
        settings: Settings,
        provider: Arc<dyn CredentialProvider>,
        policy: RefreshPolicy,
        identity: Identity,
        proxy_auth: Option<Arc<ProxyAuth>>,
    ) -> Result<Self> {
        let transport = Transport::new(&settings, &user_agent(identity.ci_run.as_ref()))?
            .with_extra_header(proxy_auth.map(|p| p as Arc<dyn RequestHeader>));
        // The login log line names the source `describe()` names (the Okta chain's provider is
        // the Secrets Manager one underneath).
        let session = Session::new(
            transport,
            provider,
            identity.report.source.clone(),
            policy.clone(),
            settings.dev_workspace,
        );
        Ok(LookerClient {
            session,
            settings: Arc::new(settings),
            policy,
            identity: Arc::new(identity),
        })
    }

    /// The Looker instance's URL as users write it: `https://example.looker.com`, no trailing
    /// slash (the form every binding shows).
    pub fn base_url(&self) -> String {
        self.settings
            .base_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// The settings in use (the secret stays redacted in `Debug`).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Counters of logins, requests and re-authentications made so far.
    pub fn stats(&self) -> Stats {
        self.session.stats()
    }

    /// The current user (`GET /user`) as the JSON Looker sent, every field kept (the typed
    /// the `looker-ci-api` crate's typed `me()` decodes it into its `models::User`).
    pub async fn me_json(&self) -> Result<serde_json::Value> {
        self.request(ApiCall::get("/user")?).await
    }

    /// Send a request and decode the JSON reply into `T` (an empty reply decodes as JSON `null`).
    pub async fn request<T: DeserializeOwned>(&self, call: ApiCall) -> Result<T> {
        let method = call.method.clone();
        let path = call.path.clone();
        let bytes = self.request_bytes(call).await?;
        serde_json::from_slice(crate::api::json_body(&bytes))
            .map_err(|e| Error::decode(method.as_str(), &path, &e))
    }

    /// Send a request and return the raw reply body (CSV, PNG, ...).
    pub async fn request_bytes(&self, call: ApiCall) -> Result<Bytes> {
        Ok(self.request_with_content_type(call).await?.1)
    }

    /// Send a request; return the reply's `Content-Type` and body.
    pub async fn request_with_content_type(
        &self,
        call: ApiCall,
    ) -> Result<(Option<String>, Bytes)> {
        let body = match call.body {
            Some(CallBody::Json(value)) => Some((
                "application/json",
                serde_json::to_vec(&value).map_err(|e| {
                    Error::invalid_argument("body", format!("cannot be encoded as JSON: {e}"))
                })?,
            )),
            Some(CallBody::Text { content_type, text }) => Some((content_type, text.into_bytes())),
            None => None,
        };
        let reply = self
            .session
            .call(call.method, &call.path, &call.query, body, call.min_timeout)
            .await?;
        let content_type = reply
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok((content_type, reply.body))
    }

    /// A client acting as `user_id` (`POST /login/{user_id}`), sharing this client's connection
    /// pool. Several may be open at once; close each when done (closing this client ends them too).
    pub fn login_user(&self, user_id: &str) -> Result<LookerClient> {
        if user_id.trim().is_empty() {
            return Err(Error::invalid_argument("user_id", "must not be empty"));
        }
        // Looker's user ids are numbers; letters, `-` and `_` are let through for other id
        // schemes, nothing that could change the path.
        if !user_id
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::invalid_argument(
                "user_id",
                format!(
                    "`{}` is not a Looker user id (digits, such as \"42\")",
                    user_id.trim()
                ),
            ));
        }
        Ok(LookerClient {
            session: self
                .session
                .sudo(user_id.trim().to_owned(), self.policy.clone()),
            settings: Arc::clone(&self.settings),
            policy: self.policy.clone(),
            identity: Arc::clone(&self.identity),
        })
    }

    /// A client on a new Looker session in the dev workspace (`dev == true`) or in production,
    /// sharing this client's login and connection pool; this client itself is unchanged. Returns
    /// a clone when this client is already in that workspace. The workspace is applied again
    /// after every re-login. Close it when done.
    pub fn in_workspace(&self, dev: bool) -> LookerClient {
        if self.session.dev_workspace() == dev {
            return self.clone();
        }
        LookerClient {
            session: self.session.in_workspace(dev, self.policy.clone()),
            settings: Arc::clone(&self.settings),
            policy: self.policy.clone(),
            identity: Arc::clone(&self.identity),
        }
    }

    /// Whether this client's session works in the dev workspace.
    pub fn is_dev_workspace(&self) -> bool {
        self.session.dev_workspace()
    }

    /// Log out and refuse further calls with [`Error::Closed`]. Calling it again does nothing.
    pub async fn close(&self) -> Result<()> {
        self.session.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_and_escapes_refused() {
        assert_eq!(ApiCall::get("user").unwrap().path, "/user");
        assert_eq!(ApiCall::get("/api/4.0/user").unwrap().path, "/user");
        assert_eq!(ApiCall::get("/api/4.0x").unwrap().path, "/api/4.0x");
        for bad in [
            "https://evil.example/x",
            "//evil/x",
            "/a/../b",
            "/a/%2e%2e/b",
            "/a/.%2E/b",
            "/users/%2e",
            "/user?x=1",
            "/",
            "/a b",
        ] {
            let err = ApiCall::get(bad).unwrap_err();
            assert!(matches!(err, Error::InvalidArgument { .. }), "{bad}");
        }
        assert!(ApiCall::new("FETCH ME", "/user").is_err());
        assert_eq!(
            ApiCall::new("patch", "/session").unwrap().method,
            Method::PATCH
        );
    }

    #[test]
    fn json_query_values_are_formatted_like_the_official_sdks() {
        let query = serde_json::json!({"fields": "id,name", "limit": 5, "all": true,
            "ids": [1, 2, "x"], "skip": null, "filters": {"a": "b"}});
        let call = ApiCall::get("/x")
            .unwrap()
            .query_object(query.as_object().unwrap());
        let mut got = call.query.clone();
        got.sort();
        let want: Vec<(String, String)> = [
            ("all", "true"),
            ("fields", "id,name"),
            ("filters", r#"{"a":"b"}"#),
            ("ids", "1,2,x"),
            ("limit", "5"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn error_details_carry_the_fields_and_code() {
        let err = Error::Api(Box::new(crate::ApiError {
            status: 404,
            method: "GET".into(),
            path: "/x".into(),
            message: "Not found".into(),
            documentation_url: Some("https://docs".into()),
            request_id: Some("r-1".into()),
            field_errors: Vec::new(),
            hint: None,
        }));
        let d = err.details();
        assert_eq!(d["code"], "LOOKER_CI_API");
        assert_eq!(d["status"], 404);
        assert_eq!(d["request_id"], "r-1");
        assert!(d["message"].as_str().unwrap().contains("HTTP 404"));
        assert_eq!(Error::Closed.details()["code"], "LOOKER_CI_CLOSED");
    }
}
