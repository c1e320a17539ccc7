//! The CI gate's module functions: report rendering and the `looker-ci` command.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use looker_ci_core::gate::ValidationResult;
use looker_ci_core::gate::report::{ReportFormat, render};
use napi_derive::napi;

use crate::errors::{invalid, to_js};

/// A validation's cancellation, set by `cancelValidation(id)` (an `AbortSignal` of
/// `validate()` firing) before or while the validation runs.
#[derive(Default)]
pub(crate) struct Cancellation {
    cancelled: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Cancellation {
    /// Completes once the validation is cancelled.
    pub(crate) async fn cancelled(&self) {
        loop {
            let notified = self.notify.notified();
            if self.cancelled.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// Cancellations by id, while their validation runs (or when cancelled before it started).
static CANCELLATIONS: LazyLock<Mutex<HashMap<u32, Arc<Cancellation>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cancellations() -> std::sync::MutexGuard<'static, HashMap<u32, Arc<Cancellation>>> {
    // A panic never poisons shared state for good: the map stays usable.
    CANCELLATIONS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The cancellation of validation `id`; `forget` it when the validation ends.
pub(crate) fn cancellation(id: u32) -> Arc<Cancellation> {
    Arc::clone(cancellations().entry(id).or_default())
}

pub(crate) fn forget(id: u32) {
    cancellations().remove(&id);
}

/// Cancel validation `id` (`lib/index.js` calls it when the `AbortSignal` of `validate()`
/// fires): its running queries are cancelled in Looker, the branch restored, the temporary
/// branch removed, and the validation rejects with `LOOKER_CI_CANCELLED`.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn cancel_validation(id: u32) {
    let cancellation = cancellation(id);
    cancellation.cancelled.store(true, Ordering::SeqCst);
    cancellation.notify.notify_waiters();
}

/// Render a validation result (its JSON text) as `json`, `junit`, `codequality`, `github`,
/// `markdown` or `text`.
// Test builds of the crate (clippy --all-targets) do not register napi exports.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn render_report(result_json: String, format: String) -> napi::Result<String> {
    let format = ReportFormat::parse(&format).map_err(to_js)?;
    let result: ValidationResult = serde_json::from_str(&result_json).map_err(|e| {
        invalid(
            "result",
            format!("is not a looker-ci validation result: {e}"),
        )
    })?;
    Ok(render(&result, format))
}

/// Run the `looker-ci` command with `argv` (program name first); returns its exit code. Blocks
/// the calling thread: it is the whole of `bin/looker-ci.js`.
#[cfg_attr(test, allow(dead_code))]
#[napi]
pub fn run_cli(argv: Vec<String>) -> u32 {
    default_signal_actions();
    u32::from(looker_ci_core::cli::run(
        argv.into_iter().map(Into::into).collect(),
    ))
}

/// Give SIGINT and SIGTERM their default actions back before the command installs its own.
///
/// The command's handlers (Tokio's) also call the handler that was there before them. Node's
/// (`SignalExit`) re-raises the signal from inside itself, counting on `SA_RESETHAND` to have
/// restored the default action, which a chained call does not do: the handler would run again
/// and again on the thread driving the command, which then never restores the Looker branch.
#[cfg_attr(test, allow(dead_code))]
fn default_signal_actions() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `signal` with `SIG_DFL` installs no code of ours; the command process has no
        // other use for these handlers (this is the whole of `bin/looker-ci.js`).
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
        }
    }
}
