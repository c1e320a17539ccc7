//! The AWS settings, read as the AWS SDKs read them, plus looker-ci's secret settings.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::settings::Environment;

/// `AWS_ROLE_ARN`: the IAM role to assume with the CI identity token; with a secret id, it turns
/// the AWS path on.
pub const ENV_ROLE_ARN: &str = "AWS_ROLE_ARN";
/// `AWS_ROLE_SESSION_NAME`: the STS session name (default `looker-ci-<job id>`).
pub const ENV_ROLE_SESSION_NAME: &str = "AWS_ROLE_SESSION_NAME";
/// `AWS_REGION`: the region of STS and the secret.
pub const ENV_REGION: &str = "AWS_REGION";
/// `AWS_DEFAULT_REGION`: the region when `AWS_REGION` is not set.
pub const ENV_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// `AWS_ENDPOINT_URL`: one endpoint for every AWS service (a local stand-in, a VPC endpoint).
pub const ENV_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";
/// `AWS_ENDPOINT_URL_STS`: the STS endpoint, before `AWS_ENDPOINT_URL`.
pub const ENV_ENDPOINT_URL_STS: &str = "AWS_ENDPOINT_URL_STS";
/// `AWS_ENDPOINT_URL_SECRETS_MANAGER`: the Secrets Manager endpoint, before `AWS_ENDPOINT_URL`.
pub const ENV_ENDPOINT_URL_SECRETS_MANAGER: &str = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
/// `LOOKER_CI_AWS_SECRET_ID`: name or ARN of the secret holding the Looker API key.
pub const ENV_SECRET_ID: &str = "LOOKER_CI_AWS_SECRET_ID";
/// JSON key of the client id in the secret (default `client_id`).
pub const ENV_SECRET_CLIENT_ID_KEY: &str = "LOOKER_CI_AWS_SECRET_CLIENT_ID_KEY";
/// JSON key of the client secret in the secret (default `client_secret`).
pub const ENV_SECRET_CLIENT_SECRET_KEY: &str = "LOOKER_CI_AWS_SECRET_CLIENT_SECRET_KEY";
/// `LOOKER_CI_AWS_ROLE_DURATION`: seconds the assumed-role credentials should last.
pub const ENV_ROLE_DURATION: &str = "LOOKER_CI_AWS_ROLE_DURATION";

/// Everything the AWS path needs. Build it from the environment ([`AwsConfig::from_env`]) or with
/// [`AwsConfig::new`], then change fields as needed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AwsConfig {
    /// The IAM role to assume (`arn:aws:iam::<account>:role/<name>`).
    pub role_arn: String,
    /// The STS session name CloudTrail shows for the assumed role.
    pub role_session_name: String,
    /// The AWS region, e.g. `us-east-1`.
    pub region: String,
    /// STS base URL (`https://`), e.g. `https://sts.us-east-1.amazonaws.com`.
    pub sts_endpoint: String,
    /// Secrets Manager base URL (`https://`).
    pub secrets_manager_endpoint: String,
    /// Name or ARN of the secret holding the Looker API key as a JSON object.
    pub secret_id: String,
    /// The secret's JSON key holding the client id (from the environment: `client_id` by default).
    pub client_id_key: String,
    /// The secret's JSON key holding the client secret (from the environment: `client_secret` by
    /// default).
    pub client_secret_key: String,
    /// `DurationSeconds` asked of STS; `None` lets the role's default apply.
    pub duration_secs: Option<u32>,
}

impl AwsConfig {
    /// The role, region and secret given, and the rest as `from_env` defaults them with no other
    /// variable set: the region's public STS and Secrets Manager endpoints, the session name
    /// `looker-ci`, the secret's keys `client_id` and `client_secret`, the role's own duration.
    /// Nothing is checked here; the ARN and endpoints are checked when the provider is built.
    pub fn new(
        role_arn: impl Into<String>,
        region: impl Into<String>,
        secret_id: impl Into<String>,
    ) -> AwsConfig {
        let region = region.into();
        AwsConfig {
            role_arn: role_arn.into(),
            role_session_name: "looker-ci".into(),
            sts_endpoint: format!("https://sts.{region}.amazonaws.com"),
            secrets_manager_endpoint: format!("https://secretsmanager.{region}.amazonaws.com"),
            region,
            secret_id: secret_id.into(),
            client_id_key: "client_id".into(),
            client_secret_key: "client_secret".into(),
            duration_secs: None,
        }
    }

    /// `Ok(None)` when the AWS path is not configured (no `AWS_ROLE_ARN` or no secret id);
    /// an error when it is configured but a value is invalid.
    pub fn from_env(env: &Arc<dyn Environment>) -> Result<Option<AwsConfig>> {
        let var = |name: &str| {
            env.var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (Some(role_arn), Some(secret_id)) = (var(ENV_ROLE_ARN), var(ENV_SECRET_ID)) else {
            return Ok(None);
        };
        if !role_arn.starts_with("arn:") || !role_arn.contains(":role/") {
            return Err(Error::config(
                "role_arn",
                format!("environment variable {ENV_ROLE_ARN}"),
                format!("`{role_arn}` is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
            ));
        }
        let region = var(ENV_REGION)
            .or_else(|| var(ENV_DEFAULT_REGION))
            .ok_or_else(|| {
                Error::config(
                    "region",
                    "no source",
                    format!("set {ENV_REGION} to the region of the secret (e.g. us-east-1)"),
                )
            })?;
        let endpoint = |specific: &str, service: &str| {
            var(specific)
                .or_else(|| var(ENV_ENDPOINT_URL))
                .unwrap_or_else(|| format!("https://{service}.{region}.amazonaws.com"))
        };
        let duration_secs = match var(ENV_ROLE_DURATION) {
            None => None,
            Some(text) => Some(
                text.parse::<u32>()
                    .ok()
                    .filter(|d| (1..=43_200).contains(d))
                    .ok_or_else(|| {
                        Error::config(
                            "role_duration",
                            format!("environment variable {ENV_ROLE_DURATION}"),
                            format!("`{text}` is not a number of seconds between 1 and 43200"),
                        )
                    })?,
            ),
        };
        let sts_endpoint = endpoint(ENV_ENDPOINT_URL_STS, "sts");
        let secrets_manager_endpoint = endpoint(ENV_ENDPOINT_URL_SECRETS_MANAGER, "secretsmanager");
        // The identity token goes to STS and the API key comes back from Secrets Manager.
        for (url, setting) in [
            (&sts_endpoint, ENV_ENDPOINT_URL_STS),
            (&secrets_manager_endpoint, ENV_ENDPOINT_URL_SECRETS_MANAGER),
        ] {
            crate::settings::require_https(
                url,
                "aws_endpoint_url",
                &format!("environment variable {setting} or {ENV_ENDPOINT_URL}"),
                env.as_ref(),
            )?;
        }
        Ok(Some(AwsConfig {
            role_session_name: var(ENV_ROLE_SESSION_NAME)
                .unwrap_or_else(|| default_session_name(env.as_ref())),
            sts_endpoint,
            secrets_manager_endpoint,
            region,
            role_arn,
            secret_id,
            client_id_key: var(ENV_SECRET_CLIENT_ID_KEY).unwrap_or_else(|| "client_id".into()),
            client_secret_key: var(ENV_SECRET_CLIENT_SECRET_KEY)
                .unwrap_or_else(|| "client_secret".into()),
            duration_secs,
        }))
    }
}

/// `looker-ci-<job id>` from GitLab (`CI_JOB_ID`) or GitHub (`GITHUB_RUN_ID`-`GITHUB_RUN_ATTEMPT`),
/// so CloudTrail shows which job assumed the role; STS allows `[\w+=,.@-]{2,64}`.
fn default_session_name(env: &dyn Environment) -> String {
    let job = env
        .var("CI_JOB_ID")
        .or_else(|| {
            env.var("GITHUB_RUN_ID").map(|run| {
                let attempt = env.var("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into());
                format!("{run}-{attempt}")
            })
        })
        .unwrap_or_else(|| std::process::id().to_string());
    format!("looker-ci-{job}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(*c))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MapEnvironment;

    fn env(vars: &[(&str, &str)]) -> Arc<dyn Environment> {
        Arc::new(
            vars.iter()
                .fold(MapEnvironment::new(), |e, (k, v)| e.with_var(k, v)),
        )
    }

    #[test]
    fn not_configured_without_role_or_secret() {
        let role_only = env(&[(ENV_ROLE_ARN, "arn:aws:iam::1:role/r")]);
        assert_eq!(AwsConfig::from_env(&role_only).unwrap(), None);
        assert_eq!(
            AwsConfig::from_env(&env(&[(ENV_SECRET_ID, "s")])).unwrap(),
            None
        );
    }

    #[test]
    fn endpoints_session_name_and_keys() {
        let c = AwsConfig::from_env(&env(&[
            (ENV_ROLE_ARN, "arn:aws:iam::123456789012:role/looker-ci"),
            (ENV_SECRET_ID, "looker/api"),
            (ENV_DEFAULT_REGION, "eu-west-1"),
            (ENV_ENDPOINT_URL, "http://127.0.0.1:5000"),
            (ENV_ENDPOINT_URL_STS, "http://127.0.0.1:6000"),
            ("CI_JOB_ID", "4242"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.sts_endpoint, "http://127.0.0.1:6000");
        assert_eq!(c.secrets_manager_endpoint, "http://127.0.0.1:5000");
        assert_eq!(c.role_session_name, "looker-ci-4242");
        assert_eq!(c.client_id_key, "client_id");
        assert_eq!(c.client_secret_key, "client_secret");
        let real = AwsConfig::from_env(&env(&[
            (ENV_ROLE_ARN, "arn:aws:iam::1:role/r"),
            (ENV_SECRET_ID, "s"),
            (ENV_REGION, "us-east-2"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(real.sts_endpoint, "https://sts.us-east-2.amazonaws.com");
    }

    #[test]
    fn new_defaults_what_from_env_defaults() {
        let from_env = AwsConfig::from_env(&env(&[
            (ENV_ROLE_ARN, "arn:aws:iam::1:role/r"),
            (ENV_SECRET_ID, "s"),
            (ENV_REGION, "us-east-2"),
            ("CI_JOB_ID", "7"),
        ]))
        .unwrap()
        .unwrap();
        let mut built = AwsConfig::new("arn:aws:iam::1:role/r", "us-east-2", "s");
        assert_eq!(built.role_session_name, "looker-ci");
        built.role_session_name = "looker-ci-7".into();
        assert_eq!(built, from_env);
    }

    #[test]
    fn configured_but_invalid_is_an_error() {
        let bad_arn = env(&[
            (ENV_ROLE_ARN, "looker"),
            (ENV_SECRET_ID, "s"),
            (ENV_REGION, "x"),
        ]);
        let err = AwsConfig::from_env(&bad_arn).unwrap_err();
        assert!(err.to_string().contains("AWS_ROLE_ARN"));
        let no_region = env(&[
            (ENV_ROLE_ARN, "arn:aws:iam::1:role/r"),
            (ENV_SECRET_ID, "s"),
        ]);
        let err = AwsConfig::from_env(&no_region).unwrap_err();
        assert!(err.to_string().contains("AWS_REGION"));
    }
}
