//! For a Looker behind an identity-aware proxy: an Okta access token sent as a bearer token in a
//! configurable header on every request, beside Looker's own `Authorization`. The token is cached
//! and refreshed ahead of expiry by the same [`TokenCache`] policy as everything else.

use std::fmt;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use super::okta::OktaTokenSource;
use crate::error::{Error, Result};
use crate::token_cache::{Expiring, RefreshPolicy, TokenCache};

/// `LOOKER_CI_PROXY_HEADER`: the header carrying `Bearer <Okta access token>`.
pub const ENV_PROXY_HEADER: &str = "LOOKER_CI_PROXY_HEADER";

/// The identity-aware proxy's header: its name and `Bearer <Okta access token>` as its value.
pub struct ProxyAuth {
    header: HeaderName,
    okta: Arc<OktaTokenSource>,
    cache: TokenCache<Arc<HeaderValue>>,
}

impl fmt::Debug for ProxyAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyAuth")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl ProxyAuth {
    /// Send `okta`'s access token in `header`, cached under `policy`. An error when `header` is
    /// not a header name or is `Authorization`.
    pub fn new(header: &str, okta: Arc<OktaTokenSource>, policy: RefreshPolicy) -> Result<Self> {
        let header = HeaderName::from_bytes(header.trim().as_bytes()).map_err(|_| {
            Error::config(
                "proxy_header",
                format!("environment variable {ENV_PROXY_HEADER}"),
                format!("`{header}` is not an HTTP header name"),
            )
        })?;
        if header == reqwest::header::AUTHORIZATION {
            return Err(Error::config(
                "proxy_header",
                format!("environment variable {ENV_PROXY_HEADER}"),
                "cannot be Authorization, which carries the Looker token; use e.g. Proxy-Authorization",
            ));
        }
        Ok(ProxyAuth {
            header,
            okta,
            cache: TokenCache::new("proxy bearer token", policy),
        })
    }

    /// The header the token goes in.
    pub fn header_name(&self) -> &HeaderName {
        &self.header
    }

    /// `Bearer <token>`, cached; marked sensitive so the HTTP stack never logs it.
    pub async fn header_value(&self) -> Result<Arc<HeaderValue>> {
        let okta = Arc::clone(&self.okta);
        let cached = self
            .cache
            .get(move || async move {
                let token = okta.access_token().await?;
                let mut value = HeaderValue::from_str(&format!(
                    "Bearer {}",
                    token.value.secret().expose_secret()
                ))
                .map_err(|_| Error::Credentials {
                    provider: "okta".into(),
                    message: "the access token is not a valid header value".into(),
                })?;
                value.set_sensitive(true);
                Ok(Expiring {
                    value: Arc::new(value),
                    expiry: token.expiry,
                })
            })
            .await?;
        Ok(cached.value)
    }
}

#[async_trait::async_trait]
impl crate::transport::RequestHeader for ProxyAuth {
    fn name(&self) -> &HeaderName {
        self.header_name()
    }

    async fn value(&self) -> Result<Arc<HeaderValue>> {
        self.header_value().await
    }
}
