//! Renderings of a [`ValidationResult`]: each report is a pure function of the result, so the
//! CLI can write any number of them from one validation (or from a saved `--json` document).

pub mod codequality;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::result::{Finding, GitRefValidated, Severity, ValidationResult};

/// The report formats the gate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportFormat {
    /// The documented, stable result document (`--json`).
    Json,
    /// JUnit XML as GitLab's `artifacts:reports:junit` reads it.
    Junit,
    /// GitLab Code Quality (`artifacts:reports:codequality`).
    CodeQuality,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// A summary for a merge-request comment or a job summary.
    Markdown,
    /// The human summary for stdout.
    Text,
}

impl ReportFormat {
    /// Every format, in the order they are listed to users.
    pub const ALL: [ReportFormat; 6] = [
        ReportFormat::Json,
        ReportFormat::Junit,
        ReportFormat::CodeQuality,
        ReportFormat::Github,
        ReportFormat::Markdown,
        ReportFormat::Text,
    ];

    /// Parse a format name (case-insensitive); `code-quality`, `code_quality` and `md` are
    /// accepted as aliases.
    pub fn parse(name: &str) -> crate::Result<ReportFormat> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(ReportFormat::Json),
            "junit" => Ok(ReportFormat::Junit),
            "codequality" | "code-quality" | "code_quality" => Ok(ReportFormat::CodeQuality),
            "github" => Ok(ReportFormat::Github),
            "markdown" | "md" => Ok(ReportFormat::Markdown),
            "text" => Ok(ReportFormat::Text),
            _ => {
                let valid: Vec<&str> = ReportFormat::ALL.iter().map(|f| f.as_str()).collect();
                Err(crate::Error::invalid_argument(
                    "format",
                    format!(
                        "unknown report format `{}`: expected one of {}",
                        name.trim(),
                        valid.join(", ")
                    ),
                ))
            }
        }
    }

    /// The canonical name, as [`ReportFormat::parse`] accepts it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Junit => "junit",
            ReportFormat::CodeQuality => "codequality",
            ReportFormat::Github => "github",
            ReportFormat::Markdown => "markdown",
            ReportFormat::Text => "text",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReportFormat {
    type Err = crate::Error;

    fn from_str(name: &str) -> crate::Result<ReportFormat> {
        ReportFormat::parse(name)
    }
}

/// Render one result in `format`.
pub fn render(result: &ValidationResult, format: ReportFormat) -> String {
    match format {
        ReportFormat::Json => json::render(result),
        ReportFormat::Junit => junit::render(result),
        ReportFormat::CodeQuality => codequality::render(result),
        ReportFormat::Github => github::render(result),
        ReportFormat::Markdown => markdown::render(result),
        ReportFormat::Text => text::render(result),
    }
}

/// Render the results of a run of several validators as one report: JSON
/// `{"format_version":1,"results":[...]}`, one JUnit `<testsuites>` with a suite per result, one
/// Code Quality array, and for the others the single renderings one after another, each under a
/// heading naming its validator.
pub fn render_many(results: &[ValidationResult], format: ReportFormat) -> String {
    match format {
        ReportFormat::Json => json::render_many(results),
        ReportFormat::Junit => junit::render_many(results),
        ReportFormat::CodeQuality => codequality::render_many(results),
        ReportFormat::Github => github::render_many(results),
        ReportFormat::Markdown => markdown::render_many(results),
        ReportFormat::Text => text::render_many(results),
    }
}

/// `path` under the result's `path_prefix` (GitLab and GitHub link files from the repository
/// root; LookML paths are relative to the Looker project's root).
pub(crate) fn repository_path(result: &ValidationResult, path: &str) -> String {
    match result.path_prefix.as_deref().map(|p| p.trim_matches('/')) {
        Some(prefix) if !prefix.is_empty() => {
            format!(
                "{prefix}/{}",
                path.trim_start_matches("./").trim_start_matches('/')
            )
        }
        _ => path.to_owned(),
    }
}

/// `result` with every finding's `file` under its `path_prefix`, for the reports that link files
/// (Code Quality, JUnit, GitHub annotations).
pub(crate) fn with_repository_paths(result: &ValidationResult) -> Cow<'_, ValidationResult> {
    if result.path_prefix.as_deref().is_none_or(str::is_empty) {
        return Cow::Borrowed(result);
    }
    let mut owned = result.clone();
    for finding in &mut owned.findings {
        if let Some(file) = finding.file.as_mut().filter(|f| !f.trim().is_empty()) {
            *file = repository_path(result, file);
        }
    }
    Cow::Owned(owned)
}

/// `production`, `branch feature-x`, `commit 4f2a9c1`: which code was validated, with the code
/// of its imported projects (`branch feature-x (imports shared_views@feature-x)`).
fn ref_label(git_ref: &GitRefValidated) -> String {
    let mut label = if git_ref.kind == "production" || git_ref.kind == git_ref.name {
        git_ref.kind.clone()
    } else {
        format!("{} {}", git_ref.kind, git_ref.name)
    };
    if !git_ref.imports.is_empty() {
        let imports: Vec<String> = git_ref
            .imports
            .iter()
            .map(|i| format!("{}@{}", i.project, i.name))
            .collect();
        label.push_str(&format!(" (imports {})", imports.join(", ")));
    }
    label
}

/// `3 findings (2 errors, 1 warning)`, or `no findings`.
fn findings_summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings".into();
    }
    let by_severity: Vec<String> = [
        Severity::Fatal,
        Severity::Error,
        Severity::Warning,
        Severity::Info,
    ]
    .into_iter()
    .filter_map(|severity| {
        let n = findings.iter().filter(|f| f.severity == severity).count();
        (n > 0).then(|| plural(n as u64, severity_noun(severity)))
    })
    .collect();
    format!(
        "{} ({})",
        plural(findings.len() as u64, ("finding", "findings")),
        by_severity.join(", ")
    )
}

fn severity_noun(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Fatal => ("fatal error", "fatal errors"),
        Severity::Error => ("error", "errors"),
        Severity::Warning => ("warning", "warnings"),
        Severity::Info => ("info", "info"),
    }
}

fn plural(n: u64, (one, many): (&str, &str)) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Seconds for people: one decimal, never negative or NaN.
fn seconds_label(seconds: f64) -> String {
    format!("{:.1} s", finite_seconds(seconds))
}

fn finite_seconds(seconds: f64) -> f64 {
    if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        0.0
    }
}

/// Control characters (other than tab and newline) made visible, so a message from the
/// database cannot move a terminal's cursor or break a log line.
fn visible_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' | '\n' => out.push(c),
            '\r' => {}
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
pub(crate) fn sample() -> ValidationResult {
    use super::result::{CheckedExplore, Counts, FindingScope, ValidatorKind};

    let explore =
        |explore: &str, status: &str, fields: u64, queries: u64, seconds: f64| CheckedExplore {
            model: "thelook".into(),
            explore: explore.into(),
            status: status.into(),
            fields,
            queries,
            seconds,
            query_seconds: seconds,
        };
    let at = |mut finding: Finding, explore: &str| {
        finding.model = Some("thelook".into());
        finding.explore = Some(explore.into());
        finding
    };

    let mut missing_column = at(
        Finding::new(
            Severity::Error,
            FindingScope::Field,
            "ERROR: column \"total_amount\" does not exist",
        ),
        "orders",
    );
    missing_column.field = Some("orders.total_amount".into());
    missing_column.file = Some("views/orders.view.lkml".into());
    missing_column.line = Some(42);
    missing_column.sql = Some(
        "SELECT orders.total_amount AS \"orders.total_amount\"\n\
         FROM public.orders AS orders\n\
         WHERE orders.id < 10 AND orders.flags & 4 = 4 AND orders.note <> ']]>'\n\
         LIMIT 1"
            .into(),
    );
    missing_column.url = Some("https://looker.example.com/explore/thelook/orders?f=1&g=2".into());

    let mut bad_join = at(
        Finding::new(
            Severity::Error,
            FindingScope::Join,
            "relation \"public.users_v2\" does not exist | check sql_table_name",
        ),
        "orders",
    );
    bad_join.view = Some("users".into());
    bad_join.fields = vec!["users.id".into(), "users.email".into()];
    bad_join.sql = Some("SELECT users.id FROM public.users_v2 AS users LIMIT 1".into());

    let mut nulls = at(
        Finding::new(
            Severity::Warning,
            FindingScope::Field,
            "users.age: 100% of rows are NULL, e.g. id: 7",
        ),
        "users",
    );
    nulls.field = Some("users.age".into());

    let mut note = at(
        Finding::new(
            Severity::Info,
            FindingScope::Field,
            "users.created_date uses a <deprecated> timeframe",
        ),
        "users",
    );
    note.field = Some("users.created_date".into());

    let timeout = at(
        Finding::new(
            Severity::Fatal,
            FindingScope::Explore,
            "query timed out after 300 s\nand was cancelled",
        ),
        "inventory_items",
    );

    // An explore the result does not list, and a message with bytes XML 1.0 cannot carry.
    let mut elsewhere = Finding::new(
        Severity::Error,
        FindingScope::Explore,
        "driver said \u{0}\u{1b}[31mno\u{1b}[0m: permission denied for schema web",
    );
    elsewhere.model = Some("ecommerce".into());
    elsewhere.explore = Some("sessions".into());

    let mut result = ValidationResult::new(
        ValidatorKind::Sql,
        "thelook",
        GitRefValidated {
            kind: "branch".into(),
            name: "feature-x".into(),
            commit: Some("4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39".into()),
            imports: Vec::new(),
        },
    );
    result.passed = false;
    result.findings = vec![missing_column, bad_join, nulls, note, timeout, elsewhere];
    result.explores = vec![
        explore("orders", "failed", 40, 12, 3.5),
        explore("users", "passed", 10, 1, 0.4),
        explore("inventory_items", "timed_out", 8, 2, 300.25),
        explore("products", "skipped", 0, 0, 0.0),
    ];
    result.counts = Counts {
        explores_checked: 4,
        fields_checked: 58,
        queries_run: 15,
        queries_cancelled: 1,
        api_requests: 31,
        findings: 6,
        seconds: 312.4,
        ..Counts::default()
    };
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::result::ValidatorKind;

    #[test]
    fn format_names_parse_and_round_trip() {
        for format in ReportFormat::ALL {
            assert_eq!(ReportFormat::parse(format.as_str()).unwrap(), format);
            assert_eq!(format.to_string().parse::<ReportFormat>().unwrap(), format);
        }
        for alias in ["code-quality", "code_quality", "CodeQuality"] {
            assert_eq!(
                ReportFormat::parse(alias).unwrap(),
                ReportFormat::CodeQuality
            );
        }
        assert_eq!(ReportFormat::parse(" md ").unwrap(), ReportFormat::Markdown);
    }

    #[test]
    fn an_unknown_format_names_the_valid_ones() {
        let err = ReportFormat::parse("sarif").unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, crate::Error::InvalidArgument { .. }),
            "{err:?}"
        );
        for format in ReportFormat::ALL {
            assert!(text.contains(format.as_str()), "{text}");
        }
        assert!(text.contains("sarif"), "{text}");
    }

    #[test]
    fn render_dispatches_to_each_format() {
        let result = sample();
        assert!(render(&result, ReportFormat::Json).starts_with('{'));
        assert!(render(&result, ReportFormat::Junit).starts_with("<?xml"));
        assert!(render(&result, ReportFormat::CodeQuality).starts_with('['));
        assert!(render(&result, ReportFormat::Github).starts_with("::"));
        assert!(render(&result, ReportFormat::Markdown).starts_with("### "));
        assert!(render(&result, ReportFormat::Text).contains("FAILED"));
    }

    #[test]
    fn render_many_keeps_every_validator() {
        let mut lookml = ValidationResult::new(ValidatorKind::Lookml, "thelook", sample().git_ref);
        lookml.counts.seconds = 2.0;
        let results = [lookml, sample()];
        for format in [
            ReportFormat::Github,
            ReportFormat::Markdown,
            ReportFormat::Text,
        ] {
            let out = render_many(&results, format);
            let lookml_at = out
                .find("lookml")
                .unwrap_or_else(|| panic!("{format}: {out}"));
            let sql_at = out.find("sql").unwrap_or_else(|| panic!("{format}: {out}"));
            assert!(lookml_at < sql_at, "{format}: {out}");
        }
    }

    #[test]
    fn summaries_count_by_severity() {
        assert_eq!(findings_summary(&[]), "no findings");
        assert_eq!(
            findings_summary(&sample().findings),
            "6 findings (1 fatal error, 3 errors, 1 warning, 1 info)"
        );
        assert_eq!(ref_label(&GitRefValidated::production()), "production");
        assert_eq!(ref_label(&sample().git_ref), "branch feature-x");
        let mut with_imports = sample().git_ref;
        with_imports.imports = vec![
            super::super::result::ImportedRef {
                project: "shared_views".into(),
                kind: "branch".into(),
                name: "feature-x".into(),
                commit: None,
            },
            super::super::result::ImportedRef {
                project: "blocks".into(),
                kind: "remote".into(),
                name: "v1.2.0".into(),
                commit: None,
            },
        ];
        assert_eq!(
            ref_label(&with_imports),
            "branch feature-x (imports shared_views@feature-x, blocks@v1.2.0)"
        );
        assert_eq!(seconds_label(f64::NAN), "0.0 s");
        assert_eq!(visible_controls("a\u{1b}[0m\r\nb"), "a\\u{1b}[0m\nb");
    }

    /// Writes the sample reports for scripts/tests/test_report_formats.py, which validates them
    /// against the formats' schemas.
    #[test]
    fn write_samples() {
        let result = sample();
        // A clean LookML run next to the SQL one, for the documents of several validators.
        let mut lookml =
            ValidationResult::new(ValidatorKind::Lookml, "thelook", result.git_ref.clone());
        lookml.counts.seconds = 2.5;
        let both = [lookml, result.clone()];
        let files = [
            ("sample.junit.xml", render(&result, ReportFormat::Junit)),
            (
                "sample.codequality.json",
                render(&result, ReportFormat::CodeQuality),
            ),
            ("sample.json", render(&result, ReportFormat::Json)),
            (
                "sample-many.junit.xml",
                render_many(&both, ReportFormat::Junit),
            ),
            (
                "sample-many.codequality.json",
                render_many(&both, ReportFormat::CodeQuality),
            ),
            ("sample-many.json", render_many(&both, ReportFormat::Json)),
        ];
        for (name, text) in &files {
            assert!(!text.trim().is_empty(), "{name} is empty");
        }
        if let Some(dir) = std::env::var_os("LOOKER_CI_REPORT_SAMPLES") {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in &files {
                std::fs::write(dir.join(name), text).unwrap();
            }
        }
    }
}
