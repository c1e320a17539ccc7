//! Where the Looker API key comes from.
//!
//! The session asks a [`CredentialProvider`] for an API key each time it logs in, so a new source
//! (OIDC exchange, AWS Secrets Manager, Okta) plugs in without touching the session. Providers do
//! not cache; a cache wraps them where caching is wanted.

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::error::{Error, Result};
use crate::settings::Settings;

/// A Looker API key: client id and client secret, and when the pair stops working, if known.
#[derive(Clone)]
pub struct ApiCredentials {
    pub client_id: String,
    pub client_secret: SecretString,
    /// When these credentials expire (short-lived keys), if the source says.
    pub expires_at: Option<SystemTime>,
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
    fn name(&self) -> &str {
        "static"
    }

    async fn api_credentials(&self) -> Result<ApiCredentials> {
        Ok(self.credentials.clone())
    }
}
