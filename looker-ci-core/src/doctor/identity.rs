//! The identity checks: the source the chain chose and why, the CI token's claims (fetched from
//! GitHub Actions when that is where it comes from), the AWS role and the Okta client.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;
use serde_json::Value;

use super::{Area, Findings, Level};
use crate::client::LookerClient;
use crate::credentials::summary::{IdentitySummary, shown_claims};
use crate::credentials::{
    GitHubActionsToken, IdentityTokenSource, id_token_audience, provider_http_client,
};
use crate::settings::Environment;

/// Sources whose credentials come from the CI job's identity rather than a stored key.
pub(crate) fn is_identity_based(source: &str) -> bool {
    matches!(source, "aws-secrets-manager" | "okta")
}

pub(super) async fn check(
    client: &LookerClient,
    env: &Arc<dyn Environment>,
    identity: &mut IdentitySummary,
    findings: &mut Findings,
) {
    let skipped: Vec<String> = identity
        .skipped
        .iter()
        .map(|s| format!("`{}` ({})", s.source, s.reason))
        .collect();
    findings.add(
        Area::Identity,
        Level::Note,
        "identity.source",
        format!(
            "credentials from `{}`: {}{}",
            identity.source,
            identity.detail,
            if skipped.is_empty() {
                String::new()
            } else {
                format!("; passed over {}", skipped.join(", "))
            }
        ),
        None,
    );
    if let Some(token) = identity.ci_token.as_mut()
        && token.claims.is_none()
        && token.from == "github-actions"
    {
        match github_claims(client, env).await {
            Ok(claims) => {
                token.claims = Some(claims);
                token.note = None;
            }
            Err(why) => token.note = Some(why),
        }
    }
    if let Some(token) = &identity.ci_token {
        check_claims(identity, token.claims.as_ref(), &token.from, findings);
    }
    if let Some(aws) = &identity.aws {
        findings.add(
            Area::Identity,
            Level::Note,
            "identity.aws-role",
            format!(
                "AWS role {} assumed as session `{}` (CloudTrail shows this name) in {}; the API \
                 key is secret `{}`",
                aws.role_arn, aws.session_name, aws.region, aws.secret_id
            ),
            None,
        );
    }
    if let Some(okta) = &identity.okta {
        findings.add(
            Area::Identity,
            Level::Note,
            "identity.okta",
            format!(
                "Okta client {} with scopes {}{}",
                okta.client_id,
                okta.scopes
                    .as_deref()
                    .unwrap_or("(the authorization server's default)"),
                if okta.token_exchange {
                    ", exchanging the CI token"
                } else {
                    ""
                }
            ),
            None,
        );
    }
}

fn check_claims(
    identity: &IdentitySummary,
    claims: Option<&serde_json::Map<String, Value>>,
    from: &str,
    findings: &mut Findings,
) {
    let Some(claims) = claims else {
        findings.add(
            Area::Identity,
            Level::Warning,
            "identity.ci-token-unreadable",
            format!(
                "the CI identity token from {from} cannot be read: {}",
                identity
                    .ci_token
                    .as_ref()
                    .and_then(|t| t.note.as_deref())
                    .unwrap_or("no reason given")
            ),
            None,
        );
        return;
    };
    let text = |name: &str| match claims.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(","),
        ),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let shown: Vec<String> = [
        "iss",
        "aud",
        "sub",
        "project_path",
        "repository",
        "ref",
        "ref_protected",
    ]
    .iter()
    .filter_map(|name| text(name).map(|v| format!("{name}={v}")))
    .collect();
    findings.add(
        Area::Identity,
        Level::Note,
        "identity.ci-token",
        format!("CI identity token from {from}: {}", shown.join(" ")),
        None,
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if let Some(exp) = claims.get("exp").and_then(Value::as_u64)
        && exp <= now
    {
        findings.add(
            Area::Identity,
            Level::Error,
            "identity.ci-token-expired",
            format!(
                "the CI identity token from {from} expired {} s ago",
                now - exp
            ),
            Some("the token is issued per job: run the check inside the job that uses it".into()),
        );
    }
    let unprotected = matches!(
        claims.get("ref_protected"),
        Some(Value::String(s)) if s == "false"
    ) || matches!(claims.get("ref_protected"), Some(Value::Bool(false)));
    if unprotected && is_identity_based(&identity.source) {
        findings.add(
            Area::Identity,
            Level::Warning,
            "identity.unprotected-ref",
            format!(
                "this job runs on the unprotected ref `{}`: whoever can push such a ref gets the \
                 same Looker access",
                text("ref").unwrap_or_default()
            ),
            Some(
                "limit the AWS role's trust policy (or the Okta policy) to protected refs, e.g. \
                 a condition on the token's `ref_protected` or `sub` claim"
                    .into(),
            ),
        );
    }
}

/// GitHub Actions hands out the token on request: ask for one to show its claims.
async fn github_claims(
    client: &LookerClient,
    env: &Arc<dyn Environment>,
) -> Result<serde_json::Map<String, Value>, String> {
    let http = provider_http_client(client.settings()).map_err(|e| e.to_string())?;
    let audience = id_token_audience(env.as_ref());
    let source = GitHubActionsToken::from_env(env.as_ref(), Some(audience), http)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "GitHub Actions' token request variables are not set".to_owned())?;
    let token = source
        .identity_token()
        .await
        .map_err(|e| format!("GitHub Actions gave no token: {e}"))?;
    shown_claims(token.secret().expose_secret()).map_err(|why| format!("the token {why}"))
}
