//! `NativeFakeLooker`: the core FakeLooker, running on the shared Tokio runtime.

use std::time::Duration;

use looker_ci_core::testing::{self, FakeLooker, FakeProject, FakeWorldError, Fault};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use secrecy::ExposeSecret;

use crate::convert::{Json, NativeError, parse_json};

#[pyclass(module = "looker_ci._native", frozen)]
pub struct NativeFakeLooker {
    fake: FakeLooker,
}

// The argument rules are the core's (`looker_ci_core::testing`); these only convert the error.
fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    Ok(testing::seconds(name, value).map_err(NativeError)?)
}

fn project_from(project_json: &str) -> Result<FakeProject, NativeError> {
    testing::project_from_json_text(project_json).map_err(NativeError)
}

fn project_to(project: &FakeProject) -> PyResult<Json> {
    Ok(testing::project_to_json(project)
        .map(Json)
        .map_err(NativeError)?)
}

fn world(argument: &str, result: Result<String, FakeWorldError>) -> Result<String, NativeError> {
    result.map_err(|e| NativeError(e.into_error(argument)))
}

#[pymethods]
impl NativeFakeLooker {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let runtime = pyo3_async_runtimes::tokio::get_runtime();
        let fake = py
            .detach(|| runtime.block_on(FakeLooker::start()))
            .map_err(NativeError)?;
        Ok(NativeFakeLooker { fake })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.fake.base_url()
    }

    #[getter]
    fn client_id(&self) -> String {
        self.fake.client_id()
    }

    /// The fake's own test secret (random per instance), for setting `LOOKERSDK_CLIENT_SECRET`.
    #[getter]
    fn client_secret(&self) -> String {
        self.fake.client_secret().expose_secret().to_owned()
    }

    /// Accept this API key instead of the random one.
    fn set_api_key(&self, client_id: &str, client_secret: String) {
        self.fake
            .set_api_key(client_id, &secrecy::SecretString::from(client_secret));
    }

    fn set_token_lifetime(&self, seconds_: f64) -> PyResult<()> {
        self.fake.set_token_lifetime(seconds("lifetime", seconds_)?);
        Ok(())
    }

    /// `value_json`: JSON text of the `expires_in` to report, or `None` to leave the field out.
    #[pyo3(signature = (value_json))]
    fn set_reported_expires_in(&self, value_json: Option<&str>) -> PyResult<()> {
        let value = parse_json("expires_in", value_json)?;
        self.fake.set_reported_expires_in(value);
        Ok(())
    }

    fn report_actual_expires_in(&self) {
        self.fake.report_actual_expires_in();
    }

    fn revoke_all_tokens(&self) {
        self.fake.revoke_all_tokens();
    }

    fn add_user(&self, user_id: &str, first_name: &str, last_name: &str) {
        self.fake.add_user(user_id, first_name, last_name);
    }

    #[pyo3(signature = (*, status=None, retry_after=None, delay=None, drop_connection=false, count=1))]
    fn inject_fault(
        &self,
        status: Option<u16>,
        retry_after: Option<String>,
        delay: Option<f64>,
        drop_connection: bool,
        count: usize,
    ) -> PyResult<()> {
        let fault = Fault {
            status,
            retry_after,
            delay: delay.map(|d| seconds("delay", d)).transpose()?,
            drop_connection,
            only: None,
        };
        self.fake.inject_fault(fault, count);
        Ok(())
    }

    fn clear_faults(&self) {
        self.fake.clear_faults();
    }

    fn pending_faults(&self) -> usize {
        self.fake.pending_faults()
    }

    fn counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.fake.counters();
        let dict = PyDict::new(py);
        for (name, value) in [
            ("logins", c.logins),
            ("sudo_logins", c.sudo_logins),
            ("failed_logins", c.failed_logins),
            ("logouts", c.logouts),
            ("requests", c.requests),
            ("unauthorized", c.unauthorized),
            ("me_calls", c.me_calls),
        ] {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    fn reset_counters(&self) {
        self.fake.reset_counters();
    }

    fn live_tokens(&self) -> usize {
        self.fake.live_tokens()
    }

    /// Every token issued so far, for tests that search output for secrets.
    fn issued_tokens(&self) -> Vec<String> {
        self.fake
            .issued_tokens()
            .iter()
            .map(|t| t.expose_secret().to_owned())
            .collect()
    }

    fn last_header(&self, name: &str) -> Option<String> {
        self.fake.last_header(name)
    }

    fn add_lookml_error(&self, message: &str) {
        self.fake.add_lookml_error(message);
    }

    /// Make production's data test `test` fail; returns the new commit's sha. An unknown test is
    /// an invalid-argument error naming the known ones.
    fn fail_lookml_test(&self, test: &str) -> PyResult<String> {
        Ok(world("test", self.fake.fail_lookml_test(test))?)
    }

    fn break_content(&self, title: &str) {
        self.fake.break_content(title);
    }

    fn deployed_ref(&self) -> Option<String> {
        self.fake.deployed_ref()
    }

    fn scheduled_plan_runs(&self) -> Json {
        Json(serde_json::Value::Array(self.fake.scheduled_plan_runs()))
    }

    fn datagroup(&self, name: &str) -> Option<Json> {
        self.fake.datagroup(name).map(Json)
    }

    /// Make `project_json` (a `FakeProject`) production's code; returns the commit's sha.
    fn set_project(&self, project_json: &str) -> PyResult<String> {
        Ok(self.fake.set_project(project_from(project_json)?))
    }

    fn project(&self) -> PyResult<Json> {
        project_to(&self.fake.project())
    }

    fn branch_project(&self, branch: &str) -> PyResult<Option<Json>> {
        self.fake
            .branch_project(branch)
            .map(|p| project_to(&p))
            .transpose()
    }

    fn create_branch(&self, name: &str, project_json: &str) -> PyResult<String> {
        Ok(self.fake.create_branch(name, project_from(project_json)?))
    }

    fn add_commit(&self, project_json: &str) -> PyResult<String> {
        Ok(self.fake.add_commit(project_from(project_json)?))
    }

    fn branches(&self) -> Vec<String> {
        self.fake.branches()
    }

    fn checked_out_branch(&self, user_id: &str) -> Option<String> {
        self.fake.checked_out_branch(user_id)
    }

    fn add_project(&self, project_json: &str) -> PyResult<String> {
        Ok(self.fake.add_project(project_from(project_json)?))
    }

    fn create_project_branch(
        &self,
        project_id: &str,
        branch: &str,
        project_json: &str,
    ) -> PyResult<String> {
        let project = project_from(project_json)?;
        Ok(world(
            "project_id",
            self.fake.create_project_branch(project_id, branch, project),
        )?)
    }

    fn project_branches(&self, project_id: &str) -> Vec<String> {
        self.fake.project_branches(project_id)
    }

    fn project_checked_out_branch(&self, project_id: &str, user_id: &str) -> Option<String> {
        self.fake.project_checked_out_branch(project_id, user_id)
    }

    fn break_field(&self, branch: &str, field: &str, message: &str) -> PyResult<String> {
        Ok(world(
            "field",
            self.fake.break_field(branch, field, message),
        )?)
    }

    fn break_join(
        &self,
        branch: &str,
        model: &str,
        explore: &str,
        view: &str,
        message: &str,
    ) -> PyResult<String> {
        let result = self.fake.break_join(branch, model, explore, view, message);
        Ok(world("view", result)?)
    }

    fn break_table(&self, branch: &str, view: &str, message: &str) -> PyResult<String> {
        Ok(world("view", self.fake.break_table(branch, view, message))?)
    }

    fn make_ambiguous(&self, branch: &str, field: &str, other_view: &str) -> PyResult<String> {
        let result = self.fake.make_ambiguous(branch, field, other_view);
        Ok(world("field", result)?)
    }

    fn slow_field(&self, branch: &str, field: &str, seconds_: f64) -> PyResult<String> {
        let extra = seconds("seconds", seconds_)?;
        Ok(world("field", self.fake.slow_field(branch, field, extra))?)
    }

    fn remove_field(&self, branch: &str, field: &str) -> PyResult<String> {
        Ok(world("field", self.fake.remove_field(branch, field))?)
    }

    fn set_user_permissions(&self, user_id: &str, permissions: Vec<String>) {
        let permissions: Vec<&str> = permissions.iter().map(String::as_str).collect();
        self.fake.set_user_permissions(user_id, &permissions);
    }

    /// `roles`: `(name, permissions, models)`; `models` `None` is the "All" model set; the
    /// name `Admin` is Looker's built-in Admin role.
    fn set_user_roles(
        &self,
        user_id: &str,
        roles: Vec<(String, Vec<String>, Option<Vec<String>>)>,
    ) {
        let roles = roles
            .into_iter()
            .map(|(name, permissions, models)| {
                looker_ci_core::testing::FakeRole::described(&name, &permissions, models)
            })
            .collect();
        self.fake.set_user_roles(user_id, roles);
    }

    fn user_agents(&self) -> Vec<String> {
        self.fake.user_agents()
    }

    fn set_query_concurrency_limit(&self, limit: usize) {
        self.fake.set_query_concurrency_limit(limit);
    }

    fn set_query_duration(&self, seconds_: f64) -> PyResult<()> {
        self.fake.set_query_duration(seconds("seconds", seconds_)?);
        Ok(())
    }

    fn set_dev_mode_note(&self, on: bool) {
        self.fake.set_dev_mode_note(on);
    }

    fn set_expired_polls(&self, polls: u64) {
        self.fake
            .set_expired_polls(u32::try_from(polls).unwrap_or(u32::MAX));
    }

    fn set_queries_killed(&self, on: bool) {
        self.fake.set_queries_killed(on);
    }

    fn set_validation_duration(&self, seconds_: f64) -> PyResult<()> {
        self.fake
            .set_validation_duration(seconds("seconds", seconds_)?);
        Ok(())
    }

    fn set_stale_copy(&self, user_id: &str, branch: &str, sha: &str) -> PyResult<()> {
        let stale = self.fake.set_stale_copy(user_id, branch, sha);
        world("branch", stale.map(|()| String::new()))?;
        Ok(())
    }

    fn set_production_checkout_gives_personal(&self, on: bool) {
        self.fake.set_production_checkout_gives_personal(on);
    }

    fn set_api_latency(&self, min_seconds: f64, max_seconds: f64) -> PyResult<()> {
        self.fake.set_api_latency(
            seconds("min_seconds", min_seconds)?,
            seconds("max_seconds", max_seconds)?,
        );
        Ok(())
    }

    fn warehouse_counters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = self.fake.warehouse_counters();
        let dict = PyDict::new(py);
        for (name, value) in [
            ("queries_run", c.queries_run),
            ("queries_cancelled", c.queries_cancelled),
            ("query_tasks_created", c.query_tasks_created),
            ("queries_created", c.queries_created),
            ("max_running", c.max_running),
            ("max_running_per_user", c.max_running_per_user),
            ("running", c.running),
        ] {
            dict.set_item(name, value)?;
        }
        Ok(dict)
    }

    fn reset_warehouse_counters(&self) {
        self.fake.reset_warehouse_counters();
    }

    fn stop(&self) {
        self.fake.stop();
    }

    fn __repr__(&self) -> String {
        format!("<FakeLooker base_url={:?}>", self.fake.base_url())
    }
}
