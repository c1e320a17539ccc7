//! Which code a validation sees: production, a dev branch, or a commit checked out on a
//! temporary branch. The temporary branch's name is unique per pipeline and job (two pipelines of
//! one API user never collide), and [`CheckedOut::restore`] puts the user's original branch back
//! and deletes the temporary one; `gate::validate` calls it on success, failure and cancellation.
//! The work runs on a session of its own in the dev workspace, so the caller's client keeps its
//! workspace.

use serde_json::{Value, json};

use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};
use crate::gate::result::GitRefValidated;

/// The code to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefSpec {
    Production,
    Branch(String),
    Commit(String),
}

impl RefSpec {
    pub fn new(branch: Option<&str>, commit: Option<&str>) -> RefSpec {
        match (branch, commit) {
            (_, Some(commit)) => RefSpec::Commit(commit.trim().to_owned()),
            (Some(branch), None) => RefSpec::Branch(branch.trim().to_owned()),
            (None, None) => RefSpec::Production,
        }
    }
}

/// The prefix of every temporary branch looker-ci creates.
pub const TEMPORARY_PREFIX: &str = "looker-ci-tmp-";

/// A temporary branch name unique to this CI job: `looker-ci-tmp-<pipeline>-<job>-<random>`.
/// `env` reads GitLab's `CI_PIPELINE_ID`/`CI_JOB_ID` or GitHub's `GITHUB_RUN_ID`,
/// `GITHUB_RUN_ATTEMPT`, `GITHUB_JOB`; the random part keeps two runs on a laptop apart too.
pub fn temporary_branch_name(env: impl Fn(&str) -> Option<String>) -> String {
    let clean = |s: String| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect()
    };
    let mut parts = vec![TEMPORARY_PREFIX.trim_end_matches('-').to_owned()];
    for name in [
        "CI_PIPELINE_ID",
        "CI_JOB_ID",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_ATTEMPT",
        "GITHUB_JOB",
    ] {
        if let Some(value) = env(name).filter(|v| !v.trim().is_empty()) {
            parts.push(clean(value));
        }
    }
    parts.push(
        (0..6)
            .map(|_| fastrand::alphanumeric().to_ascii_lowercase())
            .collect(),
    );
    parts.join("-")
}

/// Code checked out for a validation; [`CheckedOut::restore`] undoes it.
#[derive(Debug)]
pub struct CheckedOut {
    client: LookerClient,
    /// What is left to undo; taken by `restore` (or by `Drop` when `restore` never ran).
    undo: Option<Undo>,
    pub validated: GitRefValidated,
}

/// The steps that put things back. No `Drop` of its own: a restore dropped unfinished (its
/// runtime shutting down) ends there instead of starting another.
#[derive(Debug)]
struct Undo {
    client: LookerClient,
    project: String,
    /// The user's branch before, to check out again.
    original_branch: Option<Original>,
    /// The temporary branch to delete.
    temporary: Option<String>,
    /// Whether `client` is a session of our own, to log out of.
    own_session: bool,
}

/// The branch to check out again afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Original {
    Branch(String),
    /// The project's production branch, looked up at restore (the user was on another job's
    /// temporary branch, which will be gone by then).
    Production,
}

fn branch_path(project: &str) -> String {
    format!("/projects/{project}/git_branch")
}

/// Explain the errors a user can fix: no develop permission, an unknown branch or ref.
fn explain(error: Error, what: &str, fix: &str) -> Error {
    match error {
        Error::Api(mut api) if matches!(api.status, 400 | 403 | 404 | 409 | 422) => {
            api.hint = Some(format!("{what}: {fix}"));
            Error::Api(api)
        }
        other => other,
    }
}

/// Check out `spec` of `project` for a validation (production needs no change).
pub async fn check_out(
    client: &LookerClient,
    project: &str,
    spec: &RefSpec,
    env: impl Fn(&str) -> Option<String>,
) -> Result<CheckedOut> {
    let production = RefSpec::Production == *spec;
    let work = client.in_workspace(!production);
    let mut checked = CheckedOut {
        undo: Some(Undo {
            client: work.clone(),
            project: project.to_owned(),
            original_branch: None,
            temporary: None,
            own_session: !production || client.is_dev_workspace(),
        }),
        client: work,
        validated: GitRefValidated::production(),
    };
    if production {
        return Ok(checked);
    }
    let path = branch_path(project);
    let current: Value = checked
        .client
        .request(ApiCall::get(&path)?)
        .await
        .map_err(|e| {
            explain(
                e,
                &format!("cannot use the dev workspace of project `{project}`"),
                "the API user needs the `develop` permission on the project's models, and the \
                 project must exist",
            )
        })?;
    // Another job's temporary branch (jobs of one API user share its dev workspace) will be
    // gone by the time we restore: production's branch is put back instead.
    let current_name = current["name"].as_str().map(str::to_owned);
    let original = match &current_name {
        Some(name) if !name.starts_with(TEMPORARY_PREFIX) => Original::Branch(name.clone()),
        _ => Original::Production,
    };
    match spec {
        RefSpec::Production => unreachable!("handled above"),
        RefSpec::Branch(branch) => {
            let reply: Value = if current_name.as_deref() == Some(branch.as_str()) {
                current
            } else {
                checked.undo_mut().original_branch = Some(original);
                let call = ApiCall::new("PUT", &path)?.json(json!({"name": branch}));
                match checked.client.request(call).await {
                    Ok(reply) => reply,
                    Err(e) => {
                        let known = branch_names(&checked.client, project).await;
                        let error = explain(
                            e,
                            &format!("cannot check out branch `{branch}`"),
                            &format!(
                                "check the branch name and that it is pushed (branches: {known})"
                            ),
                        );
                        checked.restore().await.ok();
                        return Err(error);
                    }
                }
            };
            checked.validated = GitRefValidated {
                kind: "branch".into(),
                name: branch.clone(),
                commit: reply["ref"].as_str().map(str::to_owned),
            };
        }
        RefSpec::Commit(commit) => {
            checked.undo_mut().original_branch = Some(original);
            let name = temporary_branch_name(&env);
            let call = ApiCall::new("POST", &path)?.json(json!({"name": name, "ref": commit}));
            let reply: Value = match checked.client.request(call).await {
                Ok(reply) => reply,
                Err(e) => {
                    let error = explain(
                        e,
                        &format!("Looker cannot check out `{commit}`"),
                        "give a commit or ref that is pushed to the project's remote",
                    );
                    // The branch may exist even though creating it reported an error.
                    checked.undo_mut().temporary = Some(name);
                    checked.restore().await.ok();
                    return Err(error);
                }
            };
            checked.undo_mut().temporary = Some(name);
            checked.validated = GitRefValidated {
                kind: "commit".into(),
                name: commit.clone(),
                commit: reply["ref"].as_str().map(str::to_owned),
            };
        }
    }
    Ok(checked)
}

async fn branch_names(client: &LookerClient, project: &str) -> String {
    let path = format!("/projects/{project}/git_branches");
    let Ok(call) = ApiCall::get(&path) else {
        return "unknown".into();
    };
    match client.request::<Value>(call).await {
        Ok(Value::Array(branches)) => {
            let names: Vec<&str> = branches
                .iter()
                .filter_map(|b| b["name"].as_str())
                .take(20)
                .collect();
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        }
        _ => "could not be listed".into(),
    }
}

impl CheckedOut {
    /// Whether the API user's dev workspace still holds the code validated. Another job of the
    /// same API user can check out its own branch meanwhile (Looker keeps one checked-out
    /// branch per user): then the result may mix two versions of the code. `None` means it
    /// still does (or production was validated).
    pub async fn switched_meanwhile(&self) -> Result<Option<String>> {
        let Some(commit) = &self.validated.commit else {
            return Ok(None);
        };
        if self.validated.kind == "production" {
            return Ok(None);
        }
        let project = self
            .undo
            .as_ref()
            .map(|u| u.project.clone())
            .unwrap_or_default();
        let current: Value = self
            .client
            .request(ApiCall::get(&branch_path(&project))?)
            .await?;
        match current["ref"].as_str() {
            Some(now) if now != commit => Ok(Some(format!(
                "the API user's dev branch moved to `{}` ({now}) during this validation, so \
                 queries may have run on other code than {commit}: another job of the same API \
                 user checked out its own branch. Give concurrent jobs that validate different \
                 code their own API user, or serialise them (GitLab `resource_group`)",
                current["name"].as_str().unwrap_or("?")
            ))),
            _ => Ok(None),
        }
    }

    /// The client to validate with (on the checked-out code).
    pub fn client(&self) -> &LookerClient {
        &self.client
    }

    fn undo_mut(&mut self) -> &mut Undo {
        self.undo.get_or_insert_with(|| Undo {
            client: self.client.clone(),
            project: String::new(),
            original_branch: None,
            temporary: None,
            own_session: false,
        })
    }

    /// Put the user's original branch back, delete the temporary branch, log out of the
    /// validation's own session. Every step is tried; the first error is returned.
    pub async fn restore(mut self) -> Result<()> {
        match self.undo.take() {
            Some(undo) => undo.run().await,
            None => Ok(()),
        }
    }
}

impl Undo {
    /// The project's production branch (`git_production_branch_name`, else `main`).
    async fn production_branch(&self) -> Result<String> {
        let project: Value = self
            .client
            .request(ApiCall::get(&format!("/projects/{}", self.project))?)
            .await?;
        Ok(project["git_production_branch_name"]
            .as_str()
            .unwrap_or("main")
            .to_owned())
    }

    async fn run(self) -> Result<()> {
        let mut first_error = None;
        let path = branch_path(&self.project);
        // Jobs of one API user share its dev workspace (parallel CI jobs, other pipelines):
        // put the original branch back only while our temporary branch is still the one checked
        // out; when another job checked out its own since, that job restores after it.
        let ours = match &self.temporary {
            None => true,
            Some(temporary) => {
                let current: Result<Value> =
                    async { self.client.request(ApiCall::get(&path)?).await }.await;
                match current {
                    Ok(current) => current["name"].as_str() == Some(temporary.as_str()),
                    Err(_) => true,
                }
            }
        };
        if ours && let Some(original) = &self.original_branch {
            let step = async {
                let name = match original {
                    Original::Production => self.production_branch().await?,
                    Original::Branch(name) => name.clone(),
                };
                let call = ApiCall::new("PUT", &path)?.json(json!({"name": name}));
                self.client.request_bytes(call).await.map(drop)
            };
            match step.await {
                Ok(()) => {}
                // The original was another job's temporary branch, deleted since: fall back on
                // the production branch so that ours is no longer checked out.
                Err(Error::Api(api)) if api.status == 404 => {
                    let fallback = async {
                        let production = self.production_branch().await?;
                        let call = ApiCall::new("PUT", &path)?.json(json!({"name": production}));
                        self.client.request_bytes(call).await.map(drop)
                    };
                    if let Err(e) = fallback.await {
                        first_error.get_or_insert(e);
                    }
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(temporary) = &self.temporary {
            let step = async {
                let call = ApiCall::new("DELETE", &format!("{path}/{temporary}"))?;
                self.client.request_bytes(call).await.map(drop)
            };
            if let Err(e) = step.await {
                tracing::warn!(branch = %temporary, error = %e, "could not delete the temporary branch");
                first_error.get_or_insert(e);
            }
        }
        if self.own_session
            && let Err(e) = self.client.close().await
        {
            first_error.get_or_insert(e);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for CheckedOut {
    /// A `CheckedOut` dropped without `restore` (its future was dropped) restores in the
    /// background when a runtime is there to run it.
    fn drop(&mut self) {
        let Some(undo) = self.undo.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = undo.run().await {
                tracing::warn!(error = %e, "restoring the Looker branch after a dropped validation failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_carry_the_ci_run_and_differ_per_call() {
        let gitlab = |name: &str| match name {
            "CI_PIPELINE_ID" => Some("1234".to_owned()),
            "CI_JOB_ID" => Some("56 78".to_owned()),
            _ => None,
        };
        let a = temporary_branch_name(gitlab);
        let b = temporary_branch_name(gitlab);
        assert!(a.starts_with("looker-ci-tmp-1234-56-78-"), "{a}");
        assert_ne!(a, b);
        assert!(temporary_branch_name(|_| None).starts_with("looker-ci-tmp-"));
    }
}
