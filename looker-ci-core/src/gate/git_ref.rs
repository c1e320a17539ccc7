//! Which code a validation sees: production, a dev branch, or a commit checked out on a
//! temporary branch. The temporary branch's name is unique per pipeline and job (two pipelines of
//! one API user never collide), and [`CheckedOut::restore`] puts the user's original branch back
//! and deletes the temporary one; `gate::validate` calls it on success, failure and cancellation.
//! The work runs on a session of its own in the dev workspace, so the caller's client keeps its
//! workspace.
//!
//! Imported projects follow: in the dev workspace Looker reads a `local_dependency` from the
//! branch the user has checked out of *that* project, which is whatever was left there. So each
//! local import of the validated code is put on the branch of the same name as the validated
//! branch (or, for a commit, the merge request's source branch) when it has one, else on its
//! production branch, or on a temporary branch at the ref pinned in `import_refs`; and restored
//! afterwards like the project itself. Remote dependencies are fetched by Looker at the
//! manifest's ref and are only recorded.
//!
//! A branch is validated as pushed. Looker keeps a copy of each branch per user that it pulls
//! only when asked, so a branch the API user checked out before can lag behind its remote; and
//! in the dev workspace it checks out the user's personal branch when asked for the production
//! branch. When the checked-out branch is not the one asked for, or is behind its remote, a
//! temporary branch is made at the remote branch (`origin/<branch>`) instead, and removed
//! afterwards; the user's copy is left as it was.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};
use crate::gate::result::{GitRefValidated, ImportedRef};

/// The code to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefSpec {
    /// The project's production code.
    Production,
    /// The head of this Git branch (checked out in the dev workspace).
    Branch(String),
    /// This commit (or another ref pushed to the project's remote), checked out on a temporary
    /// branch.
    Commit(String),
}

impl RefSpec {
    /// From the `--branch` and `--commit` options: the commit when given (it wins over the
    /// branch), else the branch, else production.
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
    /// What is checked out, as the result reports it.
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
    /// The branch checked out for the validation when it is not `temporary` (a temporary branch
    /// whose creation failed after a checkout): the original is put back only while this one, or
    /// else `temporary`, is still checked out. `None` with no temporary branch: always.
    checked_out: Option<String>,
    /// Imported projects moved for the validation, restored before the project itself.
    imports: Vec<ImportUndo>,
    /// Whether `client` is a session of our own, to log out of.
    own_session: bool,
}

/// An imported project moved to other code for the validation.
#[derive(Debug)]
struct ImportUndo {
    project: String,
    original_branch: Option<Original>,
    temporary: Option<String>,
    /// The branch checked out for the validation: the original is put back only while it is
    /// still the one checked out.
    checked_out: String,
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

/// Whether Looker's GitBranch reply is `branch` as pushed: the branch asked for (Looker gives the
/// personal branch when asked for production in the dev workspace), not behind its remote.
fn is_pushed(reply: &Value, branch: &str) -> bool {
    reply["name"].as_str().is_none_or(|name| name == branch)
        && reply["behind_count"].as_u64().unwrap_or(0) == 0
}

/// The remote branch `branch`, as a ref to make a temporary branch at.
fn remote_ref(branch: &str) -> String {
    format!("origin/{branch}")
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
    import_refs: &BTreeMap<String, String>,
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
            checked_out: None,
            imports: Vec::new(),
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
                checked.undo_mut().original_branch = Some(original.clone());
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
            let reply = if is_pushed(&reply, branch) {
                reply
            } else {
                let undo = checked.undo_mut();
                undo.original_branch.get_or_insert(original);
                let name = temporary_branch_name(&env);
                // Registered before the call: the branch may exist even when creating it failed,
                // and then what Looker checked out above is what the original replaces.
                undo.temporary = Some(name.clone());
                undo.checked_out = reply["name"].as_str().map(str::to_owned);
                let call = ApiCall::new("POST", &path)?
                    .json(json!({"name": name, "ref": remote_ref(branch)}));
                match checked.client.request(call).await {
                    Ok(reply) => {
                        checked.undo_mut().checked_out = None;
                        reply
                    }
                    Err(e) => {
                        let error = explain(
                            e,
                            &format!("cannot check out branch `{branch}` as pushed"),
                            "the API user's copy of it is behind its remote and Looker cannot \
                             branch from the remote: push the branch, or validate --commit",
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
                imports: Vec::new(),
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
                imports: Vec::new(),
            };
        }
    }
    if let Err(error) = follow_imports(&mut checked, project, spec, import_refs, &env).await {
        checked.restore().await.ok();
        return Err(error);
    }
    Ok(checked)
}

/// The branch an import follows for a commit: the merge request's (GitLab) or pull request's
/// (GitHub) source branch, else the pushed branch.
fn source_branch(env: &impl Fn(&str) -> Option<String>) -> Option<String> {
    [
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "GITHUB_HEAD_REF",
        "CI_COMMIT_BRANCH",
    ]
    .into_iter()
    .find_map(|name| env(name).filter(|v| !v.trim().is_empty()))
}

/// Put every local import of the checked-out code on the code that goes with it (see the
/// module's documentation) and record what each import saw.
async fn follow_imports(
    checked: &mut CheckedOut,
    project: &str,
    spec: &RefSpec,
    pins: &BTreeMap<String, String>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let path = format!("/projects/{project}/manifest");
    let manifest: Value = match checked.client.request(ApiCall::get(&path)?).await {
        Ok(manifest) => manifest,
        // No manifest file: nothing imported.
        Err(Error::Api(api)) if api.status == 404 => Value::Null,
        Err(e) => return Err(e),
    };
    let imports = manifest["imports"].as_array().cloned().unwrap_or_default();
    let mut local = Vec::new();
    for import in &imports {
        let Some(name) = import["name"].as_str().filter(|n| !n.is_empty()) else {
            continue;
        };
        if import["is_remote"].as_bool() == Some(true) {
            checked.validated.imports.push(ImportedRef {
                project: name.to_owned(),
                kind: "remote".into(),
                name: import["ref"].as_str().unwrap_or_default().to_owned(),
                commit: None,
            });
        } else {
            local.push(name.to_owned());
        }
    }
    if let Some(unknown) = pins.keys().find(|name| !local.contains(name)) {
        let known = if local.is_empty() {
            "none".to_owned()
        } else {
            local.join(", ")
        };
        return Err(Error::invalid_argument(
            "import_refs",
            format!(
                "`{project}` at the validated code imports no local project `{unknown}` (its \
                 local imports: {known}); fix or drop the pin"
            ),
        ));
    }
    let matching = match spec {
        RefSpec::Production => return Ok(()),
        RefSpec::Branch(branch) => Some(branch.clone()),
        RefSpec::Commit(_) => source_branch(env),
    };
    for name in local {
        let imported = follow_import(
            checked,
            project,
            &name,
            pins.get(&name).map(String::as_str),
            matching.as_deref(),
            env,
        )
        .await?;
        checked.validated.imports.push(imported);
    }
    Ok(())
}

async fn follow_import(
    checked: &mut CheckedOut,
    importer: &str,
    project: &str,
    pin: Option<&str>,
    matching: Option<&str>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<ImportedRef> {
    let client = checked.client.clone();
    let path = branch_path(project);
    let current: Value = client.request(ApiCall::get(&path)?).await.map_err(|e| {
        explain(
            e,
            &format!(
                "cannot use the dev workspace of project `{project}`, which `{importer}` imports"
            ),
            "the API user needs the `develop` permission on the imported project's models too",
        )
    })?;
    let current_name = current["name"].as_str().map(str::to_owned);
    let original = match &current_name {
        Some(name) if !name.starts_with(TEMPORARY_PREFIX) => Original::Branch(name.clone()),
        _ => Original::Production,
    };
    if let Some(pin) = pin {
        let temporary = temporary_branch_name(env);
        // Registered before the call: the branch may exist even when creating it failed.
        checked.undo_mut().imports.push(ImportUndo {
            project: project.to_owned(),
            original_branch: Some(original),
            temporary: Some(temporary.clone()),
            checked_out: temporary.clone(),
        });
        let call = ApiCall::new("POST", &path)?.json(json!({"name": temporary, "ref": pin}));
        let reply: Value = client.request(call).await.map_err(|e| {
            explain(
                e,
                &format!("Looker cannot check out `{pin}` of imported project `{project}`"),
                "pin a ref that is pushed to that project's remote (import_refs)",
            )
        })?;
        return Ok(ImportedRef {
            project: project.to_owned(),
            kind: "ref".into(),
            name: pin.to_owned(),
            commit: reply["ref"].as_str().map(str::to_owned),
        });
    }
    let (kind, target) = match matching {
        Some(branch) if branch_exists(&client, project, branch).await? => {
            ("branch", branch.to_owned())
        }
        _ => ("production", production_branch(&client, project).await?),
    };
    let reply = if current_name.as_deref() == Some(target.as_str()) {
        current
    } else {
        checked.undo_mut().imports.push(ImportUndo {
            project: project.to_owned(),
            original_branch: Some(original.clone()),
            temporary: None,
            checked_out: target.clone(),
        });
        let call = ApiCall::new("PUT", &path)?.json(json!({"name": target}));
        client.request(call).await.map_err(|e| {
            explain(
                e,
                &format!("cannot check out branch `{target}` of imported project `{project}`"),
                "the API user needs the `develop` permission on it; or pin the import's ref \
                 (import_refs)",
            )
        })?
    };
    let reply = if is_pushed(&reply, &target) {
        reply
    } else {
        let temporary = temporary_branch_name(env);
        // Registered before the call: the branch may exist even when creating it failed, and
        // then what Looker checked out above is what the original replaces.
        let now_checked_out = reply["name"].as_str().unwrap_or(&target).to_owned();
        checked.undo_mut().imports.push(ImportUndo {
            project: project.to_owned(),
            original_branch: Some(original),
            temporary: Some(temporary.clone()),
            checked_out: now_checked_out,
        });
        let call = ApiCall::new("POST", &path)?
            .json(json!({"name": temporary, "ref": remote_ref(&target)}));
        let reply: Value = client.request(call).await.map_err(|e| {
            explain(
                e,
                &format!("cannot check out `{target}` of imported project `{project}` as pushed"),
                "pin the import's ref (import_refs)",
            )
        })?;
        if let Some(undo) = checked.undo_mut().imports.last_mut() {
            undo.checked_out = temporary;
        }
        reply
    };
    Ok(ImportedRef {
        project: project.to_owned(),
        kind: kind.into(),
        name: target,
        commit: reply["ref"].as_str().map(str::to_owned),
    })
}

/// Percent-encode one path segment (a branch name may hold `/`).
fn encode_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Whether `project` has branch `branch`.
async fn branch_exists(client: &LookerClient, project: &str, branch: &str) -> Result<bool> {
    let call = ApiCall::get(&format!(
        "{}/{}",
        branch_path(project),
        encode_segment(branch)
    ))?;
    match client.request_bytes(call).await {
        Ok(_) => Ok(true),
        Err(Error::Api(api)) if api.status == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// A project's production branch (`git_production_branch_name`, else `main`).
async fn production_branch(client: &LookerClient, project: &str) -> Result<String> {
    let project: Value = client
        .request(ApiCall::get(&format!("/projects/{project}"))?)
        .await?;
    Ok(project["git_production_branch_name"]
        .as_str()
        .unwrap_or("main")
        .to_owned())
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
            checked_out: None,
            imports: Vec::new(),
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
    async fn run(self) -> Result<()> {
        let mut first_error = None;
        // Imports first, the project itself after them.
        for import in self.imports.iter().rev() {
            if let Err(e) = restore_project(
                &self.client,
                &import.project,
                import.original_branch.as_ref(),
                import.temporary.as_deref(),
                Some(&import.checked_out),
            )
            .await
            {
                first_error.get_or_insert(e);
            }
        }
        if let Err(e) = restore_project(
            &self.client,
            &self.project,
            self.original_branch.as_ref(),
            self.temporary.as_deref(),
            self.checked_out.as_deref().or(self.temporary.as_deref()),
        )
        .await
        {
            first_error.get_or_insert(e);
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

/// Check out `original` of `project` again (only while `ours` is still the branch checked out,
/// when given) and delete `temporary`. Every step is tried; the first error is returned.
async fn restore_project(
    client: &LookerClient,
    project: &str,
    original: Option<&Original>,
    temporary: Option<&str>,
    ours: Option<&str>,
) -> Result<()> {
    let mut first_error = None;
    let path = branch_path(project);
    // Jobs of one API user share its dev workspace (parallel CI jobs, other pipelines): put the
    // original branch back only while our branch is still the one checked out; when another
    // job checked out its own since, that job restores after it.
    let still_ours = match ours {
        None => true,
        Some(ours) => {
            let current: Result<Value> = async { client.request(ApiCall::get(&path)?).await }.await;
            match current {
                Ok(current) => current["name"].as_str() == Some(ours),
                Err(_) => true,
            }
        }
    };
    if still_ours && let Some(original) = original {
        let step = async {
            let name = match original {
                Original::Production => production_branch(client, project).await?,
                Original::Branch(name) => name.clone(),
            };
            let call = ApiCall::new("PUT", &path)?.json(json!({"name": name}));
            client.request_bytes(call).await.map(drop)
        };
        match step.await {
            Ok(()) => {}
            // The original was another job's temporary branch, deleted since: fall back on the
            // production branch so that ours is no longer checked out.
            Err(Error::Api(api)) if api.status == 404 => {
                let fallback = async {
                    let production = production_branch(client, project).await?;
                    let call = ApiCall::new("PUT", &path)?.json(json!({"name": production}));
                    client.request_bytes(call).await.map(drop)
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
    if let Some(temporary) = temporary {
        let step = async {
            let call = ApiCall::new("DELETE", &format!("{path}/{temporary}"))?;
            client.request_bytes(call).await.map(drop)
        };
        if let Err(e) = step.await {
            tracing::warn!(project = %project, branch = %temporary, error = %e, "could not delete the temporary branch");
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
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
