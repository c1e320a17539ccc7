//! The content validator: Looker's content validation, narrowed to the selected explores and
//! folders (with their subfolders), personal folders optionally left out.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::client::{ApiCall, LookerClient};
use crate::error::Result;
use crate::gate::options::ValidateOptions;
use crate::gate::result::{Finding, FindingScope, Severity, ValidationResult};
use crate::gate::selector::ExploreSelector;

/// The kinds of content Looker's validator reports, in the order an entry is read.
const CONTENT_KINDS: [&str; 8] = [
    "dashboard_element",
    "dashboard_filter",
    "lookml_dashboard_element",
    "scheduled_plan",
    "alert",
    "look",
    "dashboard",
    "lookml_dashboard",
];

/// A folder's place in the tree.
#[derive(Debug, Clone)]
struct FolderInfo {
    /// Names from the root down, this folder last.
    path: Vec<String>,
    /// Ids from the root down, this folder last.
    ids: Vec<String>,
    personal: bool,
}

/// Looker validates all content in one call, which takes minutes on a large instance.
const CONTENT_VALIDATION_TIMEOUT: Duration = Duration::from_secs(3600);

pub async fn validate_content(
    client: &LookerClient,
    options: &ValidateOptions,
    result: &mut ValidationResult,
) -> Result<()> {
    let call = ApiCall::get("/content_validation")?
        .query("project_names", &options.project)
        .timeout_at_least(CONTENT_VALIDATION_TIMEOUT);
    let validation: Value = client.request(call).await?;
    result.counts.content_checked += [
        "total_looks_validated",
        "total_dashboard_elements_validated",
        "total_dashboard_filters_validated",
        "total_scheduled_plans_validated",
        "total_alerts_validated",
    ]
    .iter()
    .filter_map(|k| validation[*k].as_u64())
    .sum::<u64>();
    let selector = ExploreSelector::parse(&options.explores)?;
    let filtering_folders = !options.folders.is_empty()
        || !options.exclude_folders.is_empty()
        || options.exclude_personal;
    let mut folders: HashMap<String, Option<FolderInfo>> = HashMap::new();
    for entry in validation["content_with_errors"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some((kind, content)) = CONTENT_KINDS
            .iter()
            .find_map(|k| entry.get(*k).filter(|v| v.is_object()).map(|v| (*k, v)))
        else {
            continue;
        };
        let folder_value = content
            .get("folder")
            .filter(|f| f.is_object())
            .or_else(|| entry["dashboard"].get("folder"))
            .or_else(|| entry["look"].get("folder"));
        let folder_id = folder_value.and_then(|f| id_text(&f["id"]));
        let folder = match &folder_id {
            Some(id) if filtering_folders => {
                if !folders.contains_key(id) {
                    let info = folder_info(client, id).await?;
                    folders.insert(id.clone(), info);
                }
                folders[id].clone()
            }
            _ => None,
        };
        if filtering_folders && !folder_selected(folder.as_ref(), options) {
            continue;
        }
        let folder_path = folder
            .as_ref()
            .map(|f| f.path.join("/"))
            .or_else(|| folder_value.and_then(|f| f["name"].as_str().map(str::to_owned)));
        for error in entry["errors"].as_array().into_iter().flatten() {
            let model = error["model_name"].as_str().map(str::to_owned);
            let explore = error["explore_name"].as_str().map(str::to_owned);
            if let (Some(m), Some(e)) = (&model, &explore)
                && !selector.selects(m, e)
            {
                continue;
            }
            let mut f = Finding::new(
                Severity::Error,
                FindingScope::Content,
                error["message"]
                    .as_str()
                    .unwrap_or("content error")
                    .to_owned(),
            );
            f.model = model;
            f.explore = explore;
            f.field = error["field_name"].as_str().map(str::to_owned);
            f.content_type = Some(kind.to_owned());
            f.content_id = id_text(&content["id"]);
            f.title = content["title"]
                .as_str()
                .or_else(|| content["title_text"].as_str())
                .or_else(|| content["name"].as_str())
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            f.folder = folder_path.clone();
            f.url = content_url(client, kind, content);
            // A tile, a dashboard filter, a schedule or an alert: name and link its dashboard.
            if let Some((dashboard_kind, dashboard)) = parent_dashboard(kind, entry) {
                f.dashboard_id = id_text(&dashboard["id"]);
                f.dashboard_title = dashboard["title"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned);
                if f.url.is_none() {
                    f.url = content_url(client, dashboard_kind, dashboard);
                }
            }
            result.findings.push(f);
        }
    }
    Ok(())
}

/// The dashboard that content of `kind` in `entry` belongs to, when it is part of one.
fn parent_dashboard<'a>(kind: &str, entry: &'a Value) -> Option<(&'static str, &'a Value)> {
    let parent = match kind {
        "dashboard_element" | "dashboard_filter" | "scheduled_plan" | "alert" => "dashboard",
        "lookml_dashboard_element" => "lookml_dashboard",
        _ => return None,
    };
    entry
        .get(parent)
        .filter(|d| d.is_object() && id_text(&d["id"]).is_some())
        .map(|d| (parent, d))
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn content_url(client: &LookerClient, kind: &str, content: &Value) -> Option<String> {
    let base = client
        .settings()
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let id = id_text(&content["id"])?;
    match kind {
        "look" => Some(format!("{base}/looks/{id}")),
        "dashboard" | "lookml_dashboard" => Some(format!("{base}/dashboards/{id}")),
        _ => None,
    }
}

/// The folder's path and whether it is personal; `None` when Looker does not show it to us.
async fn folder_info(client: &LookerClient, id: &str) -> Result<Option<FolderInfo>> {
    let folder: Value = match client
        .request(ApiCall::get(&format!("/folders/{id}"))?)
        .await
    {
        Ok(folder) => folder,
        Err(e) if e.status() == Some(404) => return Ok(None),
        Err(e) => return Err(e),
    };
    let ancestors: Value = client
        .request(ApiCall::get(&format!("/folders/{id}/ancestors"))?)
        .await?;
    let mut path = Vec::new();
    let mut ids = Vec::new();
    for folder in ancestors.as_array().into_iter().flatten().chain([&folder]) {
        path.push(folder["name"].as_str().unwrap_or("?").to_owned());
        ids.push(id_text(&folder["id"]).unwrap_or_default());
    }
    let personal = folder["is_personal"] == Value::Bool(true)
        || folder["is_personal_descendant"] == Value::Bool(true);
    Ok(Some(FolderInfo {
        path,
        ids,
        personal,
    }))
}

/// A folder matches a filter entry by id or name, itself or any ancestor (so subfolders follow).
fn folder_selected(folder: Option<&FolderInfo>, options: &ValidateOptions) -> bool {
    let matches = |wanted: &String, f: &FolderInfo| {
        f.ids.iter().any(|id| id == wanted) || f.path.iter().any(|name| name == wanted)
    };
    match folder {
        None => options.folders.is_empty(),
        Some(f) => {
            (options.folders.is_empty() || options.folders.iter().any(|w| matches(w, f)))
                && !options.exclude_folders.iter().any(|w| matches(w, f))
                && !(options.exclude_personal && f.personal)
        }
    }
}
