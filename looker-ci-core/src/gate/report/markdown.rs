//! A Markdown summary for a merge-request comment or a GitHub job summary: status, counts, and a
//! table of findings (errors first) with each finding's SQL folded away.

use std::fmt::Write as _;

use super::{findings_summary, finite_seconds, ref_label};
use crate::gate::result::{Finding, ValidationResult};

/// Findings shown in the table; the rest are counted, to keep a comment within size limits.
pub const MAX_FINDINGS: usize = 100;

/// The summary of one result.
pub fn render(result: &ValidationResult) -> String {
    let mut md = String::new();
    let mut reference = ref_label(&result.git_ref);
    if let Some(commit) = &result.git_ref.commit {
        let short: String = commit.chars().take(10).collect();
        let _ = write!(reference, " ({short})");
    }
    let _ = writeln!(
        md,
        "### looker-ci {}: {} @ {}\n",
        result.validator.as_str(),
        cell(&result.project),
        cell(&reference)
    );
    let (icon, verdict) = if result.passed {
        ("✅", "Passed")
    } else {
        ("❌", "Failed")
    };
    let mut status = format!(
        "{icon} **{verdict}**: {}",
        findings_summary(&result.findings)
    );
    if let Some(shard) = result.shard {
        let _ = write!(status, " (shard {}/{})", shard.index, shard.total);
    }
    if let Some(target) = &result.incremental_target {
        let _ = write!(status, "; compared with {}", cell(target));
    }
    let _ = writeln!(md, "{status}\n");

    counts_table(&mut md, result);

    if result.findings.is_empty() {
        return md;
    }
    // Errors first, so the cap never hides one behind warnings.
    let mut findings: Vec<&Finding> = result.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let shown = &findings[..findings.len().min(MAX_FINDINGS)];

    md.push_str("\n| # | Severity | Location | Message |\n|---:|---|---|---|\n");
    for (i, finding) in shown.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            i + 1,
            finding.severity.as_str(),
            cell(&finding.location()),
            cell(&finding.message)
        );
    }
    if findings.len() > shown.len() {
        let _ = writeln!(
            md,
            "\n… and {} more findings, not shown (see the JSON report).",
            findings.len() - shown.len()
        );
    }
    for (i, finding) in shown.iter().enumerate() {
        if let Some(sql) = &finding.sql {
            let fence = fence_for(sql);
            let _ = write!(
                md,
                "\n<details><summary>SQL of #{}: {}</summary>\n\n{fence}sql\n{}\n{fence}\n\n</details>\n",
                i + 1,
                html(&finding.location()),
                sql.trim_end()
            );
        }
    }
    md
}

/// The summaries one after another, each under its own heading.
pub fn render_many(results: &[ValidationResult]) -> String {
    results.iter().map(render).collect::<Vec<_>>().join("\n")
}

fn counts_table(md: &mut String, result: &ValidationResult) {
    let c = &result.counts;
    let mut columns: Vec<(&str, String)> = [
        ("Explores", c.explores_checked),
        ("Fields", c.fields_checked),
        ("Queries", c.queries_run),
        ("Cancelled", c.queries_cancelled),
        ("Tests", c.tests_run),
        ("Content", c.content_checked),
        ("Existing on target", c.findings_existing_on_target),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .map(|(name, n)| (name, n.to_string()))
    .collect();
    columns.insert(0, ("Findings", result.findings.len().to_string()));
    columns.push(("Time", format!("{:.1} s", finite_seconds(c.seconds))));
    let row = |cells: Vec<&str>| format!("| {} |\n", cells.join(" | "));
    md.push_str(&row(columns.iter().map(|(name, _)| *name).collect()));
    md.push_str(&row(columns.iter().map(|_| "---:").collect()));
    md.push_str(&row(columns
        .iter()
        .map(|(_, value)| value.as_str())
        .collect()));
}

/// Text for a table cell: one line, `|` escaped, and no HTML.
fn cell(text: &str) -> String {
    // `html` has dropped CRs already.
    html(text.trim()).replace('|', "\\|").replace('\n', "<br>")
}

fn html(text: &str) -> String {
    super::visible_controls(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A code fence longer than any run of backticks in the SQL.
fn fence_for(code: &str) -> String {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::report::sample;
    use crate::gate::result::{FindingScope, Severity};

    /// The cells of a table row, split on pipes that are not escaped.
    fn cells(row: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut chars = row.trim().chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'|') => {
                    cells.last_mut().unwrap().push('|');
                    chars.next();
                }
                '|' => cells.push(String::new()),
                c => cells.last_mut().unwrap().push(c),
            }
        }
        cells
            .iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    }

    fn finding_rows(md: &str) -> Vec<Vec<String>> {
        md.lines()
            .skip_while(|l| !l.starts_with("| # |"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(cells)
            .collect()
    }

    #[test]
    fn heading_status_and_counts() {
        let md = render(&sample());
        let mut lines = md.lines();
        assert_eq!(
            lines.next(),
            Some("### looker-ci sql: thelook @ branch feature-x (4f2a9c1e8b)")
        );
        assert!(
            md.contains("❌ **Failed**: 6 findings (1 fatal error, 3 errors, 1 warning, 1 info)"),
            "{md}"
        );
        assert!(
            md.contains("| Findings | Explores | Fields | Queries | Cancelled | Time |"),
            "{md}"
        );
        assert!(md.contains("| 6 | 4 | 58 | 15 | 1 | 312.4 s |"), "{md}");

        let mut clean = sample();
        clean.findings.clear();
        clean.passed = true;
        let md = render(&clean);
        assert!(md.contains("✅ **Passed**: no findings"), "{md}");
        assert!(!md.contains("| # |"), "{md}");
    }

    #[test]
    fn every_finding_row_has_four_cells_with_pipes_escaped() {
        let result = sample();
        let md = render(&result);
        let rows = finding_rows(&md);
        assert_eq!(rows.len(), result.findings.len(), "{md}");
        for row in &rows {
            assert_eq!(row.len(), 4, "{row:?}\n{md}");
        }
        // Fatal first, then errors in their order.
        assert_eq!(rows[0][1], "fatal");
        let join = rows.iter().find(|r| r[3].contains("users_v2")).unwrap();
        assert_eq!(
            join[3],
            "relation \"public.users_v2\" does not exist | check sql_table_name"
        );
        assert!(md.contains("does not exist \\| check"), "{md}");
        assert_eq!(
            rows[0][3],
            "query timed out after 300 s<br>and was cancelled"
        );
        let info = rows.iter().find(|r| r[1] == "info").unwrap();
        assert_eq!(
            info[3],
            "users.created_date uses a &lt;deprecated&gt; timeframe"
        );
    }

    #[test]
    fn sql_is_folded_in_a_fenced_block() {
        let result = sample();
        let md = render(&result);
        assert_eq!(md.matches("<details>").count(), 2, "{md}");
        assert_eq!(md.matches("</details>").count(), 2, "{md}");
        let sql = result.findings[0].sql.as_deref().unwrap();
        assert!(md.contains(&format!("```sql\n{sql}\n```")), "{md}");
        assert!(md.contains("<summary>SQL of #2: thelook/orders orders.total_amount views/orders.view.lkml:42</summary>"), "{md}");
        assert_eq!(fence_for("select '```' as x"), "````");
        assert_eq!(fence_for("select 1"), "```");
    }

    #[test]
    fn the_table_is_capped() {
        let mut result = sample();
        result.findings = (0..150)
            .map(|i| {
                let severity = if i == 149 {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                Finding::new(severity, FindingScope::Explore, format!("problem {i}"))
            })
            .collect();
        let md = render(&result);
        let rows = finding_rows(&md);
        assert_eq!(rows.len(), MAX_FINDINGS);
        assert_eq!(
            rows[0][3], "problem 149",
            "the error is not hidden by the cap"
        );
        assert!(md.contains("… and 50 more findings"), "{md}");
    }

    #[test]
    fn many_results_each_have_a_heading() {
        let md = render_many(&[sample(), sample()]);
        assert_eq!(md.matches("### looker-ci sql").count(), 2);
    }
}
