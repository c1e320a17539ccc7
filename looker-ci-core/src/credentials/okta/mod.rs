//! Okta (or any OAuth 2.0 authorization server): an access token from the client-credentials
//! grant, authenticated with `private_key_jwt` (RS256 or ES256) or `client_secret_basic`, or from
//! an RFC 8693 token exchange whose subject is another identity token (the CI job's).
//!
//! The access token serves as the web identity for AWS STS (it implements
//! [`IdentityTokenSource`]) and, for a Looker behind an identity-aware proxy, as the bearer token
//! of a proxy header. It does not cache: STS's credential cache and the proxy header's cache
//! decide when a new one is needed.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

mod config;

use config::describe_key_id;
pub use config::*;

use super::identity::{IdentityToken, IdentityTokenSource};
use super::jwt::keys::SigningKey;
use crate::error::{Error, Result};
use crate::retry::{Attempt, RetryPolicy};
use crate::token_cache::{Expiring, Expiry};

const PROVIDER: &str = "okta";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Lifetime of a client assertion: short, it is used once.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(60);

fn fail(message: String) -> Error {
    Error::Credentials {
        provider: PROVIDER.into(),
        message,
    }
}

/// Gets access tokens from Okta. With a subject source, by token exchange; else by client
/// credentials.
pub struct OktaTokenSource {
    config: OktaConfig,
    subject: Option<Arc<dyn IdentityTokenSource>>,
    http: reqwest::Client,
    token_url: OnceCell<String>,
    retry: RetryPolicy,
    discovery_timeout: Duration,
}

impl fmt::Debug for OktaTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaTokenSource")
            .field("endpoint", &self.config.endpoint)
            .field("client_id", &self.config.client_id)
            .field("auth", &self.config.auth)
            .field("subject", &self.subject.as_ref().map(|s| s.name()))
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct TokenReply {
    access_token: Option<String>,
    expires_in: Option<f64>,
}

#[derive(serde::Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

impl OktaTokenSource {
    /// `subject`: the identity token to exchange (RFC 8693); `None` for client credentials.
    pub fn new(
        config: OktaConfig,
        subject: Option<Arc<dyn IdentityTokenSource>>,
        http: reqwest::Client,
    ) -> Self {
        OktaTokenSource {
            config,
            subject,
            http,
            token_url: OnceCell::new(),
            retry: RetryPolicy::default(),
            discovery_timeout: crate::settings::DEFAULT_TIMEOUT,
        }
    }

    /// The time discovery may take in all, both documents together (default: the default
    /// request timeout; the credential chain passes the `timeout` setting).
    pub fn with_discovery_timeout(mut self, timeout: Duration) -> Self {
        self.discovery_timeout = timeout;
        self
    }

    /// How token requests are retried (default: [`RetryPolicy::default`]).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Short, secret-free description for `describe()`.
    pub fn describe(&self) -> String {
        let grant = match &self.subject {
            Some(s) => format!("token exchange of the identity token from {}", s.name()),
            None => "client credentials".into(),
        };
        let auth = match &self.config.auth {
            ClientAuth::PrivateKeyJwt { key, .. } => {
                format!("private_key_jwt ({})", key.algorithm().name())
            }
            ClientAuth::ClientSecretBasic(_) => "client_secret_basic".into(),
        };
        format!("Okta client {} ({grant}, {auth})", self.config.client_id)
    }

    async fn token_url(&self) -> Result<&str> {
        self.token_url
            .get_or_try_init(|| async {
                match &self.config.endpoint {
                    TokenEndpoint::TokenUrl(url) => Ok(url.clone()),
                    TokenEndpoint::Issuer(issuer) => self.discover(issuer).await,
                }
            })
            .await
            .map(String::as_str)
    }

    /// The token endpoint from the issuer's discovery document: `openid-configuration`, then
    /// `oauth-authorization-server`, within one deadline for both. The error reports each
    /// attempt and whether it was refused, timed out, or answered with something unusable.
    async fn discover(&self, issuer: &str) -> Result<String> {
        let budget = self.discovery_timeout;
        let deadline = tokio::time::Instant::now() + budget;
        let mut attempts = Vec::new();
        for document in ["openid-configuration", "oauth-authorization-server"] {
            let url = format!("{issuer}/.well-known/{document}");
            if tokio::time::Instant::now() >= deadline {
                attempts.push(format!("{url}: not tried, no time left"));
                continue;
            }
            match tokio::time::timeout_at(deadline, self.fetch_token_endpoint(&url)).await {
                // The client's credentials go to the token endpoint: it must be the issuer's.
                Ok(Ok(endpoint)) if !same_origin(&endpoint, issuer) => attempts.push(format!(
                    "{url}: bad reply: its token_endpoint {endpoint} is not on the issuer's \
                     origin"
                )),
                Ok(Ok(endpoint)) => return Ok(endpoint),
                Ok(Err(why)) => attempts.push(format!("{url}: {why}")),
                Err(_) => attempts.push(format!("{url}: timed out")),
            }
        }
        Err(fail(format!(
            "no token endpoint found for issuer {issuer} within {}s ({}); check {ENV_ISSUER} \
             or set {ENV_TOKEN_URL}",
            budget.as_secs_f64(),
            attempts.join("; ")
        )))
    }

    /// One discovery document's `token_endpoint`, or what went wrong, in words.
    async fn fetch_token_endpoint(&self, url: &str) -> std::result::Result<String, String> {
        let reply = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| describe_send_error(&e))?;
        let status = reply.status();
        if !status.is_success() {
            return Err(format!("bad reply: HTTP {status}"));
        }
        let body = reply.bytes().await.map_err(|e| {
            if e.is_timeout() {
                "timed out reading the reply".to_owned()
            } else {
                "bad reply: the body could not be read".to_owned()
            }
        })?;
        token_endpoint_from(&body)
    }

    fn client_assertion(
        &self,
        key: &SigningKey,
        key_id: &Option<String>,
        audience: &str,
    ) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut jti = [0u8; 16];
        jti.iter_mut().for_each(|b| *b = fastrand::u8(..));
        let claims = serde_json::json!({
            "iss": self.config.client_id,
            "sub": self.config.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME.as_secs(),
            "jti": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
        });
        key.sign(key_id.as_deref(), &claims)
            .map_err(|e| fail(format!("cannot sign the client assertion: {e}")))
    }

    /// A fresh access token (no caching here).
    pub async fn access_token(&self) -> Result<Expiring<IdentityToken>> {
        let token_url = self.token_url().await?.to_owned();
        let subject = match &self.subject {
            Some(source) => Some(source.identity_token().await?),
            None => None,
        };
        let (token_url, subject) = (token_url.as_str(), subject.as_ref());
        self.retry
            .run("Okta token request", None, |_| async move {
                let reply = match self.request_token(token_url, subject).await {
                    Ok(reply) => reply,
                    Err(error) => return Attempt::Done(Err(error)),
                };
                let status = reply.status().as_u16();
                let reset = reply
                    .headers()
                    .get("x-rate-limit-reset")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let body = match reply.bytes().await {
                    Ok(body) => body,
                    Err(e) => {
                        return Attempt::Done(Err(fail(format!(
                            "the token reply could not be read: {}",
                            e.without_url()
                        ))));
                    }
                };
                if (200..300).contains(&status) {
                    return Attempt::Done(self.parse_token(&body));
                }
                if status != 429 && status < 500 {
                    return Attempt::Done(Err(self.explain(status, &body)));
                }
                // Okta says when its rate-limit window resets (epoch seconds); wait until then.
                let hint = reset.filter(|_| status == 429).map(|at| {
                    let now = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .unwrap_or_default()
                        .as_secs();
                    Duration::from_secs(at.saturating_sub(now).max(1))
                });
                Attempt::Again {
                    outcome: Err(fail(format!(
                        "the token endpoint answered HTTP {status}{} and the retry budget is spent",
                        reset
                            .map(|r| format!(" (rate limit resets at {r})"))
                            .unwrap_or_default()
                    ))),
                    retry_after: hint,
                }
            })
            .await
    }

    async fn request_token(
        &self,
        token_url: &str,
        subject: Option<&IdentityToken>,
    ) -> Result<reqwest::Response> {
        let mut form: Vec<(&str, String)> = Vec::new();
        match subject {
            Some(subject) => {
                form.push(("grant_type", TOKEN_EXCHANGE.into()));
                form.push(("subject_token", subject.secret().expose_secret().to_owned()));
                form.push((
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token".into(),
                ));
                form.push((
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:access_token".into(),
                ));
                if let Some(audience) = &self.config.audience {
                    form.push(("audience", audience.clone()));
                }
            }
            None => {
                form.push(("grant_type", "client_credentials".into()));
                if let Some(audience) = &self.config.audience {
                    form.push(("resource", audience.clone()));
                }
            }
        }
        if let Some(scopes) = &self.config.scopes {
            form.push(("scope", scopes.clone()));
        }
        let mut request = self
            .http
            .post(token_url)
            .header("accept", "application/json");
        match &self.config.auth {
            ClientAuth::PrivateKeyJwt { key, key_id, .. } => {
                form.push(("client_id", self.config.client_id.clone()));
                form.push(("client_assertion_type", ASSERTION_TYPE.into()));
                form.push((
                    "client_assertion",
                    self.client_assertion(key, key_id, token_url)?,
                ));
            }
            ClientAuth::ClientSecretBasic(secret) => {
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let pair = format!(
                    "{}:{}",
                    encode(&self.config.client_id),
                    encode(secret.expose_secret())
                );
                let mut value = reqwest::header::HeaderValue::from_str(&format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
                .map_err(|_| fail("the client secret cannot be sent in a header".into()))?;
                value.set_sensitive(true);
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
        }
        let body = SecretString::from(serde_urlencoded::to_string(&form).unwrap_or_default());
        drop(form);
        request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.expose_secret().to_owned())
            .send()
            .await
            .map_err(|e| {
                fail(format!(
                    "the token endpoint is unreachable: {}",
                    e.without_url()
                ))
            })
    }

    pub(crate) fn parse_token(&self, body: &[u8]) -> Result<Expiring<IdentityToken>> {
        let reply: TokenReply =
            serde_json::from_slice(body).map_err(|_| fail("the token reply is not JSON".into()))?;
        let token = reply
            .access_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| fail("the token reply has no access_token".into()))?;
        let expiry = match reply.expires_in {
            Some(secs) if secs.is_finite() && secs >= 0.0 => {
                Expiry::In(Duration::from_secs_f64(secs.min(1e9)))
            }
            _ => Expiry::Unknown,
        };
        tracing::debug!(client_id = %self.config.client_id, "got an Okta access token");
        Ok(Expiring {
            value: IdentityToken::parse(SecretString::from(token), PROVIDER)?,
            expiry,
        })
    }

    pub(crate) fn explain(&self, status: u16, body: &[u8]) -> Error {
        let parsed: Option<OAuthError> = serde_json::from_slice(body).ok();
        let code = parsed
            .as_ref()
            .and_then(|e| e.error.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let description = parsed.and_then(|e| e.error_description).unwrap_or_default();
        let base = format!("Okta {code}: {description}");
        let hint = match code.as_str() {
            "invalid_client" => match &self.config.auth {
                ClientAuth::PrivateKeyJwt { key_id, source, .. } => format!(
                    ". Check that Okta app {} exists and that its client authentication is \
                     private_key_jwt with a registered public key ({}) that matches the private \
                     key from {source}",
                    self.config.client_id,
                    describe_key_id(key_id),
                ),
                ClientAuth::ClientSecretBasic(_) => format!(
                    ". Check {ENV_CLIENT_ID} (client id {}) and {ENV_CLIENT_SECRET}, and that \
                     the app's client authentication is client_secret_basic",
                    self.config.client_id
                ),
            },
            "invalid_grant" => match &self.subject {
                Some(s) => format!(
                    ". The subject token from {} was refused: check it is not expired and that \
                     the authorization server's token-exchange policy trusts its issuer",
                    s.name()
                ),
                None => ". Check the grant and the app's allowed grant types".into(),
            },
            "unauthorized_client" | "unsupported_grant_type" => {
                ". Enable this grant type (client credentials or token exchange) for the Okta app"
                    .into()
            }
            "invalid_scope" => {
                format!(". Check {ENV_SCOPES} against the authorization server's scopes")
            }
            _ => String::new(),
        };
        fail(format!("{base}{hint}"))
    }
}

/// A failed request in words: refused, timed out, or another connection failure.
fn describe_send_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return "connection refused".into();
            }
            if io.kind() == std::io::ErrorKind::TimedOut {
                return "timed out".into();
            }
        }
        source = e.source();
    }
    if error.is_connect() {
        format!("could not connect: {}", error_chain(error))
    } else {
        format!("failed: {}", error_chain(error))
    }
}

/// The error and its causes, `: `-separated, without the URL (the caller names it).
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        parts.push(e.to_string());
        source = e.source();
    }
    if parts.is_empty() {
        "unknown error".into()
    } else {
        parts.join(": ")
    }
}

#[async_trait]
impl IdentityTokenSource for OktaTokenSource {
    fn name(&self) -> String {
        format!("okta:{}", self.config.client_id)
    }

    async fn identity_token(&self) -> Result<IdentityToken> {
        Ok(self.access_token().await?.value)
    }
}

/// Whether `url` has the scheme, host and port of `base`.
/// The `token_endpoint` a discovery document names; the error says what is wrong with it.
pub(crate) fn token_endpoint_from(body: &[u8]) -> std::result::Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Discovery {
        token_endpoint: Option<String>,
    }
    let discovery: Discovery = serde_json::from_slice(body)
        .map_err(|_| "bad reply: not a JSON discovery document".to_owned())?;
    discovery
        .token_endpoint
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| "bad reply: no token_endpoint in the document".to_owned())
}

fn same_origin(url: &str, base: &str) -> bool {
    match (url::Url::parse(url), url::Url::parse(base)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::jwt::keys::SigningAlgorithm;
    use crate::settings::MapEnvironment;

    fn key_auth(key_id: Option<&str>, source: &str) -> ClientAuth {
        // Any key will do: these tests never get as far as signing.
        let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----",
            base64::engine::general_purpose::STANDARD.encode(pkcs8)
        );
        let key = SigningKey::from_pem(pem.as_bytes(), SigningAlgorithm::ES256).unwrap();
        ClientAuth::PrivateKeyJwt {
            key: Arc::new(key),
            key_id: key_id.map(str::to_owned),
            source: source.into(),
        }
    }

    fn source(endpoint: TokenEndpoint, auth: ClientAuth) -> OktaTokenSource {
        OktaTokenSource::new(
            OktaConfig {
                endpoint,
                client_id: "0oa-client-7".into(),
                auth,
                scopes: None,
                audience: None,
                token_exchange: false,
            },
            None,
            reqwest::Client::builder()
                .timeout(Duration::from_secs(1))
                .build()
                .unwrap(),
        )
        .with_discovery_timeout(Duration::from_secs(1))
    }

    #[test]
    fn a_rejected_key_names_its_variable_the_client_and_the_key_id_plainly() {
        let body = br#"{"error":"invalid_client","error_description":"bad assertion"}"#;
        let from_file =
            format!("the file /run/okta.pem named by environment variable {ENV_PRIVATE_KEY_FILE}");
        let okta = source(
            TokenEndpoint::TokenUrl("https://x.okta.com/token".into()),
            key_auth(Some("kid-42"), &from_file),
        );
        let text = okta.explain(401, body).to_string();
        assert!(
            text.contains(ENV_PRIVATE_KEY_FILE)
                && text.contains("/run/okta.pem")
                && text.contains("0oa-client-7")
                && text.contains("key id \"kid-42\""),
            "{text}"
        );
        assert!(!text.contains("Some("), "{text}");
        assert!(!text.contains(&format!("{ENV_PRIVATE_KEY} ")), "{text}");
        let okta = source(
            TokenEndpoint::TokenUrl("https://x.okta.com/token".into()),
            key_auth(None, "environment variable LOOKER_CI_OKTA_PRIVATE_KEY"),
        );
        let text = okta.explain(401, body).to_string();
        assert!(
            text.contains("no key id") && !text.contains("None"),
            "{text}"
        );
        assert!(!format!("{:?}", okta.config.auth).contains("Some("));
        // The configuration names the variable used, too: a bad key from a file names the file.
        let env = MapEnvironment::new()
            .with_var(ENV_CLIENT_ID, "0oa1")
            .with_var(ENV_TOKEN_URL, "https://x.okta.com/token")
            .with_var(ENV_PRIVATE_KEY_FILE, "/run/okta.pem")
            .with_file("/run/okta.pem", "not a pem");
        let err = OktaConfig::from_env(&env).unwrap_err().to_string();
        assert!(
            err.contains(ENV_PRIVATE_KEY_FILE) && err.contains("/run/okta.pem"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn discovery_of_a_silent_issuer_costs_one_timeout_and_reports_both_documents() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        // Accept connections and never answer.
        let silent = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let okta = source(
            TokenEndpoint::Issuer(issuer.clone()),
            ClientAuth::ClientSecretBasic("s3cr3t".to_owned().into()),
        );
        let started = std::time::Instant::now();
        let err = okta.access_token().await.unwrap_err().to_string();
        let took = started.elapsed();
        silent.abort();
        assert!(took < Duration::from_millis(1800), "took {took:?}: {err}");
        assert!(
            err.contains(&format!(
                "{issuer}/.well-known/openid-configuration: timed out"
            )) && err.contains(&format!(
                "{issuer}/.well-known/oauth-authorization-server: not tried"
            )) && err.contains("within 1s"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn discovery_says_refused_or_bad_reply_for_each_attempt() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let issuer = format!("http://127.0.0.1:{port}");
        let okta = source(
            TokenEndpoint::Issuer(issuer.clone()),
            ClientAuth::ClientSecretBasic("s3cr3t".to_owned().into()),
        );
        let err = okta.access_token().await.unwrap_err().to_string();
        assert!(
            err.contains("openid-configuration: connection refused")
                && err.contains("oauth-authorization-server: connection refused"),
            "{err}"
        );

        use wiremock::matchers::path;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(path("/.well-known/oauth-authorization-server"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>login</html>"))
            .mount(&server)
            .await;
        let okta = source(
            TokenEndpoint::Issuer(server.uri()),
            ClientAuth::ClientSecretBasic("s3cr3t".to_owned().into()),
        );
        let err = okta.access_token().await.unwrap_err().to_string();
        assert!(
            err.contains("openid-configuration: bad reply: HTTP 404")
                && err.contains("oauth-authorization-server: bad reply: not a JSON"),
            "{err}"
        );
        assert!(!err.contains("s3cr3t"));

        // A discovery document pointing the token endpoint at another origin is not followed:
        // the client's credentials would go there.
        let server = MockServer::start().await;
        Mock::given(path("/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"token_endpoint": "https://collector.example.com/token"}),
            ))
            .mount(&server)
            .await;
        let okta = source(
            TokenEndpoint::Issuer(server.uri()),
            ClientAuth::ClientSecretBasic("s3cr3t".to_owned().into()),
        );
        let err = okta.access_token().await.unwrap_err().to_string();
        assert!(err.contains("not on the issuer's origin"), "{err}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "no token request"
        );
    }

    #[test]
    fn configuration_from_env() {
        assert!(
            OktaConfig::from_env(&MapEnvironment::new())
                .unwrap()
                .is_none()
        );
        let missing_issuer = MapEnvironment::new().with_var(ENV_CLIENT_ID, "0oa1");
        assert!(
            OktaConfig::from_env(&missing_issuer)
                .unwrap_err()
                .to_string()
                .contains(ENV_ISSUER)
        );
        let missing_auth = missing_issuer
            .clone()
            .with_var(ENV_ISSUER, "https://x.okta.com/oauth2/default/");
        assert!(
            OktaConfig::from_env(&missing_auth)
                .unwrap_err()
                .to_string()
                .contains(ENV_PRIVATE_KEY)
        );
        let basic = missing_auth.with_var(ENV_CLIENT_SECRET, "s3cr3t");
        let config = OktaConfig::from_env(&basic).unwrap().unwrap();
        assert_eq!(
            config.endpoint,
            TokenEndpoint::Issuer("https://x.okta.com/oauth2/default".into())
        );
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let bad_key = basic.with_var(ENV_PRIVATE_KEY, "not a pem");
        let err = OktaConfig::from_env(&bad_key).unwrap_err();
        assert!(err.to_string().contains("PEM"), "{err}");
        assert!(!err.to_string().contains("not a pem"));
    }
}
