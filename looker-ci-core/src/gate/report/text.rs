//! The human summary for stdout: a line per finding (SQL shortened below it), a summary line and
//! PASSED or FAILED. Plain text: the CLI adds colour itself, and only on a terminal.

use std::fmt::Write as _;

use super::{findings_summary, plural, ref_label, seconds_label, visible_controls};
use crate::gate::result::ValidationResult;

/// Lines of SQL shown under a finding.
pub const SQL_LINES: usize = 10;

/// The summary of one result.
pub fn render(result: &ValidationResult) -> String {
    let mut out = String::new();
    for finding in &result.findings {
        let message = visible_controls(finding.message.trim_end()).replace('\n', "\n    ");
        let _ = writeln!(
            out,
            "{:<7}  {}  {message}",
            finding.severity.as_str(),
            visible_controls(&finding.location())
        );
        if let Some(sql) = &finding.sql {
            let sql = visible_controls(sql.trim_end());
            let lines: Vec<&str> = sql.lines().collect();
            for line in lines.iter().take(SQL_LINES) {
                let _ = writeln!(out, "    {line}");
            }
            if lines.len() > SQL_LINES {
                let _ = writeln!(out, "    … ({} more lines)", lines.len() - SQL_LINES);
            }
        }
    }
    let _ = writeln!(out, "{}", summary_line(result));
    out.push_str(if result.passed {
        "PASSED\n"
    } else {
        "FAILED\n"
    });
    out
}

/// The summaries one after another, each under a heading naming its validator.
pub fn render_many(results: &[ValidationResult]) -> String {
    results
        .iter()
        .map(|r| format!("== looker-ci {} ==\n{}", r.validator.as_str(), render(r)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `sql thelook@branch feature-x: 3 findings (2 errors, 1 warning) in 12 explores, 40 queries,
/// 1.2 s`.
pub fn summary_line(result: &ValidationResult) -> String {
    let c = &result.counts;
    let mut checked = Vec::new();
    if c.explores_checked > 0 {
        checked.push(plural(c.explores_checked, ("explore", "explores")));
    }
    if c.queries_run > 0 {
        let mut queries = plural(c.queries_run, ("query", "queries"));
        if c.queries_cancelled > 0 {
            let _ = write!(queries, " ({} cancelled)", c.queries_cancelled);
        }
        checked.push(queries);
    }
    if c.tests_run > 0 {
        checked.push(plural(c.tests_run, ("test", "tests")));
    }
    if c.content_checked > 0 {
        checked.push(plural(c.content_checked, ("content item", "content items")));
    }
    checked.push(seconds_label(c.seconds));

    let mut line = format!(
        "{} {}@{}: {} in {}",
        result.validator.as_str(),
        result.project,
        ref_label(&result.git_ref),
        findings_summary(&result.findings),
        checked.join(", ")
    );
    if c.findings_existing_on_target > 0 {
        let target = result.incremental_target.as_deref().unwrap_or("the target");
        let _ = write!(
            line,
            "; {} also on {target}, not shown",
            plural(c.findings_existing_on_target, ("finding", "findings"))
        );
    }
    if let Some(shard) = result.shard {
        let _ = write!(line, " (shard {}/{})", shard.index, shard.total);
    }
    visible_controls(&line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::report::sample;
    use crate::gate::result::{GitRefValidated, Shard, ValidatorKind};

    #[test]
    fn every_finding_has_its_line() {
        let result = sample();
        let out = render(&result);
        for finding in &result.findings {
            let line = out
                .lines()
                .find(|l| l.contains(&finding.location()))
                .unwrap_or_else(|| panic!("{} missing:\n{out}", finding.location()));
            assert!(line.starts_with(finding.severity.as_str()), "{line}");
        }
        assert!(out.contains("error    thelook/orders orders.total_amount views/orders.view.lkml:42  ERROR: column"), "{out}");
        assert!(
            out.contains("\n    FROM public.orders AS orders\n"),
            "{out}"
        );
        assert!(
            out.contains("query timed out after 300 s\n    and was cancelled"),
            "{out}"
        );
    }

    #[test]
    fn the_summary_names_the_run_and_the_verdict() {
        let out = render(&sample());
        assert!(
            out.ends_with(
                "sql thelook@branch feature-x: 6 findings (1 fatal error, 3 errors, 1 warning, 1 info) \
                 in 4 explores, 15 queries (1 cancelled), 312.4 s\nFAILED\n"
            ),
            "{out}"
        );

        let mut clean = ValidationResult::new(
            ValidatorKind::Lookml,
            "thelook",
            GitRefValidated::production(),
        );
        clean.counts.seconds = 1.25;
        clean.shard = Some(Shard { index: 2, total: 3 });
        assert_eq!(
            render(&clean),
            "lookml thelook@production: no findings in 1.2 s (shard 2/3)\nPASSED\n"
        );
    }

    #[test]
    fn no_escape_sequences_reach_the_terminal() {
        let out = render(&sample());
        assert!(!out.contains('\u{1b}') && !out.contains('\0'), "{out:?}");
        assert!(out.contains("driver said \\u{0}\\u{1b}[31mno"), "{out}");
    }

    #[test]
    fn long_sql_is_shortened() {
        let mut result = sample();
        let sql: Vec<String> = (1..=25).map(|i| format!("SELECT {i}")).collect();
        result.findings.truncate(1);
        result.findings[0].sql = Some(sql.join("\n"));
        let out = render(&result);
        assert!(
            out.contains("    SELECT 10\n    … (15 more lines)\n"),
            "{out}"
        );
        assert!(!out.contains("SELECT 11"), "{out}");
    }

    #[test]
    fn many_results_each_have_a_heading() {
        let out = render_many(&[sample(), sample()]);
        assert_eq!(out.matches("== looker-ci sql ==\n").count(), 2);
        assert_eq!(out.matches("FAILED\n").count(), 2);
    }
}
