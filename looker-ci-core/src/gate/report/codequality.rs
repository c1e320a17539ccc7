//! GitLab Code Quality (`artifacts:reports:codequality`): a JSON array of issues, each with a
//! description, check name, fingerprint, severity and location (path and first line).
//!
//! Severity mapping: info → `info`, warning → `minor`, error → `major`, fatal → `blocker`
//! (`critical` is not used). Findings without a file are placed on the model file
//! (`{model}.model.lkml`) or, without a model, on `looker-ci`, and on line 1 when the line is
//! unknown, because GitLab requires both.

use std::collections::HashSet;

use serde::Serialize;

use crate::gate::result::{Finding, FindingScope, Severity, ValidationResult, ValidatorKind};

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// The result's findings as Code Quality issues.
pub fn render(result: &ValidationResult) -> String {
    render_many(std::slice::from_ref(result))
}

/// All results' findings in one array.
pub fn render_many(results: &[ValidationResult]) -> String {
    let mut fingerprints = HashSet::new();
    let results: Vec<_> = results.iter().map(super::with_repository_paths).collect();
    let issues: Vec<Issue> = results
        .iter()
        .flat_map(|r| r.findings.iter().map(move |f| (r.as_ref(), f)))
        .map(|(result, finding)| issue(result, finding, &mut fingerprints))
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).expect("issues serialize to JSON");
    text.push('\n');
    text
}

/// GitLab's name for a severity.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Warning => "minor",
        Severity::Error => "major",
        Severity::Fatal => "blocker",
    }
}

fn issue(result: &ValidationResult, finding: &Finding, seen: &mut HashSet<String>) -> Issue {
    let validator = result.validator;
    // Findings that differ only in line or SQL share a fingerprint, and GitLab keeps one issue
    // per fingerprint: later ones get the occurrence number, which is stable while the order is.
    let base = finding.fingerprint(validator);
    let mut fingerprint = base.clone();
    let mut n = 1;
    while !seen.insert(fingerprint.clone()) {
        n += 1;
        fingerprint = format!("{base}-{n}");
    }

    let path = match (&finding.file, &finding.model) {
        (Some(file), _) if !file.trim().is_empty() => file.clone(),
        (_, Some(model)) if !model.trim().is_empty() => {
            super::repository_path(result, &format!("{model}.model.lkml"))
        }
        _ => "looker-ci".to_string(),
    };
    Issue {
        description: format!("{}: {}", finding.location(), finding.message),
        check_name: check_name(validator, finding.scope),
        fingerprint,
        severity: severity_name(finding.severity),
        location: Location {
            path,
            lines: Lines {
                begin: finding.line.unwrap_or(1).max(1),
            },
        },
    }
}

/// `looker-ci-{validator}`, with the scope appended where it says more than the validator does.
fn check_name(validator: ValidatorKind, scope: FindingScope) -> String {
    let scope = match (validator, scope) {
        (ValidatorKind::Lookml, FindingScope::Lookml)
        | (ValidatorKind::Assert, FindingScope::Test)
        | (ValidatorKind::Content, FindingScope::Content) => None,
        (_, FindingScope::Lookml) => Some("lookml"),
        (_, FindingScope::Field) => Some("field"),
        (_, FindingScope::Join) => Some("join"),
        (_, FindingScope::Explore) => Some("explore"),
        (_, FindingScope::Test) => Some("test"),
        (_, FindingScope::Content) => Some("content"),
    };
    match scope {
        Some(scope) => format!("looker-ci-{}-{scope}", validator.as_str()),
        None => format!("looker-ci-{}", validator.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::report::sample;
    use crate::gate::result::GitRefValidated;
    use serde_json::Value;

    fn parse(text: &str) -> Vec<Value> {
        let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        value.as_array().expect("an array of issues").clone()
    }

    /// Every issue has the fields GitLab requires, with the right types, and fingerprints are
    /// unique.
    fn assert_valid(issues: &[Value]) {
        let mut fingerprints = HashSet::new();
        for issue in issues {
            for key in ["description", "check_name", "fingerprint", "severity"] {
                let value = issue[key]
                    .as_str()
                    .unwrap_or_else(|| panic!("{key} in {issue}"));
                assert!(!value.is_empty(), "empty {key} in {issue}");
            }
            assert!(
                issue["check_name"]
                    .as_str()
                    .unwrap()
                    .starts_with("looker-ci-")
            );
            let severity = issue["severity"].as_str().unwrap();
            assert!(
                ["info", "minor", "major", "critical", "blocker"].contains(&severity),
                "{issue}"
            );
            let path = issue["location"]["path"].as_str().expect("location.path");
            assert!(!path.trim().is_empty(), "{issue}");
            let begin = issue["location"]["lines"]["begin"]
                .as_u64()
                .expect("lines.begin");
            assert!(begin >= 1, "{issue}");
            let fingerprint = issue["fingerprint"].as_str().unwrap();
            assert!(
                fingerprints.insert(fingerprint.to_string()),
                "repeated {fingerprint}"
            );
        }
    }

    #[test]
    fn the_sample_is_one_valid_issue_per_finding() {
        let result = sample();
        let issues = parse(&render(&result));
        assert_valid(&issues);
        assert_eq!(issues.len(), result.findings.len());
        for (issue, finding) in issues.iter().zip(&result.findings) {
            assert_eq!(
                issue["description"].as_str().unwrap(),
                format!("{}: {}", finding.location(), finding.message)
            );
            assert_eq!(
                issue["fingerprint"],
                finding.fingerprint(ValidatorKind::Sql)
            );
        }
    }

    #[test]
    fn severities_map_to_gitlabs_names() {
        let issues = parse(&render(&sample()));
        let severities: Vec<&str> = issues
            .iter()
            .map(|i| i["severity"].as_str().unwrap())
            .collect();
        assert_eq!(
            severities,
            ["major", "major", "minor", "info", "blocker", "major"]
        );
    }

    #[test]
    fn locations_fall_back_to_the_model_file_and_line_one() {
        let issues = parse(&render(&sample()));
        assert_eq!(issues[0]["location"]["path"], "views/orders.view.lkml");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 42);
        assert_eq!(issues[1]["location"]["path"], "thelook.model.lkml");
        assert_eq!(issues[1]["location"]["lines"]["begin"], 1);
        assert_eq!(issues[5]["location"]["path"], "ecommerce.model.lkml");

        let mut result = ValidationResult::new(
            ValidatorKind::Content,
            "thelook",
            GitRefValidated::production(),
        );
        let mut broken = Finding::new(Severity::Error, FindingScope::Content, "unknown field");
        broken.content_type = Some("dashboard".into());
        broken.content_id = Some("12".into());
        broken.file = Some(" ".into());
        broken.line = Some(0);
        result.findings.push(broken);
        let issues = parse(&render(&result));
        assert_valid(&issues);
        assert_eq!(issues[0]["location"]["path"], "looker-ci");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 1);
        assert_eq!(issues[0]["check_name"], "looker-ci-content");
    }

    #[test]
    fn check_names_carry_the_scope_when_it_adds_something() {
        let names: Vec<String> = parse(&render(&sample()))
            .iter()
            .map(|i| i["check_name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names[0], "looker-ci-sql-field");
        assert_eq!(names[1], "looker-ci-sql-join");
        assert_eq!(names[4], "looker-ci-sql-explore");
        assert_eq!(
            check_name(ValidatorKind::Lookml, FindingScope::Lookml),
            "looker-ci-lookml"
        );
        assert_eq!(
            check_name(ValidatorKind::Assert, FindingScope::Test),
            "looker-ci-assert"
        );
    }

    #[test]
    fn findings_that_differ_only_in_line_get_distinct_fingerprints() {
        let mut result = ValidationResult::new(
            ValidatorKind::Lookml,
            "thelook",
            GitRefValidated::production(),
        );
        for line in [3, 9, 27] {
            let mut f = Finding::new(Severity::Error, FindingScope::Lookml, "Unknown view");
            f.file = Some("views/a.view.lkml".into());
            f.line = Some(line);
            result.findings.push(f);
        }
        let issues = parse(&render(&result));
        assert_valid(&issues);
        let base = result.findings[0].fingerprint(ValidatorKind::Lookml);
        assert_eq!(issues[0]["fingerprint"], base);
        assert_eq!(issues[2]["fingerprint"], format!("{base}-3"));
    }

    #[test]
    fn many_results_are_one_array() {
        let results = [sample(), sample()];
        let issues = parse(&render_many(&results));
        // The same findings twice still get one issue each.
        assert_eq!(issues.len(), 12);
        assert_valid(&issues);
        assert_eq!(parse(&render_many(&[])).len(), 0);
    }
}
