//! The CI gate's module functions: report rendering and the `looker-ci` command.

use looker_ci_core::gate::ValidationResult;
use looker_ci_core::gate::report::{ReportFormat, render};
use napi_derive::napi;

use crate::errors::{invalid, to_js};

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
