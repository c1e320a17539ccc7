//! `looker_ci._native`: the private native module behind the `looker_ci` Python package.
//! It only converts: Python arguments to core calls, core results to Python objects, core
//! errors to the exceptions of `looker_ci.errors`.

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

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Core log records (via `tracing`'s `log` output) go to Python's `logging`, under the
    // logger names of their Rust modules (`looker_ci_core.session`, ...).
    // Levels are cached for speed; `refresh_logging()` re-reads them after a change.
    let reset = pyo3_log::init();
    LOG_RESET.get_or_init(|| reset);
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(refresh_logging, m)?)?;
    m.add_class::<client::NativeClient>()?;
    m.add_class::<fake::NativeFakeLooker>()?;
    Ok(())
}
