//! Content: looks, dashboards and folders (from production's project: content lives in Looker's
//! database, not in git) and the content validator, which checks every field they use against
//! the code the session sees.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::project::{FakeFolder, FakeProject};
use super::reply::FakeReply;

/// What content validation reports as its duration.
const COMPUTATION_TIME: f64 = 0.02;

/// Why `fields` of `model`'s `explore` do not validate against `code`: ContentValidationErrors.
fn field_errors(code: &FakeProject, model: &str, explore: &str, fields: &[String]) -> Vec<Value> {
    let error = |message: String, field: Option<&str>| {
        json!({"message": message, "field_name": field, "model_name": model,
               "explore_name": explore, "removable": field.is_some()})
    };
    if code.model(model).is_none() {
        return vec![error(format!("Unknown model \"{model}\""), None)];
    }
    let Some(found) = code.explore(model, explore) else {
        return vec![error(
            format!("Unknown explore \"{model}::{explore}\""),
            None,
        )];
    };
    fields
        .iter()
        .filter(|f| code.explore_field(found, f).is_none())
        .map(|f| error(format!("Unknown field \"{f}\""), Some(f)))
        .collect()
}

fn folder_ref(content: &FakeProject, id: &str) -> Value {
    let name = content.folder(id).map(|f| f.name.clone());
    json!({"id": id, "name": name.unwrap_or_default()})
}

/// `GET /content_validation`: content from `content` (production's project) checked against
/// `code`; `folder_ids` (the `space_ids` parameter) limits it to those folders.
pub(crate) fn validate(
    content: &FakeProject,
    code: &FakeProject,
    folder_ids: Option<&[String]>,
) -> FakeReply {
    let selected = |folder: &str| folder_ids.is_none_or(|ids| ids.iter().any(|i| i == folder));
    let mut with_errors = Vec::new();
    let mut explores: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut looks = 0;
    let mut elements = 0;
    for look in content.looks.iter().filter(|l| selected(&l.folder_id)) {
        looks += 1;
        explores.insert((&look.model, &look.explore));
        let errors = field_errors(code, &look.model, &look.explore, &look.fields);
        if !errors.is_empty() {
            with_errors.push(json!({
                "id": format!("look-{}", look.id),
                "look": {"id": look.id, "title": look.title,
                         "short_url": format!("/looks/{}", look.id),
                         "folder": folder_ref(content, &look.folder_id)},
                "errors": errors,
            }));
        }
    }
    for dashboard in content.dashboards.iter().filter(|d| selected(&d.folder_id)) {
        for element in &dashboard.elements {
            elements += 1;
            explores.insert((&element.model, &element.explore));
            let errors = field_errors(code, &element.model, &element.explore, &element.fields);
            if !errors.is_empty() {
                with_errors.push(json!({
                    "id": format!("dashboard_element-{}", element.id),
                    "dashboard": {"id": dashboard.id, "title": dashboard.title, "description": null,
                                  "url": format!("/dashboards/{}", dashboard.id),
                                  "folder": folder_ref(content, &dashboard.folder_id)},
                    "dashboard_element": {"id": element.id, "dashboard_id": dashboard.id,
                                          "title": element.title, "type": "vis"},
                    "errors": errors,
                }));
            }
        }
    }
    FakeReply::json(
        200,
        json!({
            "content_with_errors": with_errors,
            "computation_time": COMPUTATION_TIME,
            "total_looks_validated": looks,
            "total_dashboard_elements_validated": elements,
            "total_dashboard_filters_validated": 0,
            "total_scheduled_plans_validated": 0,
            "total_alerts_validated": 0,
            "total_explores_validated": explores.len(),
        }),
    )
}

/// A Folder; `with_content` adds its looks and dashboards.
fn folder_json(content: &FakeProject, folder: &FakeFolder, with_content: bool) -> Value {
    let personal_descendant = ancestors(content, folder).iter().any(|f| f.is_personal);
    let children = content
        .folders
        .iter()
        .filter(|f| f.parent_id.as_deref() == Some(folder.id.as_str()))
        .count();
    let mut json = json!({
        "id": folder.id,
        "name": folder.name,
        "parent_id": folder.parent_id,
        "is_personal": folder.is_personal,
        "is_personal_descendant": personal_descendant,
        "creator_id": folder.creator_id,
        "child_count": children,
        "content_metadata_id": folder.id,
        "is_embed": false,
        "can": {"show": true},
    });
    if with_content {
        json["looks"] = content
            .looks
            .iter()
            .filter(|l| l.folder_id == folder.id)
            .map(|l| json!({"id": l.id, "title": l.title, "folder_id": l.folder_id}))
            .collect();
        json["dashboards"] = content
            .dashboards
            .iter()
            .filter(|d| d.folder_id == folder.id)
            .map(|d| json!({"id": d.id, "title": d.title, "folder_id": d.folder_id}))
            .collect();
    }
    json
}

/// The folder's ancestors, root first. Bounded by the number of folders, so a parent cycle in a
/// test's data cannot loop forever.
fn ancestors<'a>(content: &'a FakeProject, folder: &FakeFolder) -> Vec<&'a FakeFolder> {
    let mut chain = Vec::new();
    let mut parent = folder.parent_id.as_deref();
    while let Some(id) = parent {
        let Some(found) = content.folder(id) else {
            break;
        };
        if chain.len() > content.folders.len() {
            break;
        }
        chain.push(found);
        parent = found.parent_id.as_deref();
    }
    chain.reverse();
    chain
}

/// `GET /folders/{id}`.
pub(crate) fn folder(content: &FakeProject, id: &str) -> FakeReply {
    match content.folder(id) {
        Some(folder) => FakeReply::json(200, folder_json(content, folder, true)),
        None => FakeReply::error(404, "Not found"),
    }
}

/// `GET /folders/{id}/ancestors`: root first.
pub(crate) fn folder_ancestors(content: &FakeProject, id: &str) -> FakeReply {
    match content.folder(id) {
        Some(folder) => FakeReply::json(
            200,
            ancestors(content, folder)
                .into_iter()
                .map(|f| folder_json(content, f, false))
                .collect(),
        ),
        None => FakeReply::error(404, "Not found"),
    }
}
