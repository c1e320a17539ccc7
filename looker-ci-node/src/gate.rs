//! The CI gate's module functions: report rendering and the `looker-ci` command.

use looker_ci_core::gate::ValidationResult;
use looker_ci_core::gate::report::{ReportFormat, render};
use napi_derive::napi;

use crate::errors::{invalid, to_js};

/// Render a validation result (its JSON text) as `json`, `junit`, `codequality`, `github`,
/// `markdown` or `text`.
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
#[napi]
pub fn run_cli(argv: Vec<String>) -> u32 {
    u32::from(looker_ci_core::cli::run(
        argv.into_iter().map(Into::into).collect(),
    ))
}
