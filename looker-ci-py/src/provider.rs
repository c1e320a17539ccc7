//! A Python callable as a core `CredentialProvider` (the adapter pattern: the core never knows
//! it is talking to Python). The callable takes no argument and returns a mapping with
//! `client_id` and `client_secret`, or is an `async def` whose coroutine does; it runs on a
//! blocking thread with the GIL held only for the call, so it may do I/O. A coroutine runs to
//! completion on an event loop of its own on that thread (`asyncio.run`): the login does not
//! depend on which loop, if any, the caller's call was made from.

use std::fmt;

use looker_ci_core::{
    ApiCredentials, CredentialProvider, Error, Result, SecretString, async_trait,
};
use pyo3::prelude::*;
use pyo3::types::PyMapping;

thread_local! {
    /// Set while a credentials callable runs on this thread: a client call from inside it would
    /// wait for the login that is waiting for the callable.
    static IN_CALLABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The error for a client call made from inside a credentials callable, if this is one.
pub(crate) fn reentrant_call() -> Option<Error> {
    IN_CALLABLE
        .with(|flag| flag.get())
        .then(|| Error::Credentials {
            provider: "python".into(),
            message:
                "the credentials callable called a looker-ci client, whose login would wait for \
                  that callable; fetch the key without a looker-ci client"
                    .into(),
        })
}

/// Clears the flag when the callable returns or raises.
struct CallableRunning;

impl CallableRunning {
    fn start() -> Self {
        IN_CALLABLE.with(|flag| flag.set(true));
        CallableRunning
    }
}

impl Drop for CallableRunning {
    fn drop(&mut self) {
        IN_CALLABLE.with(|flag| flag.set(false));
    }
}

pub struct PyCredentialProvider {
    callable: Py<PyAny>,
    name: String,
}

impl fmt::Debug for PyCredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyCredentialProvider({})", self.name)
    }
}

impl PyCredentialProvider {
    pub fn new(py: Python<'_>, callable: Py<PyAny>) -> PyResult<Self> {
        let bound = callable.bind(py);
        if !bound.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "credentials must be a callable returning {'client_id': ..., 'client_secret': ...}",
            ));
        }
        let name = bound
            .getattr("__qualname__")
            .and_then(|n| n.extract::<String>())
            .unwrap_or_else(|_| "callable".into());
        Ok(PyCredentialProvider {
            callable,
            name: format!("python:{name}"),
        })
    }

    fn call(&self) -> Result<ApiCredentials> {
        let fail = |message: String| Error::Credentials {
            provider: self.name.clone(),
            message,
        };
        let _running = CallableRunning::start();
        Python::attach(|py| {
            let mut result = self
                .callable
                .call0(py)
                .map_err(|e| fail(format!("the callable raised {e}")))?;
            let is_coroutine = py
                .import("inspect")
                .and_then(|inspect| inspect.call_method1("iscoroutine", (&result,)))
                .and_then(|yes| yes.is_truthy())
                .map_err(|e| fail(format!("the callable's result could not be inspected: {e}")))?;
            if is_coroutine {
                result = py
                    .import("asyncio")
                    .and_then(|asyncio| asyncio.call_method1("run", (result,)))
                    .map_err(|e| fail(format!("the async callable raised {e}")))?
                    .unbind();
            }
            let mapping = result
                .bind(py)
                .cast::<PyMapping>()
                .map_err(|_| fail("the callable must return a mapping".into()))?;
            let field = |key: &str| -> Result<String> {
                mapping
                    .get_item(key)
                    .and_then(|v| v.extract::<String>())
                    .map_err(|_| fail(format!("the returned mapping has no string {key:?}")))
            };
            Ok(ApiCredentials::new(
                field("client_id")?,
                SecretString::from(field("client_secret")?),
            ))
        })
    }
}

#[async_trait]
impl CredentialProvider for PyCredentialProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn api_credentials(&self) -> Result<ApiCredentials> {
        // The GIL may be held by another thread for a while: wait for it off the async workers.
        tokio::task::block_in_place(|| self.call())
    }
}
