//! A Looker API session: the access token (cached by [`TokenCache`]), how it is obtained (API key
//! login or sudo `login_user`), the 401 recovery rule, the dev workspace, and logout.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};

use crate::credentials::CredentialProvider;
use crate::error::{Error, Result};
use crate::token_cache::{Cached, Expiring, Expiry, RefreshPolicy, TokenCache};
use crate::transport::{ApiRequest, BearerToken, Reply, RequestBody, Transport};

/// A Looker access token, shared cheaply between callers.
pub(crate) type AccessToken = Arc<BearerToken>;

/// How a session obtains its token.
#[derive(Clone)]
enum Login {
    /// `POST /login` with an API key from the provider; the label is the source `describe()`
    /// names, used in logs and errors.
    ApiKey(Arc<dyn CredentialProvider>, Arc<str>),
    /// `POST /login/{user_id}` on behalf of the parent session.
    Sudo {
        parent: Arc<Session>,
        user_id: String,
    },
}

/// Counters of what a session did; logical counts, cheap to read.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub logins: AtomicU64,
    pub requests: AtomicU64,
    pub reauthentications: AtomicU64,
    /// The `expires_in` of the last login, in seconds (0 until one reported it).
    pub last_token_ttl_secs: AtomicU64,
}

/// A snapshot of a client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Successful logins (API key or sudo) made by this client.
    pub logins: u64,
    /// API requests sent (retries and the replay after a 401 count once each).
    pub requests: u64,
    /// Times a 401 on a token thought valid led to a shared re-login.
    pub reauthentications: u64,
}

pub(crate) struct Session {
    transport: Transport,
    login: Login,
    token: TokenCache<AccessToken>,
    dev_workspace: bool,
    /// Shared with the login in flight, which logs its token out again if it lands after close.
    closed: Arc<AtomicBool>,
    counters: Arc<Counters>,
    /// Sudo and other-workspace sessions made from this one: closed (logged out) with it.
    children: std::sync::Mutex<Vec<std::sync::Weak<Session>>>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let login = match &self.login {
            Login::ApiKey(_, source) => format!("api key from `{source}`"),
            Login::Sudo { user_id, .. } => format!("sudo as user {user_id}"),
        };
        f.debug_struct("Session")
            .field("login", &login)
            .field("dev_workspace", &self.dev_workspace)
            .field("closed", &self.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

impl Session {
    pub fn new(
        transport: Transport,
        provider: Arc<dyn CredentialProvider>,
        source: String,
        policy: RefreshPolicy,
        dev_workspace: bool,
    ) -> Arc<Session> {
        Arc::new(Session {
            transport,
            login: Login::ApiKey(provider, source.into()),
            token: TokenCache::new("looker access token", policy),
            dev_workspace,
            closed: Arc::default(),
            counters: Arc::default(),
            children: Default::default(),
        })
    }

    /// A session made from this one (same transport and counters), closed when this one is.
    fn child(
        self: &Arc<Self>,
        login: Login,
        what: &'static str,
        dev_workspace: bool,
        policy: RefreshPolicy,
    ) -> Arc<Session> {
        let child = Arc::new(Session {
            transport: self.transport.clone(),
            login,
            token: TokenCache::new(what, policy),
            dev_workspace,
            closed: Arc::default(),
            counters: Arc::clone(&self.counters),
            children: Default::default(),
        });
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        children.retain(|c| c.strong_count() > 0);
        children.push(Arc::downgrade(&child));
        child
    }

    /// A sudo session for `user_id`, logging in through this one. Several may exist at once.
    pub fn sudo(self: &Arc<Self>, user_id: String, policy: RefreshPolicy) -> Arc<Session> {
        let login = Login::Sudo {
            parent: Arc::clone(self),
            user_id,
        };
        self.child(login, "looker sudo token", self.dev_workspace, policy)
    }

    /// A new Looker session with the same login and connection pool, in the dev workspace
    /// (`dev == true`) or production. It logs in on first use and re-applies the workspace after
    /// every re-login; it shares this session's counters.
    pub fn in_workspace(self: &Arc<Self>, dev: bool, policy: RefreshPolicy) -> Arc<Session> {
        self.child(self.login.clone(), "looker access token", dev, policy)
    }

    /// The same login on a new session whose transport records every request in `trail`.
    pub fn with_audit(
        self: &Arc<Self>,
        trail: Arc<crate::audit::AuditTrail>,
        policy: RefreshPolicy,
    ) -> Arc<Session> {
        Arc::new(Session {
            transport: self.transport.clone().with_audit(Some(trail)),
            login: self.login.clone(),
            token: TokenCache::new("looker access token", policy),
            dev_workspace: self.dev_workspace,
            closed: Arc::default(),
            counters: Arc::clone(&self.counters),
            children: Default::default(),
        })
    }

    pub fn audit_trail(&self) -> Option<&Arc<crate::audit::AuditTrail>> {
        self.transport.audit()
    }

    /// The lifetime Looker gave the last token, if it said.
    pub fn token_ttl(&self) -> Option<Duration> {
        match self.counters.last_token_ttl_secs.load(Ordering::Relaxed) {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        }
    }

    pub fn dev_workspace(&self) -> bool {
        self.dev_workspace
    }

    pub fn stats(&self) -> Stats {
        Stats {
            logins: self.counters.logins.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            reauthentications: self.counters.reauthentications.load(Ordering::Relaxed),
        }
    }

    fn ensure_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        if let Login::Sudo { parent, .. } = &self.login {
            parent.ensure_open()?;
        }
        Ok(())
    }

    /// A valid access token: cached, or from a login shared by every concurrent caller.
    async fn access_token(&self) -> Result<Cached<AccessToken>> {
        let transport = self.transport.clone();
        let login = self.login.clone();
        let dev = self.dev_workspace;
        let counters = Arc::clone(&self.counters);
        let closed = Arc::clone(&self.closed);
        self.token
            .get(move || async move {
                let (token, sudo_user) = match login {
                    Login::ApiKey(provider, source) => (
                        login_with_api_key(&transport, provider, &source).await?,
                        None,
                    ),
                    Login::Sudo { parent, user_id } => {
                        (login_as_user(parent, user_id.clone()).await?, Some(user_id))
                    }
                };
                counters.logins.fetch_add(1, Ordering::Relaxed);
                let ttl = match token.expiry {
                    Expiry::In(ttl) => Some(ttl),
                    _ => None,
                };
                if let Some(ttl) = ttl {
                    counters
                        .last_token_ttl_secs
                        .store(ttl.as_secs(), Ordering::Relaxed);
                }
                if let Some(audit) = transport.audit() {
                    let sudo = sudo_user.is_some();
                    let user_id = match sudo_user {
                        Some(id) => Some(id),
                        None => whoami(&transport, &token.value).await,
                    };
                    audit.login(user_id.as_deref(), sudo, ttl);
                }
                // A new login is a new Looker session: the workspace must be set again before
                // anyone uses the token.
                // Closed while the login was in flight: end the new session at once instead of
                // keeping a live token nobody will log out.
                if closed.load(Ordering::Acquire) {
                    logout(&transport, &token.value).await;
                    return Err(Error::Closed);
                }
                if dev {
                    set_dev_workspace(&transport, &token.value).await?;
                }
                Ok(token)
            })
            .await
    }

    /// Send an API request with the session's token. A 401 on a token the cache thought valid
    /// drops it, re-logs in once (shared by every caller that saw the same 401), and replays the
    /// request once; a second 401 is returned as an error.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<(&'static str, Vec<u8>)>,
        min_timeout: Option<Duration>,
    ) -> Result<Reply> {
        self.ensure_open()?;
        let mut token = self.access_token().await?;
        // close() may have run while the token was fetched: send nothing after it.
        self.ensure_open()?;
        let mut replayed = false;
        loop {
            let request = ApiRequest {
                retry_safe: is_idempotent(&method),
                min_timeout,
                method: method.clone(),
                path,
                query,
                body: body
                    .as_ref()
                    .map_or(RequestBody::None, |(content_type, bytes)| {
                        RequestBody::Bytes {
                            content_type,
                            bytes: bytes.clone(),
                        }
                    }),
                bearer: Some(&token.value),
            };
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let reply = self.transport.send(request).await?;
            if reply.status == 401 && !replayed {
                replayed = true;
                tracing::debug!(method = %method, path, "401 on a cached token; logging in again");
                self.counters
                    .reauthentications
                    .fetch_add(1, Ordering::Relaxed);
                self.token.invalidate(token.generation);
                self.ensure_open()?;
                token = self.access_token().await?;
                continue;
            }
            if !reply.is_success() {
                return Err(reply.to_error(&method, path));
            }
            return Ok(reply);
        }
    }

    /// Log out (`DELETE /logout`) if a token is held, and refuse further calls; the sessions made
    /// from this one (sudo, other workspace) are logged out first. Idempotent.
    pub async fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let children: Vec<Arc<Session>> = self
            .children
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
            .filter_map(|c| c.upgrade())
            .collect();
        for child in children {
            if let Err(e) = Box::pin(child.close()).await {
                tracing::debug!(code = e.code(), "logout of a derived session failed");
            }
        }
        let Some(token) = self.token.take() else {
            return Ok(());
        };
        let reply = self
            .transport
            .send(ApiRequest {
                method: Method::DELETE,
                path: "/logout",
                query: &[],
                body: RequestBody::None,
                bearer: Some(&token),
                retry_safe: true,
                min_timeout: None,
            })
            .await?;
        match reply.status {
            // 401/404: the token was already gone (expired or revoked); nothing is left to end.
            200..=299 | 401 | 404 => {
                tracing::debug!(status = reply.status, "logged out of Looker");
                Ok(())
            }
            _ => Err(reply.to_error(&Method::DELETE, "/logout")),
        }
    }
}

/// `POST /login` with the provider's API key in a form body (never in the query).
async fn login_with_api_key(
    transport: &Transport,
    provider: Arc<dyn CredentialProvider>,
    source: &str,
) -> Result<Expiring<AccessToken>> {
    let credentials = provider.api_credentials().await?;
    let form = serde_urlencoded::to_string([
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.expose_secret()),
    ])
    .map_err(|_| Error::invalid_argument("client_id", "cannot be form-encoded"))?;
    let reply = transport
        .send(ApiRequest {
            method: Method::POST,
            path: "/login",
            query: &[],
            body: RequestBody::Form(SecretString::from(form)),
            bearer: None,
            // Repeating a login is harmless: it only creates another session.
            retry_safe: true,
            min_timeout: None,
        })
        .await?;
    if !reply.is_success() {
        let mut error = reply.to_error(&Method::POST, "/login");
        // Looker answers an unknown or wrong API key with a bare 404 "Not found".
        if let (Error::Api(api), 401 | 403 | 404) = (&mut error, reply.status) {
            api.hint = Some(format!(
                "Looker rejected the API client id/secret: client id \"{}\" (credentials from \
                 `{}`); check that this API key exists on this instance and is enabled",
                credentials.client_id, source,
            ));
        }
        return Err(error);
    }
    tracing::debug!(source, "logged in to Looker");
    parse_token_reply(&reply, "/login")
}

/// `POST /login/{user_id}` through the parent session. Boxed: a session's login may call its
/// parent session, and the type-erased future ends that recursion for the compiler.
fn login_as_user(
    parent: Arc<Session>,
    user_id: String,
) -> BoxFuture<'static, Result<Expiring<AccessToken>>> {
    async move {
        let path = format!("/login/{}", encode_path_segment(&user_id));
        let reply = parent
            .call(Method::POST, &path, &[], None, None)
            .await
            .map_err(|e| explain_sudo_failure(e, &path, &user_id))?;
        tracing::debug!(user_id, "logged in to Looker as another user (sudo)");
        parse_token_reply(&reply, "/login/{user_id}")
    }
    .boxed()
}

/// The id of the user a new token acts as (`GET /user?fields=id`), for the audit trail; `None`
/// when Looker does not say (the login itself has succeeded either way).
async fn whoami(transport: &Transport, token: &BearerToken) -> Option<String> {
    let query = [("fields".to_owned(), "id".to_owned())];
    let reply = transport
        .send(ApiRequest {
            method: Method::GET,
            path: "/user",
            query: &query,
            body: RequestBody::None,
            bearer: Some(token),
            retry_safe: true,
            min_timeout: None,
        })
        .await
        .ok()
        .filter(Reply::is_success)?;
    let user: serde_json::Value = serde_json::from_slice(&reply.body).ok()?;
    match &user["id"] {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

/// Say what a refused `POST /login/{user_id}` means: Looker answers a user that does not exist
/// with a bare 404. Errors of the parent's own login (another path) pass through unchanged.
fn explain_sudo_failure(mut error: Error, path: &str, user_id: &str) -> Error {
    if let Error::Api(api) = &mut error
        && api.path == path
        && api.hint.is_none()
    {
        api.hint = match api.status {
            404 => Some(format!(
                "user id {user_id} was not found on this Looker instance, or this API user \
                 cannot log in as it (login_user needs the `sudo` permission); check the id \
                 with GET /users/{user_id} as an admin"
            )),
            403 => Some(format!(
                "this API user may not log in as user id {user_id}: login_user needs the \
                 `sudo` permission, and a sudo session cannot sudo again"
            )),
            _ => None,
        };
    }
    error
}

/// `DELETE /logout` for a token that must not outlive a closed session; failures are only
/// logged (the token expires on its own).
async fn logout(transport: &Transport, token: &BearerToken) {
    let outcome = transport
        .send(ApiRequest {
            method: Method::DELETE,
            path: "/logout",
            query: &[],
            body: RequestBody::None,
            bearer: Some(token),
            retry_safe: true,
            min_timeout: None,
        })
        .await;
    if let Err(e) = outcome {
        tracing::debug!(
            code = e.code(),
            "logout of a token that landed after close failed"
        );
    }
}

async fn set_dev_workspace(transport: &Transport, token: &BearerToken) -> Result<()> {
    let reply = transport
        .send(ApiRequest {
            method: Method::PATCH,
            path: "/session",
            query: &[],
            body: RequestBody::Bytes {
                content_type: "application/json",
                bytes: br#"{"workspace_id":"dev"}"#.to_vec(),
            },
            bearer: Some(token),
            retry_safe: true,
            min_timeout: None,
        })
        .await?;
    if !reply.is_success() {
        return Err(reply.to_error(&Method::PATCH, "/session"));
    }
    tracing::debug!("dev workspace applied to the new Looker session");
    Ok(())
}

/// Read `{access_token, token_type, expires_in}`. Errors never quote the body: it holds the token.
pub(crate) fn parse_token_reply(reply: &Reply, path: &str) -> Result<Expiring<AccessToken>> {
    #[derive(serde::Deserialize)]
    struct TokenReply {
        access_token: Option<String>,
        expires_in: Option<serde_json::Value>,
    }
    let decode_error = |message: &str| Error::Decode {
        method: "POST".into(),
        path: path.into(),
        message: message.into(),
    };
    let parsed: TokenReply = serde_json::from_slice(&reply.body)
        .map_err(|_| decode_error("the login reply is not the expected JSON object"))?;
    let token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| decode_error("the login reply has no access_token"))?;
    let expiry = match parsed
        .expires_in
        .as_ref()
        .and_then(serde_json::Value::as_f64)
    {
        Some(secs) if secs.is_finite() && secs >= 0.0 => {
            Expiry::In(Duration::from_secs_f64(secs.min(1e9)))
        }
        _ => {
            tracing::debug!(
                expires_in = ?parsed.expires_in,
                "login reply has a missing or negative expires_in"
            );
            Expiry::Unknown
        }
    };
    Ok(Expiring {
        value: Arc::new(BearerToken::new(SecretString::from(token))?),
        expiry,
    })
}

/// Percent-encode one path segment (user ids are numbers, but the API types them as strings).
fn encode_path_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
