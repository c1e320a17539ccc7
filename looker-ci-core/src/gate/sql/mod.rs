//! The SQL validator: proves that every selected explore's dimensions and measures run on the
//! warehouse, with as few queries as it can (see [`investigate`] for the search) and every
//! query slot Looker allows in use (see [`runner`]).

mod incremental;
mod investigate;
mod message;
mod runner;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use crate::client::{ApiCall, LookerClient};
use crate::error::Result;
use crate::gate::options::ValidateOptions;
use crate::gate::progress::Progress;
use crate::gate::result::{CheckedExplore, Finding, ValidationResult};
use crate::gate::{catalog, shard};

use investigate::ExploreCheck;
use runner::QueryRunner;

/// Tags and SQL comments that opt a field out of the SQL check (Spectacles' tag is honoured too,
/// so a project moving over keeps its opt-outs).
const OPT_OUT: [&str; 2] = ["looker-ci: ignore", "spectacles: ignore"];

/// One dimension or measure, as the search needs it.
#[derive(Debug, Clone)]
pub(crate) struct FieldInfo {
    pub name: String,
    pub view: String,
    pub sql: String,
    pub is_measure: bool,
    pub primary_key: bool,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct JoinInfo {
    pub name: String,
    pub sql_table_name: Option<String>,
    pub sql_on: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
}

/// One explore with the fields to check.
#[derive(Debug, Clone)]
pub(crate) struct ExploreInfo {
    pub model: String,
    pub name: String,
    pub base_view: String,
    pub joins: Vec<JoinInfo>,
    pub fields: Vec<FieldInfo>,
    pub url: Option<String>,
}

/// Validate the SQL of the selected explores with `client` (already on the ref to validate).
pub async fn validate_sql(
    client: &LookerClient,
    options: &ValidateOptions,
    progress: &Arc<Progress>,
    result: &mut ValidationResult,
) -> Result<()> {
    let selected = catalog::selected_explores(client, options).await?;
    let explores = fetch_explores(client, &selected, options).await?;
    let explores = shard::pick(explores, result.shard, |e| e.fields.len() as u64 + 1);
    let runner = QueryRunner::new(
        client.clone(),
        Arc::clone(progress),
        options.concurrency,
        options.query_timeout.map(Duration::from_secs_f64),
        Duration::from_secs_f64(options.poll_interval),
    );
    // Incremental mode: production's code, on a session of its own, sharing the query slots
    // (Looker's limit is per user).
    let target = match options.incremental.as_deref() {
        None => None,
        Some("production") => Some(client.in_workspace(false)),
        Some(other) => {
            return Err(crate::Error::invalid_argument(
                "incremental",
                format!(
                    "the SQL validator compares with `production`, not `{other}`: Looker \
                     keeps one checked-out dev branch per API user and project, so `{other}` \
                     cannot be queried beside the code under test (production has a workspace \
                     of its own); give --incremental production"
                ),
            ));
        }
    };
    let target_runner = target.as_ref().map(|t| {
        QueryRunner::sharing(
            t.clone(),
            Arc::clone(progress),
            runner.slots(),
            options.query_timeout.map(Duration::from_secs_f64),
            Duration::from_secs_f64(options.poll_interval),
        )
    });
    let (explores, unchanged, target_fields) = match &target {
        None => (explores, Vec::new(), HashMap::new()),
        Some(target) => incremental::split_changed(client, target, explores, options).await?,
    };
    progress.set_total(explores.len() as u64);
    let runner = &runner;
    let target_runner = target_runner.as_ref();
    let target_fields = &target_fields;
    // Collected first: a stream over a lazy `map` would hold the closure across awaits, which
    // stops the future from being provably `Send` for the bindings.
    let checks: Vec<_> = explores
        .iter()
        .map(|explore| async move {
            let started = Instant::now();
            let mut check = ExploreCheck::new(runner, explore);
            if let Some(target) = target_runner {
                let known = target_fields
                    .get(&(explore.model.clone(), explore.name.clone()))
                    .cloned()
                    .unwrap_or_default();
                check.baseline = Some((target, known));
            }
            let chunks: Vec<Vec<&FieldInfo>> = explore
                .fields
                .chunks(options.chunk_size)
                .map(|c| c.iter().collect())
                .collect();
            let found = futures::future::join_all(
                chunks
                    .into_iter()
                    .map(|c| check.check(c, options.fail_fast)),
            )
            .await;
            let mut findings = Vec::new();
            for f in found {
                findings.extend(f?);
            }
            dedupe(&mut findings);
            progress.explore_done(findings.len() as u64);
            let existing = check.existing.load(Ordering::Relaxed);
            let checked = CheckedExplore {
                model: explore.model.clone(),
                explore: explore.name.clone(),
                status: status_of(&findings),
                fields: explore.fields.len() as u64,
                queries: check.queries.load(Ordering::Relaxed),
                seconds: started.elapsed().as_secs_f64(),
            };
            Ok::<_, crate::Error>((checked, findings, existing))
        })
        .collect();
    // Every explore starts at once: the runner's slots, not this loop, bound the queries, so a
    // slow explore never holds up the next one's first query.
    let mut results: Vec<(CheckedExplore, Vec<Finding>, u64)> = futures::stream::iter(checks)
        .buffered(explores.len().max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    for (checked, findings, existing) in results.drain(..) {
        result.counts.findings_existing_on_target += existing;
        result.counts.explores_checked += 1;
        result.counts.fields_checked += checked.fields;
        result.explores.push(checked);
        result.findings.extend(findings);
    }
    for explore in unchanged {
        result.explores.push(CheckedExplore {
            model: explore.model,
            explore: explore.name,
            status: "skipped".into(),
            fields: explore.fields.len() as u64,
            queries: 0,
            seconds: 0.0,
        });
    }
    if let Some(target_runner) = target_runner {
        result.counts.queries_run += target_runner.queries_run.load(Ordering::Relaxed);
    }
    if let Some(target) = target.filter(|t| !t.is_dev_workspace() && client.is_dev_workspace()) {
        target.close().await?;
    }
    result.counts.queries_run += runner.queries_run.load(Ordering::Relaxed);
    result.counts.queries_cancelled += runner.queries_cancelled.load(Ordering::Relaxed);
    Ok(())
}

fn status_of(findings: &[Finding]) -> String {
    if findings.is_empty() {
        "passed"
    } else if findings
        .iter()
        .all(|f| f.message.contains("did not finish within"))
    {
        "timed_out"
    } else {
        "failed"
    }
    .into()
}

/// The same problem found from two chunks is reported once.
fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| {
        seen.insert((
            f.scope,
            f.field.clone(),
            f.view.clone(),
            f.fields.clone(),
            super::sql::message::normalized(&f.message),
        ))
    });
}

/// The selected explores with their fields, fetched a few at a time (no warehouse queries).
pub(crate) async fn fetch_explores(
    client: &LookerClient,
    selected: &[(String, String)],
    options: &ValidateOptions,
) -> Result<Vec<ExploreInfo>> {
    let base_url = client
        .settings()
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let fetches: Vec<_> = selected
        .iter()
        .map(|(model, explore)| {
            let base_url = base_url.clone();
            async move {
                let path = format!("/lookml_models/{model}/explores/{explore}");
                let value: Value = client.request(ApiCall::get(&path)?).await?;
                Ok::<_, crate::Error>(explore_info(model, explore, &value, options, &base_url))
            }
        })
        .collect();
    // Metadata only (no warehouse query): more at once shortens the start of a run.
    futures::stream::iter(fetches)
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

fn explore_info(
    model: &str,
    explore: &str,
    value: &Value,
    options: &ValidateOptions,
    base_url: &str,
) -> ExploreInfo {
    let text = |v: &Value, key: &str| v[key].as_str().map(str::to_owned);
    let mut fields = Vec::new();
    let kinds: &[(&str, bool)] = if options.dimensions_only {
        &[("dimensions", false)]
    } else {
        &[("dimensions", false), ("measures", true)]
    };
    for (kind, is_measure) in kinds {
        for field in value["fields"][kind].as_array().into_iter().flatten() {
            let Some(name) = text(field, "name") else {
                continue;
            };
            let sql = text(field, "sql").unwrap_or_default();
            let tags: Vec<String> = field["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_ascii_lowercase))
                .collect();
            let opted_out = OPT_OUT.iter().any(|o| {
                tags.iter().any(|t| t == o) || sql.to_ascii_lowercase().contains(&format!("-- {o}"))
            });
            let hidden = field["hidden"].as_bool().unwrap_or(false);
            // Parameters and filter-only fields have no SQL of their own to select.
            let selectable = !field["parameter"].as_bool().unwrap_or(false)
                && !field["is_filter"].as_bool().unwrap_or(false);
            if opted_out || (hidden && options.skip_hidden) || !selectable {
                continue;
            }
            let view = text(field, "view")
                .or_else(|| name.split_once('.').map(|(v, _)| v.to_owned()))
                .unwrap_or_default();
            let link = text(field, "lookml_link");
            fields.push(FieldInfo {
                line: link.as_deref().and_then(line_of),
                url: link.map(|l| format!("{base_url}{l}")),
                file: text(field, "source_file"),
                name,
                view,
                sql,
                is_measure: *is_measure,
                primary_key: field["primary_key"].as_bool().unwrap_or(false),
            });
        }
    }
    let joins = value["joins"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|j| {
            Some(JoinInfo {
                name: text(j, "name")?,
                sql_table_name: text(j, "sql_table_name"),
                sql_on: text(j, "sql_on"),
                file: None,
                line: None,
            })
        })
        .collect();
    ExploreInfo {
        model: model.to_owned(),
        name: explore.to_owned(),
        base_view: text(value, "view_name").unwrap_or_else(|| explore.to_owned()),
        joins,
        fields,
        url: Some(format!("{base_url}/explore/{model}/{explore}")),
    }
}

/// The `line=N` of a LookML link such as `/projects/p/files/orders.view.lkml?line=12`.
fn line_of(link: &str) -> Option<u32> {
    link.split(['?', '&'])
        .find_map(|part| part.strip_prefix("line="))
        .and_then(|n| n.parse().ok())
}
