//! What a client's identity is, in facts an auditor or `looker-ci doctor` can show: the source the
//! chain chose, the CI token's claims that matter (never the token), the AWS role and session
//! name, the Okta client. Read from the environment without any request.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use super::CredentialReport;
use super::aws::AwsConfig;
use super::chain::{TokenLocation, ci_token_location};
use super::okta::OktaConfig;
use crate::settings::Environment;

/// The claims of a CI identity token worth showing: who issued it, for whom, for which project,
/// ref and pipeline, and until when. Anything else (emails, user names) is left out.
pub const SHOWN_CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "sub",
    "exp",
    "iat",
    // GitLab
    "project_path",
    "namespace_path",
    "pipeline_id",
    "pipeline_source",
    "job_id",
    "ref",
    "ref_type",
    "ref_protected",
    "environment",
    "environment_protected",
    // GitHub
    "repository",
    "run_id",
    "run_attempt",
    "workflow",
    "job_workflow_ref",
    "event_name",
];

/// The identity behind a client, as facts.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct IdentitySummary {
    /// The credential source (`settings`, `aws-secrets-manager`, `okta`, or a custom provider).
    pub source: String,
    /// Why it was chosen and where the key comes from.
    pub detail: String,
    /// Sources passed over, with the reason.
    pub skipped: Vec<SkippedSource>,
    /// The CI job's identity token, when one is configured.
    pub ci_token: Option<CiTokenSummary>,
    /// The AWS role the key is fetched with, when the AWS path is configured.
    pub aws: Option<AwsSummary>,
    /// The Okta client, when Okta is configured.
    pub okta: Option<OktaSummary>,
}

/// A credential source the chain passed over.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct SkippedSource {
    /// The source's name (`settings`, `aws-secrets-manager`, `okta`).
    pub source: String,
    /// Why it was not used, e.g. which variable is unset.
    pub reason: String,
}

/// The CI job's identity token: where it is read and the claims worth showing.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct CiTokenSummary {
    /// Where it is read: `env:LOOKER_ID_TOKEN`, `file:/path`, `github-actions`.
    pub from: String,
    /// The [`SHOWN_CLAIMS`] present, as the token has them; `None` when the token is only
    /// fetched at login (GitHub Actions) or cannot be read.
    pub claims: Option<Map<String, Value>>,
    /// Why the claims are missing, when they are.
    pub note: Option<String>,
}

/// The AWS path's settings, as [`AwsConfig`] has them (no endpoint, no secret).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct AwsSummary {
    /// The IAM role assumed with the CI token.
    pub role_arn: String,
    /// The STS session name (CloudTrail shows it; it carries the CI job id).
    pub session_name: String,
    /// The AWS region of STS and the secret.
    pub region: String,
    /// Name or ARN of the Secrets Manager secret holding the API key (not its value).
    pub secret_id: String,
    /// The requested STS session length, in seconds; `None` leaves it to the role (one hour by default).
    pub duration_s: Option<u32>,
}

/// The Okta client's settings (never its key or secret).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[non_exhaustive]
pub struct OktaSummary {
    /// The Okta client id.
    pub client_id: String,
    /// Space-separated scopes requested; `None` requests the server's defaults.
    pub scopes: Option<String>,
    /// Whether the CI identity token is exchanged (RFC 8693) rather than client credentials used.
    pub token_exchange: bool,
}

/// The [`SHOWN_CLAIMS`] of a compact JWT, without verifying it (the party it is exchanged with
/// does). The error says what is wrong, never the token.
pub fn shown_claims(token: &str) -> Result<Map<String, Value>, String> {
    let payload = token
        .trim()
        .split('.')
        .nth(1)
        .ok_or_else(|| "is not a JWT".to_owned())?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "has a payload that is not base64url".to_owned())?;
    let Ok(Value::Object(all)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err("has a payload that is not a JSON object".to_owned());
    };
    Ok(all
        .into_iter()
        .filter(|(name, _)| SHOWN_CLAIMS.contains(&name.as_str()))
        .collect())
}

/// The identity a client built from `env` with the chain's `report` acts as.
pub fn identity_summary(report: &CredentialReport, env: &Arc<dyn Environment>) -> IdentitySummary {
    IdentitySummary {
        source: report.source.clone(),
        detail: report.detail.clone(),
        skipped: report
            .skipped
            .iter()
            .map(|(source, reason)| SkippedSource {
                source: source.clone(),
                reason: reason.clone(),
            })
            .collect(),
        ci_token: ci_token_summary(env),
        aws: AwsConfig::from_env(env).ok().flatten().map(|c| AwsSummary {
            role_arn: c.role_arn,
            session_name: c.role_session_name,
            region: c.region,
            secret_id: c.secret_id,
            duration_s: c.duration_secs,
        }),
        okta: OktaConfig::from_env(env.as_ref())
            .ok()
            .flatten()
            .map(|c| OktaSummary {
                client_id: c.client_id,
                scopes: c.scopes,
                token_exchange: c.token_exchange,
            }),
    }
}

/// The CI token in the order the chain looks for it: a token file, GitHub Actions, a GitLab
/// `id_tokens` variable.
fn ci_token_summary(env: &Arc<dyn Environment>) -> Option<CiTokenSummary> {
    let var = |name: &str| env.var(name).filter(|v| !v.trim().is_empty());
    let from_text = |from: String, text: Option<String>| {
        let (claims, note) = match text.as_deref().map(shown_claims) {
            Some(Ok(claims)) => (Some(claims), None),
            Some(Err(why)) => (None, Some(format!("the token {why}"))),
            None => (None, Some("the token is not there".to_owned())),
        };
        CiTokenSummary { from, claims, note }
    };
    Some(match ci_token_location(env.as_ref()).ok().flatten()? {
        TokenLocation::File(path) => {
            let text = env.read_file(std::path::Path::new(&path)).ok().flatten();
            from_text(format!("file:{path}"), text)
        }
        TokenLocation::GitHubActions => CiTokenSummary {
            from: "github-actions".into(),
            claims: None,
            note: Some(
                "GitHub Actions hands out the token at login; `looker-ci doctor` requests one \
                 to show its claims"
                    .into(),
            ),
        },
        TokenLocation::EnvVar(name) => from_text(format!("env:{name}"), var(&name)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MapEnvironment;

    fn jwt(claims: Value) -> String {
        let enc = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.c2lnbmF0dXJl",
            enc(&serde_json::json!({"alg": "RS256"})),
            enc(&claims)
        )
    }

    #[test]
    fn only_the_listed_claims_are_shown() {
        let token = jwt(serde_json::json!({
            "iss": "https://gitlab.example.com", "aud": "sts.amazonaws.com",
            "sub": "project_path:data/looker:ref_type:branch:ref:main",
            "project_path": "data/looker", "ref": "main", "ref_protected": "true",
            "user_email": "someone@example.com", "exp": 1_900_000_000u64,
        }));
        let claims = shown_claims(&token).unwrap();
        assert_eq!(claims["project_path"], "data/looker");
        assert_eq!(claims["ref_protected"], "true");
        assert!(!claims.contains_key("user_email"));
        assert!(shown_claims("not-a-jwt").is_err());
    }

    #[test]
    fn the_summary_names_token_role_and_session_without_the_token() {
        let token = jwt(serde_json::json!({"aud": "sts.amazonaws.com", "project_path": "p/q"}));
        let env: Arc<dyn Environment> = Arc::new(
            MapEnvironment::new()
                .with_var("LOOKER_ID_TOKEN", &token)
                .with_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/looker-ci")
                .with_var("AWS_REGION", "eu-west-1")
                .with_var("LOOKER_CI_AWS_SECRET_ID", "looker/api-key")
                .with_var("CI_JOB_ID", "4242"),
        );
        let report = CredentialReport {
            source: "aws-secrets-manager".into(),
            detail: "d".into(),
            skipped: vec![("settings".into(), "none".into())],
            proxy: None,
        };
        let summary = identity_summary(&report, &env);
        let ci = summary.ci_token.as_ref().unwrap();
        assert_eq!(ci.from, "env:LOOKER_ID_TOKEN");
        assert_eq!(ci.claims.as_ref().unwrap()["project_path"], "p/q");
        let aws = summary.aws.as_ref().unwrap();
        assert_eq!(aws.session_name, "looker-ci-4242");
        let text = serde_json::to_string(&summary).unwrap();
        assert!(!text.contains(&token), "{text}");
    }
}
