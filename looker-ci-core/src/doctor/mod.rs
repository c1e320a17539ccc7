//! `looker-ci doctor`: checks that a CI job's access to Looker keeps the promises of
//! identity-based access, before a pipeline depends on it. Four areas:
//! - identity: which source the chain chose and why, the CI token's claims (never the token),
//!   the AWS role and session name, the Okta client;
//! - secrets: a stored Looker secret beside identity-based access, secrets in world-readable
//!   files, TLS verification off, `http://` to a host that is not loopback;
//! - privilege: the API user's roles, permission sets and model sets against what the pipeline's
//!   commands need ([`permissions::COMMAND_PERMISSIONS`]);
//! - lifetimes: the job's timeout against the Looker token, the STS session and the CI token.
//!
//! Anything marked [`Level::Error`] fails the check (the command exits 1).

mod identity;
mod lifetimes;
pub mod permissions;
mod privilege;
mod secrets;

use std::fmt::Write as _;
use std::sync::Arc;

use serde::Serialize;

use crate::ci_run::CiRun;
use crate::client::LookerClient;
use crate::credentials::summary::IdentitySummary;
use crate::settings::Environment;

/// Version of the JSON document [`DoctorReport`] serialises to.
pub const FORMAT_VERSION: u32 = 1;

/// What the doctor checks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorOptions {
    /// The `looker-ci` commands the pipeline runs (default: the validation commands).
    pub commands: Vec<String>,
}

impl Default for DoctorOptions {
    fn default() -> Self {
        DoctorOptions {
            commands: permissions::VALIDATION_COMMANDS
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
        }
    }
}

impl DoctorOptions {
    /// Options for `commands`; an unknown command is an error naming the known ones.
    pub fn for_commands(commands: &[String]) -> crate::Result<DoctorOptions> {
        if commands.is_empty() {
            return Ok(DoctorOptions::default());
        }
        for command in commands {
            if permissions::for_command(command).is_none() {
                let known: Vec<&str> = permissions::COMMAND_PERMISSIONS
                    .iter()
                    .map(|c| c.command)
                    .collect();
                return Err(crate::Error::invalid_argument(
                    "command",
                    format!(
                        "`{command}` is not a looker-ci command; known: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(DoctorOptions {
            commands: commands.to_vec(),
        })
    }
}

/// The area a finding belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Area {
    /// Which credential source is used and why, the CI token, the AWS role, the Okta client, login.
    Identity,
    /// Stored secrets beside identity-based access, readable secret files, TLS off, plain HTTP.
    Secrets,
    /// The API user's roles, permissions and models against what the commands need.
    Privilege,
    /// The job's timeout against the Looker token, the STS session and the CI token.
    Lifetimes,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Level {
    /// A fact shown for the record.
    Note,
    /// Works, but grants or keeps more than the pipeline needs.
    Warning,
    /// Breaks a promise of identity-based access, or will break the pipeline.
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The area of the check that made it.
    pub area: Area,
    /// How much it matters; any [`Level::Error`] fails the doctor.
    pub level: Level,
    /// Stable identifier, e.g. `secrets.static-key-with-identity`.
    pub code: &'static str,
    /// What was found, in a sentence.
    pub message: String,
    /// What to change, when something should change.
    pub fix: Option<String>,
}

/// One role of the API user, as Looker reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RoleSummary {
    /// The role's name.
    pub name: String,
    /// The name of the role's permission set.
    pub permission_set: String,
    /// The permissions of that set, as Looker names them (e.g. `see_lookml`).
    pub permissions: Vec<String>,
    /// The models the role reaches; `None` when its model set is "All".
    pub models: Option<Vec<String>>,
}

/// The Looker user the API key logs in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LookerUser {
    /// The user's Looker id (empty when the reply had none).
    pub id: String,
    /// The user's roles; empty when they could not be read (a finding says so).
    pub roles: Vec<RoleSummary>,
}

/// The doctor's report: what it saw and what it found.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DoctorReport {
    /// [`FORMAT_VERSION`] of the JSON document.
    pub format_version: u32,
    /// No finding is an error.
    pub passed: bool,
    /// The `looker-ci` commands the privilege check was made for.
    pub commands: Vec<String>,
    /// The CI run the doctor ran in; `None` outside GitLab CI and GitHub Actions.
    pub ci: Option<CiRun>,
    /// The client's identity, as the checks saw it.
    pub identity: IdentitySummary,
    /// The API user; `None` when login or reading the user failed (a finding says so).
    pub looker_user: Option<LookerUser>,
    /// Every finding, in the order the checks made them.
    pub findings: Vec<Finding>,
}

impl DoctorReport {
    /// Findings at `level`.
    pub fn at(&self, level: Level) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.level == level)
    }

    /// Whether a finding with `code` was made.
    pub fn has(&self, code: &str) -> bool {
        self.findings.iter().any(|f| f.code == code)
    }

    /// The report as the JSON document of `--json` (`format_version` 1).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a doctor report is plain data")
    }

    /// The report for a terminal or a CI log: one line per finding, errors first.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "looker-ci doctor: credentials from `{}`",
            self.identity.source
        );
        if let Some(user) = &self.looker_user {
            let roles: Vec<&str> = user.roles.iter().map(|r| r.name.as_str()).collect();
            let _ = writeln!(
                out,
                "Looker user {} with roles: {}",
                user.id,
                roles.join(", ")
            );
        }
        let mut findings: Vec<&Finding> = self.findings.iter().collect();
        findings.sort_by_key(|f| std::cmp::Reverse(f.level));
        for f in findings {
            let tag = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
                Level::Note => "note",
            };
            let _ = writeln!(out, "{tag:>7} [{}] {}", f.code, f.message);
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "        fix: {fix}");
            }
        }
        let errors = self.at(Level::Error).count();
        let warnings = self.at(Level::Warning).count();
        let _ = writeln!(
            out,
            "{}: {errors} error(s), {warnings} warning(s)",
            if self.passed { "passed" } else { "failed" }
        );
        out
    }
}

/// Collects findings as the checks run.
#[derive(Debug, Default)]
pub(crate) struct Findings(Vec<Finding>);

impl Findings {
    pub fn add(
        &mut self,
        area: Area,
        level: Level,
        code: &'static str,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.0.push(Finding {
            area,
            level,
            code,
            message: message.into(),
            fix,
        });
    }
}

/// Run every check for `client`, reading the environment it was built from. Only reads:
/// `GET /user` and the user's roles from Looker, the CI token's claims, the files the settings
/// name.
pub async fn doctor(client: &LookerClient, options: &DoctorOptions) -> DoctorReport {
    let env: &Arc<dyn Environment> = client.environment();
    let mut findings = Findings::default();
    let mut identity = client.identity().clone();
    identity::check(client, env, &mut identity, &mut findings).await;
    secrets::check(client, env, &mut findings);
    let looker_user = privilege::check(client, options, &mut findings).await;
    lifetimes::check(client, env, &identity, &mut findings);
    let findings = findings.0;
    DoctorReport {
        format_version: FORMAT_VERSION,
        passed: !findings.iter().any(|f| f.level == Level::Error),
        commands: options.commands.clone(),
        ci: client.ci_run().cloned(),
        identity,
        looker_user,
        findings,
    }
}
