//! The one result every validator returns. Reports (JSON, JUnit, Code Quality, GitHub
//! annotations, Markdown, human text) are renderings of it; the JSON form is the documented,
//! stable `--json` document (see docs/ci.md), so fields are only ever added.

use serde::{Deserialize, Serialize};

/// Version of the JSON document; bumped only on an incompatible change.
pub const RESULT_FORMAT_VERSION: u32 = 1;

/// Which validator produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ValidatorKind {
    /// Looker's LookML validator (`looker-ci lookml`).
    Lookml,
    /// One query per explore (and per failing field) against the warehouse (`looker-ci sql`).
    Sql,
    /// The project's LookML data tests (`looker-ci assert`).
    Assert,
    /// Looker's content validator: Looks, dashboards and other content (`looker-ci content`).
    Content,
}

impl ValidatorKind {
    /// `lookml`, `sql`, `assert` or `content`.
    pub fn parse(text: &str) -> crate::Result<ValidatorKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "lookml" => Ok(ValidatorKind::Lookml),
            "sql" => Ok(ValidatorKind::Sql),
            "assert" | "data_tests" => Ok(ValidatorKind::Assert),
            "content" => Ok(ValidatorKind::Content),
            _ => Err(crate::Error::invalid_argument(
                "validator",
                format!("`{text}` is not a validator: use lookml, sql, assert or content"),
            )),
        }
    }

    /// The name used in the JSON document and on the command line: `lookml`, `sql`, `assert`,
    /// `content`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidatorKind::Lookml => "lookml",
            ValidatorKind::Sql => "sql",
            ValidatorKind::Assert => "assert",
            ValidatorKind::Content => "content",
        }
    }
}

/// How serious a finding is, in Looker's LookML-validation vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Severity {
    /// Informational; reported only when the severity threshold is `info`.
    Info,
    /// Reported by default; does not fail the gate.
    Warning,
    /// Fails the gate.
    Error,
    /// Looker's most serious level; fails the gate.
    Fatal,
}

impl Severity {
    /// The lower-case name: `info`, `warning`, `error`, `fatal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
        }
    }

    /// Parse Looker's (or a user's) severity name; unknown names are `None`.
    pub fn parse(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            "fatal" => Some(Severity::Fatal),
            _ => None,
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingScope {
    /// A LookML validation error (file and line).
    Lookml,
    /// One dimension or measure whose SQL fails on its own.
    Field,
    /// A join: every field of one joined view fails the same way (a bad `sql_on`, a missing table).
    Join,
    /// The explore: every field fails (a missing base table), or only a set of fields fails
    /// together (`fields` lists the smallest such set), or a query timed out.
    Explore,
    /// A LookML data test that failed.
    Test,
    /// A Look, dashboard or other content that no longer validates.
    Content,
}

/// Which code a result was validated against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitRefValidated {
    /// `production`, `branch` or `commit`.
    pub kind: String,
    /// The branch name or commit as given (`production` for production).
    pub name: String,
    /// The commit Looker reported for the checked-out code, when it reported one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The projects the validated code imports, and which of their code it saw (a branch or
    /// commit only: production sees its imports' production).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<ImportedRef>,
}

impl GitRefValidated {
    /// The production code, with no commit or imports known yet.
    pub fn production() -> Self {
        GitRefValidated {
            kind: "production".into(),
            name: "production".into(),
            commit: None,
            imports: Vec::new(),
        }
    }
}

/// An imported project's code during a validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImportedRef {
    /// The imported project's id.
    pub project: String,
    /// `branch` (the branch of the validated branch's name), `production` (its production
    /// branch), `ref` (pinned with `import_refs`, on a temporary branch) or `remote` (a
    /// `remote_dependency`, fetched by Looker at the manifest's ref).
    pub kind: String,
    /// The branch, the pinned ref, or the remote dependency's ref.
    pub name: String,
    /// The commit Looker reported for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// One problem found. Fields that do not apply to a validator are left out of the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What it is about, which decides the fields set.
    pub scope: FindingScope,
    /// What Looker or the database said, unchanged.
    pub message: String,
    /// The LookML model, when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The explore (of `model`), when the finding is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explore: Option<String>,
    /// The failing dimension or measure (`view.field`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For an explore-level SQL finding: the smallest set of fields that fails together; for a
    /// join finding: the joined view's fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// The joined view, for a join finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<String>,
    /// LookML file (project-relative) and line, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line in `file`, 1-based, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The SQL that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// The data test's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// `look`, `dashboard`, `dashboard_element`, `scheduled_plan`, ... for content findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The content's Looker id (content findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    /// The content's title (content findings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The content's folder, as `Shared/Sales/EMEA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// The dashboard a tile, dashboard filter, schedule or alert belongs to (content); then
    /// `title` is the tile's or filter's own and `url` opens the dashboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_id: Option<String>,
    /// The title of the dashboard in `dashboard_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dashboard_title: Option<String>,
    /// A link that opens the problem in Looker, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Finding {
    /// A finding with only the required fields set.
    pub fn new(severity: Severity, scope: FindingScope, message: impl Into<String>) -> Self {
        Finding {
            severity,
            scope,
            message: message.into(),
            model: None,
            explore: None,
            field: None,
            fields: Vec::new(),
            view: None,
            file: None,
            line: None,
            sql: None,
            test: None,
            content_type: None,
            content_id: None,
            title: None,
            folder: None,
            dashboard_id: None,
            dashboard_title: None,
            url: None,
        }
    }

    /// `model/explore`, `model/explore/field`, `file:line`, the test or content named: where a
    /// reader should look.
    pub fn location(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(model) = &self.model {
            match &self.explore {
                Some(explore) => parts.push(format!("{model}/{explore}")),
                None => parts.push(model.clone()),
            }
        }
        if let Some(field) = &self.field {
            parts.push(field.clone());
        } else if let Some(view) = &self.view {
            parts.push(format!("join {view}"));
        }
        if let Some(test) = &self.test {
            parts.push(format!("test {test}"));
        }
        if let Some(kind) = &self.content_type
            && kind != "dashboard"
            && kind != "lookml_dashboard"
        {
            match (&self.dashboard_title, &self.dashboard_id) {
                (Some(title), Some(id)) => parts.push(format!("dashboard {id} \"{title}\"")),
                (None, Some(id)) => parts.push(format!("dashboard {id}")),
                (Some(title), None) => parts.push(format!("dashboard \"{title}\"")),
                (None, None) => {}
            }
        }
        if let Some(kind) = &self.content_type {
            let what = match (&self.title, &self.content_id) {
                (Some(title), Some(id)) => format!("{kind} {id} \"{title}\""),
                (None, Some(id)) => format!("{kind} {id}"),
                (Some(title), None) => format!("{kind} \"{title}\""),
                (None, None) => kind.clone(),
            };
            parts.push(what);
        }
        if let Some(file) = &self.file {
            match self.line {
                Some(line) => parts.push(format!("{file}:{line}")),
                None => parts.push(file.clone()),
            }
        }
        if parts.is_empty() {
            "project".into()
        } else {
            parts.join(" ")
        }
    }

    /// A stable identifier of this problem, the same across runs while the problem stays
    /// (GitLab Code Quality uses it to tell new findings from old ones). The message is part of
    /// it; line numbers are not, so moving code does not make a finding "new".
    pub fn fingerprint(&self, validator: ValidatorKind) -> String {
        let key = [
            validator.as_str(),
            &format!("{:?}", self.scope),
            self.model.as_deref().unwrap_or(""),
            self.explore.as_deref().unwrap_or(""),
            self.field.as_deref().unwrap_or(""),
            &self.fields.join(","),
            self.view.as_deref().unwrap_or(""),
            self.file.as_deref().unwrap_or(""),
            self.test.as_deref().unwrap_or(""),
            self.content_type.as_deref().unwrap_or(""),
            self.content_id.as_deref().unwrap_or(""),
            &self.message,
        ]
        .join("\u{1f}");
        stable_id(&key)
    }
}

/// A 128-bit hex id of `text`, the same on every machine and in every version (FNV-1a, twice
/// with different offsets; no hash crate needed): finding fingerprints and shard splits.
pub(crate) fn stable_id(text: &str) -> String {
    let fnv = |offset: u64| {
        text.bytes().fold(offset, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

/// What was checked, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Counts {
    /// Explores whose SQL was run (SQL) or whose tests were run (assert).
    #[serde(default)]
    pub explores_checked: u64,
    /// Dimensions and measures whose SQL was proved (SQL).
    #[serde(default)]
    pub fields_checked: u64,
    /// Warehouse queries run (SQL, assert; a data test counts as one).
    #[serde(default)]
    pub queries_run: u64,
    /// Queries cancelled in Looker after the per-query timeout.
    #[serde(default)]
    pub queries_cancelled: u64,
    /// Data tests run (assert).
    #[serde(default)]
    pub tests_run: u64,
    /// Looks, dashboards and other content validated (content).
    #[serde(default)]
    pub content_checked: u64,
    /// Looker API requests made by this validation (logins included).
    #[serde(default)]
    pub api_requests: u64,
    /// Findings reported (after the severity threshold and incremental filtering).
    #[serde(default)]
    pub findings: u64,
    /// Findings left out because they exist on the target ref too (incremental mode).
    #[serde(default)]
    pub findings_existing_on_target: u64,
    /// Wall time of the validation, in seconds.
    #[serde(default)]
    pub seconds: f64,
}

/// One explore and how its check went (SQL and assert validators).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CheckedExplore {
    /// The LookML model.
    pub model: String,
    /// The explore's name in `model`.
    pub explore: String,
    /// `passed`, `failed`, `skipped` (unchanged in incremental mode), `timed_out`, or
    /// `unchecked` (its queries ended in Looker without a result: killed, or lost twice).
    pub status: String,
    /// Dimensions and measures checked in it.
    #[serde(default)]
    pub fields: u64,
    /// Warehouse queries run for it.
    #[serde(default)]
    pub queries: u64,
    /// Wall time of its check, in seconds (waits for a query slot included).
    #[serde(default)]
    pub seconds: f64,
    /// Seconds its queries were in Looker, summed (each from its task's creation to the poll
    /// that saw it end): what it costs the warehouse, without the waits for a slot. What
    /// `--shard-timings` reads. Left out of the JSON when 0 (no query ran, or data tests).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub query_seconds: f64,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// Which part of a sharded run this is (`--shard I/N`, GitLab `parallel:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Shard {
    /// 1-based, as `CI_NODE_INDEX` is.
    pub index: u32,
    /// How many shards the run is split into (`CI_NODE_TOTAL`).
    pub total: u32,
}

/// The structured result of one validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ValidationResult {
    /// Always [`RESULT_FORMAT_VERSION`] for documents this version writes.
    pub format_version: u32,
    /// The validator that ran.
    pub validator: ValidatorKind,
    /// The LookML project's id.
    pub project: String,
    /// The code validated (`ref` in the JSON).
    #[serde(rename = "ref")]
    pub git_ref: GitRefValidated,
    /// `true` when no finding is an error or fatal (the severity threshold only decides which
    /// findings are reported).
    pub passed: bool,
    /// The findings reported, in the order found.
    pub findings: Vec<Finding>,
    /// What was checked, in numbers.
    pub counts: Counts,
    /// Explores checked (SQL, assert), in the order they were selected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explores: Vec<CheckedExplore>,
    /// Which shard of a sharded run this result covers; `None` for an unsharded run (or merged
    /// shards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// A sharded run's split, as a digest of what it was made from (the explores or tests and
    /// their estimated costs): the same in every shard of one run, so `merge` refuses parts
    /// made from different lists (jobs on other code, or with other `--shard-timings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    /// The target ref compared against in incremental mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental_target: Option<String>,
    /// Where the Looker project lives in the repository (`looker/`): Code Quality, JUnit and
    /// GitHub annotations put it before each finding's `file`, which stays relative to the
    /// Looker project's root here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
}

impl ValidationResult {
    /// A passing result with no findings, counts at zero, for `project` at `git_ref`.
    pub fn new(
        validator: ValidatorKind,
        project: impl Into<String>,
        git_ref: GitRefValidated,
    ) -> Self {
        ValidationResult {
            format_version: RESULT_FORMAT_VERSION,
            validator,
            project: project.into(),
            git_ref,
            passed: true,
            findings: Vec::new(),
            counts: Counts::default(),
            explores: Vec::new(),
            shard: None,
            split: None,
            incremental_target: None,
            path_prefix: None,
        }
    }

    /// Merge shard results of the same validator into one (`looker-ci merge`): findings and
    /// explores concatenated, counts summed, seconds the slowest shard's.
    pub fn merge(parts: Vec<ValidationResult>) -> crate::Result<ValidationResult> {
        let shards: Vec<Shard> = parts.iter().filter_map(|p| p.shard).collect();
        if !shards.is_empty() && shards.len() != parts.len() {
            return Err(crate::Error::invalid_argument(
                "results",
                "some results are shards and some are not: merge the results of one sharded run",
            ));
        }
        // Owned, as the loop below consumes the parts; compared after it, so that a wrong
        // validator or project is named first.
        let mut splits: Vec<(u32, String)> = parts
            .iter()
            .filter_map(|p| Some((p.shard?.index, p.split.clone()?)))
            .collect();
        let mut parts = parts.into_iter();
        let Some(mut merged) = parts.next() else {
            return Err(crate::Error::invalid_argument(
                "results",
                "nothing to merge: give at least one result document",
            ));
        };
        for part in parts {
            if part.validator != merged.validator || part.project != merged.project {
                return Err(crate::Error::invalid_argument(
                    "results",
                    format!(
                        "cannot merge a `{}` result for project `{}` into a `{}` result for `{}`",
                        part.validator.as_str(),
                        part.project,
                        merged.validator.as_str(),
                        merged.project
                    ),
                ));
            }
            merged.passed &= part.passed;
            merged.findings.extend(part.findings);
            merged.explores.extend(part.explores);
            let (c, p) = (&mut merged.counts, part.counts);
            c.explores_checked += p.explores_checked;
            c.fields_checked += p.fields_checked;
            c.queries_run += p.queries_run;
            c.queries_cancelled += p.queries_cancelled;
            c.tests_run += p.tests_run;
            c.content_checked += p.content_checked;
            c.api_requests += p.api_requests;
            c.findings += p.findings;
            c.findings_existing_on_target += p.findings_existing_on_target;
            c.seconds = c.seconds.max(p.seconds);
        }
        if let Some(total) = shards.first().map(|s| s.total) {
            let mut indices: Vec<u32> = shards.iter().map(|s| s.index).collect();
            indices.sort_unstable();
            let expected: Vec<u32> = (1..=total).collect();
            if shards.iter().any(|s| s.total != total) || indices != expected {
                let missing: Vec<String> = expected
                    .iter()
                    .filter(|i| !indices.contains(i))
                    .map(u32::to_string)
                    .collect();
                return Err(crate::Error::invalid_argument(
                    "results",
                    format!(
                        "the shard results do not make a whole run: got shards {indices:?} of \
                         {total}{}; merge one result of every shard 1..{total} (a missing shard \
                         would hide its findings)",
                        if missing.is_empty() {
                            String::new()
                        } else {
                            format!(", missing {}", missing.join(", "))
                        }
                    ),
                ));
            }
        }
        // Documents written before the digest existed have none and are not compared.
        splits.sort_unstable();
        if let Some((first, digest)) = splits.first()
            && let Some((other, different)) = splits.iter().find(|(_, d)| d != digest)
        {
            return Err(crate::Error::invalid_argument(
                "results",
                format!(
                    "shards {first} and {other} were split from different lists (split \
                     {digest} and {different}): the jobs saw other code or read other \
                     --shard-timings files, so their parts may miss or repeat explores; rerun \
                     every shard on one commit with one timings file"
                ),
            ));
        }
        merged.shard = None;
        merged.split = None;
        Ok(merged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(index: u32, total: u32, finding: Option<&str>) -> ValidationResult {
        let mut result =
            ValidationResult::new(ValidatorKind::Sql, "thelook", GitRefValidated::production());
        result.shard = Some(Shard { index, total });
        result.counts.queries_run = 2;
        result.counts.seconds = f64::from(index);
        if let Some(message) = finding {
            result.passed = false;
            result
                .findings
                .push(Finding::new(Severity::Error, FindingScope::Field, message));
        }
        result
    }

    #[test]
    fn merging_shards_needs_every_shard_once() {
        let merged = ValidationResult::merge(vec![
            shard(2, 3, Some("bad")),
            shard(1, 3, None),
            shard(3, 3, None),
        ])
        .unwrap();
        assert!(!merged.passed);
        assert_eq!(merged.findings.len(), 1);
        assert_eq!(merged.counts.queries_run, 6);
        assert_eq!(merged.counts.seconds, 3.0);
        assert!(merged.shard.is_none());
        let err = ValidationResult::merge(vec![shard(1, 4, None), shard(3, 4, None)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing 2, 4"), "{err}");
        let twice = ValidationResult::merge(vec![shard(1, 2, None), shard(1, 2, None)]);
        assert!(twice.is_err());
        let mut lookml = shard(2, 2, None);
        lookml.validator = ValidatorKind::Lookml;
        assert!(ValidationResult::merge(vec![shard(1, 2, None), lookml]).is_err());
        let mut unsharded = shard(1, 1, None);
        unsharded.shard = None;
        assert!(ValidationResult::merge(vec![shard(1, 2, None), unsharded]).is_err());
    }

    #[test]
    fn merging_refuses_shards_split_from_different_lists() {
        let split = |index, digest: &str| {
            let mut part = shard(index, 3, None);
            part.split = Some(digest.into());
            part
        };
        let merged = ValidationResult::merge(vec![split(1, "ab"), split(2, "ab"), split(3, "ab")]);
        assert!(merged.unwrap().split.is_none());
        let err = ValidationResult::merge(vec![split(3, "ab"), split(1, "ab"), split(2, "cd")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("shards 1 and 2") && err.contains("--shard-timings"),
            "{err}"
        );
        // A document without a digest (written before it existed) is not compared.
        let merged =
            ValidationResult::merge(vec![split(1, "ab"), shard(2, 3, None), split(3, "ab")]);
        assert!(merged.is_ok());
        // Another validator's shard is named as such, not as another split.
        let mut assert = split(2, "cd");
        assert.validator = ValidatorKind::Assert;
        let err = ValidationResult::merge(vec![split(1, "ab"), assert, split(3, "ab")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`assert` result"), "{err}");
    }
}
