//! Core futures as asyncio awaitables that are safe at interpreter exit.
//!
//! This is `pyo3_async_runtimes::tokio::future_into_py` (a future of the running loop, resolved
//! through `call_soon_threadsafe`; cancelling it drops the Rust future) with one difference: the
//! thread that hands a result to the loop counts itself in and out, and an `atexit` hook gives it
//! the GIL until it is out. `call_soon_threadsafe` queues the callback, then writes to the loop's wake-up socket with
//! the GIL released: the loop can run the callback, finish the program and start finalizing before
//! that thread takes the GIL back, and on Python < 3.14 taking it then ends the thread with
//! `pthread_exit`, which aborts the process (SIGABRT) as it unwinds through Rust frames. An
//! asyncio program whose last await was a looker-ci call died that way about one run in four.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use tokio::sync::oneshot;

use crate::convert::NativeError;

/// Threads handing a result to an event loop right now.
static DELIVERING: AtomicUsize = AtomicUsize::new(0);

/// The longest the interpreter's exit waits for results being handed over (each takes
/// microseconds once it has the GIL).
const EXIT_WAIT: Duration = Duration::from_secs(5);

/// An awaitable for `future` on the running event loop. Errors become exceptions of
/// `looker_ci.errors`; a panic becomes `InternalError`; cancelling the awaitable drops `future`.
pub fn future_into_py<'py, F, T>(
    py: Python<'py>,
    what: &'static str,
    future: F,
) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = looker_ci_core::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let py_future = event_loop.call_method0("create_future")?;
    let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
    py_future.call_method1(
        "add_done_callback",
        (CancelOnDone {
            cancel: Mutex::new(Some(cancel_tx)),
        },),
    )?;
    let target = (event_loop.unbind(), py_future.clone().unbind());
    let runtime = pyo3_async_runtimes::tokio::get_runtime();
    runtime.spawn(async move {
        let outcome = tokio::select! {
            outcome = looker_ci_core::catch_panic(what, future) => outcome,
            // The awaitable was cancelled: nothing to deliver.
            Ok(()) = cancel_rx => return,
        };
        // Converting and delivering needs the GIL: not on a worker of the runtime.
        tokio::task::spawn_blocking(move || deliver(target, outcome));
    });
    Ok(py_future)
}

/// Hand `outcome` to the event loop.
fn deliver<T>(target: (Py<PyAny>, Py<PyAny>), outcome: looker_ci_core::Result<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    DELIVERING.fetch_add(1, Ordering::SeqCst);
    Python::attach(|py| {
        let (event_loop, future) = target;
        let (event_loop, future) = (event_loop.bind(py), future.bind(py));
        let handed = (|| -> PyResult<()> {
            // Cancelled, or abandoned on a loop that has ended: nobody waits for it.
            if future.call_method0("cancelled")?.is_truthy()?
                || event_loop.call_method0("is_closed")?.is_truthy()?
            {
                return Ok(());
            }
            // A result that cannot be converted (a reply that is not JSON) is the awaiter's
            // exception too: the awaitable always completes.
            let converted = outcome
                .map_err(|error| PyErr::from(NativeError(error)))
                .and_then(|value| value.into_bound_py_any(py));
            let (method, value) = match converted {
                Ok(value) => ("set_result", value),
                Err(error) => (
                    "set_exception",
                    error.into_value(py).into_bound(py).into_any(),
                ),
            };
            let complete = future.getattr(method)?;
            event_loop.call_method1(
                "call_soon_threadsafe",
                (Completor, future.clone(), complete, value),
            )?;
            Ok(())
        })();
        if let Err(error) = handed {
            // The loop is closed, or the like: as for an exception in a callback.
            error.write_unraisable(py, None);
        }
    });
    DELIVERING.fetch_sub(1, Ordering::SeqCst);
}

/// `atexit` hook: results being handed over get the GIL to finish before the interpreter
/// finalizes.
#[pyfunction]
pub fn wait_for_deliveries(py: Python<'_>) {
    py.detach(|| {
        let deadline = Instant::now() + EXIT_WAIT;
        while DELIVERING.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// Sets the result on the loop's thread unless the future was cancelled meanwhile.
#[pyclass(module = "looker_ci._native", frozen)]
struct Completor;

#[pymethods]
impl Completor {
    fn __call__(
        &self,
        future: &Bound<'_, PyAny>,
        complete: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        if !future.call_method0("cancelled")?.is_truthy()? {
            complete.call1((value,))?;
        }
        Ok(())
    }
}

/// Done callback of the awaitable: a cancellation drops the Rust future.
#[pyclass(module = "looker_ci._native", frozen)]
struct CancelOnDone {
    cancel: Mutex<Option<oneshot::Sender<()>>>,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            let sender = self.cancel.lock().ok().and_then(|mut slot| slot.take());
            if let Some(sender) = sender {
                let _ = sender.send(());
            }
        }
        Ok(())
    }
}
