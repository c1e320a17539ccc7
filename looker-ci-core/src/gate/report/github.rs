//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, which
//! the runner turns into annotations (on the file and line when the finding has them).

use std::fmt::Write as _;

use super::{findings_summary, ref_label};
use crate::gate::result::{Finding, Severity, ValidationResult};

/// One command line per finding.
pub fn render(result: &ValidationResult) -> String {
    let result = &*super::with_repository_paths(result);
    let mut out = String::new();
    for finding in &result.findings {
        out.push_str(&command(result, finding));
        out.push('\n');
    }
    out
}

/// Each result's commands inside a log group named after its validator.
pub fn render_many(results: &[ValidationResult]) -> String {
    let mut out = String::new();
    for result in results {
        let _ = writeln!(
            out,
            "::group::{}",
            escape_data(&format!(
                "looker-ci {} {}@{}: {}",
                result.validator.as_str(),
                result.project,
                ref_label(&result.git_ref),
                findings_summary(&result.findings)
            ))
        );
        out.push_str(&render(result));
        out.push_str("::endgroup::\n");
    }
    out
}

fn command(result: &ValidationResult, finding: &Finding) -> String {
    let name = match finding.severity {
        Severity::Fatal | Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    // A line means nothing without its file; GitHub lines start at 1.
    if let Some(file) = finding.file.as_deref().filter(|f| !f.trim().is_empty()) {
        properties.push(format!("file={}", escape_property(file)));
        if let Some(line) = finding.line.filter(|l| *l >= 1) {
            properties.push(format!("line={line}"));
        }
    }
    let title = format!(
        "looker-ci {}: {}",
        result.validator.as_str(),
        finding.location()
    );
    properties.push(format!("title={}", escape_property(&title)));
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(&finding.message)
    )
}

/// The message of a command: `%`, CR and LF encoded, so it stays on one line.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as a message, plus `:` and `,`, which separate properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::report::sample;
    use crate::gate::result::{FindingScope, ValidatorKind};

    /// The inverse of the runner's decoding, to check what a reader of the annotation sees.
    fn unescape(text: &str) -> String {
        text.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    }

    #[test]
    fn one_command_per_finding_each_on_one_line() {
        let result = sample();
        let out = render(&result);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), result.findings.len(), "{out}");
        assert!(!out.contains('\r'));
        for (line, finding) in lines.iter().zip(&result.findings) {
            let (head, message) = line[2..].split_once("::").unwrap();
            assert_eq!(unescape(message), finding.message);
            let (name, properties) = head.split_once(' ').unwrap();
            let expected = match finding.severity {
                Severity::Info => "notice",
                Severity::Warning => "warning",
                _ => "error",
            };
            assert_eq!(name, expected);
            // Properties split cleanly on `,` and `=` because values are escaped.
            for property in properties.split(',') {
                let (key, value) = property.split_once('=').unwrap();
                assert!(["file", "line", "title"].contains(&key), "{line}");
                assert!(!value.contains(':') && !value.contains(','), "{line}");
            }
        }
    }

    #[test]
    fn file_and_line_only_when_known() {
        let out = render(&sample());
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0]
                .starts_with("::error file=views/orders.view.lkml,line=42,title=looker-ci sql%3A "),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("::error title="), "{}", lines[1]);
        assert!(!lines[1].contains("line="), "{}", lines[1]);
    }

    #[test]
    fn messages_and_properties_are_escaped() {
        let out = render(&sample());
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[2].starts_with("::warning "));
        assert!(
            lines[2].ends_with("::users.age: 100%25 of rows are NULL, e.g. id: 7"),
            "{}",
            lines[2]
        );
        assert!(lines[3].starts_with("::notice "));
        assert!(
            lines[4].ends_with("::query timed out after 300 s%0Aand was cancelled"),
            "{}",
            lines[4]
        );
        assert_eq!(escape_property("a:b,c%d\r\n"), "a%3Ab%2Cc%25d%0D%0A");
        assert_eq!(escape_data("50%\n"), "50%25%0A");
    }

    #[test]
    fn a_line_without_a_file_is_left_out() {
        let mut result = ValidationResult::new(ValidatorKind::Lookml, "p", sample().git_ref);
        let mut finding = Finding::new(Severity::Error, FindingScope::Lookml, "bad");
        finding.line = Some(3);
        result.findings.push(finding);
        assert_eq!(
            render(&result),
            "::error title=looker-ci lookml%3A project::bad\n"
        );
    }

    #[test]
    fn many_results_are_grouped() {
        let out = render_many(&[sample(), sample()]);
        assert_eq!(
            out.matches("::group::looker-ci sql thelook@branch feature-x%3A")
                .count(),
            0
        );
        assert_eq!(
            out.matches("::group::looker-ci sql thelook@branch feature-x: 6 findings")
                .count(),
            2
        );
        assert_eq!(out.matches("::endgroup::").count(), 2);
        assert_eq!(out.lines().count(), 2 * (sample().findings.len() + 2));
    }
}
