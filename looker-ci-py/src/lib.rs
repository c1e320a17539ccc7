//! `looker_ci._native`: the private native module behind the `looker_ci` Python package.
//! It only converts: Python arguments to core calls, core results to Python objects, core
//! errors to the exceptions of `looker_ci.errors`.

mod awaitable;
mod client;
mod convert;
mod fake;
mod json_to_py;
mod provider;

use std::sync::OnceLock;

use pyo3::prelude::*;

static LOG_RESET: OnceLock<pyo3_log::ResetHandle> = OnceLock::new();

/// Re-read Python logging levels (call after `logging.getLogger(...).setLevel(...)`).
#[pyfunction]
fn refresh_logging() {
    if let Some(handle) = LOG_RESET.get() {
        handle.reset();
    }
}

/// Render a validation result (a dict from `validate`, as JSON text) as `json`, `junit`,
/// `codequality`, `github`, `markdown` or `text`.
#[pyfunction]
fn render_report(result_json: &str, format: &str) -> PyResult<String> {
    use looker_ci_core::gate::report::{ReportFormat, render};
    let format = ReportFormat::parse(format).map_err(convert::NativeError)?;
    let result: looker_ci_core::gate::ValidationResult = serde_json::from_str(result_json)
        .map_err(|e| {
            convert::NativeError(looker_ci_core::Error::invalid_argument(
                "result",
                format!("is not a looker-ci validation result: {e}"),
            ))
        })?;
    Ok(render(&result, format))
}

/// The details of one core error of each variant (every field set), as `looker_ci.errors`
/// receives them: the test that every error field reaches Python reads them. Not public API.
#[pyfunction]
fn error_samples() -> Vec<convert::Json> {
    looker_ci_core::testing::error_samples()
        .iter()
        .map(|error| convert::Json(error.details()))
        .collect()
}

/// Run the `looker-ci` command with `argv` (program name first); returns its exit code.
#[pyfunction]
fn run_cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    let args = argv.into_iter().map(Into::into).collect();
    py.detach(|| looker_ci_core::cli::run(args))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Core log records (via `tracing`'s `log` output) go to Python's `logging`, under the
    // logger names of their Rust modules (`looker_ci_core.session`, ...).
    // Levels are cached for speed; `refresh_logging()` re-reads them after a change. TRACE
    // records are forwarded too, at level 5, when a logger is set that low (pyo3-log's default
    // filter would stop at DEBUG).
    let logger = pyo3_log::Logger::new(m.py(), pyo3_log::Caching::LoggersAndLevels)?
        .filter(log::LevelFilter::Trace);
    if let Ok(reset) = logger.install() {
        LOG_RESET.get_or_init(|| reset);
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(refresh_logging, m)?)?;
    m.add_function(wrap_pyfunction!(render_report, m)?)?;
    m.add_function(wrap_pyfunction!(run_cli, m)?)?;
    m.add_function(wrap_pyfunction!(error_samples, m)?)?;
    // Results of async calls still being handed to an event loop get the GIL before the
    // interpreter finalizes (see `awaitable`).
    let hook = wrap_pyfunction!(awaitable::wait_for_deliveries, m)?;
    m.py().import("atexit")?.call_method1("register", (hook,))?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<fake::NativeFakeLooker>()?;
    Ok(())
}
