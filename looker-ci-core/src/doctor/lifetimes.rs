//! The lifetime checks: can the job's credentials last as long as the job may run? The Looker
//! session logs in again before each token expires; with identity-based access each login may
//! need new AWS credentials once the STS session ends, and those need a CI token that has not
//! expired. A job that outlives its CI token past an STS session fails mid-run: said here first.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::identity::is_identity_based;
use super::{Area, Findings, Level};
use crate::client::LookerClient;
use crate::credentials::summary::IdentitySummary;
use crate::settings::Environment;

/// STS's default session length when the role does not say otherwise.
const DEFAULT_STS_SESSION: Duration = Duration::from_secs(3600);

/// What the lifetimes are judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lifetimes {
    /// The job's timeout (GitLab `CI_JOB_TIMEOUT`), when known.
    pub job_timeout: Option<Duration>,
    /// The Looker token's lifetime, once logged in.
    pub looker_ttl: Option<Duration>,
    /// The STS session length, when the AWS path is used.
    pub sts_session: Option<Duration>,
    /// Time left on the CI token, when its `exp` is known (zero when expired).
    pub ci_token_left: Option<Duration>,
    pub identity_based: bool,
}

pub(super) fn check(
    client: &LookerClient,
    env: &Arc<dyn Environment>,
    identity: &IdentitySummary,
    findings: &mut Findings,
) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let lifetimes = Lifetimes {
        job_timeout: env
            .var("CI_JOB_TIMEOUT")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .map(Duration::from_secs),
        looker_ttl: client.token_ttl(),
        sts_session: identity.aws.as_ref().map(|aws| {
            aws.duration_s
                .map(|s| Duration::from_secs(s.into()))
                .unwrap_or(DEFAULT_STS_SESSION)
        }),
        ci_token_left: identity
            .ci_token
            .as_ref()
            .and_then(|t| t.claims.as_ref())
            .and_then(|c| c.get("exp").and_then(Value::as_u64))
            .map(|exp| Duration::from_secs(exp.saturating_sub(now))),
        identity_based: is_identity_based(&identity.source),
    };
    assess(&lifetimes, findings);
}

fn minutes(d: Duration) -> String {
    let m = d.as_secs() / 60;
    if m >= 120 && m.is_multiple_of(60) {
        format!("{} h", m / 60)
    } else {
        format!("{m} min")
    }
}

pub(crate) fn assess(l: &Lifetimes, findings: &mut Findings) {
    let Some(timeout) = l.job_timeout else {
        findings.add(
            Area::Lifetimes,
            Level::Note,
            "lifetimes.job-timeout-unknown",
            "the job's timeout is not known here (GitLab sets CI_JOB_TIMEOUT; GitHub Actions \
             does not tell a job), so lifetimes are not compared with it",
            None,
        );
        return;
    };
    if let Some(ttl) = l.looker_ttl {
        let logins = timeout.as_secs().div_ceil(ttl.as_secs().max(1));
        findings.add(
            Area::Lifetimes,
            Level::Note,
            "lifetimes.looker-token",
            format!(
                "the job may run {}; Looker tokens last {}: the session logs in again ahead of \
                 each expiry (up to {logins} logins), so the Looker token never limits the job",
                minutes(timeout),
                minutes(ttl)
            ),
            None,
        );
    }
    if !l.identity_based {
        return;
    }
    let sts = l.sts_session.unwrap_or(DEFAULT_STS_SESSION);
    if let Some(left) = l.ci_token_left
        && left < timeout
    {
        // A login after the STS session ends assumes the role again with the CI token.
        let needs_new_session = timeout > sts;
        findings.add(
            Area::Lifetimes,
            if needs_new_session {
                Level::Error
            } else {
                Level::Note
            },
            "lifetimes.ci-token-shorter-than-job",
            format!(
                "the CI token expires in {} but the job may run {}{}",
                minutes(left),
                minutes(timeout),
                if needs_new_session {
                    format!(
                        "; STS sessions last {}, so a login after that needs the CI token \
                         again and will fail once it has expired",
                        minutes(sts)
                    )
                } else {
                    format!(
                        "; the STS session ({}) covers the whole job, so no new token is needed",
                        minutes(sts)
                    )
                }
            ),
            needs_new_session.then(|| {
                "lower the job's timeout below the token's lifetime, or ask for a longer STS \
                 session (LOOKER_CI_AWS_ROLE_DURATION, up to the role's maximum) that covers the \
                 job"
                .into()
            }),
        );
    } else if l.sts_session.is_some() {
        findings.add(
            Area::Lifetimes,
            Level::Note,
            "lifetimes.sts-session",
            format!(
                "STS sessions last {}; the CI token outlives the job's {}, so the role can be \
                 assumed again whenever a login needs it",
                minutes(sts),
                minutes(timeout)
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(l: Lifetimes) -> Vec<(Level, &'static str)> {
        let mut findings = Findings::default();
        assess(&l, &mut findings);
        findings.0.iter().map(|f| (f.level, f.code)).collect()
    }

    const MIN: u64 = 60;

    #[test]
    fn a_job_outliving_its_token_past_an_sts_session_is_an_error() {
        let found = run(Lifetimes {
            job_timeout: Some(Duration::from_secs(120 * MIN)),
            looker_ttl: Some(Duration::from_secs(60 * MIN)),
            sts_session: Some(Duration::from_secs(15 * MIN)),
            ci_token_left: Some(Duration::from_secs(30 * MIN)),
            identity_based: true,
        });
        assert!(
            found.contains(&(Level::Error, "lifetimes.ci-token-shorter-than-job")),
            "{found:?}"
        );
    }

    #[test]
    fn an_sts_session_covering_the_job_needs_no_new_token() {
        let found = run(Lifetimes {
            job_timeout: Some(Duration::from_secs(60 * MIN)),
            looker_ttl: Some(Duration::from_secs(60 * MIN)),
            sts_session: Some(Duration::from_secs(120 * MIN)),
            ci_token_left: Some(Duration::from_secs(30 * MIN)),
            identity_based: true,
        });
        assert!(
            found.contains(&(Level::Note, "lifetimes.ci-token-shorter-than-job")),
            "{found:?}"
        );
        assert!(!found.iter().any(|(l, _)| *l == Level::Error));
    }

    #[test]
    fn without_a_known_timeout_nothing_is_compared() {
        let found = run(Lifetimes {
            job_timeout: None,
            looker_ttl: Some(Duration::from_secs(60)),
            sts_session: None,
            ci_token_left: Some(Duration::ZERO),
            identity_based: true,
        });
        assert_eq!(found, [(Level::Note, "lifetimes.job-timeout-unknown")]);
    }
}
