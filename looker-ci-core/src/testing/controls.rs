//! Test controls of FakeLooker's Looker world: the project on each branch, injected faults,
//! users' permissions, the warehouse's timing, and what the world recorded.
//!
//! A change to a branch's project is a new commit on that branch, as a push would be: cached
//! LookML validation of that branch turns stale, and users who branched off earlier keep the
//! code they branched from.

use std::time::Duration;

use tokio::time::Instant;

use super::fake_looker::FakeLooker;
use super::git::PRODUCTION;
use super::project::{FakeLook, FakeLookmlError, FakeProject, FakeWorldError};
use super::query_tasks::WarehouseCounters;
use super::roles::FakeRole;

/// A field no project defines, for content that must not validate.
const REMOVED_FIELD: &str = "removed_field";

impl FakeLooker {
    /// Make `project` production's code: a new commit on branch `main`. Returns its sha. The
    /// project id (`/projects/{id}`) is the project's `name`.
    pub fn set_project(&self, project: FakeProject) -> String {
        self.create_branch(PRODUCTION, project)
    }

    /// Production's project (branch `main`).
    pub fn project(&self) -> FakeProject {
        self.lock().world.repo.production().project.as_ref().clone()
    }

    /// The project at the head of `branch`, if the branch exists.
    pub fn branch_project(&self, branch: &str) -> Option<FakeProject> {
        let state = self.lock();
        let repo = &state.world.repo;
        repo.branch_commit(branch)
            .map(|sha| repo.project_at(sha).as_ref().clone())
    }

    /// Point branch `name` at a new commit holding `project` (creating the branch, shared and
    /// not personal, if needed). Returns the commit's sha.
    pub fn create_branch(&self, name: &str, project: FakeProject) -> String {
        let mut state = self.lock();
        let sha = state.world.repo.commit(project);
        state.world.repo.set_branch(name, &sha);
        sha
    }

    /// Store a commit holding `project` on no branch (a ref to create a branch at, reset to or
    /// deploy by its sha). Returns the sha.
    pub fn add_commit(&self, project: FakeProject) -> String {
        self.lock().world.repo.commit(project)
    }

    /// Every branch name, sorted: personal branches, `main`, and those created over the API
    /// (so a test can check that temporary branches were removed).
    pub fn branches(&self) -> Vec<String> {
        self.lock().world.repo.branch_names()
    }

    /// The branch `user_id` has checked out in the dev workspace, if they ever entered it.
    pub fn checked_out_branch(&self, user_id: &str) -> Option<String> {
        self.lock().world.repo.checkout_of(user_id)
    }

    /// Make `user_id`'s own copy of `branch` lag behind it at commit `sha`: Looker keeps a copy
    /// of each branch per user and pulls only when asked, so checking the branch out gives that
    /// user the older code (its GitBranch shows `behind_count` 1 and the branch's head as
    /// `remote_ref`) until the user hard-resets it or the branch is deleted.
    pub fn set_stale_copy(
        &self,
        user_id: &str,
        branch: &str,
        sha: &str,
    ) -> Result<(), FakeWorldError> {
        let mut state = self.lock();
        let repo = &mut state.world.repo;
        if repo.branch_commit(branch).is_none() {
            return Err(FakeWorldError(format!("no branch `{branch}`")));
        }
        if repo.resolve(sha).as_deref() != Some(sha) {
            return Err(FakeWorldError(format!("no commit `{sha}`")));
        }
        repo.set_stale_copy(user_id, branch, sha);
        Ok(())
    }

    /// Whether checking out the production branch in the dev workspace gives the user's
    /// personal branch instead (no error), as Looker does, in every project (those added later
    /// too); off by default.
    pub fn set_production_checkout_gives_personal(&self, on: bool) {
        let mut state = self.lock();
        state.world.repo.production_checkout_gives_personal = on;
        for repo in state.world.others.values_mut() {
            repo.production_checkout_gives_personal = on;
        }
    }

    /// Add another project to the instance (or make `project` the production code of the one
    /// with its name): a project the main one imports with `local_dependency` (list it in the
    /// main project's [`FakeProject::imports`]). Its branches and the branch each user has
    /// checked out are its own, as in Looker; the main project's queries see its views as the
    /// session's workspace sees it. Returns the commit's sha.
    pub fn add_project(&self, project: FakeProject) -> String {
        let mut state = self.lock();
        let id = project.name.clone();
        match state.world.others.get_mut(&id) {
            Some(repo) => {
                let sha = repo.commit(project);
                repo.set_branch(PRODUCTION, &sha);
                sha
            }
            None => {
                let mut repo = super::git::Repo::new(project);
                repo.production_checkout_gives_personal =
                    state.world.repo.production_checkout_gives_personal;
                let sha = repo
                    .branch_commit(PRODUCTION)
                    .unwrap_or_default()
                    .to_owned();
                state.world.others.insert(id, repo);
                sha
            }
        }
    }

    /// Point branch `branch` of project `project_id` (added with [`FakeLooker::add_project`]) at
    /// a new commit holding `project`. Returns the commit's sha.
    pub fn create_project_branch(
        &self,
        project_id: &str,
        branch: &str,
        project: FakeProject,
    ) -> Result<String, FakeWorldError> {
        let mut state = self.lock();
        let repo = state.world.others.get_mut(project_id).ok_or_else(|| {
            FakeWorldError(format!(
                "no other project `{project_id}`: add it with add_project"
            ))
        })?;
        let sha = repo.commit(project);
        repo.set_branch(branch, &sha);
        Ok(sha)
    }

    /// The branch names of project `project_id` (added with [`FakeLooker::add_project`]).
    pub fn project_branches(&self, project_id: &str) -> Vec<String> {
        self.lock()
            .world
            .others
            .get(project_id)
            .map(super::git::Repo::branch_names)
            .unwrap_or_default()
    }

    /// The branch `user_id` has checked out of project `project_id` in the dev workspace.
    pub fn project_checked_out_branch(&self, project_id: &str, user_id: &str) -> Option<String> {
        self.lock()
            .world
            .others
            .get(project_id)
            .and_then(|repo| repo.checkout_of(user_id))
    }

    /// Change the project at the head of `branch` (`"main"` is production) with `edit`, as a new
    /// commit. Returns the new sha; nothing changes when `edit` fails.
    pub fn edit_branch(
        &self,
        branch: &str,
        edit: impl FnOnce(&mut FakeProject) -> Result<(), FakeWorldError>,
    ) -> Result<String, FakeWorldError> {
        let mut state = self.lock();
        let repo = &mut state.world.repo;
        let sha = repo
            .branch_commit(branch)
            .ok_or_else(|| FakeWorldError(format!("no branch `{branch}`")))?
            .to_owned();
        let mut project = repo.project_at(&sha).as_ref().clone();
        edit(&mut project)?;
        let sha = repo.commit(project);
        repo.set_branch(branch, &sha);
        Ok(sha)
    }

    /// On `branch`, make the SQL of `field` (`view.field`) fail with the database `message`,
    /// e.g. `ERROR: column orders.statuz does not exist`.
    pub fn break_field(
        &self,
        branch: &str,
        field: &str,
        message: &str,
    ) -> Result<String, FakeWorldError> {
        self.edit_branch(branch, |p| p.break_field(field, message))
    }

    /// On `branch`, make the join of `view` into `model`'s `explore` fail with `message`
    /// (e.g. `missing FROM-clause entry for table "userz"`) in every query that includes it.
    pub fn break_join(
        &self,
        branch: &str,
        model: &str,
        explore: &str,
        view: &str,
        message: &str,
    ) -> Result<String, FakeWorldError> {
        self.edit_branch(branch, |p| p.break_join(model, explore, view, message))
    }

    /// On `branch`, make `view`'s table missing: every query including the view fails with
    /// `message`, e.g. `relation "public.orderz" does not exist`.
    pub fn break_table(
        &self,
        branch: &str,
        view: &str,
        message: &str,
    ) -> Result<String, FakeWorldError> {
        self.edit_branch(branch, |p| p.break_table(view, message))
    }

    /// On `branch`, make `field` select a bare column that is ambiguous whenever a field of
    /// `other_view` is in the same query (`column reference "id" is ambiguous`).
    pub fn make_ambiguous(
        &self,
        branch: &str,
        field: &str,
        other_view: &str,
    ) -> Result<String, FakeWorldError> {
        self.edit_branch(branch, |p| p.make_ambiguous(field, other_view))
    }

    /// On `branch`, make every query selecting `field` run `extra` longer.
    pub fn slow_field(
        &self,
        branch: &str,
        field: &str,
        extra: Duration,
    ) -> Result<String, FakeWorldError> {
        self.edit_branch(branch, |p| p.slow_field(field, extra))
    }

    /// On `branch`, delete `field` (content using it no longer validates there).
    pub fn remove_field(&self, branch: &str, field: &str) -> Result<String, FakeWorldError> {
        self.edit_branch(branch, |p| p.remove_field(field))
    }

    /// Give `user_id` exactly these permissions, as one role `Custom` on every model (every user
    /// starts with a `Developer` role). Enforced: `develop` (the dev workspace and changing
    /// branches) and `deploy`.
    pub fn set_user_permissions(&self, user_id: &str, permissions: &[&str]) {
        self.set_user_roles(user_id, vec![FakeRole::new("Custom", permissions)]);
    }

    /// Give `user_id` exactly these roles (the API key logs in as user `1`). Its permissions are
    /// the union of the roles' permission sets; `GET /users/{id}/roles` shows them.
    pub fn set_user_roles(&self, user_id: &str, roles: Vec<FakeRole>) {
        self.lock().roles.insert(user_id.to_owned(), roles);
    }

    /// Every distinct `User-Agent` FakeLooker has seen, in order of first appearance.
    pub fn user_agents(&self) -> Vec<String> {
        self.lock().user_agents.clone()
    }

    /// How many query tasks one user may run at once (Looker's default is 15; at least 1); more
    /// wait as `added` and start, in order, when a slot frees.
    pub fn set_query_concurrency_limit(&self, limit: usize) {
        let mut state = self.lock();
        state.world.queries.advance(Instant::now());
        state.world.queries.limit = limit.max(1);
    }

    /// How long every query task runs (default zero), before its slow fields' extra time.
    pub fn set_query_duration(&self, duration: Duration) {
        self.lock().world.queries.base_duration = duration;
    }

    /// Make query-task results carry Looker's Development Mode note (derived tables with
    /// conditional SQL for Development Mode): every finished task's `errors` start with it, and
    /// a passing query becomes an `error` whose only entry is the note, as Looker sends it.
    pub fn set_dev_mode_note(&self, on: bool) {
        self.lock().world.queries.quirks.dev_mode_note = on;
    }

    /// Report each finished query task as `expired` in its first `polls` polls of
    /// `GET /query_tasks/multi_results`, then as it ended (Looker briefly reports finished tasks
    /// as expired); `u32::MAX`: expired for good. 0 (the default) turns it off.
    pub fn set_expired_polls(&self, polls: u32) {
        self.lock().world.queries.quirks.expired_polls = polls;
    }

    /// Report every finished query task as `killed`, as when an admin or the database kills
    /// queries (not the client: its kills are `DELETE /running_queries/{id}`).
    pub fn set_queries_killed(&self, on: bool) {
        self.lock().world.queries.quirks.killed = on;
    }

    /// How long a LookML validation (`POST /projects/{p}/validate`), a content validation and a
    /// data test run take to answer (default zero), as on a large project.
    pub fn set_validation_duration(&self, duration: Duration) {
        self.lock().validation_duration = duration;
    }

    /// Delay every request by a duration drawn uniformly from `min..=max` (both zero: none).
    pub fn set_api_latency(&self, min: Duration, max: Duration) {
        self.lock().latency = (!max.is_zero()).then_some((min.min(max), max));
    }

    /// The warehouse's counters, with the queue replayed up to now.
    pub fn warehouse_counters(&self) -> WarehouseCounters {
        let mut state = self.lock();
        state.world.queries.advance(Instant::now());
        state.world.queries.counters
    }

    /// Set the warehouse's counters back to zero (`running` and the maxima start from what is
    /// running now).
    pub fn reset_warehouse_counters(&self) {
        let mut state = self.lock();
        state.world.queries.advance(Instant::now());
        state.world.queries.reset_counters();
    }

    /// Make production's LookML validation report this error (severity `error`, in the first
    /// view's file).
    pub fn add_lookml_error(&self, message: &str) {
        let _ = self.edit_branch(PRODUCTION, |p| {
            let file = p
                .views
                .first()
                .map(|v| v.file.clone())
                .or_else(|| p.models.first().map(|m| m.file.clone()))
                .unwrap_or_default();
            let model = p.models.first().map(|m| m.name.clone());
            p.lookml_errors.push(FakeLookmlError {
                message: message.to_owned(),
                file,
                model,
                ..FakeLookmlError::default()
            });
            Ok(())
        });
    }

    /// Make production's LookML data test `test` (e.g. `orders_have_ids` or `users_are_unique`)
    /// fail; returns the new commit's sha. A name production does not have is an error naming
    /// the tests it has.
    pub fn fail_lookml_test(&self, test: &str) -> Result<String, FakeWorldError> {
        self.edit_branch(PRODUCTION, |p| {
            let names: Vec<&str> = p.data_tests.iter().map(|t| t.name.as_str()).collect();
            let known = if names.is_empty() {
                "production has no data tests".to_owned()
            } else {
                format!("production's data tests are `{}`", names.join("`, `"))
            };
            let error = FakeWorldError(format!("no data test `{test}`: {known}"));
            let found = p
                .data_tests
                .iter_mut()
                .find(|t| t.name == test)
                .ok_or(error)?;
            found.passes = false;
            Ok(())
        })
    }

    /// Make content validation report the look (or dashboard) titled `title` as broken: it now
    /// uses a field no project defines. A title no content has becomes a new broken look.
    pub fn break_content(&self, title: &str) {
        let _ = self.edit_branch(PRODUCTION, |p| {
            let missing = |p: &FakeProject, model: &str, explore: &str| {
                let view = p
                    .explore(model, explore)
                    .map_or(explore.to_owned(), |e| e.base_view().to_owned());
                format!("{view}.{REMOVED_FIELD}")
            };
            if let Some(i) = p.looks.iter().position(|l| l.title == title) {
                let field = missing(p, &p.looks[i].model, &p.looks[i].explore);
                p.looks[i].fields.push(field);
                return Ok(());
            }
            let tile = p
                .dashboards
                .iter()
                .position(|d| d.title == title && !d.elements.is_empty());
            if let Some(i) = tile {
                let element = &p.dashboards[i].elements[0];
                let field = missing(p, &element.model, &element.explore);
                p.dashboards[i].elements[0].fields.push(field);
                return Ok(());
            }
            let model = p.models.first().map(|m| m.name.clone()).unwrap_or_default();
            let explore = p
                .models
                .first()
                .and_then(|m| m.explores.first())
                .map(|e| e.name.clone())
                .unwrap_or_default();
            let id = p
                .looks
                .iter()
                .filter_map(|l| l.id.parse::<u64>().ok())
                .max()
                .unwrap_or(0)
                + 1;
            let field = missing(p, &model, &explore);
            p.looks.push(FakeLook {
                id: id.to_string(),
                title: title.to_owned(),
                folder_id: p.folders.first().map_or("1".into(), |f| f.id.clone()),
                model,
                explore,
                fields: vec![field],
            });
            Ok(())
        });
    }

    /// The ref (or branch) last deployed to production, if any.
    pub fn deployed_ref(&self) -> Option<String> {
        self.lock().world.deployed_ref.clone()
    }

    /// Every scheduled plan run once so far (by body or by id), as run, with the id FakeLooker
    /// gave it.
    pub fn scheduled_plan_runs(&self) -> Vec<serde_json::Value> {
        self.lock().world.schedules.runs.clone()
    }

    /// Datagroup `orders_etl` or `daily` of model `thelook`, as `GET /datagroups/{id}` shows it
    /// (`stale_before`/`triggered_at` show whether it was triggered).
    pub fn datagroup(&self, name: &str) -> Option<serde_json::Value> {
        self.lock().world.schedules.datagroup(name)
    }
}
