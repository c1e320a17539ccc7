//! The steps after a green gate: deploy a ref to production, run a scheduled plan once, trigger
//! a datagroup.

use crate::doctor::permissions::explain;
use serde_json::{Value, json};

use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};

/// Deploy `project` to production: the head of `branch`, or `commit` (exactly one of them).
pub async fn deploy(
    client: &LookerClient,
    project: &str,
    branch: Option<&str>,
    commit: Option<&str>,
) -> Result<()> {
    let (kind, value) = match (branch.map(str::trim), commit.map(str::trim)) {
        (Some(b), None) if !b.is_empty() => ("branch", b),
        (None, Some(c)) if !c.is_empty() => ("ref", c),
        _ => {
            return Err(Error::invalid_argument(
                "ref",
                "give exactly one of a branch (--branch) or a commit (--commit) to deploy",
            ));
        }
    };
    let path = format!("/projects/{project}/deploy_ref_to_production");
    client
        .request_bytes(ApiCall::new("POST", &path)?.query(kind, value))
        .await
        .map_err(|e| explain(e, "deploy"))?;
    Ok(())
}

/// Run scheduled plan `plan_id` once now; returns the plan Looker ran.
pub async fn run_schedule(client: &LookerClient, plan_id: &str) -> Result<Value> {
    if plan_id.trim().is_empty() || !plan_id.trim().chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid_argument(
            "plan_id",
            format!("`{plan_id}` is not a scheduled plan id"),
        ));
    }
    let path = format!("/scheduled_plans/{}/run_once", plan_id.trim());
    client
        .request(ApiCall::new("POST", &path)?)
        .await
        .map_err(|e| explain(e, "run-schedule"))
}

/// Mark datagroup `name` of `model` stale now, so Looker rebuilds what depends on it; returns
/// the datagroup as Looker shows it after the change.
pub async fn trigger_datagroup(client: &LookerClient, model: &str, name: &str) -> Result<Value> {
    let all: Value = client
        .request(ApiCall::get("/datagroups")?)
        .await
        .map_err(|e| explain(e, "trigger-datagroup"))?;
    let groups = all.as_array().cloned().unwrap_or_default();
    let Some(group) = groups
        .iter()
        .find(|g| g["model_name"] == model && g["name"] == name)
    else {
        let known: Vec<String> = groups
            .iter()
            .filter_map(|g| {
                Some(format!(
                    "{}::{}",
                    g["model_name"].as_str()?,
                    g["name"].as_str()?
                ))
            })
            .collect();
        return Err(Error::invalid_argument(
            "datagroup",
            format!(
                "no datagroup `{name}` in model `{model}` (datagroups: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    let id = match &group["id"] {
        Value::String(id) => id.clone(),
        other => other.to_string(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    client
        .request(
            ApiCall::new("PATCH", &format!("/datagroups/{id}"))?
                .json(json!({"stale_before": now, "triggered_at": now})),
        )
        .await
        .map_err(|e| explain(e, "trigger-datagroup"))
}
