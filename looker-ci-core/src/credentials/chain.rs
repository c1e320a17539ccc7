//! The default credential chain behind `LookerClient::from_env()`.
//!
//! Order: (1) an API key in the settings — explicit, then `LOOKERSDK_CLIENT_ID`/`SECRET`, then
//! `looker.ini` (the settings layers already resolve that precedence); (2) the CI job's OIDC
//! token + `AWS_ROLE_ARN` + `LOOKER_CI_AWS_SECRET_ID` (STS, then Secrets Manager); (3) Okta
//! settings (`LOOKER_CI_OKTA_*`). A source that is not configured passes to the next; one that
//! is configured but broken stops the chain with its error (as aws-config's chain does).

use std::fmt;
use std::sync::Arc;

use super::aws::{AwsConfig, SecretsManagerProvider, StsWebIdentity};
use super::identity::{
    ENV_GITHUB_REQUEST_TOKEN, ENV_GITHUB_REQUEST_URL, ENV_ID_TOKEN_AUDIENCE,
    ENV_WEB_IDENTITY_TOKEN_FILE, EnvVarToken, FileToken, GitHubActionsToken, IdentityTokenSource,
    detect_gitlab_token_var,
};
use super::identity_aware_proxy::{ENV_PROXY_HEADER, ProxyAuth};
use super::jwks::{self, VerifiedTokenSource};
use super::okta::{self, OktaConfig, OktaTokenSource};
use super::{CredentialProvider, StaticCredentials};
use crate::error::{Error, Result};
use crate::settings::{Environment, Settings};
use crate::token_cache::RefreshPolicy;

/// Audience used to find a GitLab `id_tokens` variable and to request a GitHub token when
/// `LOOKER_CI_ID_TOKEN_AUDIENCE` is unset: the one AWS documents for web identity federation.
pub const DEFAULT_AWS_AUDIENCE: &str = "sts.amazonaws.com";

/// Which source the chain chose and why, plus what it passed over. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialReport {
    /// Provider name (`settings`, `aws-secrets-manager`, or a custom provider's name).
    pub source: String,
    /// Why it was chosen / where the key comes from.
    pub detail: String,
    /// Sources passed over, with the reason.
    pub skipped: Vec<(String, String)>,
    /// The identity-aware proxy's header, when one is sent with every request: which header
    /// and where its token comes from.
    pub proxy: Option<String>,
}

impl fmt::Display for CredentialReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "credentials from `{}`: {}", self.source, self.detail)?;
        if let Some(proxy) = &self.proxy {
            write!(f, "; identity-aware proxy: {proxy}")?;
        }
        for (source, why) in &self.skipped {
            write!(f, "; skipped `{source}`: {why}")?;
        }
        Ok(())
    }
}

/// What the chain chose: the provider, the report, and the proxy header if one is configured.
pub(crate) struct Chosen {
    pub provider: Arc<dyn CredentialProvider>,
    pub report: CredentialReport,
    pub proxy_auth: Option<Arc<ProxyAuth>>,
}

/// Resolve the provider for `settings` from `env`.
pub(crate) fn resolve(
    settings: &Settings,
    env: &Arc<dyn Environment>,
    http: reqwest::Client,
    policy: &RefreshPolicy,
) -> Result<Chosen> {
    // Okta is read only when something needs it: the proxy header, or the chain reaching it.
    let okta_source =
        |ci_token: Option<Arc<dyn IdentityTokenSource>>| -> Result<Option<Arc<OktaTokenSource>>> {
            let Some(config) = OktaConfig::from_env(env.as_ref())? else {
                return Ok(None);
            };
            // Token exchange needs the CI token as its subject.
            let subject = match (config.token_exchange, ci_token) {
                (false, _) => None,
                (true, Some(ci)) => Some(ci),
                (true, None) => {
                    return Err(Error::config(
                        "okta_token_exchange",
                        format!("environment variable {}", okta::ENV_TOKEN_EXCHANGE),
                        "token exchange is on but no CI identity token was found to exchange",
                    ));
                }
            };
            Ok(Some(Arc::new(
                OktaTokenSource::new(config, subject, http.clone())
                    .with_discovery_timeout(settings.timeout),
            )))
        };
    let mut okta = None;
    let proxy_auth = match env.var(ENV_PROXY_HEADER).filter(|h| !h.trim().is_empty()) {
        Some(header) => {
            okta = okta_source(ci_identity_source(env, http.clone())?)?;
            let source = okta.clone().ok_or_else(|| {
                Error::config(
                    "proxy_header",
                    format!("environment variable {ENV_PROXY_HEADER}"),
                    format!(
                        "is set but Okta is not configured ({} and {} or {})",
                        okta::ENV_CLIENT_ID,
                        okta::ENV_ISSUER,
                        okta::ENV_TOKEN_URL
                    ),
                )
            })?;
            Some(Arc::new(ProxyAuth::new(&header, source, policy.clone())?))
        }
        None => None,
    };
    let proxy = proxy_auth.as_ref().zip(okta.as_ref()).map(|(auth, okta)| {
        format!(
            "`{}` header with an Okta access token ({})",
            auth.header_name(),
            okta.describe()
        )
    });
    let chosen = |provider: Arc<dyn CredentialProvider>, mut report: CredentialReport| {
        report.proxy = proxy.clone();
        Chosen {
            provider,
            report,
            proxy_auth: proxy_auth.clone(),
        }
    };
    let mut skipped = Vec::new();

    // 1. An API key in the settings.
    if settings.client_id.is_some() {
        return Ok(chosen(
            Arc::new(StaticCredentials::from_settings(settings)?),
            settings_report(settings, skipped),
        ));
    }
    skipped.push((
        "settings".into(),
        "no client_id/client_secret in explicit settings, LOOKERSDK_CLIENT_ID/SECRET or looker.ini"
            .into(),
    ));

    // 2. The CI job's identity token -> STS -> Secrets Manager; 3. the same with an Okta token.
    let ci_token = ci_identity_source(env, http.clone())?;
    if okta.is_none() {
        okta = okta_source(ci_token.clone())?;
    }
    let Some(config) = AwsConfig::from_env(env)? else {
        skipped.push((
            "aws-secrets-manager".into(),
            "AWS_ROLE_ARN and LOOKER_CI_AWS_SECRET_ID are not both set".into(),
        ));
        if okta.is_some() {
            return Err(Error::config(
                "credentials",
                "Okta settings",
                "Okta is configured, but the Looker API key still has to come from somewhere: set \
                 AWS_ROLE_ARN and LOOKER_CI_AWS_SECRET_ID (the Okta token then assumes the role), \
                 or an API key in the settings",
            ));
        }
        skipped.push(("okta".into(), "no LOOKER_CI_OKTA_CLIENT_ID is set".into()));
        let tried: Vec<String> = skipped
            .iter()
            .map(|(s, why)| format!("{s}: {why}"))
            .collect();
        return Err(Error::config(
            "credentials",
            "the default credential chain",
            format!(
                "no source of Looker credentials is configured ({})",
                tried.join("; ")
            ),
        ));
    };
    // A key fetched with the job's identity goes only where the CI settings (or a file named on
    // purpose) say: never where a looker.ini in the checkout, read implicitly, points.
    if !settings.implicit_routing.is_empty() {
        return Err(Error::config(
            "base_url",
            "./looker.ini (read implicitly)",
            format!(
                "{} would decide where the API key fetched from AWS Secrets Manager is sent: set \
                 LOOKERSDK_BASE_URL (and LOOKER_CI_HTTPS_PROXY / LOOKER_CI_CA_BUNDLE) in the CI \
                 variables, or name the file on purpose (config_file, --ini)",
                settings.implicit_routing.join(", ")
            ),
        ));
    }
    let (identity, source): (Arc<dyn IdentityTokenSource>, &str) = match (&okta, ci_token) {
        (Some(okta), _) => (okta.clone(), "okta"),
        (None, Some(ci)) => (ci, "aws-secrets-manager"),
        (None, None) => {
            return Err(Error::Credentials {
                provider: "aws-secrets-manager".into(),
                message: "AWS_ROLE_ARN and LOOKER_CI_AWS_SECRET_ID are set but no CI identity \
                          token was found: declare `id_tokens: LOOKER_ID_TOKEN` (GitLab) or set \
                          LOOKER_CI_ID_TOKEN_VAR, grant `id-token: write` (GitHub Actions), set \
                          AWS_WEB_IDENTITY_TOKEN_FILE, or configure Okta (LOOKER_CI_OKTA_*)"
                    .into(),
            });
        }
    };
    if source == "okta" {
        skipped.push((
            "aws-secrets-manager".into(),
            "Okta is configured, so its access token is the web identity for STS".into(),
        ));
    }
    let audience = env
        .var(ENV_ID_TOKEN_AUDIENCE)
        .filter(|a| !a.trim().is_empty());
    let detail_prefix = okta
        .as_ref()
        .map(|o| format!("{}; ", o.describe()))
        .unwrap_or_default();
    let sts = StsWebIdentity::new(&config, identity, audience, http.clone());
    let provider = SecretsManagerProvider::new(config, sts, policy.clone(), http);
    let detail = format!("{detail_prefix}{}", provider.describe());
    Ok(chosen(
        Arc::new(provider),
        CredentialReport {
            source: source.into(),
            detail,
            skipped,
            proxy: None,
        },
    ))
}

/// The report for an API key held in `settings` (the chain's first source, and
/// [`crate::LookerClient::new`]).
pub(crate) fn settings_report(
    settings: &Settings,
    skipped: Vec<(String, String)>,
) -> CredentialReport {
    let origin = settings
        .client_id_origin
        .clone()
        .unwrap_or_else(|| "settings".into());
    let client_id = settings.client_id.as_deref().unwrap_or_default();
    CredentialReport {
        source: "settings".into(),
        detail: format!("API key (client_id \"{client_id}\") from {origin}"),
        skipped,
        proxy: None,
    }
}

/// The job's identity token, if any: `AWS_WEB_IDENTITY_TOKEN_FILE`, else GitHub Actions, else a
/// GitLab `id_tokens` variable.
fn ci_identity_source(
    env: &Arc<dyn Environment>,
    http: reqwest::Client,
) -> Result<Option<Arc<dyn IdentityTokenSource>>> {
    let audience = id_token_audience(env.as_ref());
    let source: Option<Arc<dyn IdentityTokenSource>> = match ci_token_location(env.as_ref())? {
        Some(TokenLocation::File(path)) => Some(Arc::new(FileToken::new(path, Arc::clone(env)))),
        Some(TokenLocation::GitHubActions) => {
            GitHubActionsToken::from_env(env.as_ref(), Some(audience), http.clone())?
                .map(|github| Arc::new(github) as _)
        }
        Some(TokenLocation::EnvVar(var)) => Some(Arc::new(EnvVarToken::new(var, Arc::clone(env)))),
        None => None,
    };
    source.map(|source| verified(source, env, http)).transpose()
}

/// Where the job's identity token is, in the chain's order.
pub(crate) enum TokenLocation {
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`.
    File(String),
    /// GitHub Actions hands one out on request.
    GitHubActions,
    /// A GitLab `id_tokens` variable.
    EnvVar(String),
}

/// The audience the CI token is requested for and expected to carry.
pub(crate) fn id_token_audience(env: &dyn Environment) -> String {
    env.var(ENV_ID_TOKEN_AUDIENCE)
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_AWS_AUDIENCE.into())
}

/// The token file, else GitHub Actions, else a GitLab `id_tokens` variable; `None` outside CI.
pub(crate) fn ci_token_location(env: &dyn Environment) -> Result<Option<TokenLocation>> {
    if let Some(path) = env
        .var(ENV_WEB_IDENTITY_TOKEN_FILE)
        .filter(|p| !p.trim().is_empty())
    {
        return Ok(Some(TokenLocation::File(path.trim().to_owned())));
    }
    if env.var(ENV_GITHUB_REQUEST_URL).is_some() && env.var(ENV_GITHUB_REQUEST_TOKEN).is_some() {
        return Ok(Some(TokenLocation::GitHubActions));
    }
    Ok(detect_gitlab_token_var(env, &id_token_audience(env))?.map(TokenLocation::EnvVar))
}

/// Wrap `source` in JWKS verification when `LOOKER_CI_ID_TOKEN_VERIFY` or
/// `LOOKER_CI_ID_TOKEN_JWKS_URL` asks for it.
fn verified(
    source: Arc<dyn IdentityTokenSource>,
    env: &Arc<dyn Environment>,
    http: reqwest::Client,
) -> Result<Arc<dyn IdentityTokenSource>> {
    let var = |name: &str| {
        env.var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let jwks_url = var(jwks::ENV_JWKS_URL);
    if let Some(url) = &jwks_url {
        crate::settings::require_https(
            url,
            "id_token_jwks_url",
            &format!("environment variable {}", jwks::ENV_JWKS_URL),
            env.as_ref(),
        )?;
    }
    let asked = var(jwks::ENV_VERIFY)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
    if jwks_url.is_none() && !asked {
        return Ok(source);
    }
    // The trusted issuer: configured, else the CI platform's own; never the token's claim.
    let issuer = var(jwks::ENV_ISSUER)
        .or_else(|| var("GITLAB_CI").and_then(|_| var("CI_SERVER_URL")))
        .or_else(|| var("GITHUB_ACTIONS").map(|_| jwks::GITHUB_ISSUER.to_owned()));
    match &issuer {
        Some(issuer) => crate::settings::require_https(
            issuer,
            "id_token_issuer",
            &format!("environment variable {}", jwks::ENV_ISSUER),
            env.as_ref(),
        )?,
        None if jwks_url.is_none() => {
            return Err(Error::config(
                "id_token_issuer",
                format!("environment variable {}", jwks::ENV_VERIFY),
                format!(
                    "verification is on but no issuer is trusted: set {} to the CI platform's \
                     OIDC issuer (GitLab's CI_SERVER_URL and GitHub Actions' issuer are used \
                     when detected), or {} to the JWKS to verify against",
                    jwks::ENV_ISSUER,
                    jwks::ENV_JWKS_URL
                ),
            ));
        }
        None => {}
    }
    let audience = var(ENV_ID_TOKEN_AUDIENCE);
    Ok(Arc::new(VerifiedTokenSource::new(
        source, issuer, jwks_url, audience, http,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{MapEnvironment, SettingsBuilder};

    fn resolve_in(env: MapEnvironment) -> Result<CredentialReport> {
        let env: Arc<dyn Environment> = Arc::new(env);
        let settings = SettingsBuilder::new()
            .environment(Arc::clone(&env))
            .load_defaults_from_env()
            .build()?;
        resolve(
            &settings,
            &env,
            reqwest::Client::new(),
            &RefreshPolicy::default(),
        )
        .map(|chosen| chosen.report)
    }

    fn base() -> MapEnvironment {
        MapEnvironment::new().with_var("LOOKERSDK_BASE_URL", "https://looker.example.com")
    }

    #[test]
    fn settings_key_wins_and_names_its_origin() {
        let r = resolve_in(
            base()
                .with_var("LOOKERSDK_CLIENT_ID", "id")
                .with_var("LOOKERSDK_CLIENT_SECRET", "never-shown")
                .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/r")
                .with_var("LOOKER_CI_AWS_SECRET_ID", "s"),
        )
        .unwrap();
        assert_eq!(r.source, "settings");
        assert!(
            r.detail
                .contains("environment variable LOOKERSDK_CLIENT_ID"),
            "{r}"
        );
        assert!(!r.to_string().contains("never-shown"));
    }

    #[test]
    fn aws_path_with_a_gitlab_token_and_what_was_skipped() {
        let r = resolve_in(
            base()
                .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
                .with_var("AWS_REGION", "us-east-1")
                .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key")
                .with_var("LOOKER_ID_TOKEN", "x.y.z"),
        )
        .unwrap();
        assert_eq!(r.source, "aws-secrets-manager");
        assert!(
            r.detail.contains("env:LOOKER_ID_TOKEN") && r.detail.contains("looker/key"),
            "{r}"
        );
        assert_eq!(r.skipped[0].0, "settings");
    }

    #[test]
    fn configured_but_broken_stops_the_chain() {
        let err = resolve_in(
            base()
                .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
                .with_var("AWS_REGION", "us-east-1")
                .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no CI identity token"), "{err}");
        let err = resolve_in(base().with_var("LOOKER_CI_OKTA_CLIENT_ID", "0oa1")).unwrap_err();
        assert!(err.to_string().contains("LOOKER_CI_OKTA_ISSUER"), "{err}");
        let err = resolve_in(
            base()
                .with_var("LOOKER_CI_OKTA_CLIENT_ID", "0oa1")
                .with_var("LOOKER_CI_OKTA_ISSUER", "https://x.okta.com/oauth2/default")
                .with_var("LOOKER_CI_OKTA_CLIENT_SECRET", "s"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("AWS_ROLE_ARN"), "{err}");
        let err =
            resolve_in(base().with_var("LOOKER_CI_PROXY_HEADER", "X-Proxy-Token")).unwrap_err();
        assert!(err.to_string().contains("Okta is not configured"), "{err}");
    }

    #[test]
    fn plain_http_to_a_host_that_is_not_loopback_is_refused_unless_allowed() {
        let aws = |endpoint: &str| {
            base()
                .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
                .with_var("AWS_REGION", "us-east-1")
                .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key")
                .with_var("LOOKER_ID_TOKEN", "x.y.z")
                .with_var("AWS_ENDPOINT_URL", endpoint)
        };
        let err = resolve_in(aws("http://aws.internal:4566")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("plain http://") && text.contains("LOOKER_CI_ALLOW_HTTP"),
            "{text}"
        );
        // Loopback (moto, a sidecar) and https are fine; so is http when explicitly allowed.
        resolve_in(aws("http://127.0.0.1:4566")).unwrap();
        resolve_in(aws("https://aws.internal")).unwrap();
        resolve_in(aws("http://aws.internal:4566").with_var("LOOKER_CI_ALLOW_HTTP", "true"))
            .unwrap();
        let okta = base()
            .with_var("LOOKER_CI_OKTA_CLIENT_ID", "0oa1")
            .with_var(
                "LOOKER_CI_OKTA_ISSUER",
                "http://okta.internal/oauth2/default",
            )
            .with_var("LOOKER_CI_OKTA_CLIENT_SECRET", "s")
            .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
            .with_var("AWS_REGION", "us-east-1")
            .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key");
        let err = resolve_in(okta).unwrap_err();
        assert!(err.to_string().contains("okta_issuer"), "{err}");
        let github = base()
            .with_var(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "http://runner.internal/token",
            )
            .with_var("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "t")
            .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
            .with_var("AWS_REGION", "us-east-1")
            .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key");
        let err = resolve_in(github).unwrap_err();
        assert!(err.to_string().contains("github_token_url"), "{err}");
    }

    #[test]
    fn jwks_verification_trusts_a_configured_or_platform_issuer_only() {
        let aws = base()
            .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
            .with_var("AWS_REGION", "us-east-1")
            .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key")
            .with_var("LOOKER_ID_TOKEN", "x.y.z")
            .with_var("LOOKER_CI_ID_TOKEN_VERIFY", "true");
        let err = resolve_in(aws.clone()).unwrap_err();
        assert!(
            err.to_string().contains("LOOKER_CI_ID_TOKEN_ISSUER"),
            "{err}"
        );
        resolve_in(
            aws.clone()
                .with_var("GITLAB_CI", "true")
                .with_var("CI_SERVER_URL", "https://gitlab.example.com"),
        )
        .unwrap();
        resolve_in(
            aws.clone()
                .with_var("LOOKER_CI_ID_TOKEN_ISSUER", "https://issuer.example"),
        )
        .unwrap();
        let err = resolve_in(aws.with_var("LOOKER_CI_ID_TOKEN_ISSUER", "http://issuer.example"))
            .unwrap_err();
        assert!(err.to_string().contains("plain http://"), "{err}");
    }

    #[test]
    fn a_fetched_key_never_goes_where_an_implicit_looker_ini_points() {
        let job = || {
            MapEnvironment::new()
                .with_var("AWS_ROLE_ARN", "arn:aws:iam::1:role/looker")
                .with_var("AWS_REGION", "us-east-1")
                .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/key")
                .with_var("LOOKER_ID_TOKEN", "x.y.z")
                .with_file(
                    "looker.ini",
                    "[Looker]\nbase_url=https://collector.example.com\nhttps_proxy=http://127.0.0.1:1\n",
                )
        };
        let err = resolve_in(job()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`base_url` from looker.ini")
                && text.contains("`https_proxy` from looker.ini")
                && text.contains("LOOKERSDK_BASE_URL"),
            "{text}"
        );
        // Settings from the CI variables win over the file and are used.
        let err = resolve_in(job().with_var("LOOKERSDK_BASE_URL", "https://looker.example.com"))
            .unwrap_err();
        assert!(err.to_string().contains("`https_proxy`"), "{err}");
        resolve_in(
            job()
                .with_var("LOOKERSDK_BASE_URL", "https://looker.example.com")
                .with_var("LOOKER_CI_HTTPS_PROXY", "http://127.0.0.1:3128"),
        )
        .unwrap();
        // A file named on purpose is trusted.
        let env: Arc<dyn Environment> = Arc::new(job());
        let settings = SettingsBuilder::new()
            .environment(Arc::clone(&env))
            .load_defaults_from_env()
            .ini_file("looker.ini", None)
            .build()
            .unwrap();
        assert!(settings.implicit_routing.is_empty());
    }

    #[test]
    fn nothing_configured_lists_every_source() {
        let err = resolve_in(base()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("settings:")
                && text.contains("aws-secrets-manager:")
                && text.contains("okta:"),
            "{text}"
        );
    }
}
