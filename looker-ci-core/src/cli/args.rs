//! The command line, as clap reads it. Every validator option maps onto one
//! [`ValidateOptions`] field, so the command, a `--options` file, Python and Node agree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0    passed (no error or fatal finding; warnings may be reported)
  1    findings: the gate failed
  2    configuration or usage error (an option, a setting, an unknown project/explore/branch)
  3    Looker or API error (HTTP error, connection, credentials, timeout)
  4    internal error (a bug: please report it)
  130  cancelled (SIGINT or SIGTERM from the CI runner); temporary branches were removed";

const EXAMPLES: &str = "\
Examples:
  looker-ci lookml --project thelook
  looker-ci sql --project thelook --commit \"$CI_COMMIT_SHA\" --explores 'thelook/*' '-thelook/legacy_*' \\
      --concurrency 15 --query-timeout 300 --junit sql.xml --codequality sql-quality.json
  looker-ci sql --project thelook --branch feature-x --shard 2/4 --json shard-2.json
  looker-ci sql --project thelook --shard 2/4 --shard-timings looker-ci-timings.json --json shard-2.json
  looker-ci sql --project thelook --commit \"$CI_COMMIT_SHA\" --import-ref shared_views=v2.1
  looker-ci merge shard-*.json --junit sql.xml --markdown sql.md
  looker-ci assert --project thelook --explores thelook/orders
  looker-ci content --project thelook --exclude-personal --incremental production
  looker-ci deploy --project thelook --commit \"$CI_COMMIT_SHA\"
  looker-ci doctor --command lookml --command sql --json doctor.json

Settings and credentials come from the environment and looker.ini like the client's
(LOOKERSDK_BASE_URL, the CI identity chain or an API key): see docs/ci.md.";

#[derive(Debug, Parser)]
#[command(
    name = "looker-ci",
    version,
    about = "The CI gate for Looker: LookML, SQL, data-test and content validation with CI reports",
    after_help = format!("{EXIT_CODES}\n\n{EXAMPLES}"),
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Read settings from this looker.ini file (default: ./looker.ini when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub ini: Option<PathBuf>,
    /// The looker.ini section to use (default: the first).
    #[arg(long, global = true, value_name = "NAME")]
    pub section: Option<String>,
    /// Append an audit record of every Looker request to this JSON-lines file (default in CI:
    /// LOOKER_CI_AUDIT_FILE, else ./looker-ci-audit.jsonl; outside CI: LOOKER_CI_AUDIT_FILE).
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "no_audit")]
    pub audit: Option<PathBuf>,
    /// Write no audit file, even in CI.
    #[arg(long, global = true)]
    pub no_audit: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate the project's LookML (Looker's project validation; a fresh cached result is reused).
    Lookml(ValidateArgs),
    /// Prove that every selected explore's dimensions and measures run on the warehouse.
    Sql(ValidateArgs),
    /// Run the project's LookML data tests.
    Assert(ValidateArgs),
    /// Validate Looks, dashboards and other content against the LookML.
    Content(ValidateArgs),
    /// Merge result documents (--json of sharded jobs) into one and write its reports.
    Merge(MergeArgs),
    /// Deploy a branch or commit of the project to production.
    Deploy(DeployArgs),
    /// Run a scheduled plan once now.
    RunSchedule(RunScheduleArgs),
    /// Mark a datagroup stale now, so Looker rebuilds what depends on it.
    TriggerDatagroup(TriggerArgs),
    /// Check the set-up: identity, stored secrets, the API user's privileges, lifetimes.
    Doctor(DoctorArgs),
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Lookml(_) => "lookml",
            Command::Sql(_) => "sql",
            Command::Assert(_) => "assert",
            Command::Content(_) => "content",
            Command::Merge(_) => "merge",
            Command::Deploy(_) => "deploy",
            Command::RunSchedule(_) => "run-schedule",
            Command::TriggerDatagroup(_) => "trigger-datagroup",
            Command::Doctor(_) => "doctor",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// A command the pipeline runs (repeat for several; default: lookml, sql, assert, content).
    /// Privileges are checked against what these need.
    #[arg(long = "command", value_name = "COMMAND")]
    pub commands: Vec<String>,
    /// Write the report as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Print errors and warnings only.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where reports go; shared by the validators and `merge`.
#[derive(Debug, Args, Default)]
pub(crate) struct ReportArgs {
    /// Write the full result as JSON (the documented, stable document).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write JUnit XML (GitLab artifacts:reports:junit, GitHub test reporters).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write GitLab Code Quality JSON (artifacts:reports:codequality).
    #[arg(long, value_name = "FILE")]
    pub codequality: Option<PathBuf>,
    /// Write a Markdown summary (for a merge-request comment or $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Print GitHub Actions annotations (default: on when GITHUB_ACTIONS=true).
    #[arg(long)]
    pub github: bool,
    /// The Looker project's directory in the repository (e.g. `looker/`): Code Quality, JUnit
    /// and GitHub annotations name files from the repository root, as GitLab and GitHub link
    /// them (the JSON document keeps them relative to the Looker project and records the prefix).
    #[arg(long, value_name = "DIR")]
    pub path_prefix: Option<String>,
    /// Print only the summary line, no finding details and no progress.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The LookML project.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Explores to check: model/explore, `*` wildcards, -model/explore to exclude.
    #[arg(long, num_args = 1.., value_name = "SELECTOR", allow_hyphen_values = true)]
    pub explores: Vec<String>,
    /// Validate this dev branch.
    #[arg(long, value_name = "BRANCH", conflicts_with = "commit")]
    pub branch: Option<String>,
    /// Validate this commit (checked out on a temporary branch that is always removed).
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Pin an imported project while a branch or commit is validated: PROJECT=REF (branch, tag
    /// or commit; repeat for several). Unpinned, a local import follows: the branch of the
    /// validated branch's name (for a commit: the merge request's source branch) when it has
    /// one, else its production branch; it is restored afterwards.
    #[arg(long = "import-ref", value_name = "PROJECT=REF")]
    pub import_refs: Vec<String>,
    /// Queries at once (Looker's per-user limit is 15 by default).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Cancel a query in Looker after this many seconds and report it.
    #[arg(long, value_name = "SECONDS")]
    pub query_timeout: Option<f64>,
    /// Run part I of N (default: CI_NODE_INDEX/CI_NODE_TOTAL of GitLab `parallel:`).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Balance the shards by each explore's query time in this earlier `--json` (sql): every job
    /// of the run must read the same file (commit it, or pass it as an artifact).
    #[arg(long, value_name = "FILE")]
    pub shard_timings: Option<PathBuf>,
    /// Report failing explores only, without searching for the failing fields (sql).
    #[arg(long)]
    pub fail_fast: bool,
    /// Leave hidden fields out (sql).
    #[arg(long)]
    pub skip_hidden: bool,
    /// Check dimensions only, not measures (sql).
    #[arg(long)]
    pub dimensions_only: bool,
    /// Lowest severity reported: info, warning, error, fatal (default warning); only error and
    /// fatal findings fail the gate.
    #[arg(long, value_name = "LEVEL")]
    pub severity: Option<String>,
    /// Content in these folders (id or name, subfolders included) only (content).
    #[arg(long, num_args = 1.., value_name = "FOLDER")]
    pub folders: Vec<String>,
    /// Leave out content in these folders and their subfolders (content).
    #[arg(long, num_args = 1.., value_name = "FOLDER")]
    pub exclude_folders: Vec<String>,
    /// Leave out content in personal folders (content).
    #[arg(long)]
    pub exclude_personal: bool,
    /// Report only what is new against REF: sql compares with `production`; content with
    /// `production` or a branch.
    #[arg(long, value_name = "REF")]
    pub incremental: Option<String>,
    /// Read validator options from this JSON file (keys as in docs/ci.md); flags override it.
    #[arg(long, value_name = "FILE")]
    pub options: Option<PathBuf>,
    #[command(flatten)]
    pub reports: ReportArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// Result documents written with --json.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub reports: ReportArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    #[arg(long, value_name = "NAME")]
    pub project: String,
    /// Deploy the head of this branch.
    #[arg(
        long,
        value_name = "BRANCH",
        conflicts_with = "commit",
        required_unless_present = "commit"
    )]
    pub branch: Option<String>,
    /// Deploy this commit.
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RunScheduleArgs {
    /// The scheduled plan's id.
    #[arg(value_name = "PLAN_ID")]
    pub plan_id: String,
}

#[derive(Debug, Args)]
pub(crate) struct TriggerArgs {
    /// The model that defines the datagroup.
    #[arg(long, value_name = "MODEL")]
    pub model: String,
    /// The datagroup's name.
    #[arg(value_name = "DATAGROUP")]
    pub datagroup: String,
}
