//! The entry point for fuzzing the decoding of Looker's replies into models (feature `fuzzing`;
//! not part of the API), and the table of every entry point of the workspace: those of
//! `looker_ci_core::fuzzing` plus [`model`]. See docs/development.md.

use looker_ci_core::fuzzing::{Target, raw_reply};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::models;

/// Every entry point, by the name of its cargo-fuzz target and corpus directory
/// (`fuzz/corpus/<name>/`).
pub fn targets() -> Vec<(&'static str, Target)> {
    let mut targets = looker_ci_core::fuzzing::TARGETS.to_vec();
    targets.push(("model", model));
    targets
}

/// Decode the reply body through the path the typed methods take
/// ([`looker_ci_core::RawReply::model`]), then write the model back as JSON and `Debug`.
fn decode<T: DeserializeOwned + Serialize + std::fmt::Debug>(operation_id: &str, body: &[u8]) {
    let reply = raw_reply(operation_id, "application/json", body)
        .expect("the fuzzed operations are in the operation table");
    if let Ok(value) = reply.model::<T>() {
        let _ = serde_json::to_vec(&value);
        let _ = format!("{value:?}");
    }
}

/// The reply of an operation, decoded into its model: the first byte picks the operation (modulo
/// the number of them), the rest is the JSON body. The operations are those a CI job calls most,
/// with the models that hold the most shapes: `me` (User), `dashboard`, `query`, `look`,
/// `lookml_model_explore`, `content_validation`, `validate_project` / `project_validation_results`
/// (the LookML validation), `run_lookml_test`, `session`, `folder`, `scheduled_plan`,
/// `git_branch`, `all_users` (a list), and an API error body (`ValidationError`).
pub fn model(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 14 {
        0 => decode::<models::User>("me", body),
        1 => decode::<models::Dashboard>("dashboard", body),
        2 => decode::<models::Query>("query", body),
        3 => decode::<models::Look>("look", body),
        4 => decode::<models::LookmlModelExplore>("lookml_model_explore", body),
        5 => decode::<models::ContentValidation>("content_validation", body),
        6 => decode::<models::ProjectValidation>("validate_project", body),
        7 => decode::<models::ProjectValidationCache>("project_validation_results", body),
        8 => decode::<Vec<models::LookmlTestResult>>("run_lookml_test", body),
        9 => decode::<models::ApiSession>("session", body),
        10 => decode::<models::Folder>("folder", body),
        11 => decode::<models::ScheduledPlan>("scheduled_plan", body),
        12 => decode::<models::GitBranch>("git_branch", body),
        _ => {
            decode::<Vec<models::User>>("all_users", body);
            decode::<models::ValidationError>("me", body);
        }
    }
}
