//! The project's models and explores, as Looker lists them for the checked-out code.

use serde_json::Value;

use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};
use crate::gate::options::ValidateOptions;
use crate::gate::selector::ExploreSelector;

/// Every `(model, explore)` of `project`, in Looker's order.
pub(crate) async fn project_explores(
    client: &LookerClient,
    project: &str,
) -> Result<Vec<(String, String)>> {
    let models: Value = client
        .request(ApiCall::get("/lookml_models")?.query("fields", "name,project_name,explores"))
        .await?;
    let models = models.as_array().cloned().unwrap_or_default();
    let mut projects: Vec<String> = models
        .iter()
        .filter_map(|m| m["project_name"].as_str().map(str::to_owned))
        .collect();
    projects.sort();
    projects.dedup();
    if !projects.iter().any(|p| p == project) {
        return Err(Error::invalid_argument(
            "project",
            format!(
                "Looker has no model in project `{project}` on this ref (projects with models: {}); \
                 check --project and that the API user can see the project's models",
                if projects.is_empty() {
                    "none".into()
                } else {
                    projects.join(", ")
                }
            ),
        ));
    }
    Ok(models
        .iter()
        .filter(|m| m["project_name"] == project)
        .flat_map(|m| {
            let model = m["name"].as_str().unwrap_or_default().to_owned();
            m["explores"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |e| Some((model.clone(), e["name"].as_str()?.to_owned())))
        })
        .collect())
}

/// The explores `options.explores` selects in `options.project`; an unknown name is an error.
pub(crate) async fn selected_explores(
    client: &LookerClient,
    options: &ValidateOptions,
) -> Result<Vec<(String, String)>> {
    let selector = ExploreSelector::parse(&options.explores)?;
    selector.select(&project_explores(client, &options.project).await?)
}

/// `error`, or [`check_project`]'s clearer one when `error` may come from a project that does
/// not exist: a 404 on one of the project's paths, or Looker listing nothing of it (no model, no
/// data test: errors of the `project` argument).
pub(crate) async fn explain_missing_project(
    client: &LookerClient,
    project: &str,
    error: Error,
) -> Error {
    let prefix = format!("/projects/{project}/");
    let may_be_missing = match &error {
        Error::InvalidArgument { argument, .. } => argument == "project",
        other => other
            .api()
            .is_some_and(|api| api.status == 404 && api.path.starts_with(&prefix)),
    };
    if !may_be_missing {
        return error;
    }
    match check_project(client, project).await {
        Err(missing @ Error::InvalidArgument { .. }) => missing,
        // The project exists (or Looker could not say): the validator's own error stands.
        _ => error,
    }
}

/// An error naming the projects that exist when `project` is not one of them (Looker answers
/// 404 for a project the API user cannot see, too).
pub(crate) async fn check_project(client: &LookerClient, project: &str) -> Result<()> {
    let path = format!("/projects/{project}");
    match client
        .request::<Value>(ApiCall::get(&path)?.query("fields", "id,name"))
        .await
    {
        Ok(_) => Ok(()),
        // Only the project's own 404: a rejected API key is a 404 on /login, a Looker error.
        Err(e)
            if e.api()
                .is_some_and(|api| api.status == 404 && api.path == path) =>
        {
            let listed: Value = client
                .request(ApiCall::get("/projects")?.query("fields", "id"))
                .await
                .unwrap_or(Value::Null);
            let names: Vec<&str> = listed
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["id"].as_str())
                .take(30)
                .collect();
            Err(Error::invalid_argument(
                "project",
                format!(
                    "Looker has no project `{project}` that this API user can see (projects: {}); \
                     check --project",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            ))
        }
        Err(e) => Err(e),
    }
}
