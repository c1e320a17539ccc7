//! The `looker-ci` command: parse the arguments, build the client from the environment (the same
//! settings and credential chain as every client), run the validator with live progress on
//! stderr, write the reports, print the summary on stdout, and exit with a code a pipeline can
//! branch on. `cargo install looker-ci`, the wheel's `looker-ci`/`python -m looker_ci` and
//! `npx looker-ci` all call [`run`].

mod args;
mod output;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;

use crate::audit::{AuditTrail, DEFAULT_CI_FILE, ENV_AUDIT_FILE};
use crate::client::LookerClient;
use crate::doctor::{DoctorOptions, permissions};
use crate::error::{Error, Result};
use crate::gate::report::{self, ReportFormat};
use crate::gate::{self, Progress, ValidateOptions, ValidationResult, ValidatorKind};
use crate::settings::{Environment, ProcessEnvironment};

use args::{Cli, Command, DoctorArgs, ReportArgs, ValidateArgs};

/// Exit codes (also in `--help`).
pub mod exit {
    /// The command succeeded; for a validator, no error or fatal finding (warnings may remain).
    pub const PASSED: u8 = 0;
    /// A validator reported findings that fail the gate.
    pub const FINDINGS: u8 = 1;
    /// A usage or configuration error: an option, a setting, an unknown project, explore or branch.
    pub const CONFIGURATION: u8 = 2;
    /// Looker or the way to it failed: an HTTP error, the connection, credentials, a timeout.
    pub const LOOKER: u8 = 3;
    /// A bug in looker-ci (a panic, or the async runtime would not start).
    pub const INTERNAL: u8 = 4;
    /// Cancelled by SIGINT or SIGTERM from the CI runner; temporary branches were removed first.
    pub const CANCELLED: u8 = 130;
}

/// Run the command with `args` (the program name first) and return its exit code.
pub fn run(args: Vec<OsString>) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::CONFIGURATION
            } else {
                exit::PASSED
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("looker-ci: error: cannot start the async runtime: {e}");
            return exit::INTERNAL;
        }
    };
    let code = runtime.block_on(execute(cli));
    // Background work (a dropped branch restore) gets a moment; nothing else is waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    code
}

/// The exit code for an error.
pub fn exit_code(error: &Error) -> u8 {
    match error {
        Error::Config { .. } | Error::InvalidArgument { .. } => exit::CONFIGURATION,
        Error::Cancelled { .. } => exit::CANCELLED,
        Error::Internal { .. } => exit::INTERNAL,
        _ => exit::LOOKER,
    }
}

/// How the command reaches Looker: the settings file and section, and the audit file.
struct Connection {
    ini: Option<PathBuf>,
    section: Option<String>,
    audit: Option<PathBuf>,
    no_audit: bool,
}

async fn execute(cli: Cli) -> u8 {
    let name = cli.command.name();
    let conn = Connection {
        ini: cli.ini,
        section: cli.section,
        audit: cli.audit,
        no_audit: cli.no_audit,
    };
    let conn = &conn;
    let outcome = match cli.command {
        Command::Lookml(a) => validate(conn, ValidatorKind::Lookml, a).await,
        Command::Sql(a) => validate(conn, ValidatorKind::Sql, a).await,
        Command::Assert(a) => validate(conn, ValidatorKind::Assert, a).await,
        Command::Content(a) => validate(conn, ValidatorKind::Content, a).await,
        Command::Merge(a) => merge(&a.inputs, &a.reports),
        Command::Doctor(a) => doctor(conn, a).await,
        Command::Deploy(a) => {
            with_client(conn, |client| async move {
                gate::deploy::deploy(
                    &client,
                    &a.project,
                    a.branch.as_deref(),
                    a.commit.as_deref(),
                )
                .await?;
                let what = a.branch.or(a.commit).unwrap_or_default();
                println!("deployed {what} of project {} to production", a.project);
                Ok(exit::PASSED)
            })
            .await
        }
        Command::RunSchedule(a) => {
            with_client(conn, |client| async move {
                let plan = gate::deploy::run_schedule(&client, &a.plan_id).await?;
                println!(
                    "scheduled plan {} ({}) is running once",
                    a.plan_id,
                    plan["name"].as_str().unwrap_or("unnamed")
                );
                Ok(exit::PASSED)
            })
            .await
        }
        Command::TriggerDatagroup(a) => {
            with_client(conn, |client| async move {
                gate::deploy::trigger_datagroup(&client, &a.model, &a.datagroup).await?;
                println!("datagroup {}::{} triggered", a.model, a.datagroup);
                Ok(exit::PASSED)
            })
            .await
        }
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            // A 403 carries what the command needs (the gate adds it; the doctor's table).
            eprintln!(
                "looker-ci: error: {}",
                permissions::explain(error.clone(), name)
            );
            exit_code(&error)
        }
    }
}

/// The client of the command: settings and the credential chain from the environment, and the
/// audit trail (`--audit` over `LOOKER_CI_AUDIT_FILE` over, in CI, ./looker-ci-audit.jsonl).
fn client_from_environment(conn: &Connection) -> Result<LookerClient> {
    let process: Arc<dyn Environment> = Arc::new(ProcessEnvironment);
    // The chain attaches LOOKER_CI_AUDIT_FILE itself; the command decides here instead.
    let env: Arc<dyn Environment> = Arc::new(Without {
        inner: Arc::clone(&process),
        hidden: ENV_AUDIT_FILE,
    });
    let mut builder = LookerClient::builder().environment(env).read_env(true);
    if let Some(path) = &conn.ini {
        builder = builder.config_file(path);
    }
    if let Some(section) = &conn.section {
        builder = builder.section(section);
    }
    let client = builder.build()?;
    let audit = if conn.no_audit {
        None
    } else {
        conn.audit
            .clone()
            .or_else(|| {
                process
                    .var(ENV_AUDIT_FILE)
                    .filter(|p| !p.trim().is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| client.ci_run().map(|_| PathBuf::from(DEFAULT_CI_FILE)))
    };
    Ok(match audit {
        Some(path) => client.with_audit(Arc::new(AuditTrail::open(path)?)),
        None => client,
    })
}

/// An environment with one variable hidden.
struct Without {
    inner: Arc<dyn Environment>,
    hidden: &'static str,
}

impl Environment for Without {
    fn var(&self, name: &str) -> Option<String> {
        (name != self.hidden)
            .then(|| self.inner.var(name))
            .flatten()
    }
    fn read_file(&self, path: &Path) -> std::io::Result<Option<String>> {
        self.inner.read_file(path)
    }
    fn vars(&self) -> Vec<(String, String)> {
        let mut vars = self.inner.vars();
        vars.retain(|(name, _)| name != self.hidden);
        vars
    }
}

/// Run `work` with a client, then log out whatever happened and close the audit run.
async fn with_client<F, Fut>(conn: &Connection, work: F) -> Result<u8>
where
    F: FnOnce(LookerClient) -> Fut,
    Fut: std::future::Future<Output = Result<u8>>,
{
    let client = client_from_environment(conn)?;
    let outcome = work(client.clone()).await;
    let closed = client.close().await;
    if let Some(trail) = client.audit_trail() {
        trail.finish(match &outcome {
            Ok(exit::PASSED) => "passed",
            Ok(_) => "failed",
            Err(Error::Cancelled { .. }) => "cancelled",
            Err(_) => "error",
        });
    }
    let code = outcome?;
    closed?;
    Ok(code)
}

async fn doctor(conn: &Connection, args: DoctorArgs) -> Result<u8> {
    let options = DoctorOptions::for_commands(&args.commands)?;
    with_client(conn, |client| async move {
        let report = crate::doctor::doctor(&client, &options).await;
        if let Some(path) = &args.json {
            write_report(path, &format!("{:#}", report.to_json()))?;
        }
        let text = report.render_text();
        for line in text.lines() {
            let quiet_skip = args.quiet
                && (line.trim_start().starts_with("note") || line.starts_with("        fix"));
            if !quiet_skip {
                println!("{line}");
            }
        }
        Ok(if report.passed {
            exit::PASSED
        } else {
            exit::FINDINGS
        })
    })
    .await
}

async fn validate(conn: &Connection, validator: ValidatorKind, args: ValidateArgs) -> Result<u8> {
    let options = options_from(&args)?;
    let reports = args.reports;
    let cancel = cancellation();
    with_client(conn, |client| async move {
        let progress = Arc::new(Progress::new());
        let ticker =
            (!reports.quiet).then(|| output::spawn_progress(validator, Arc::clone(&progress)));
        let result = gate::validate_with(&client, validator, &options, &progress, cancel, |name| {
            std::env::var(name).ok()
        })
        .await;
        if let Some(ticker) = ticker {
            ticker.abort();
            output::clear_progress_line();
        }
        finish(&result?, &reports)
    })
    .await
}

/// Flags over the `--options` file over the defaults; the shard defaults to GitLab's
/// `parallel:` variables.
fn options_from(args: &ValidateArgs) -> Result<ValidateOptions> {
    let mut options = match &args.options {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::invalid_argument("options", format!("cannot read {}: {e}", path.display()))
            })?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                Error::invalid_argument("options", format!("{} is not JSON: {e}", path.display()))
            })?;
            serde_json::from_value(value).map_err(|e| {
                Error::invalid_argument("options", format!("in {}: {e}", path.display()))
            })?
        }
        None => ValidateOptions::default(),
    };
    let a = args;
    if let Some(project) = &a.project {
        options.project = project.clone();
    }
    if !a.explores.is_empty() {
        options.explores = a.explores.clone();
    }
    if a.branch.is_some() || a.commit.is_some() {
        options.branch = a.branch.clone();
        options.commit = a.commit.clone();
    }
    set(&mut options.concurrency, a.concurrency);
    if a.query_timeout.is_some() {
        options.query_timeout = a.query_timeout;
    }
    options.shard = a
        .shard
        .clone()
        .or(options.shard)
        .or_else(|| gate::shard::from_ci_environment(|n| std::env::var(n).ok()));
    if let Some(path) = &a.shard_timings {
        options.shard_timings = Some(path.display().to_string());
    }
    options.fail_fast |= a.fail_fast;
    options.skip_hidden |= a.skip_hidden;
    options.dimensions_only |= a.dimensions_only;
    options.exclude_personal |= a.exclude_personal;
    if a.severity.is_some() {
        options.severity = a.severity.clone();
    }
    if !a.folders.is_empty() {
        options.folders = a.folders.clone();
    }
    if !a.exclude_folders.is_empty() {
        options.exclude_folders = a.exclude_folders.clone();
    }
    if a.incremental.is_some() {
        options.incremental = a.incremental.clone();
    }
    if a.reports.path_prefix.is_some() {
        options.path_prefix = a.reports.path_prefix.clone();
    }
    for pin in &a.import_refs {
        let (project, reference) = pin
            .split_once('=')
            .map(|(p, r)| (p.trim(), r.trim()))
            .filter(|(p, r)| !p.is_empty() && !r.is_empty())
            .ok_or_else(|| {
                Error::invalid_argument(
                    "import_refs",
                    format!("--import-ref `{pin}` is not PROJECT=REF, e.g. shared_views=main"),
                )
            })?;
        options
            .import_refs
            .insert(project.to_owned(), reference.to_owned());
    }
    options.check()?;
    Ok(options)
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// Completes on SIGINT or SIGTERM (what CI runners send on cancel or timeout). The handlers
/// are installed here, before the first request, so a signal that arrives while the branch is
/// being checked out is not lost (it is seen as soon as the validation looks).
fn cancellation() -> impl std::future::Future<Output = ()> + Send {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {}
                () = wait(int) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn merge(inputs: &[std::path::PathBuf], reports: &ReportArgs) -> Result<u8> {
    let mut parts = Vec::new();
    for path in inputs {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_argument("inputs", format!("cannot read {}: {e}", path.display()))
        })?;
        let part: ValidationResult = serde_json::from_str(&text).map_err(|e| {
            Error::invalid_argument(
                "inputs",
                format!("{} is not a looker-ci result document: {e}", path.display()),
            )
        })?;
        parts.push(part);
    }
    finish(&ValidationResult::merge(parts)?, reports)
}

/// Write the reports, print the summary, and give the exit code of the result.
fn finish(result: &ValidationResult, reports: &ReportArgs) -> Result<u8> {
    let prefixed;
    let result = match &reports.path_prefix {
        Some(prefix) => {
            let mut with_prefix = result.clone();
            with_prefix.path_prefix = gate::options::normalize_path_prefix(prefix)?;
            prefixed = with_prefix;
            &prefixed
        }
        None => result,
    };
    for (path, format) in [
        (&reports.json, ReportFormat::Json),
        (&reports.junit, ReportFormat::Junit),
        (&reports.codequality, ReportFormat::CodeQuality),
        (&reports.markdown, ReportFormat::Markdown),
    ] {
        if let Some(path) = path {
            write_report(path, &report::render(result, format))?;
        }
    }
    let github = reports.github || std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    if github {
        print!("{}", report::render(result, ReportFormat::Github));
    }
    output::print_summary(result, reports.quiet, std::io::stdout().is_terminal());
    Ok(if result.passed {
        exit::PASSED
    } else {
        exit::FINDINGS
    })
}

/// Write through a temporary file and rename, so a killed job never leaves half a report.
fn write_report(path: &Path, text: &str) -> Result<()> {
    let fail = |e: std::io::Error| {
        Error::invalid_argument("report", format!("cannot write {}: {e}", path.display()))
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let temporary = path.with_extension("looker-ci-tmp");
    std::fs::write(&temporary, text).map_err(fail)?;
    std::fs::rename(&temporary, path).map_err(fail)
}
