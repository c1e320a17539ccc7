//! `NativeClient`: one core `LookerClient`, callable from sync Python (GIL released, on the
//! shared Tokio runtime) and from asyncio (awaitables from `pyo3-async-runtimes`).

use std::path::PathBuf;

use std::collections::HashMap;
use std::sync::Arc;

use looker_ci_core::doctor::{self, DoctorOptions};
use looker_ci_core::gate;
use looker_ci_core::{ApiCall, CredentialProvider, LookerClient};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use secrecy::SecretString;

use crate::awaitable;
use crate::convert::{Json, JsonReply, NativeError, Raw, Reply, parse_args, parse_json};
use crate::provider::PyCredentialProvider;

/// Run a core future to completion with the GIL released, so other Python threads keep running
/// and one client can be shared between threads.
pub(crate) fn block_on<F, T>(py: Python<'_>, future: F) -> Result<T, NativeError>
where
    F: std::future::Future<Output = Result<T, looker_ci_core::Error>> + Send,
    T: Send,
{
    if let Some(error) = crate::provider::reentrant_call() {
        return Err(NativeError(error));
    }
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    let guarded = looker_ci_core::catch_panic("a call of the client", future);
    py.detach(|| runtime.block_on(guarded)).map_err(NativeError)
}

/// How often a blocking validation lets Python handle signals (Ctrl-C, a handler of SIGTERM).
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(100);

/// Run a validation to completion with the GIL released, handling Python's signals meanwhile: when
/// a handler raises (`KeyboardInterrupt`, or `SystemExit` from a SIGTERM handler) the validation
/// is cancelled, restores the Looker branch, and then that exception is raised.
fn block_on_interruptible<F, T>(
    py: Python<'_>,
    future: F,
    cancel: tokio::sync::oneshot::Sender<()>,
) -> PyResult<T>
where
    F: std::future::Future<Output = Result<T, looker_ci_core::Error>> + Send,
    T: Send,
{
    if let Some(error) = crate::provider::reentrant_call() {
        return Err(NativeError(error).into());
    }
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    let mut future = std::pin::pin!(looker_ci_core::catch_panic("validate()", future));
    let mut cancel = Some(cancel);
    let mut interrupted: Option<PyErr> = None;
    loop {
        // `timeout` needs the runtime's timer: built inside `block_on`.
        let step = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK, future.as_mut()).await })
        });
        match step {
            Ok(result) => {
                return match interrupted {
                    Some(signal) => Err(signal),
                    None => result.map_err(|e| NativeError(e).into()),
                };
            }
            Err(_) if interrupted.is_none() => {
                if let Err(signal) = py.check_signals() {
                    interrupted = Some(signal);
                    if let Some(cancel) = cancel.take() {
                        let _ = cancel.send(());
                    }
                }
            }
            // Cancelling: wait for the branch to be restored.
            Err(_) => {}
        }
    }
}

/// The validator and its options, checked before any request.
fn gate_request(
    validator: &str,
    options_json: &str,
) -> Result<(gate::ValidatorKind, gate::ValidateOptions), NativeError> {
    let kind = gate::ValidatorKind::parse(validator)?;
    let options = parse_json("options", Some(options_json))?.unwrap_or_default();
    Ok((kind, gate::ValidateOptions::from_json(options)?))
}

fn to_json(result: &gate::ValidationResult) -> looker_ci_core::Result<serde_json::Value> {
    serde_json::to_value(result).map_err(|e| looker_ci_core::Error::Internal {
        message: format!("the validation result could not be encoded: {e}"),
    })
}

#[pyclass(module = "looker_ci._native", frozen)]
pub struct NativeClient {
    client: LookerClient,
}

fn api_call(
    method: &str,
    path: &str,
    query_json: Option<&str>,
    body_json: Option<&str>,
) -> Result<ApiCall, NativeError> {
    let query = parse_json("query", query_json)?;
    Ok(ApiCall::from_parts(
        method,
        path,
        query.as_ref(),
        body_json,
    )?)
}

#[pymethods]
impl NativeClient {
    /// Settings from `./looker.ini` (or `config_file`) and the `LOOKERSDK_*` variables.
    #[staticmethod]
    #[pyo3(signature = (config_file=None, section=None, env=None))]
    fn from_env(
        config_file: Option<PathBuf>,
        section: Option<&str>,
        env: Option<HashMap<String, String>>,
    ) -> PyResult<Self> {
        let client = LookerClient::builder()
            .read_env(true)
            .set_config_file(config_file)
            .set_section(section.map(str::to_owned))
            .set_env(env)
            .build()
            .map_err(NativeError)?;
        Ok(NativeClient { client })
    }

    /// Explicit settings; `read_env` layers `looker.ini` and `LOOKERSDK_*` underneath them and
    /// lets the default credential chain find the key; `credentials` is a callable provider.
    #[staticmethod]
    #[pyo3(signature = (*, base_url=None, client_id=None, client_secret=None, verify_ssl=None,
        timeout=None, ca_bundle=None, https_proxy=None, dev_workspace=false, config_file=None,
        section=None, read_env=false, credentials=None, env=None, audit_file=None))]
    #[allow(clippy::too_many_arguments)]
    fn from_settings(
        py: Python<'_>,
        base_url: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        verify_ssl: Option<bool>,
        timeout: Option<f64>,
        ca_bundle: Option<PathBuf>,
        https_proxy: Option<String>,
        dev_workspace: bool,
        config_file: Option<PathBuf>,
        section: Option<&str>,
        read_env: bool,
        credentials: Option<Py<PyAny>>,
        env: Option<HashMap<String, String>>,
        audit_file: Option<PathBuf>,
    ) -> PyResult<Self> {
        // Each keyword maps onto the core's builder, which decides everything else.
        let credentials = credentials
            .map(|callable| PyCredentialProvider::new(py, callable))
            .transpose()?
            .map(|p| Arc::new(p) as Arc<dyn CredentialProvider>);
        let client = LookerClient::builder()
            .dev_workspace(dev_workspace)
            .read_env(read_env)
            .set_base_url(base_url)
            .set_client_id(client_id)
            .set_client_secret(client_secret.map(SecretString::from))
            .set_verify_ssl(verify_ssl)
            .set_timeout_secs(timeout)
            .set_ca_bundle(ca_bundle)
            .set_https_proxy(https_proxy)
            .set_config_file(config_file)
            .set_section(section.map(str::to_owned))
            .set_env(env)
            .set_credentials(credentials)
            .set_audit_file(audit_file)
            .build()
            .map_err(NativeError)?;
        Ok(NativeClient { client })
    }

    /// Which credential source the client uses and why (never a secret).
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let report = self.client.describe();
        let dict = PyDict::new(py);
        dict.set_item("source", &report.source)?;
        dict.set_item("detail", &report.detail)?;
        dict.set_item("skipped", report.skipped.clone())?;
        dict.set_item("proxy", report.proxy.clone())?;
        dict.set_item("summary", report.to_string())?;
        Ok(dict)
    }

    fn identity(&self) -> Json {
        Json(self.client.identity_json())
    }

    #[pyo3(signature = (commands=None))]
    fn doctor(&self, py: Python<'_>, commands: Option<Vec<String>>) -> PyResult<Json> {
        let options =
            DoctorOptions::for_commands(&commands.unwrap_or_default()).map_err(NativeError)?;
        let client = self.client.clone();
        Ok(Json(block_on(py, async move {
            Ok(doctor::doctor(&client, &options).await.to_json())
        })?))
    }

    #[pyo3(signature = (commands=None))]
    fn doctor_async<'py>(
        &self,
        py: Python<'py>,
        commands: Option<Vec<String>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options =
            DoctorOptions::for_commands(&commands.unwrap_or_default()).map_err(NativeError)?;
        let client = self.client.clone();
        awaitable::future_into_py(py, "doctor()", async move {
            Ok(Json(doctor::doctor(&client, &options).await.to_json()))
        })
    }

    #[pyo3(signature = (method, path, query_json=None, body_json=None, raw=false))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: &str,
        query_json: Option<&str>,
        body_json: Option<&str>,
        raw: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = api_call(method, path, query_json, body_json)?;
        let (method, path) = (call.method().to_owned(), call.path().to_owned());
        let client = self.client.clone();
        let bytes = block_on(py, async move { client.request_bytes(call).await })?;
        if raw {
            Ok(Raw(bytes).into_pyobject(py)?)
        } else {
            JsonReply {
                method,
                path,
                bytes,
            }
            .into_pyobject(py)
        }
    }

    #[pyo3(signature = (method, path, query_json=None, body_json=None, raw=false))]
    fn request_async<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: &str,
        query_json: Option<&str>,
        body_json: Option<&str>,
        raw: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let call = api_call(method, path, query_json, body_json)?;
        let (method, path) = (call.method().to_owned(), call.path().to_owned());
        let client = self.client.clone();
        if raw {
            awaitable::future_into_py(py, "request()", async move {
                client.request_bytes(call).await.map(Raw)
            })
        } else {
            awaitable::future_into_py(py, "request()", async move {
                let bytes = client.request_bytes(call).await?;
                Ok(JsonReply {
                    method,
                    path,
                    bytes,
                })
            })
        }
    }

    /// Call an operation of the Looker API by `operationId` (the generated methods use this).
    fn call<'py>(
        &self,
        py: Python<'py>,
        operation_id: &str,
        args_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = parse_args(args_json)?;
        let client = self.client.clone();
        let operation_id = operation_id.to_owned();
        let reply = block_on(py, async move {
            client.call_operation_raw(&operation_id, args).await
        })?;
        Reply(reply).into_pyobject(py)
    }

    fn call_async<'py>(
        &self,
        py: Python<'py>,
        operation_id: &str,
        args_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = parse_args(args_json)?;
        let client = self.client.clone();
        let operation_id = operation_id.to_owned();
        awaitable::future_into_py(py, "an operation", async move {
            client
                .call_operation_raw(&operation_id, args)
                .await
                .map(Reply)
        })
    }

    /// Run a validator of the CI gate; `options_json` holds `ValidateOptions` keys. Returns the
    /// result document (see docs/ci.md).
    fn validate(&self, py: Python<'_>, validator: &str, options_json: &str) -> PyResult<Json> {
        let (kind, options) = gate_request(validator, options_json)?;
        let client = self.client.clone();
        let (cancel_tx, cancel_rx) = tokio::sync::oneshot::channel::<()>();
        let run = async move {
            let progress = Arc::new(gate::Progress::new());
            let cancelled = async move {
                if cancel_rx.await.is_err() {
                    std::future::pending::<()>().await;
                }
            };
            let env = |name: &str| std::env::var(name).ok();
            let result =
                gate::validate_with(&client, kind, &options, &progress, cancelled, env).await?;
            to_json(&result)
        };
        Ok(Json(block_on_interruptible(py, run, cancel_tx)?))
    }

    fn validate_async<'py>(
        &self,
        py: Python<'py>,
        validator: &str,
        options_json: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (kind, options) = gate_request(validator, options_json)?;
        let client = self.client.clone();
        awaitable::future_into_py(py, "validate()", async move {
            // Cancelling the awaitable drops this future, and with it `stop`: the validation runs
            // as a task of its own so that it still cancels its queries in Looker and restores
            // the branch then (as the blocking `validate` does on Ctrl-C).
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                let progress = Arc::new(gate::Progress::new());
                let cancelled = async move {
                    let _ = stopped.await;
                };
                let env = |name: &str| std::env::var(name).ok();
                gate::validate_with(&client, kind, &options, &progress, cancelled, env).await
            });
            let joined = task.await;
            drop(stop);
            let result = joined.map_err(|e| looker_ci_core::Error::Internal {
                message: format!("the validation stopped unexpectedly: {e}"),
            })??;
            to_json(&result).map(Json)
        })
    }

    #[pyo3(signature = (project, branch=None, commit=None))]
    fn deploy(
        &self,
        py: Python<'_>,
        project: String,
        branch: Option<String>,
        commit: Option<String>,
    ) -> PyResult<()> {
        let client = self.client.clone();
        Ok(block_on(py, async move {
            gate::deploy::deploy(&client, &project, branch.as_deref(), commit.as_deref()).await
        })?)
    }

    #[pyo3(signature = (project, branch=None, commit=None))]
    fn deploy_async<'py>(
        &self,
        py: Python<'py>,
        project: String,
        branch: Option<String>,
        commit: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        awaitable::future_into_py(py, "deploy()", async move {
            gate::deploy::deploy(&client, &project, branch.as_deref(), commit.as_deref()).await
        })
    }

    fn run_schedule(&self, py: Python<'_>, plan_id: String) -> PyResult<Json> {
        let client = self.client.clone();
        Ok(Json(block_on(py, async move {
            gate::deploy::run_schedule(&client, &plan_id).await
        })?))
    }

    fn trigger_datagroup(
        &self,
        py: Python<'_>,
        model: String,
        datagroup: String,
    ) -> PyResult<Json> {
        let client = self.client.clone();
        Ok(Json(block_on(py, async move {
            gate::deploy::trigger_datagroup(&client, &model, &datagroup).await
        })?))
    }

    fn run_schedule_async<'py>(
        &self,
        py: Python<'py>,
        plan_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        awaitable::future_into_py(py, "run_schedule()", async move {
            gate::deploy::run_schedule(&client, &plan_id)
                .await
                .map(Json)
        })
    }

    fn trigger_datagroup_async<'py>(
        &self,
        py: Python<'py>,
        model: String,
        datagroup: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        awaitable::future_into_py(py, "trigger_datagroup()", async move {
            gate::deploy::trigger_datagroup(&client, &model, &datagroup)
                .await
                .map(Json)
        })
    }

    /// A client acting as `user_id` (sudo).
    fn login_user(&self, user_id: &str) -> PyResult<NativeClient> {
        Ok(NativeClient {
            client: self.client.login_user(user_id).map_err(NativeError)?,
        })
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.client.clone();
        Ok(block_on(py, async move { client.close().await })?)
    }

    fn close_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let client = self.client.clone();
        awaitable::future_into_py(py, "close()", async move { client.close().await })
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.client.stats();
        let dict = PyDict::new(py);
        dict.set_item("logins", stats.logins)?;
        dict.set_item("requests", stats.requests)?;
        dict.set_item("reauthentications", stats.reauthentications)?;
        Ok(dict)
    }

    #[getter]
    fn base_url(&self) -> String {
        self.client.base_url()
    }

    fn __repr__(&self) -> String {
        format!("<NativeClient base_url={:?}>", self.base_url())
    }
}
