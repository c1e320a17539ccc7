//! Okta's settings: the environment variables, the token endpoint and how the client
//! authenticates to it (a signed assertion or a client secret).

use std::fmt;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::credentials::jwt::keys::{SigningAlgorithm, SigningKey};
use crate::error::{Error, Result};
use crate::settings::Environment;

/// `LOOKER_CI_OKTA_ISSUER`: the authorization server (e.g. `https://example.okta.com/oauth2/default`),
/// whose discovery document names the token endpoint.
pub const ENV_ISSUER: &str = "LOOKER_CI_OKTA_ISSUER";
/// `LOOKER_CI_OKTA_TOKEN_URL`: the token endpoint itself; wins over `LOOKER_CI_OKTA_ISSUER`.
pub const ENV_TOKEN_URL: &str = "LOOKER_CI_OKTA_TOKEN_URL";
/// `LOOKER_CI_OKTA_CLIENT_ID`: the Okta client; setting it turns the Okta path on.
pub const ENV_CLIENT_ID: &str = "LOOKER_CI_OKTA_CLIENT_ID";
/// `LOOKER_CI_OKTA_PRIVATE_KEY`: the PEM private key for `private_key_jwt` (`\n` read as a
/// newline).
pub const ENV_PRIVATE_KEY: &str = "LOOKER_CI_OKTA_PRIVATE_KEY";
/// `LOOKER_CI_OKTA_PRIVATE_KEY_FILE`: a file holding that PEM key, when the variable itself is unset.
pub const ENV_PRIVATE_KEY_FILE: &str = "LOOKER_CI_OKTA_PRIVATE_KEY_FILE";
/// `LOOKER_CI_OKTA_KEY_ID`: the `kid` put in the client assertion's header.
pub const ENV_KEY_ID: &str = "LOOKER_CI_OKTA_KEY_ID";
/// `LOOKER_CI_OKTA_SIGNING_ALG`: `RS256` (default) or `ES256`.
pub const ENV_SIGNING_ALG: &str = "LOOKER_CI_OKTA_SIGNING_ALG";
/// `LOOKER_CI_OKTA_CLIENT_SECRET`: the client secret for `client_secret_basic`, used when no
/// private key is set.
pub const ENV_CLIENT_SECRET: &str = "LOOKER_CI_OKTA_CLIENT_SECRET";
/// `LOOKER_CI_OKTA_SCOPES`: space-separated scopes to request.
pub const ENV_SCOPES: &str = "LOOKER_CI_OKTA_SCOPES";
/// `LOOKER_CI_OKTA_AUDIENCE`: the audience (or resource) to request a token for.
pub const ENV_AUDIENCE: &str = "LOOKER_CI_OKTA_AUDIENCE";
/// `LOOKER_CI_OKTA_TOKEN_EXCHANGE`: `true` exchanges the CI identity token (RFC 8693) instead of
/// using client credentials alone.
pub const ENV_TOKEN_EXCHANGE: &str = "LOOKER_CI_OKTA_TOKEN_EXCHANGE";

/// How the client authenticates to the token endpoint.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A signed JWT assertion (`private_key_jwt`), RS256 or ES256.
    PrivateKeyJwt {
        /// The key that signs each assertion.
        key: Arc<SigningKey>,
        /// The assertion header's `kid`; `None` sends no `kid`.
        key_id: Option<String>,
        /// Where the key came from, for messages: the variable that held it (and the file it
        /// named), or "the private key given in code".
        source: String,
    },
    /// HTTP Basic with the client secret (`client_secret_basic`).
    ClientSecretBasic(SecretString),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientAuth::PrivateKeyJwt {
                key,
                key_id,
                source,
            } => write!(
                f,
                "PrivateKeyJwt({}, {}, from {source})",
                key.algorithm().name(),
                describe_key_id(key_id)
            ),
            ClientAuth::ClientSecretBasic(_) => f.write_str("ClientSecretBasic([REDACTED])"),
        }
    }
}

impl ClientAuth {
    /// `private_key_jwt` with a PEM private key (PKCS#8 or PKCS#1 for RSA; PKCS#8 or SEC1 for EC).
    pub fn private_key_jwt(
        pem: &SecretString,
        algorithm: &str,
        key_id: Option<String>,
    ) -> Result<Self> {
        Self::private_key_jwt_from(pem, algorithm, key_id, "the private key given in code")
    }

    /// As [`ClientAuth::private_key_jwt`], saying where the key came from (`source`, for
    /// example `environment variable LOOKER_CI_OKTA_PRIVATE_KEY`): errors about the key name it.
    pub fn private_key_jwt_from(
        pem: &SecretString,
        algorithm: &str,
        key_id: Option<String>,
        source: impl Into<String>,
    ) -> Result<Self> {
        let source = source.into();
        let bad = |why: String| Error::config("okta_private_key", source.clone(), why);
        let Some(algorithm) = SigningAlgorithm::parse(algorithm) else {
            return Err(bad(format!(
                "signing algorithm `{algorithm}` is not supported; use RS256 or ES256"
            )));
        };
        let key = SigningKey::from_pem(pem.expose_secret().as_bytes(), algorithm).map_err(bad)?;
        Ok(ClientAuth::PrivateKeyJwt {
            key: Arc::new(key),
            key_id,
            source,
        })
    }
}

/// `key id "abc"`, or that there is none, for messages.
pub(super) fn describe_key_id(key_id: &Option<String>) -> String {
    match key_id {
        Some(kid) => format!("key id \"{kid}\""),
        None => format!("no key id ({ENV_KEY_ID} unset)"),
    }
}

/// Where the token endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenEndpoint {
    /// Found through the issuer's discovery document.
    Issuer(String),
    /// Given directly.
    TokenUrl(String),
}

/// Okta settings. Build them from the environment ([`OktaConfig::from_env`]) or with
/// [`OktaConfig::new`], then change fields as needed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OktaConfig {
    /// Where the token endpoint is.
    pub endpoint: TokenEndpoint,
    /// The Okta client id (not a secret).
    pub client_id: String,
    /// How the client authenticates to the token endpoint.
    pub auth: ClientAuth,
    /// Space-separated scopes to request.
    pub scopes: Option<String>,
    /// `audience` for a token exchange (also sent as `resource` for client credentials).
    pub audience: Option<String>,
    /// Exchange the CI identity token (RFC 8693) instead of using client credentials alone.
    pub token_exchange: bool,
}

impl OktaConfig {
    /// The token endpoint, client and client authentication given; no `scope`, no `audience`,
    /// the client credentials grant (not token exchange).
    pub fn new(
        endpoint: TokenEndpoint,
        client_id: impl Into<String>,
        auth: ClientAuth,
    ) -> OktaConfig {
        OktaConfig {
            endpoint,
            client_id: client_id.into(),
            auth,
            scopes: None,
            audience: None,
            token_exchange: false,
        }
    }

    /// `Ok(None)` when no `LOOKER_CI_OKTA_CLIENT_ID` is set; an error when Okta is configured but
    /// incomplete or invalid.
    pub fn from_env(env: &dyn Environment) -> Result<Option<OktaConfig>> {
        let var = |name: &str| {
            env.var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let Some(client_id) = var(ENV_CLIENT_ID) else {
            return Ok(None);
        };
        let endpoint = match (var(ENV_TOKEN_URL), var(ENV_ISSUER)) {
            (Some(url), _) => TokenEndpoint::TokenUrl(url),
            (None, Some(issuer)) => TokenEndpoint::Issuer(issuer.trim_end_matches('/').to_owned()),
            (None, None) => {
                return Err(Error::config(
                    "okta_issuer",
                    "environment",
                    format!(
                        "{ENV_CLIENT_ID} is set but neither {ENV_ISSUER} (e.g. \
                         https://example.okta.com/oauth2/default) nor {ENV_TOKEN_URL} is"
                    ),
                ));
            }
        };
        // The client's credentials go to this endpoint; the access token comes back from it.
        let (url, setting, name) = match &endpoint {
            TokenEndpoint::TokenUrl(url) => (url, "okta_token_url", ENV_TOKEN_URL),
            TokenEndpoint::Issuer(url) => (url, "okta_issuer", ENV_ISSUER),
        };
        crate::settings::require_https(url, setting, &format!("environment variable {name}"), env)?;
        let key_pem = match (var(ENV_PRIVATE_KEY), var(ENV_PRIVATE_KEY_FILE)) {
            (Some(pem), _) => Some((
                SecretString::from(pem.replace("\\n", "\n")),
                format!("environment variable {ENV_PRIVATE_KEY}"),
            )),
            (None, Some(path)) => Some((
                SecretString::from(
                    env.read_file(std::path::Path::new(&path))
                        .map_err(|e| {
                            Error::config(
                                "okta_private_key",
                                path.clone(),
                                format!("cannot be read: {e}"),
                            )
                        })?
                        .ok_or_else(|| {
                            Error::config("okta_private_key", path.clone(), "does not exist")
                        })?,
                ),
                format!("the file {path} named by environment variable {ENV_PRIVATE_KEY_FILE}"),
            )),
            (None, None) => None,
        };
        let auth = match (key_pem, var(ENV_CLIENT_SECRET)) {
            (Some((pem, source)), _) => ClientAuth::private_key_jwt_from(
                &pem,
                &var(ENV_SIGNING_ALG).unwrap_or_else(|| "RS256".into()),
                var(ENV_KEY_ID),
                source,
            )?,
            (None, Some(secret)) => ClientAuth::ClientSecretBasic(SecretString::from(secret)),
            (None, None) => {
                return Err(Error::config(
                    "okta_client_auth",
                    "environment",
                    format!(
                        "{ENV_CLIENT_ID} is set but no client authentication: set \
                         {ENV_PRIVATE_KEY} or {ENV_PRIVATE_KEY_FILE} (private_key_jwt), or \
                         {ENV_CLIENT_SECRET} (client_secret_basic)"
                    ),
                ));
            }
        };
        let token_exchange = match var(ENV_TOKEN_EXCHANGE)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(Error::config(
                    "okta_token_exchange",
                    format!("environment variable {ENV_TOKEN_EXCHANGE}"),
                    format!("`{other}` is not a boolean"),
                ));
            }
        };
        Ok(Some(OktaConfig {
            endpoint,
            client_id,
            auth,
            scopes: var(ENV_SCOPES),
            audience: var(ENV_AUDIENCE),
            token_exchange,
        }))
    }
}
