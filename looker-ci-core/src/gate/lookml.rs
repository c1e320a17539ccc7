//! The LookML validator: Looker's project validation, reusing a fresh cached result (no
//! recompilation) and running it otherwise.

use std::time::Duration;

use serde_json::Value;

use crate::client::{ApiCall, LookerClient};
use crate::error::Result;
use crate::gate::options::ValidateOptions;
use crate::gate::result::{Finding, FindingScope, Severity, ValidationResult};

/// Looker compiles the whole project before it answers: minutes for a large one.
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(7200);

pub async fn validate_lookml(
    client: &LookerClient,
    options: &ValidateOptions,
    result: &mut ValidationResult,
) -> Result<()> {
    let path = format!("/projects/{}/validate", options.project);
    // Looker answers 204 (no body, decoded as null) when nothing is cached.
    let cached: Value = client.request(ApiCall::get(&path)?).await?;
    let fresh = cached.is_object() && cached["stale"] == Value::Bool(false);
    let validation: Value = if fresh {
        cached
    } else {
        let call = ApiCall::new("POST", &path)?.timeout_at_least(VALIDATION_TIMEOUT);
        client.request(call).await?
    };
    result
        .findings
        .extend(findings_of(&validation, &options.project));
    Ok(())
}

/// The findings of a `ProjectValidation`: its errors (a `success` entry is none), and a warning
/// for each model Looker did not validate.
fn findings_of(validation: &Value, project: &str) -> Vec<Finding> {
    let mut findings: Vec<Finding> = validation["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|error| error["severity"] != "success")
        .map(|error| finding(error, project))
        .collect();
    for model in validation["models_not_validated"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = model["name"].as_str().unwrap_or("?");
        // The spec's ModelsNotValidated has no reason; a message is shown when Looker sends one.
        let reason = model["message"]
            .as_str()
            .filter(|m| !m.trim().is_empty())
            .map_or_else(String::new, |m| format!(": {m}"));
        let mut f = Finding::new(
            Severity::Warning,
            FindingScope::Lookml,
            format!("model `{name}` was not validated{reason}; Looker's IDE validator shows why"),
        );
        f.model = Some(name.to_owned());
        findings.push(f);
    }
    findings
}

/// A file path as Looker gives it (`project/views/x.view.lkml`) as the repository has it
/// (`views/x.view.lkml`); an imported project's file keeps its project's name.
pub(crate) fn in_repository(project: &str, looker_path: &str) -> String {
    looker_path
        .strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(looker_path)
        .to_owned()
}

fn finding(error: &Value, project: &str) -> Finding {
    let text = |key: &str| {
        error[key]
            .as_str()
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    // Looker's severities; an unknown one is treated as an error rather than hidden.
    let severity = text("severity")
        .as_deref()
        .and_then(Severity::parse)
        .unwrap_or(Severity::Error);
    let mut f = Finding::new(
        severity,
        FindingScope::Lookml,
        text("message").unwrap_or_else(|| "LookML error (Looker gave no message)".into()),
    );
    f.model = text("model_id");
    f.explore = text("explore");
    f.field = text("field_name");
    f.file = text("file_path").map(|p| in_repository(project, &p));
    f.line = error["line_number"].as_u64().map(|l| l as u32);
    f.url = text("help_url");
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_entries_are_no_findings_and_unvalidated_models_are_warnings() {
        let validation = serde_json::json!({
            "errors": [
                {"severity": "success", "message": "Validation passed"},
                {"severity": "error", "message": "Unknown view", "file_path": "p/a.view.lkml",
                 "line_number": 3},
            ],
            "models_not_validated": [{"name": "m", "project_file_id": "p/m.model.lkml"}],
        });
        let findings = findings_of(&validation, "p");
        assert_eq!(findings.len(), 2, "{findings:#?}");
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[0].file.as_deref(), Some("a.view.lkml"));
        assert_eq!(findings[1].severity, Severity::Warning);
        assert!(
            findings[1]
                .message
                .starts_with("model `m` was not validated; Looker")
        );
    }

    #[test]
    fn looker_file_paths_lose_only_their_own_projects_name() {
        assert_eq!(
            in_repository("thelook", "thelook/views/a.view.lkml"),
            "views/a.view.lkml"
        );
        // An imported project's file, and a project whose name merely starts the same.
        assert_eq!(in_repository("thelook", "shared/a.lkml"), "shared/a.lkml");
        assert_eq!(
            in_repository("thelook", "thelookx/a.lkml"),
            "thelookx/a.lkml"
        );
        assert_eq!(in_repository("thelook", "a.lkml"), "a.lkml");
    }
}
