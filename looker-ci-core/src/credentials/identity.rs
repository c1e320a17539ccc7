//! The CI job's identity: a short-lived OIDC token (JWT) from GitLab CI `id_tokens`, GitHub
//! Actions, a token file, or a plain value. Sources do not cache; each call reads or requests a
//! fresh token (a file is re-read, as `AWS_WEB_IDENTITY_TOKEN_FILE` is).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::jwt::Claims;
use crate::error::{Error, Result};
use crate::settings::Environment;

/// `LOOKER_CI_ID_TOKEN_VAR`: the variable holding the job's OIDC token.
pub const ENV_ID_TOKEN_VAR: &str = "LOOKER_CI_ID_TOKEN_VAR";
/// The variable read when `LOOKER_CI_ID_TOKEN_VAR` is unset (name it in `.gitlab-ci.yml` `id_tokens`).
pub const DEFAULT_ID_TOKEN_VAR: &str = "LOOKER_ID_TOKEN";
/// `LOOKER_CI_ID_TOKEN_AUDIENCE`: the audience the token must carry (and GitHub is asked for).
pub const ENV_ID_TOKEN_AUDIENCE: &str = "LOOKER_CI_ID_TOKEN_AUDIENCE";
/// `ACTIONS_ID_TOKEN_REQUEST_URL`: GitHub Actions' token endpoint (set with
/// `permissions: id-token: write`).
pub const ENV_GITHUB_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the bearer token for GitHub Actions' token endpoint.
pub const ENV_GITHUB_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// The AWS SDKs' token file variable.
pub const ENV_WEB_IDENTITY_TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";

/// Allowance for clock skew when checking a token's `exp` before using it.
const EXPIRY_LEEWAY: Duration = Duration::from_secs(10);

/// An OIDC token and its (unverified) claims.
#[derive(Clone)]
pub struct IdentityToken {
    token: SecretString,
    claims: Claims,
}

impl fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityToken")
            .field("token", &"[REDACTED]")
            .field("iss", &self.claims.iss)
            .field("sub", &self.claims.sub)
            .field("aud", &self.claims.aud)
            .field("exp", &self.claims.exp)
            .finish()
    }
}

impl IdentityToken {
    /// Read the claims of `token`; `source` names where it came from, for errors.
    pub fn parse(token: SecretString, source: &str) -> Result<Self> {
        let claims = Claims::decode(token.expose_secret()).map_err(|why| Error::Credentials {
            provider: source.to_owned(),
            message: format!("the identity token {why}"),
        })?;
        Ok(IdentityToken { token, claims })
    }

    /// The token's claims, decoded but not verified (the exchange's receiver verifies them).
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The encoded token, to send to the exchange.
    pub fn secret(&self) -> &SecretString {
        &self.token
    }

    /// Refuse an expired token or one without `audience` (when given), with a message saying
    /// what to fix. Nothing is sent anywhere.
    pub fn check(&self, source: &str, audience: Option<&str>) -> Result<()> {
        let fail = |message: String| Error::Credentials {
            provider: source.to_owned(),
            message,
        };
        if self.claims.is_expired(SystemTime::now(), EXPIRY_LEEWAY) {
            return Err(fail(format!(
                "the identity token expired (exp {}); CI tokens live for the job only: re-run the \
                 job, or check that the runner clock is right",
                self.claims.exp.unwrap_or_default()
            )));
        }
        if let Some(wanted) = audience
            && !self.claims.aud.iter().any(|a| a == wanted)
        {
            return Err(fail(format!(
                "the identity token's audience is {:?} but {wanted:?} is required; set \
                 `aud: {wanted}` on the `id_tokens` entry (GitLab) or request that audience \
                 (GitHub), or change {ENV_ID_TOKEN_AUDIENCE}",
                self.claims.aud
            )));
        }
        Ok(())
    }
}

/// A source of the job's OIDC token. Called at every refresh; must not cache.
#[async_trait]
pub trait IdentityTokenSource: Send + Sync + fmt::Debug {
    /// Secret-free name for logs and `describe()`, e.g. `env:LOOKER_ID_TOKEN`.
    fn name(&self) -> String;
    /// A token as the source has it now (read or requested afresh).
    async fn identity_token(&self) -> Result<IdentityToken>;
}

/// A token in an environment variable (GitLab CI `id_tokens`).
#[derive(Clone)]
pub struct EnvVarToken {
    var: String,
    env: Arc<dyn Environment>,
}

impl fmt::Debug for EnvVarToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EnvVarToken({})", self.var)
    }
}

impl EnvVarToken {
    /// The token in variable `var` of `env`, read at every call.
    pub fn new(var: impl Into<String>, env: Arc<dyn Environment>) -> Self {
        EnvVarToken {
            var: var.into(),
            env,
        }
    }
}

#[async_trait]
impl IdentityTokenSource for EnvVarToken {
    fn name(&self) -> String {
        format!("env:{}", self.var)
    }

    async fn identity_token(&self) -> Result<IdentityToken> {
        let value = self
            .env
            .var(&self.var)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::Credentials {
                provider: self.name(),
                message: format!(
                    "{} is not set; declare it under `id_tokens:` in .gitlab-ci.yml",
                    self.var
                ),
            })?;
        IdentityToken::parse(SecretString::from(value.trim().to_owned()), &self.name())
    }
}

/// A token file, re-read at every refresh (the runner may rotate it).
#[derive(Clone)]
pub struct FileToken {
    path: PathBuf,
    env: Arc<dyn Environment>,
}

impl fmt::Debug for FileToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileToken({})", self.path.display())
    }
}

impl FileToken {
    /// The token in the file at `path`, read through `env` at every call.
    pub fn new(path: impl Into<PathBuf>, env: Arc<dyn Environment>) -> Self {
        FileToken {
            path: path.into(),
            env,
        }
    }
}

#[async_trait]
impl IdentityTokenSource for FileToken {
    fn name(&self) -> String {
        format!("file:{}", self.path.display())
    }

    async fn identity_token(&self) -> Result<IdentityToken> {
        let name = self.name();
        let fail = |message: String| Error::Credentials {
            provider: name.clone(),
            message,
        };
        // A token is a few KB; a path pointing at something huge (or a device) is refused
        // before it is read, and the read happens off the async workers.
        if let Ok(meta) = std::fs::metadata(&self.path)
            && meta.len() > MAX_TOKEN_FILE_BYTES
        {
            return Err(fail(format!(
                "is {} bytes, more than an identity token can be ({MAX_TOKEN_FILE_BYTES} bytes at \
                 most): is {ENV_WEB_IDENTITY_TOKEN_FILE} the token file?",
                meta.len()
            )));
        }
        let (env, path) = (Arc::clone(&self.env), self.path.clone());
        let read = tokio::task::spawn_blocking(move || env.read_file(&path))
            .await
            .map_err(|e| fail(format!("could not be read: {e}")))?;
        let text = read
            .map_err(|e| fail(format!("cannot be read: {e}")))?
            .ok_or_else(|| fail("does not exist".into()))?;
        if text.len() as u64 > MAX_TOKEN_FILE_BYTES {
            return Err(fail(format!(
                "holds more than an identity token can be ({MAX_TOKEN_FILE_BYTES} bytes at most)"
            )));
        }
        IdentityToken::parse(SecretString::from(text.trim().to_owned()), &name)
    }
}

/// The largest identity token file read: real tokens are a few KB.
pub const MAX_TOKEN_FILE_BYTES: u64 = 64 * 1024;

/// A token given as a value (for example from another tool).
#[derive(Clone)]
pub struct StaticToken {
    token: IdentityToken,
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticToken([REDACTED])")
    }
}

impl StaticToken {
    /// Always this token; an error when it is not a JWT with readable claims.
    pub fn new(token: SecretString) -> Result<Self> {
        Ok(StaticToken {
            token: IdentityToken::parse(token, "value")?,
        })
    }
}

#[async_trait]
impl IdentityTokenSource for StaticToken {
    fn name(&self) -> String {
        "value".into()
    }

    async fn identity_token(&self) -> Result<IdentityToken> {
        Ok(self.token.clone())
    }
}

/// GitHub Actions: a fresh token from `ACTIONS_ID_TOKEN_REQUEST_URL` at every refresh.
#[derive(Clone)]
pub struct GitHubActionsToken {
    request_url: url::Url,
    request_token: SecretString,
    audience: Option<String>,
    http: reqwest::Client,
}

impl fmt::Debug for GitHubActionsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubActionsToken")
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl GitHubActionsToken {
    /// Tokens requested from `request_url` with `request_token`, for `audience` when given
    /// (otherwise GitHub's default audience). An error when `request_url` is not a URL, or is
    /// plain `http` to a host other than loopback (the runner's request token would cross the
    /// network in clear) unless `LOOKER_CI_ALLOW_HTTP` is set in the process environment.
    pub fn new(
        request_url: &str,
        request_token: SecretString,
        audience: Option<String>,
        http: reqwest::Client,
    ) -> Result<Self> {
        let request_url = url::Url::parse(request_url).map_err(|e| {
            Error::config(
                ENV_GITHUB_REQUEST_URL,
                "environment",
                format!("is not a URL ({e}); is `permissions: id-token: write` set?"),
            )
        })?;
        crate::settings::require_https(
            request_url.as_str(),
            "github_token_url",
            "the request URL given in code",
            &crate::settings::ProcessEnvironment,
        )?;
        Ok(GitHubActionsToken {
            request_url,
            request_token,
            audience,
            http,
        })
    }

    /// From `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`, or `None` when not in GitHub Actions.
    pub fn from_env(
        env: &dyn Environment,
        audience: Option<String>,
        http: reqwest::Client,
    ) -> Result<Option<Self>> {
        match (
            env.var(ENV_GITHUB_REQUEST_URL),
            env.var(ENV_GITHUB_REQUEST_TOKEN),
        ) {
            (Some(url), Some(token)) => {
                // The runner's request token goes to this URL.
                crate::settings::require_https(
                    &url,
                    "github_token_url",
                    &format!("environment variable {ENV_GITHUB_REQUEST_URL}"),
                    env,
                )?;
                Ok(Some(Self::new(
                    &url,
                    SecretString::from(token),
                    audience,
                    http,
                )?))
            }
            _ => Ok(None),
        }
    }
}

#[async_trait]
impl IdentityTokenSource for GitHubActionsToken {
    fn name(&self) -> String {
        "github-actions".into()
    }

    async fn identity_token(&self) -> Result<IdentityToken> {
        let fail = |message: String| Error::Credentials {
            provider: self.name(),
            message,
        };
        let mut url = self.request_url.clone();
        if let Some(audience) = &self.audience {
            url.query_pairs_mut().append_pair("audience", audience);
        }
        let reply = self
            .http
            .get(url)
            .bearer_auth(self.request_token.expose_secret())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| fail(format!("the token request failed: {}", e.without_url())))?;
        let status = reply.status();
        let body = reply.bytes().await.map_err(|e| {
            fail(format!(
                "the token reply could not be read: {}",
                e.without_url()
            ))
        })?;
        if !status.is_success() {
            return Err(fail(format!(
                "the token request was refused with HTTP {status}; does the job have \
                 `permissions: id-token: write`?"
            )));
        }
        #[derive(serde::Deserialize)]
        struct Reply {
            value: Option<String>,
        }
        let value = serde_json::from_slice::<Reply>(&body)
            .ok()
            .and_then(|r| r.value)
            .ok_or_else(|| fail("the token reply has no `value`".into()))?;
        IdentityToken::parse(SecretString::from(value), &self.name())
    }
}

/// Find the GitLab `id_tokens` variable: `LOOKER_CI_ID_TOKEN_VAR` if set, else
/// `LOOKER_ID_TOKEN` if set, else — inside GitLab CI — the single variable holding a JWT whose
/// audience is `audience`. `Ok(None)` when there is none; an error when several match.
pub fn detect_gitlab_token_var(env: &dyn Environment, audience: &str) -> Result<Option<String>> {
    if let Some(var) = env.var(ENV_ID_TOKEN_VAR).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(var.trim().to_owned()));
    }
    if env.var(DEFAULT_ID_TOKEN_VAR).is_some() {
        return Ok(Some(DEFAULT_ID_TOKEN_VAR.to_owned()));
    }
    if env.var("GITLAB_CI").is_none() {
        return Ok(None);
    }
    let mut matches: Vec<String> = env
        .vars()
        .into_iter()
        .filter(|(_, value)| value.matches('.').count() == 2 && value.len() > 20)
        .filter(|(_, value)| {
            Claims::decode(value).is_ok_and(|c| c.aud.iter().any(|a| a == audience))
        })
        .map(|(name, _)| name)
        .collect();
    matches.sort();
    match matches.len() {
        0 => Ok(None),
        1 => Ok(matches.pop()),
        _ => Err(Error::config(
            ENV_ID_TOKEN_VAR,
            "GitLab CI id_tokens",
            format!(
                "several variables hold a token for audience {audience:?} ({}); set \
                 {ENV_ID_TOKEN_VAR} to the one to use",
                matches.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::jwt::unsigned_jwt;
    use crate::settings::MapEnvironment;
    use serde_json::json;

    fn token(aud: &str, exp_from_now: i64) -> String {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        unsigned_jwt(
            &json!({"iss": "https://gitlab.example.com", "sub": "project_path:g/p",
            "aud": aud, "exp": now + exp_from_now}),
        )
    }

    #[tokio::test]
    async fn a_token_file_larger_than_any_token_is_refused_unread() {
        let dir = std::env::temp_dir().join(format!("looker-ci-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, vec![b'a'; (MAX_TOKEN_FILE_BYTES + 1) as usize]).unwrap();
        let source = FileToken::new(&path, Arc::new(crate::settings::ProcessEnvironment));
        let err = source.identity_token().await.unwrap_err();
        assert!(
            err.to_string().contains("more than an identity token"),
            "{err}"
        );
        // A real-sized token file is read as before.
        std::fs::write(&path, token("sts.amazonaws.com", 300)).unwrap();
        source.identity_token().await.unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn env_and_file_sources_read_fresh_each_time() {
        let env = Arc::new(
            MapEnvironment::new()
                .with_var("LOOKER_ID_TOKEN", &token("looker-ci", 300))
                .with_file(
                    "/run/token",
                    &format!("{}\n", token("sts.amazonaws.com", 300)),
                ),
        );
        let from_env = EnvVarToken::new("LOOKER_ID_TOKEN", env.clone());
        let t = from_env.identity_token().await.unwrap();
        assert_eq!(t.claims().aud, vec!["looker-ci"]);
        t.check("env", Some("looker-ci")).unwrap();
        let from_file = FileToken::new("/run/token", env.clone());
        assert_eq!(
            from_file.identity_token().await.unwrap().claims().aud,
            vec!["sts.amazonaws.com"]
        );
        let missing = EnvVarToken::new("NOPE", env)
            .identity_token()
            .await
            .unwrap_err();
        assert!(missing.to_string().contains("id_tokens"), "{missing}");
    }

    #[test]
    fn wrong_audience_and_expired_tokens_say_what_to_fix() {
        let t = IdentityToken::parse(token("other", 300).into(), "t").unwrap();
        let err = t.check("env:X", Some("sts.amazonaws.com")).unwrap_err();
        assert!(err.to_string().contains("aud: sts.amazonaws.com"), "{err}");
        let t = IdentityToken::parse(token("a", -60).into(), "t").unwrap();
        assert!(
            t.check("env:X", None)
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        let debug = format!("{t:?}");
        assert!(!debug.contains(t.secret().expose_secret()));
    }

    #[test]
    fn gitlab_detection_by_name_then_by_audience() {
        let only = MapEnvironment::new()
            .with_var("GITLAB_CI", "true")
            .with_var("MY_AWS_TOKEN", &token("sts.amazonaws.com", 300))
            .with_var("OTHER_TOKEN", &token("vault", 300));
        assert_eq!(
            detect_gitlab_token_var(&only, "sts.amazonaws.com").unwrap(),
            Some("MY_AWS_TOKEN".into())
        );
        let two = only
            .clone()
            .with_var("SECOND", &token("sts.amazonaws.com", 300));
        let err = detect_gitlab_token_var(&two, "sts.amazonaws.com").unwrap_err();
        assert!(err.to_string().contains("MY_AWS_TOKEN, SECOND"), "{err}");
        let named = two.clone().with_var(ENV_ID_TOKEN_VAR, "SECOND");
        assert_eq!(
            detect_gitlab_token_var(&named, "x").unwrap(),
            Some("SECOND".into())
        );
        let default = MapEnvironment::new().with_var(DEFAULT_ID_TOKEN_VAR, "t");
        assert_eq!(
            detect_gitlab_token_var(&default, "x").unwrap(),
            Some(DEFAULT_ID_TOKEN_VAR.into())
        );
        let outside = MapEnvironment::new().with_var("MY", &token("sts.amazonaws.com", 300));
        assert_eq!(
            detect_gitlab_token_var(&outside, "sts.amazonaws.com").unwrap(),
            None
        );
    }
}
