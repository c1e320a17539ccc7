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
    for error in validation["errors"].as_array().into_iter().flatten() {
        result.findings.push(finding(error, &options.project));
    }
    for model in validation["models_not_validated"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = model["name"].as_str().unwrap_or("?");
        let mut f = Finding::new(
            Severity::Warning,
            FindingScope::Lookml,
            format!(
                "model `{name}` was not validated: {}",
                model["message"].as_str().unwrap_or("Looker gave no reason")
            ),
        );
        f.model = Some(name.to_owned());
        result.findings.push(f);
    }
    Ok(())
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
    // Looker prefixes file paths with the project name; the repository does not.
    f.file = text("file_path").map(|p| {
        p.strip_prefix(&format!("{project}/"))
            .map(str::to_owned)
            .unwrap_or(p)
    });
    f.line = error["line_number"].as_u64().map(|l| l as u32);
    f.url = text("help_url");
    f
}
