//! Optional local verification of an identity token against its issuer's JWKS (the exchange
//! peer — STS, Okta — verifies it in any case). On with `LOOKER_CI_ID_TOKEN_VERIFY=true` (the JWKS
//! is found through the trusted issuer's discovery document) or `LOOKER_CI_ID_TOKEN_JWKS_URL`.
//!
//! The issuer is trusted from configuration, never from the token: `LOOKER_CI_ID_TOKEN_ISSUER`,
//! else the CI platform's own (GitLab's `CI_SERVER_URL`, GitHub Actions'
//! `https://token.actions.githubusercontent.com`). A token naming another issuer is refused, and
//! so is a discovery document that names another issuer than the one asked.

use std::fmt;
use std::sync::Arc;

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use super::identity::{IdentityToken, IdentityTokenSource};
use super::jwt::Header;
use super::jwt::verify::{ACCEPTED_ALGORITHMS, ClaimRules, Jwk, JwkSet, verify_signature};
use crate::error::{Error, Result};

/// `LOOKER_CI_ID_TOKEN_VERIFY`: `true` verifies identity tokens locally, with the JWKS found
/// through the trusted issuer's discovery document.
pub const ENV_VERIFY: &str = "LOOKER_CI_ID_TOKEN_VERIFY";
/// `LOOKER_CI_ID_TOKEN_JWKS_URL`: the JWKS to verify identity tokens with (turns verification on).
pub const ENV_JWKS_URL: &str = "LOOKER_CI_ID_TOKEN_JWKS_URL";
/// `LOOKER_CI_ID_TOKEN_ISSUER`: the trusted issuer, instead of the CI platform's own.
pub const ENV_ISSUER: &str = "LOOKER_CI_ID_TOKEN_ISSUER";

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// Wraps an identity source and verifies every token it produces.
pub struct VerifiedTokenSource {
    inner: Arc<dyn IdentityTokenSource>,
    /// The trusted issuer; required when the JWKS is discovered.
    issuer: Option<String>,
    jwks_url: Option<String>,
    audience: Option<String>,
    http: reqwest::Client,
    /// The last JWKS fetched and the URL it came from; refetched once when a `kid` is unknown
    /// (the issuer rotated its keys).
    jwks: Mutex<Option<(String, JwkSet)>>,
}

impl fmt::Debug for VerifiedTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedTokenSource")
            .field("inner", &self.inner.name())
            .field("issuer", &self.issuer)
            .field("jwks_url", &self.jwks_url)
            .finish_non_exhaustive()
    }
}

impl VerifiedTokenSource {
    /// `issuer`: the trusted issuer (the token must name it); `jwks_url`: `None` to discover it
    /// from that issuer. With neither, every token fails verification saying what to set.
    pub fn new(
        inner: Arc<dyn IdentityTokenSource>,
        issuer: Option<String>,
        jwks_url: Option<String>,
        audience: Option<String>,
        http: reqwest::Client,
    ) -> Self {
        VerifiedTokenSource {
            inner,
            issuer: issuer.map(|i| i.trim().trim_end_matches('/').to_owned()),
            jwks_url,
            audience,
            http,
            jwks: Mutex::new(None),
        }
    }

    fn fail(&self, message: String) -> Error {
        Error::Credentials {
            provider: self.name(),
            message,
        }
    }

    async fn get_json(&self, url: &str) -> Result<serde_json::Value> {
        let reply = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| self.fail(format!("{url} is unreachable: {}", e.without_url())))?;
        if !reply.status().is_success() {
            return Err(self.fail(format!("{url} answered HTTP {}", reply.status())));
        }
        let bytes = reply
            .bytes()
            .await
            .map_err(|e| self.fail(format!("{url} could not be read: {}", e.without_url())))?;
        serde_json::from_slice(&bytes).map_err(|_| self.fail(format!("{url} is not JSON")))
    }

    /// The JWKS to verify with: the configured one, or the one the trusted issuer's discovery
    /// document names (never one found through the token's own `iss`).
    async fn jwks_url(&self) -> Result<String> {
        if let Some(url) = &self.jwks_url {
            return Ok(url.clone());
        }
        let issuer = self.issuer.as_deref().ok_or_else(|| {
            self.fail(format!(
                "no trusted issuer to find the JWKS from: set {ENV_ISSUER} (GitLab's \
                 CI_SERVER_URL and GitHub Actions' issuer are used when detected) or {ENV_JWKS_URL}"
            ))
        })?;
        let discovery = format!("{issuer}/.well-known/openid-configuration");
        let document = self.get_json(&discovery).await?;
        let named = document["issuer"].as_str().map(|i| i.trim_end_matches('/'));
        if named != Some(issuer) {
            return Err(self.fail(format!(
                "{discovery} names the issuer {}, not {issuer}",
                named.unwrap_or("(none)")
            )));
        }
        document["jwks_uri"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.fail(format!("{discovery} has no jwks_uri")))
    }

    async fn key_for(&self, url: &str, kid: Option<&str>) -> Result<Jwk> {
        let mut cached = self.jwks.lock().await;
        for attempt in 0..2 {
            let stale = cached.as_ref().is_none_or(|(u, _)| u != url) || attempt == 1;
            if stale {
                let set: JwkSet = serde_json::from_value(self.get_json(url).await?)
                    .map_err(|_| self.fail(format!("{url} is not a JWK set")))?;
                *cached = Some((url.to_owned(), set));
            }
            let (_, set) = cached.as_ref().expect("just filled");
            if let Some(jwk) = set.find(kid) {
                return Ok(jwk.clone());
            }
        }
        Err(self.fail(format!(
            "no key {} in the issuer's JWKS at {url}",
            kid.map(|k| format!("\"{k}\""))
                .unwrap_or_else(|| "without a kid".into())
        )))
    }

    /// Check the signature, issuer, expiry and (when set) audience of `token`.
    pub async fn verify(&self, token: &IdentityToken) -> Result<()> {
        let raw = token.secret().expose_secret();
        let header =
            Header::decode(raw).map_err(|_| self.fail("the token header is not valid".into()))?;
        if !ACCEPTED_ALGORITHMS.contains(&header.alg.as_str()) {
            return Err(self.fail(format!(
                "the token is signed with {}; only asymmetric algorithms ({}) are accepted",
                header.alg,
                ACCEPTED_ALGORITHMS.join(", ")
            )));
        }
        let now_secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        // The issuer comes from configuration; the token must name it. Checked before any
        // fetch, so a foreign token costs no request.
        let rules = ClaimRules {
            now_secs,
            leeway_secs: LEEWAY_SECS,
            issuer: self.issuer.as_deref(),
            audience: self.audience.as_deref(),
        };
        rules
            .check_issuer(token.claims())
            .map_err(|why| self.fail(why))?;
        let url = self.jwks_url().await?;
        let key = self.key_for(&url, header.kid.as_deref()).await?;
        verify_signature(raw, &header, &key)
            .and_then(|()| rules.check(token.claims()))
            .map_err(|why| {
                self.fail(format!(
                    "the token failed verification against {url}: {why}"
                ))
            })
    }
}

#[async_trait]
impl IdentityTokenSource for VerifiedTokenSource {
    fn name(&self) -> String {
        format!("{} (verified)", self.inner.name())
    }

    async fn identity_token(&self) -> Result<IdentityToken> {
        let token = self.inner.identity_token().await?;
        self.verify(&token).await?;
        Ok(token)
    }
}
