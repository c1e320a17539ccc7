//! The CI run a process belongs to (GitLab CI or GitHub Actions), read from the variables the CI
//! system sets. It names the run in the `User-Agent` of every Looker request and in the audit
//! trail, so Looker's own activity log and proxies tie each call to the pipeline that made it.
//! Only identifiers are read here, never a token.

use serde::Serialize;

use crate::settings::Environment;

/// The CI system a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CiSystem {
    /// GitLab CI (`GITLAB_CI` or `CI_PIPELINE_ID` is set).
    GitLab,
    /// GitHub Actions (`GITHUB_ACTIONS` or `GITHUB_RUN_ID` is set).
    GitHub,
}

/// One CI run: which project, pipeline and job. Every field is an identifier the CI system shows
/// in its own UI; none is a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CiRun {
    /// Which CI system runs the job.
    pub system: CiSystem,
    /// GitLab `CI_PROJECT_PATH` (`group/project`) or GitHub `GITHUB_REPOSITORY` (`owner/repo`).
    pub project: Option<String>,
    /// GitLab `CI_PIPELINE_ID` or GitHub `GITHUB_RUN_ID`.
    pub pipeline: Option<String>,
    /// GitLab `CI_JOB_ID`, or GitHub `GITHUB_JOB` (the job's key; GitHub has no numeric job id
    /// in the environment).
    pub job: Option<String>,
    /// GitLab `CI_JOB_NAME`; GitHub's run attempt (`GITHUB_RUN_ATTEMPT`).
    pub attempt_or_name: Option<String>,
    /// The branch or tag the run is for (`CI_COMMIT_REF_NAME`, `GITHUB_REF_NAME`).
    pub git_ref: Option<String>,
    /// The job's page (`CI_JOB_URL`; on GitHub the run's page from `GITHUB_SERVER_URL`,
    /// `GITHUB_REPOSITORY` and `GITHUB_RUN_ID`).
    pub url: Option<String>,
}

/// The longest value of one field kept in the `User-Agent` (project paths can be long).
const MAX_FIELD: usize = 100;

impl CiRun {
    /// The run described by `env`, or `None` outside GitLab CI and GitHub Actions.
    pub fn from_env(env: &dyn Environment) -> Option<CiRun> {
        let var = |name: &str| env.var(name).filter(|v| !v.trim().is_empty());
        if var("GITLAB_CI").is_some() || var("CI_PIPELINE_ID").is_some() {
            return Some(CiRun {
                system: CiSystem::GitLab,
                project: var("CI_PROJECT_PATH"),
                pipeline: var("CI_PIPELINE_ID"),
                job: var("CI_JOB_ID"),
                attempt_or_name: var("CI_JOB_NAME"),
                git_ref: var("CI_COMMIT_REF_NAME"),
                url: var("CI_JOB_URL"),
            });
        }
        if var("GITHUB_ACTIONS").is_some() || var("GITHUB_RUN_ID").is_some() {
            let repository = var("GITHUB_REPOSITORY");
            let run = var("GITHUB_RUN_ID");
            let url = match (var("GITHUB_SERVER_URL"), &repository, &run) {
                (Some(server), Some(repo), Some(run)) => Some(format!(
                    "{}/{repo}/actions/runs/{run}",
                    server.trim_end_matches('/')
                )),
                _ => None,
            };
            return Some(CiRun {
                system: CiSystem::GitHub,
                project: repository,
                pipeline: run,
                job: var("GITHUB_JOB"),
                attempt_or_name: var("GITHUB_RUN_ATTEMPT"),
                git_ref: var("GITHUB_REF_NAME"),
                url,
            });
        }
        None
    }

    /// The run as `key=value` pairs in the CI system's own words, for the `User-Agent`.
    fn user_agent_fields(&self) -> Vec<(&'static str, &str)> {
        let (project, pipeline, job, extra) = match self.system {
            CiSystem::GitLab => ("project", "pipeline", "job", "job_name"),
            CiSystem::GitHub => ("repository", "run", "job", "attempt"),
        };
        [
            (project, &self.project),
            (pipeline, &self.pipeline),
            (job, &self.job),
            (extra, &self.attempt_or_name),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key, v)))
        .collect()
    }
}

/// The `User-Agent` for requests made in `run`: `looker-ci/<version>`, then the run in brackets,
/// e.g. `looker-ci/0.1.0 (gitlab; project=data/looker; pipeline=812; job=4242; job_name=validate)`.
/// Values are cut to visible ASCII without `;()` so the header is always valid and parseable.
pub fn user_agent(run: Option<&CiRun>) -> String {
    let mut agent = crate::http_client::USER_AGENT.to_owned();
    let Some(run) = run else {
        return agent;
    };
    let system = match run.system {
        CiSystem::GitLab => "gitlab",
        CiSystem::GitHub => "github",
    };
    agent.push_str(" (");
    agent.push_str(system);
    for (key, value) in run.user_agent_fields() {
        let clean: String = value
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() && !";()\\\"".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .take(MAX_FIELD)
            .collect();
        agent.push_str(&format!("; {key}={clean}"));
    }
    agent.push(')');
    agent
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::MapEnvironment;

    fn env(vars: &[(&str, &str)]) -> MapEnvironment {
        vars.iter()
            .fold(MapEnvironment::new(), |env, (k, v)| env.with_var(k, v))
    }

    #[test]
    fn gitlab_run_names_project_pipeline_and_job() {
        let run = CiRun::from_env(&env(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "data/looker"),
            ("CI_PIPELINE_ID", "812"),
            ("CI_JOB_ID", "4242"),
            ("CI_JOB_NAME", "validate sql"),
            (
                "CI_JOB_URL",
                "https://gitlab.example.com/data/looker/-/jobs/4242",
            ),
            ("CI_JOB_JWT_V2", "never.read.here"),
        ]))
        .unwrap();
        assert_eq!(run.system, CiSystem::GitLab);
        assert_eq!(
            user_agent(Some(&run)),
            format!(
                "{} (gitlab; project=data/looker; pipeline=812; job=4242; job_name=validate_sql)",
                crate::http_client::USER_AGENT
            )
        );
    }

    #[test]
    fn github_run_names_repository_run_job_and_attempt() {
        let run = CiRun::from_env(&env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/analytics"),
            ("GITHUB_RUN_ID", "9001"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_JOB", "looker"),
            ("GITHUB_SERVER_URL", "https://github.example.com/"),
        ]))
        .unwrap();
        assert_eq!(
            run.url.as_deref(),
            Some("https://github.example.com/acme/analytics/actions/runs/9001")
        );
        let agent = user_agent(Some(&run));
        assert!(
            agent.ends_with("(github; repository=acme/analytics; run=9001; job=looker; attempt=2)"),
            "{agent}"
        );
    }

    #[test]
    fn outside_ci_the_agent_is_the_plain_product_token() {
        assert_eq!(CiRun::from_env(&env(&[("HOME", "/root")])), None);
        assert_eq!(user_agent(None), crate::http_client::USER_AGENT);
    }

    #[test]
    fn hostile_values_cannot_break_the_header() {
        let run = CiRun::from_env(&env(&[
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_PATH", "a;b)(c\r\nX-Evil: 1"),
            ("CI_JOB_NAME", &"x".repeat(500)),
        ]))
        .unwrap();
        let agent = user_agent(Some(&run));
        assert!(
            reqwest::header::HeaderValue::from_str(&agent).is_ok(),
            "{agent}"
        );
        assert!(agent.contains("project=a_b__c__X-Evil:_1;"), "{agent}");
        assert!(agent.len() < 300, "{agent}");
    }
}
