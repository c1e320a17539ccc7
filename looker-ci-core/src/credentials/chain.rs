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
    ENV_ID_TOKEN_AUDIENCE, ENV_WEB_IDENTITY_TOKEN_FILE, EnvVarToken, FileToken, GitHubActionsToken,
    IdentityTokenSource, detect_gitlab_token_var,
};
use super::{CredentialProvider, StaticCredentials};
use crate::error::{Error, Result};
use crate::settings::{Environment, Settings};
use crate::token_cache::RefreshPolicy;

/// Audience used to find a GitLab `id_tokens` variable and to request a GitHub token when
/// `LOOKER_CI_ID_TOKEN_AUDIENCE` is unset: the one AWS documents for web identity federation.
pub const DEFAULT_AWS_AUDIENCE: &str = "sts.amazonaws.com";
/// Prefix of the Okta settings.
pub const OKTA_PREFIX: &str = "LOOKER_CI_OKTA_";

/// Which source the chain chose and why, plus what it passed over. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialReport {
    /// Provider name (`settings`, `aws-secrets-manager`, or a custom provider's name).
    pub source: String,
    /// Why it was chosen / where the key comes from.
    pub detail: String,
    /// Sources passed over, with the reason.
    pub skipped: Vec<(String, String)>,
}

impl fmt::Display for CredentialReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "credentials from `{}`: {}", self.source, self.detail)?;
        for (source, why) in &self.skipped {
            write!(f, "; skipped `{source}`: {why}")?;
        }
        Ok(())
    }
}

/// Resolve the provider for `settings` from `env`.
pub fn resolve(
    settings: &Settings,
    env: &Arc<dyn Environment>,
    http: reqwest::Client,
    policy: &RefreshPolicy,
) -> Result<(Arc<dyn CredentialProvider>, CredentialReport)> {
    let mut skipped = Vec::new();

    if settings.client_id.is_some() {
        let origin = settings
            .client_id_origin
            .clone()
            .unwrap_or_else(|| "settings".into());
        return Ok((
            Arc::new(StaticCredentials::from_settings(settings)?),
            CredentialReport {
                source: "settings".into(),
                detail: format!(
                    "API key (client_id {:?}) from {origin}",
                    settings.client_id.as_deref().unwrap_or("")
                ),
                skipped,
            },
        ));
    }
    skipped.push((
        "settings".into(),
        "no client_id/client_secret in explicit settings, LOOKERSDK_CLIENT_ID/SECRET or looker.ini"
            .into(),
    ));

    match AwsConfig::from_env(env)? {
        Some(config) => {
            let identity = identity_source(env, http.clone())?;
            let audience = env
                .var(ENV_ID_TOKEN_AUDIENCE)
                .filter(|a| !a.trim().is_empty());
            let sts = StsWebIdentity::new(&config, identity, audience, http.clone());
            let provider = SecretsManagerProvider::new(config, sts, policy.clone(), http);
            let detail = provider.describe();
            return Ok((
                Arc::new(provider),
                CredentialReport {
                    source: "aws-secrets-manager".into(),
                    detail,
                    skipped,
                },
            ));
        }
        None => skipped.push((
            "aws-secrets-manager".into(),
            "AWS_ROLE_ARN and LOOKER_CI_AWS_SECRET_ID are not both set".into(),
        )),
    }

    let okta_vars: Vec<String> = env
        .vars()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with(OKTA_PREFIX))
        .collect();
    if !okta_vars.is_empty() {
        return Err(Error::config(
            "okta",
            format!("environment variables {}", okta_vars.join(", ")),
            "Okta credentials are not supported by this version of looker-ci yet; use the AWS \
             path or an API key",
        ));
    }
    skipped.push(("okta".into(), "no LOOKER_CI_OKTA_* variable is set".into()));

    let report = CredentialReport {
        source: String::new(),
        detail: String::new(),
        skipped,
    };
    let tried: Vec<String> = report
        .skipped
        .iter()
        .map(|(s, why)| format!("{s}: {why}"))
        .collect();
    Err(Error::config(
        "credentials",
        "the default credential chain",
        format!(
            "no source of Looker credentials is configured ({})",
            tried.join("; ")
        ),
    ))
}

/// The job's identity token: `AWS_WEB_IDENTITY_TOKEN_FILE`, else GitHub Actions, else a GitLab
/// `id_tokens` variable. Configured AWS without any of them is an error.
fn identity_source(
    env: &Arc<dyn Environment>,
    http: reqwest::Client,
) -> Result<Arc<dyn IdentityTokenSource>> {
    if let Some(path) = env
        .var(ENV_WEB_IDENTITY_TOKEN_FILE)
        .filter(|p| !p.trim().is_empty())
    {
        return Ok(Arc::new(FileToken::new(path.trim(), Arc::clone(env))));
    }
    let audience = env
        .var(ENV_ID_TOKEN_AUDIENCE)
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_AWS_AUDIENCE.into());
    if let Some(github) = GitHubActionsToken::from_env(env.as_ref(), Some(audience.clone()), http)?
    {
        return Ok(Arc::new(github));
    }
    if let Some(var) = detect_gitlab_token_var(env.as_ref(), &audience)? {
        return Ok(Arc::new(EnvVarToken::new(var, Arc::clone(env))));
    }
    Err(Error::Credentials {
        provider: "aws-secrets-manager".into(),
        message: "AWS_ROLE_ARN and LOOKER_CI_AWS_SECRET_ID are set but no CI identity token was \
                  found: declare `id_tokens: LOOKER_ID_TOKEN` (GitLab) or set \
                  LOOKER_CI_ID_TOKEN_VAR, grant `id-token: write` (GitHub Actions), or set \
                  AWS_WEB_IDENTITY_TOKEN_FILE"
            .into(),
    })
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
        .map(|(_, r)| r)
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
        let err = resolve_in(base().with_var("LOOKER_CI_OKTA_ISSUER", "https://x")).unwrap_err();
        assert!(err.to_string().contains("LOOKER_CI_OKTA_ISSUER"), "{err}");
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
