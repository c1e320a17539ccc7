//! Incremental mode: only explores whose compiled SQL differs from production's are checked.
//! Compiling costs API calls (`POST /queries`, `GET /queries/{id}/run/sql`), no warehouse query.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;

use super::{ExploreInfo, fetch_explores};
use crate::client::{ApiCall, LookerClient};
use crate::error::Result;
use crate::gate::options::ValidateOptions;

type Key = (String, String);

/// `(changed, unchanged, the fields each explore has on the target)`.
pub(crate) async fn split_changed(
    client: &LookerClient,
    target: &LookerClient,
    explores: Vec<ExploreInfo>,
    options: &ValidateOptions,
) -> Result<(
    Vec<ExploreInfo>,
    Vec<ExploreInfo>,
    HashMap<Key, HashSet<String>>,
)> {
    // An explore the target does not have is new, so changed.
    let available = crate::gate::catalog::project_explores(target, &options.project)
        .await
        .unwrap_or_default();
    let on_target: Vec<Key> = explores
        .iter()
        .map(|e| (e.model.clone(), e.name.clone()))
        .filter(|key| available.contains(key))
        .collect();
    let target_explores = fetch_explores(target, &on_target, options).await?;
    let target_by_key: HashMap<Key, ExploreInfo> = target_explores
        .into_iter()
        .map(|e| ((e.model.clone(), e.name.clone()), e))
        .collect();
    let comparisons: Vec<_> = explores
        .iter()
        .map(|explore| {
            let there = target_by_key.get(&(explore.model.clone(), explore.name.clone()));
            async move {
                let Some(there) = there else {
                    return Ok::<bool, crate::Error>(true);
                };
                let (here_sql, there_sql) =
                    futures::join!(compiled_sql(client, explore), compiled_sql(target, there));
                // SQL that cannot be compiled on either side may hide a change: check it.
                Ok(match (here_sql?, there_sql?) {
                    (Some(here), Some(there)) => here != there,
                    _ => true,
                })
            }
        })
        .collect();
    let changed: Vec<bool> = futures::stream::iter(comparisons)
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let fields = target_by_key
        .iter()
        .map(|(key, e)| {
            (
                key.clone(),
                e.fields.iter().map(|f| f.name.clone()).collect(),
            )
        })
        .collect();
    let (changed, unchanged): (Vec<_>, Vec<_>) = explores
        .into_iter()
        .zip(changed)
        .partition(|(_, changed)| *changed);
    Ok((
        changed.into_iter().map(|(e, _)| e).collect(),
        unchanged.into_iter().map(|(e, _)| e).collect(),
        fields,
    ))
}

/// The SQL Looker generates for a query of every field of `explore`; `None` when Looker cannot
/// generate it (no field left to query, a field or view it does not know: a 400, 404 or 422).
async fn compiled_sql(client: &LookerClient, explore: &ExploreInfo) -> Result<Option<String>> {
    if explore.fields.is_empty() {
        return Ok(None);
    }
    let names: Vec<&str> = explore.fields.iter().map(|f| f.name.as_str()).collect();
    let compiled = async {
        let query: serde_json::Value = client
            .request(ApiCall::new("POST", "/queries")?.json(serde_json::json!({
                "model": explore.model, "view": explore.name, "fields": names, "limit": "1",
            })))
            .await?;
        let id = match &query["id"] {
            serde_json::Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        client
            .request_bytes(ApiCall::get(&format!("/queries/{id}/run/sql"))?)
            .await
    };
    match compiled.await {
        Ok(sql) => Ok(Some(String::from_utf8_lossy(&sql).into_owned())),
        Err(e) if matches!(e.status(), Some(400 | 404 | 422)) => {
            // Checked as changed: costs queries, so say why in the log.
            tracing::warn!(
                model = %explore.model,
                explore = %explore.name,
                error = %e,
                "Looker cannot compile the explore's SQL for the comparison; checking it as changed"
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
