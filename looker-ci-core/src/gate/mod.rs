//! The CI gate: LookML, SQL, data-test and content validators, branch handling, deploy and
//! refresh, and the reports CI systems read. One implementation; the `looker-ci` command and the
//! Python and Node bindings only call [`validate`] and the functions of [`deploy`].
//!
//! ```no_run
//! # async fn run() -> looker_ci_core::Result<()> {
//! use looker_ci_core::gate::{self, ValidateOptions, ValidatorKind};
//! let client = looker_ci_core::LookerClient::from_env()?;
//! let options = ValidateOptions {
//!     project: "thelook".into(),
//!     commit: std::env::var("CI_COMMIT_SHA").ok(),
//!     explores: vec!["thelook/*".into(), "-thelook/legacy_*".into()],
//!     ..ValidateOptions::default()
//! };
//! let result = gate::validate(&client, ValidatorKind::Sql, &options).await?;
//! println!("{}", gate::report::render(&result, gate::report::ReportFormat::Text));
//! # Ok(()) }
//! ```

mod catalog;
mod content;
mod data_tests;
pub mod deploy;
pub mod git_ref;
mod lookml;
pub mod options;
pub mod progress;
pub mod report;
pub mod result;
pub mod selector;
pub mod shard;
mod sql;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

pub use git_ref::RefSpec;
pub use options::ValidateOptions;
pub use progress::{Progress, ProgressSnapshot};
pub use result::{
    CheckedExplore, Counts, Finding, FindingScope, GitRefValidated, ImportedRef, Severity, Shard,
    ValidationResult, ValidatorKind,
};

use crate::client::LookerClient;
use crate::error::{Error, Result};

/// Run one validator on the code `options` names (production, a branch, or a commit on a
/// temporary branch that is removed afterwards).
pub async fn validate(
    client: &LookerClient,
    validator: ValidatorKind,
    options: &ValidateOptions,
) -> Result<ValidationResult> {
    let progress = Arc::new(Progress::new());
    validate_with(
        client,
        validator,
        options,
        &progress,
        std::future::pending(),
        |name| std::env::var(name).ok(),
    )
    .await
}

/// [`validate`] with live progress, a cancellation signal (when `cancel` completes, the work
/// stops, the branch is restored and the result is [`Error::Cancelled`]), and the environment
/// that names the CI run (for the temporary branch).
pub async fn validate_with(
    client: &LookerClient,
    validator: ValidatorKind,
    options: &ValidateOptions,
    progress: &Arc<Progress>,
    cancel: impl Future<Output = ()>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ValidationResult> {
    // A 403 says which permissions the validator needs (docs/security.md).
    run(client, validator, options, progress, cancel, env)
        .await
        .map_err(|e| crate::doctor::permissions::explain(e, validator.as_str()))
}

async fn run(
    client: &LookerClient,
    validator: ValidatorKind,
    options: &ValidateOptions,
    progress: &Arc<Progress>,
    cancel: impl Future<Output = ()>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ValidationResult> {
    options.check()?;
    if options.incremental.is_some()
        && !matches!(validator, ValidatorKind::Content | ValidatorKind::Sql)
    {
        return Err(Error::invalid_argument(
            "incremental",
            format!(
                "incremental mode is for `sql` and `content`, not `{}`; leave --incremental out \
                 of this step",
                validator.as_str()
            ),
        ));
    }
    let started = Instant::now();
    let requests_before = client.stats().requests;
    let spec = RefSpec::new(options.branch.as_deref(), options.commit.as_deref());
    let mut result =
        ValidationResult::new(validator, &options.project, GitRefValidated::production());
    result.shard = options
        .shard
        .as_deref()
        .map(options::parse_shard)
        .transpose()?;
    result.incremental_target = options.incremental.clone();
    result.path_prefix = options
        .path_prefix
        .as_deref()
        .map(options::normalize_path_prefix)
        .transpose()?
        .flatten();

    // A wrong project is checked up front only where nothing else would show it: content
    // validation never reads the project, and a branch or commit is checked out in it first.
    // Elsewhere it is explained when the validator trips over it, a request less for every job.
    let checked_up_front = validator == ValidatorKind::Content
        || spec != RefSpec::Production
        || options.incremental.is_some();
    if checked_up_front {
        catalog::check_project(client, &options.project).await?;
    }
    // One cancellation for every step: a completed cancel is never polled again (each step
    // returns `Cancelled` at once).
    let mut cancel = std::pin::pin!(cancel);
    let mut existing = Vec::new();
    // Content compares whole results; the SQL validator compares explore by explore itself.
    if let Some(target) = options
        .incremental
        .as_ref()
        .filter(|_| validator == ValidatorKind::Content)
    {
        let target_spec = if target == "production" {
            RefSpec::Production
        } else {
            RefSpec::Branch(target.clone())
        };
        let mut on_target =
            ValidationResult::new(validator, &options.project, GitRefValidated::production());
        run_on_ref(
            client,
            validator,
            options,
            progress,
            &target_spec,
            &env,
            &mut on_target,
            &mut cancel,
        )
        .await?;
        existing = on_target
            .findings
            .iter()
            .map(|f| f.fingerprint(validator))
            .collect();
    }
    if let Err(error) = run_on_ref(
        client,
        validator,
        options,
        progress,
        &spec,
        &env,
        &mut result,
        &mut cancel,
    )
    .await
    {
        return Err(catalog::explain_missing_project(client, &options.project, error).await);
    }

    let threshold = options.threshold();
    let before = result.findings.len();
    result
        .findings
        .retain(|f| !existing.contains(&f.fingerprint(validator)));
    result.counts.findings_existing_on_target += (before - result.findings.len()) as u64;
    result.findings.retain(|f| f.severity >= threshold);
    // Warnings and info are reported without failing the gate.
    result.passed = result.findings.iter().all(|f| f.severity < Severity::Error);
    result.counts.findings = result.findings.len() as u64;
    result.counts.api_requests = client.stats().requests - requests_before;
    result.counts.seconds = started.elapsed().as_secs_f64();
    Ok(result)
}

/// Check out `spec`, run the validator, and restore, whether the run succeeded, failed or was
/// cancelled.
#[allow(clippy::too_many_arguments)]
async fn run_on_ref(
    client: &LookerClient,
    validator: ValidatorKind,
    options: &ValidateOptions,
    progress: &Arc<Progress>,
    spec: &RefSpec,
    env: &impl Fn(&str) -> Option<String>,
    result: &mut ValidationResult,
    cancel: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) -> Result<()> {
    let checked =
        git_ref::check_out(client, &options.project, spec, &options.import_refs, env).await?;
    result.git_ref = checked.validated.clone();
    let work = async {
        let on = checked.client();
        match validator {
            ValidatorKind::Lookml => lookml::validate_lookml(on, options, result).await,
            ValidatorKind::Sql => sql::validate_sql(on, options, progress, result).await,
            ValidatorKind::Assert => {
                data_tests::run_data_tests(on, options, progress, result).await
            }
            ValidatorKind::Content => content::validate_content(on, options, result).await,
        }
    };
    let mut outcome = tokio::select! {
        outcome = work => {
            if outcome.is_err() {
                // An error in one explore (a metadata fetch, a query creation) ends the run and
                // drops the others' checks: their queries are cancelled in Looker, not left on.
                progress.kill_running(checked.client()).await;
            }
            outcome
        }
        () = cancel.as_mut() => {
            // The queries the dropped work left running would go on in the warehouse.
            let killed = progress.kill_running(checked.client()).await;
            Err(Error::Cancelled {
                message: format!(
                    "the validation was interrupted; {killed} running queries were cancelled in \
                     Looker and the Looker branch was restored"
                ),
            })
        }
    };
    if outcome.is_ok() {
        match checked.switched_meanwhile().await {
            Ok(None) => {}
            Ok(Some(message)) => {
                result
                    .findings
                    .push(Finding::new(Severity::Error, FindingScope::Lookml, message))
            }
            Err(e) => outcome = Err(e),
        }
    }
    let restored = checked.restore().await;
    outcome?;
    restored
}
