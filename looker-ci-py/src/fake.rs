//! `NativeFakeLooker`: the core FakeLooker, running on the shared Tokio runtime.

use std::time::Duration;

use looker_ci_core::testing::{FakeLooker, Fault};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use secrecy::ExposeSecret;

use crate::convert::{Json, parse_json};

#[pyclass(module = "looker_ci._native", frozen)]
pub struct NativeFakeLooker {
    fake: FakeLooker,
}

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    if value.is_finite() && value >= 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be a non-negative number of seconds, not {value}"
        )))
    }
}

#[pymethods]
impl NativeFakeLooker {
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let runtime = pyo3_async_runtimes::tokio::get_runtime();
        let fake = py
            .detach(|| runtime.block_on(FakeLooker::start()))
            .map_err(|e| PyOSError::new_err(format!("FakeLooker could not start: {e}")))?;
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

    fn fail_lookml_test(&self, test: &str) {
        self.fake.fail_lookml_test(test);
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

    fn stop(&self) {
        self.fake.stop();
    }

    fn __repr__(&self) -> String {
        format!("<FakeLooker base_url={:?}>", self.fake.base_url())
    }
}
