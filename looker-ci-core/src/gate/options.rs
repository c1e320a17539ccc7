//! The options of a validation, one struct for every validator so the CLI, a config file, a
//! Python keyword list and a Node options object all map onto it the same way. Unknown keys are
//! refused (a misspelt option must not be silently ignored).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gate::result::{Severity, Shard};

/// Default number of queries run at once: Looker's default per-user limit.
pub const DEFAULT_CONCURRENCY: usize = 15;

/// Options of one validation. Each field says which validators read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidateOptions {
    /// The LookML project (all validators). Required.
    pub project: String,
    /// Validate this dev branch instead of production (all validators).
    pub branch: Option<String>,
    /// Validate this commit (or any ref Looker can check out), on a temporary branch that is
    /// removed afterwards (all validators).
    pub commit: Option<String>,
    /// Explore selectors: `model/explore`, `*` wildcards, `-model/explore` excludes (sql, assert,
    /// content). Empty selects every explore of the project.
    pub explores: Vec<String>,
    /// Queries run at once (sql, assert). Looker's per-user limit is 15 by default.
    pub concurrency: usize,
    /// Cancel a query in Looker after this many seconds and report it (sql).
    pub query_timeout: Option<f64>,
    /// Report a failing explore without searching for its failing fields (sql).
    pub fail_fast: bool,
    /// Leave out hidden dimensions and measures (sql).
    pub skip_hidden: bool,
    /// Check dimensions only, as Spectacles does; measures are checked by default (sql).
    pub dimensions_only: bool,
    /// Most fields in one query; wider explores are checked in several (sql).
    pub chunk_size: usize,
    /// Seconds between two polls of running queries (sql).
    pub poll_interval: f64,
    /// Run part `I/N` of the explores, balanced by estimated cost (sql, assert). Defaults to
    /// GitLab's `CI_NODE_INDEX`/`CI_NODE_TOTAL` when those are set.
    pub shard: Option<String>,
    /// A previous SQL run's `--json` document of the same project (one job's or merged): with a
    /// shard, each explore's query time there (`query_seconds`) is its estimated cost, instead
    /// of one per explore; explores it does not list, or skipped there, count as its median
    /// (sql). Every job of a run must read the same file.
    pub shard_timings: Option<String>,
    /// Report findings at or above this severity (every validator; default `warning`); only
    /// error and fatal findings fail the gate.
    pub severity: Option<String>,
    /// Content in these folders (ids or names, with their subfolders) only (content).
    pub folders: Vec<String>,
    /// Leave out content in these folders and their subfolders (content).
    pub exclude_folders: Vec<String>,
    /// Leave out content in users' personal folders (content).
    pub exclude_personal: bool,
    /// Incremental mode: report only what is new against this ref. sql: `production` only
    /// (unchanged explores are skipped, failures production has too are not searched); content:
    /// `production` or a branch.
    pub incremental: Option<String>,
    /// Pin imported projects: project id -> the ref (branch, tag or commit) to check out of it,
    /// on a temporary branch, while a branch or commit is validated (all validators). Without a
    /// pin an import follows: the branch of the validated branch's name when it has one, else
    /// its production branch.
    pub import_refs: BTreeMap<String, String>,
    /// The Looker project's directory in the repository, relative to its root (`looker/`):
    /// Code Quality, JUnit and GitHub annotations name files from the repository root, as GitLab
    /// and GitHub link them (every validator; reports only).
    pub path_prefix: Option<String>,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            project: String::new(),
            branch: None,
            commit: None,
            explores: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
            query_timeout: None,
            fail_fast: false,
            skip_hidden: false,
            dimensions_only: false,
            chunk_size: 500,
            poll_interval: 0.1,
            shard: None,
            shard_timings: None,
            severity: None,
            folders: Vec::new(),
            exclude_folders: Vec::new(),
            exclude_personal: false,
            incremental: None,
            import_refs: BTreeMap::new(),
            path_prefix: None,
        }
    }
}

impl ValidateOptions {
    /// Options from a JSON object (a Python dict, a Node object, a config file): unknown keys
    /// and wrong types are errors naming the key.
    pub fn from_json(value: serde_json::Value) -> Result<ValidateOptions> {
        let options: ValidateOptions = serde_json::from_value(value).map_err(|e| {
            // Name the key at fault as the argument, as the CLI and the bindings do.
            let text = e.to_string();
            let key = text
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .unwrap_or("options")
                .to_owned();
            Error::invalid_argument(key, text)
        })?;
        options.check()?;
        Ok(options)
    }

    /// Refuse contradictory or out-of-range options with a message that says what to change.
    pub fn check(&self) -> Result<()> {
        let bad = |argument: &str, message: String| Err(Error::invalid_argument(argument, message));
        if self.project.trim().is_empty() {
            return bad(
                "project",
                "name the LookML project to validate (--project NAME)".into(),
            );
        }
        if self.branch.is_some() && self.commit.is_some() {
            return bad(
                "commit",
                "give a branch or a commit, not both (a commit is checked out on a temporary branch)"
                    .into(),
            );
        }
        if !(1..=100).contains(&self.concurrency) {
            return bad(
                "concurrency",
                format!(
                    "{} is out of range: use 1 to 100 (Looker's per-user limit is 15 unless your admin raised it)",
                    self.concurrency
                ),
            );
        }
        if let Some(t) = self.query_timeout
            && !(t.is_finite() && t > 0.0 && t <= 86_400.0)
        {
            return bad(
                "query_timeout",
                format!("{t} must be more than 0 and at most 86400 seconds"),
            );
        }
        if !(1..=5000).contains(&self.chunk_size) {
            return bad(
                "chunk_size",
                format!("{} is out of range: use 1 to 5000", self.chunk_size),
            );
        }
        if !(self.poll_interval.is_finite() && (0.01..=60.0).contains(&self.poll_interval)) {
            return bad(
                "poll_interval",
                format!("{} must be 0.01 to 60 seconds", self.poll_interval),
            );
        }
        if let Some(severity) = &self.severity
            && Severity::parse(severity).is_none()
        {
            return bad(
                "severity",
                format!("`{severity}` is not a severity: use info, warning, error or fatal"),
            );
        }
        if let Some(shard) = &self.shard {
            parse_shard(shard)?;
        }
        for (project, reference) in &self.import_refs {
            if project.trim().is_empty() || reference.trim().is_empty() {
                return bad(
                    "import_refs",
                    format!(
                        "`{project}={reference}` needs both a project and a ref, e.g. \
                         shared_views=main"
                    ),
                );
            }
        }
        if let Some(prefix) = &self.path_prefix {
            normalize_path_prefix(prefix)?;
        }
        if !self.import_refs.is_empty() && self.branch.is_none() && self.commit.is_none() {
            return bad(
                "import_refs",
                "imported projects are pinned only when a branch or commit is validated \
                 (production sees its imports' production): add --branch or --commit, or drop \
                 the pins"
                    .into(),
            );
        }
        Ok(())
    }

    /// The severity threshold: findings below it are not reported.
    pub fn threshold(&self) -> Severity {
        self.severity
            .as_deref()
            .and_then(Severity::parse)
            .unwrap_or(Severity::Warning)
    }
}

/// A path prefix as the reports use it: relative to the repository root, `/`-separated, without
/// `./` in front or `/` behind; `None` for the root itself (`""`, `.`, `./`).
pub fn normalize_path_prefix(text: &str) -> Result<Option<String>> {
    let trimmed = text.trim();
    let bad = |why: &str| {
        Err(Error::invalid_argument(
            "path_prefix",
            format!(
                "`{trimmed}` {why}: give the Looker project's directory relative to the \
                 repository root, e.g. --path-prefix looker/"
            ),
        ))
    };
    if trimmed.starts_with('/') || trimmed.contains('\\') || trimmed.get(1..2) == Some(":") {
        return bad("is not a relative path with `/` separators");
    }
    let segments: Vec<&str> = trimmed
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if segments.contains(&"..") {
        return bad("leaves the repository (`..`)");
    }
    if segments.iter().any(|s| s.chars().any(char::is_control)) {
        return bad("holds a control character");
    }
    Ok((!segments.is_empty()).then(|| segments.join("/")))
}

/// `I/N` with 1 <= I <= N.
pub fn parse_shard(text: &str) -> Result<Shard> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((index, total)) if total >= 1 && (1..=total).contains(&index) && total <= 1000 => {
            Ok(Shard { index, total })
        }
        _ => Err(Error::invalid_argument(
            "shard",
            format!("`{text}` is not a shard: write I/N with 1 <= I <= N <= 1000, e.g. 2/4"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_refuse_unknown_keys_and_bad_values() {
        let err = ValidateOptions::from_json(serde_json::json!({"project": "p", "concurency": 3}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("concurency") && err.contains("concurrency"),
            "{err}"
        );
        let ok = ValidateOptions::from_json(serde_json::json!({"project": "p", "concurrency": 3}))
            .unwrap();
        assert_eq!(ok.concurrency, 3);
        assert!(ValidateOptions::from_json(serde_json::json!({})).is_err());
        for bad in [
            serde_json::json!({"project": "p", "concurrency": 0}),
            serde_json::json!({"project": "p", "branch": "a", "commit": "b"}),
            serde_json::json!({"project": "p", "severity": "bad"}),
            serde_json::json!({"project": "p", "shard": "5/4"}),
            serde_json::json!({"project": "p", "query_timeout": -1.0}),
            serde_json::json!({"project": "p", "commit": "c", "import_refs": {"shared": ""}}),
            serde_json::json!({"project": "p", "import_refs": {"shared": "main"}}),
        ] {
            assert!(ValidateOptions::from_json(bad.clone()).is_err(), "{bad}");
        }
        assert_eq!(parse_shard("2/4").unwrap(), Shard { index: 2, total: 4 });
        for (given, expected) in [
            ("looker/", Some("looker")),
            ("./analytics//looker", Some("analytics/looker")),
            ("./", None),
            ("", None),
        ] {
            assert_eq!(
                normalize_path_prefix(given).unwrap().as_deref(),
                expected,
                "{given}"
            );
        }
        for bad in [
            "/abs/looker",
            "../elsewhere",
            "a/../../b",
            "C:/looker",
            "win\\path",
        ] {
            let err = normalize_path_prefix(bad).unwrap_err().to_string();
            assert!(err.contains("path_prefix") && err.contains(bad), "{err}");
        }
    }
}
