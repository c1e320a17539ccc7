//! `NativeFakeLooker`: the core FakeLooker, served from napi's Tokio runtime.

use std::time::Duration;

use looker_ci_core::testing::{self, FakeLooker, FakeProject, FakeWorldError, Fault};
use napi_derive::napi;
use secrecy::ExposeSecret;

use crate::errors::to_js;

/// One injected fault; see `FakeLooker.injectFault`.
/// One role for `setUserRoles`.
#[napi(object)]
pub struct FakeRoleSpec {
    pub name: String,
    pub permissions: Vec<String>,
    pub models: Option<Vec<String>>,
}

#[napi(object)]
pub struct FaultOptions {
    pub status: Option<u16>,
    pub retry_after: Option<String>,
    /// Seconds.
    pub delay: Option<f64>,
    pub drop_connection: Option<bool>,
    pub count: Option<u32>,
}

#[napi(object)]
pub struct FakeCounters {
    pub logins: i64,
    pub sudo_logins: i64,
    pub failed_logins: i64,
    pub logouts: i64,
    pub requests: i64,
    pub unauthorized: i64,
    pub me_calls: i64,
}

/// What the fake warehouse did; see `FakeLooker.warehouseCounters`.
#[napi(object)]
pub struct WarehouseCounters {
    pub queries_run: i64,
    pub queries_cancelled: i64,
    pub query_tasks_created: i64,
    pub queries_created: i64,
    pub max_running: i64,
    pub max_running_per_user: i64,
    pub running: i64,
}

#[napi]
pub struct NativeFakeLooker {
    fake: FakeLooker,
}

// The argument rules are the core's (`looker_ci_core::testing`); these only convert the error.
fn seconds(name: &str, value: f64) -> napi::Result<Duration> {
    testing::seconds(name, value).map_err(to_js)
}

fn project_from(project: serde_json::Value) -> napi::Result<FakeProject> {
    testing::project_from_json(project).map_err(to_js)
}

fn project_to(project: &FakeProject) -> napi::Result<serde_json::Value> {
    testing::project_to_json(project).map_err(to_js)
}

fn world(argument: &str, result: Result<String, FakeWorldError>) -> napi::Result<String> {
    result.map_err(|e| to_js(e.into_error(argument)))
}

/// Start a FakeLooker on a random port of 127.0.0.1.
// Test builds of the crate (clippy --all-targets) do not register napi exports.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub async fn start_fake_looker() -> napi::Result<NativeFakeLooker> {
    crate::logging::init();
    let fake = FakeLooker::start().await.map_err(to_js)?;
    Ok(NativeFakeLooker { fake })
}

#[napi]
impl NativeFakeLooker {
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.fake.base_url()
    }

    #[napi(getter)]
    pub fn client_id(&self) -> String {
        self.fake.client_id()
    }

    /// The fake's own random test secret.
    #[napi(getter)]
    pub fn client_secret(&self) -> String {
        self.fake.client_secret().expose_secret().to_owned()
    }

    /// Accept this API key instead of the random one.
    #[napi]
    pub fn set_api_key(&self, client_id: String, client_secret: String) {
        self.fake
            .set_api_key(&client_id, &secrecy::SecretString::from(client_secret));
    }

    #[napi]
    pub fn set_token_lifetime(&self, seconds_: f64) -> napi::Result<()> {
        self.fake.set_token_lifetime(seconds("lifetime", seconds_)?);
        Ok(())
    }

    /// `undefined` leaves `expires_in` out of login replies; any JSON value is sent as is.
    #[napi]
    pub fn set_reported_expires_in(&self, value: Option<serde_json::Value>) {
        self.fake.set_reported_expires_in(value);
    }

    #[napi]
    pub fn report_actual_expires_in(&self) {
        self.fake.report_actual_expires_in();
    }

    #[napi]
    pub fn revoke_all_tokens(&self) {
        self.fake.revoke_all_tokens();
    }

    #[napi]
    pub fn add_user(&self, user_id: String, first_name: String, last_name: String) {
        self.fake.add_user(&user_id, &first_name, &last_name);
    }

    #[napi]
    pub fn inject_fault(&self, options: FaultOptions) -> napi::Result<()> {
        let fault = Fault {
            status: options.status,
            retry_after: options.retry_after,
            delay: options.delay.map(|d| seconds("delay", d)).transpose()?,
            drop_connection: options.drop_connection.unwrap_or(false),
            only: None,
        };
        self.fake
            .inject_fault(fault, options.count.unwrap_or(1) as usize);
        Ok(())
    }

    #[napi]
    pub fn clear_faults(&self) {
        self.fake.clear_faults();
    }

    #[napi]
    pub fn pending_faults(&self) -> u32 {
        self.fake.pending_faults() as u32
    }

    #[napi]
    pub fn counters(&self) -> FakeCounters {
        let c = self.fake.counters();
        FakeCounters {
            logins: c.logins as i64,
            sudo_logins: c.sudo_logins as i64,
            failed_logins: c.failed_logins as i64,
            logouts: c.logouts as i64,
            requests: c.requests as i64,
            unauthorized: c.unauthorized as i64,
            me_calls: c.me_calls as i64,
        }
    }

    #[napi]
    pub fn reset_counters(&self) {
        self.fake.reset_counters();
    }

    #[napi]
    pub fn live_tokens(&self) -> u32 {
        self.fake.live_tokens() as u32
    }

    /// Every token issued so far (to check that none leaked into output).
    #[napi]
    pub fn issued_tokens(&self) -> Vec<String> {
        self.fake
            .issued_tokens()
            .iter()
            .map(|t| t.expose_secret().to_owned())
            .collect()
    }

    #[napi]
    pub fn last_header(&self, name: String) -> Option<String> {
        self.fake.last_header(&name)
    }

    #[napi]
    pub fn add_lookml_error(&self, message: String) {
        self.fake.add_lookml_error(&message);
    }

    /// Make production's data test `test` fail; returns the new commit's sha. An unknown test is
    /// an invalid-argument error naming the known ones.
    #[napi]
    pub fn fail_lookml_test(&self, test: String) -> napi::Result<String> {
        world("test", self.fake.fail_lookml_test(&test))
    }

    #[napi]
    pub fn break_content(&self, title: String) {
        self.fake.break_content(&title);
    }

    #[napi]
    pub fn deployed_ref(&self) -> Option<String> {
        self.fake.deployed_ref()
    }

    #[napi]
    pub fn scheduled_plan_runs(&self) -> Vec<serde_json::Value> {
        self.fake.scheduled_plan_runs()
    }

    #[napi]
    pub fn datagroup(&self, name: String) -> Option<serde_json::Value> {
        self.fake.datagroup(&name)
    }

    /// Make `project` (a `FakeProject`) production's code; returns the commit's sha.
    #[napi]
    pub fn set_project(&self, project: serde_json::Value) -> napi::Result<String> {
        Ok(self.fake.set_project(project_from(project)?))
    }

    #[napi]
    pub fn project(&self) -> napi::Result<serde_json::Value> {
        project_to(&self.fake.project())
    }

    #[napi]
    pub fn branch_project(&self, branch: String) -> napi::Result<Option<serde_json::Value>> {
        self.fake
            .branch_project(&branch)
            .map(|p| project_to(&p))
            .transpose()
    }

    #[napi]
    pub fn create_branch(&self, name: String, project: serde_json::Value) -> napi::Result<String> {
        Ok(self.fake.create_branch(&name, project_from(project)?))
    }

    #[napi]
    pub fn add_commit(&self, project: serde_json::Value) -> napi::Result<String> {
        Ok(self.fake.add_commit(project_from(project)?))
    }

    #[napi]
    pub fn branches(&self) -> Vec<String> {
        self.fake.branches()
    }

    #[napi]
    pub fn checked_out_branch(&self, user_id: String) -> Option<String> {
        self.fake.checked_out_branch(&user_id)
    }

    #[napi]
    pub fn add_project(&self, project: serde_json::Value) -> napi::Result<String> {
        Ok(self.fake.add_project(project_from(project)?))
    }

    #[napi]
    pub fn create_project_branch(
        &self,
        project_id: String,
        branch: String,
        project: serde_json::Value,
    ) -> napi::Result<String> {
        let project = project_from(project)?;
        world(
            "projectId",
            self.fake
                .create_project_branch(&project_id, &branch, project),
        )
    }

    #[napi]
    pub fn project_branches(&self, project_id: String) -> Vec<String> {
        self.fake.project_branches(&project_id)
    }

    #[napi]
    pub fn project_checked_out_branch(
        &self,
        project_id: String,
        user_id: String,
    ) -> Option<String> {
        self.fake.project_checked_out_branch(&project_id, &user_id)
    }

    #[napi]
    pub fn break_field(
        &self,
        branch: String,
        field: String,
        message: String,
    ) -> napi::Result<String> {
        world("field", self.fake.break_field(&branch, &field, &message))
    }

    #[napi]
    pub fn break_join(
        &self,
        branch: String,
        model: String,
        explore: String,
        view: String,
        message: String,
    ) -> napi::Result<String> {
        let result = self
            .fake
            .break_join(&branch, &model, &explore, &view, &message);
        world("view", result)
    }

    #[napi]
    pub fn break_table(
        &self,
        branch: String,
        view: String,
        message: String,
    ) -> napi::Result<String> {
        world("view", self.fake.break_table(&branch, &view, &message))
    }

    #[napi]
    pub fn make_ambiguous(
        &self,
        branch: String,
        field: String,
        other_view: String,
    ) -> napi::Result<String> {
        world(
            "field",
            self.fake.make_ambiguous(&branch, &field, &other_view),
        )
    }

    #[napi]
    pub fn slow_field(&self, branch: String, field: String, seconds_: f64) -> napi::Result<String> {
        let extra = seconds("seconds", seconds_)?;
        world("field", self.fake.slow_field(&branch, &field, extra))
    }

    #[napi]
    pub fn remove_field(&self, branch: String, field: String) -> napi::Result<String> {
        world("field", self.fake.remove_field(&branch, &field))
    }

    /// `roles`: `{ name, permissions, models }` each (checked in lib/testing.js); `models` null
    /// is the "All" model set; the name `Admin` is Looker's built-in Admin role.
    #[napi]
    pub fn set_user_roles(&self, user_id: String, roles: Vec<FakeRoleSpec>) {
        let roles = roles
            .into_iter()
            .map(|spec| {
                looker_ci_core::testing::FakeRole::described(
                    &spec.name,
                    &spec.permissions,
                    spec.models,
                )
            })
            .collect();
        self.fake.set_user_roles(&user_id, roles);
    }

    /// Every distinct `User-Agent` seen, in order.
    #[napi]
    pub fn user_agents(&self) -> Vec<String> {
        self.fake.user_agents()
    }

    #[napi]
    pub fn set_user_permissions(&self, user_id: String, permissions: Vec<String>) {
        let permissions: Vec<&str> = permissions.iter().map(String::as_str).collect();
        self.fake.set_user_permissions(&user_id, &permissions);
    }

    #[napi]
    pub fn set_query_concurrency_limit(&self, limit: u32) {
        self.fake.set_query_concurrency_limit(limit as usize);
    }

    #[napi]
    pub fn set_query_duration(&self, seconds_: f64) -> napi::Result<()> {
        self.fake.set_query_duration(seconds("seconds", seconds_)?);
        Ok(())
    }

    #[napi]
    pub fn set_dev_mode_note(&self, on: bool) {
        self.fake.set_dev_mode_note(on);
    }

    #[napi]
    pub fn set_expired_polls(&self, polls: u32) {
        self.fake.set_expired_polls(polls);
    }

    #[napi]
    pub fn set_queries_killed(&self, on: bool) {
        self.fake.set_queries_killed(on);
    }

    #[napi]
    pub fn set_validation_duration(&self, seconds_: f64) -> napi::Result<()> {
        self.fake
            .set_validation_duration(seconds("seconds", seconds_)?);
        Ok(())
    }

    #[napi]
    pub fn set_stale_copy(&self, user_id: String, branch: String, sha: String) -> napi::Result<()> {
        let stale = self.fake.set_stale_copy(&user_id, &branch, &sha);
        world("branch", stale.map(|()| String::new())).map(drop)
    }

    #[napi]
    pub fn set_production_checkout_gives_personal(&self, on: bool) {
        self.fake.set_production_checkout_gives_personal(on);
    }

    #[napi]
    pub fn set_api_latency(&self, min_seconds: f64, max_seconds: f64) -> napi::Result<()> {
        self.fake.set_api_latency(
            seconds("minSeconds", min_seconds)?,
            seconds("maxSeconds", max_seconds)?,
        );
        Ok(())
    }

    #[napi]
    pub fn warehouse_counters(&self) -> WarehouseCounters {
        let c = self.fake.warehouse_counters();
        WarehouseCounters {
            queries_run: c.queries_run as i64,
            queries_cancelled: c.queries_cancelled as i64,
            query_tasks_created: c.query_tasks_created as i64,
            queries_created: c.queries_created as i64,
            max_running: c.max_running as i64,
            max_running_per_user: c.max_running_per_user as i64,
            running: c.running as i64,
        }
    }

    #[napi]
    pub fn reset_warehouse_counters(&self) {
        self.fake.reset_warehouse_counters();
    }

    #[napi]
    pub fn stop(&self) {
        self.fake.stop();
    }
}
