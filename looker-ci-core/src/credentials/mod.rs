//! Where the Looker API key comes from.
//!
//! The session asks a [`CredentialProvider`] for an API key each time it logs in, so a new source
//! (OIDC exchange, AWS Secrets Manager, Okta) plugs in without touching the session. Providers do
//! not cache; a cache wraps them where caching is wanted.

pub mod aws;
mod cached;
mod chain;
mod identity;
mod identity_aware_proxy;
pub mod jwks;
pub mod jwt;
pub mod okta;
pub mod summary;

pub use cached::CachedProvider;
pub use chain::{CredentialReport, DEFAULT_AWS_AUDIENCE};
pub(crate) use chain::{id_token_audience, resolve as resolve_chain, settings_report};
pub use identity::{
    DEFAULT_ID_TOKEN_VAR, ENV_GITHUB_REQUEST_TOKEN, ENV_GITHUB_REQUEST_URL, ENV_ID_TOKEN_AUDIENCE,
    ENV_ID_TOKEN_VAR, ENV_WEB_IDENTITY_TOKEN_FILE, EnvVarToken, FileToken, GitHubActionsToken,
    IdentityToken, IdentityTokenSource, StaticToken, detect_gitlab_token_var,
};
pub use identity_aware_proxy::{ENV_PROXY_HEADER, ProxyAuth};
pub use jwt::Claims;

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::error::{Error, Result};
use crate::settings::Settings;

/// The HTTP client credential providers use (STS, Secrets Manager, GitHub's token endpoint):
/// the Looker client's timeout, CA bundle and proxy, without Looker's headers.
pub fn provider_http_client(settings: &Settings) -> Result<reqwest::Client> {
    provider_http_client_as(settings, crate::http_client::USER_AGENT)
}

/// As [`provider_http_client`], sending `user_agent` (CloudTrail records it with each STS and
/// Secrets Manager call).
pub(crate) fn provider_http_client_as(
    settings: &Settings,
    user_agent: &str,
) -> Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(settings.timeout)
        // Never follow one: the identity token or signed AWS requests would go along.
        .redirect(reqwest::redirect::Policy::none());
    crate::http_client::with_network_settings(builder, settings)?
        .build()
        .map_err(|e| Error::config("http_client", "settings", format!("cannot be built: {e}")))
}

/// A Looker API key: client id and client secret, and when the pair stops working, if known.
/// Build it with [`ApiCredentials::new`] (and [`ApiCredentials::expiring_at`]).
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiCredentials {
    /// The API key's client id (not a secret: it is logged and shown by `describe`).
    pub client_id: String,
    /// The API key's client secret; its `Debug` output is redacted.
    pub client_secret: SecretString,
    /// When these credentials expire (short-lived keys), if the source says.
    pub expires_at: Option<SystemTime>,
}

impl ApiCredentials {
    /// A key with no known expiry.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> ApiCredentials {
        ApiCredentials {
            client_id: client_id.into(),
            client_secret,
            expires_at: None,
        }
    }

    /// The same key, known to stop working at `expires_at` (a short-lived key).
    pub fn expiring_at(mut self, expires_at: SystemTime) -> ApiCredentials {
        self.expires_at = Some(expires_at);
        self
    }
}

impl fmt::Debug for ApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A source of Looker API keys. Object safe; `Send + Sync` so one provider serves many tasks.
#[async_trait]
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// A short, secret-free name for logs, errors and `describe` output.
    fn name(&self) -> &str;

    /// Produce an API key. Called at every login; implementations should not cache.
    async fn api_credentials(&self) -> Result<ApiCredentials>;
}

/// A fixed API key, for example from `looker.ini` or `LOOKERSDK_CLIENT_ID`/`SECRET`.
#[derive(Clone)]
pub struct StaticCredentials {
    credentials: ApiCredentials,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("client_id", &self.credentials.client_id)
            .finish_non_exhaustive()
    }
}

impl StaticCredentials {
    /// An API key that never expires and is the same at every login.
    pub fn new(client_id: impl Into<String>, client_secret: SecretString) -> Self {
        StaticCredentials {
            credentials: ApiCredentials {
                client_id: client_id.into(),
                client_secret,
                expires_at: None,
            },
        }
    }

    /// The API key held in settings, or a config error saying how to provide one.
    pub fn from_settings(settings: &Settings) -> Result<Self> {
        match (&settings.client_id, &settings.client_secret) {
            (Some(id), Some(secret)) => Ok(Self::new(id.clone(), secret.clone())),
            _ => Err(Error::config(
                "client_id",
                "no source",
                "no API key configured; set LOOKERSDK_CLIENT_ID and LOOKERSDK_CLIENT_SECRET, \
                 `client_id`/`client_secret` in looker.ini, or pass a credential provider",
            )),
        }
    }
}

#[async_trait]
impl CredentialProvider for StaticCredentials {
    /// `settings`: the same name `describe()` and the docs give this source.
    fn name(&self) -> &str {
        "settings"
    }

    async fn api_credentials(&self) -> Result<ApiCredentials> {
        Ok(self.credentials.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_key_built_with_an_expiry_keeps_it_and_debug_hides_the_secret() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        let key = ApiCredentials::new("id-1", SecretString::from("s3cr3t-value")).expiring_at(at);
        assert_eq!(key.client_id, "id-1");
        assert_eq!(key.client_secret.expose_secret(), "s3cr3t-value");
        assert_eq!(key.expires_at, Some(at));
        assert_eq!(
            ApiCredentials::new("id-1", SecretString::from("x")).expires_at,
            None
        );
        let shown = format!("{key:?}");
        assert!(
            shown.contains("id-1") && !shown.contains("s3cr3t"),
            "{shown}"
        );
    }
}
