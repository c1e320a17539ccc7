//! The SQL validator: proves that every selected explore's dimensions and measures run on the
//! warehouse, with as few queries as it can (see [`investigate`] for the search) and every
//! query slot Looker allows in use (see [`runner`]).

mod incremental;
mod investigate;
mod message;
mod runner;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::client::{ApiCall, LookerClient};
use crate::error::Result;
use crate::gate::options::ValidateOptions;
use crate::gate::progress::Progress;
use crate::gate::result::{CheckedExplore, Finding, ValidationResult};
use crate::gate::{catalog, shard};

use investigate::ExploreCheck;
use runner::QueryRunner;

/// Tags and SQL comments that opt a field out of the SQL check (Spectacles' is honoured too, so a
/// project moving over keeps its opt-outs), compared without whitespace or case.
const OPT_OUT: [&str; 2] = ["looker-ci:ignore", "spectacles:ignore"];

/// Whether a field's tags or SQL opt it out: a tag that is an opt-out, or the opt-out anywhere in
/// its SQL (in any comment style: `-- looker-ci: ignore`, `/* spectacles:ignore */`).
fn opted_out(tags: &[String], sql: &str) -> bool {
    let squeezed = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let sql = squeezed(sql);
    OPT_OUT
        .iter()
        .any(|o| sql.contains(o) || tags.iter().any(|t| squeezed(t) == *o))
}

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

/// Explore metadata requests in flight at once (no warehouse query: more at once shortens the
/// start of a run).
const FETCHES_AT_ONCE: usize = 16;

/// What one explore's check found: the explore's line, its findings, and how many failures were
/// left unsearched because the target has them too.
type Checked = (CheckedExplore, Vec<Finding>, u64);

/// Validate the SQL of the selected explores with `client` (already on the ref to validate).
pub async fn validate_sql(
    client: &LookerClient,
    options: &ValidateOptions,
    progress: &Arc<Progress>,
    result: &mut ValidationResult,
) -> Result<()> {
    // Read before anything runs, so a wrong path fails at once, sharded or not.
    let timings = options
        .shard_timings
        .as_deref()
        .map(|path| shard::Timings::read(path, &options.project))
        .transpose()?;
    let selected = catalog::selected_explores(client, options).await?;
    // The split is made on Looker's list, so each job fetches only its own explores. Without
    // timings, the cost estimate is what an explore's first pass costs, one query whatever its
    // width (500 fields a query), so the split balances the count; what a failing explore's
    // search costs cannot be known before its query fails, only from an earlier run.
    let (selected, split) = shard::split(
        selected,
        result.shard,
        |(model, explore)| format!("{model}/{explore}"),
        |(model, explore)| timings.as_ref().map_or(1, |t| t.cost(model, explore)),
    );
    result.split = split;
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
    let (checks, unchanged) = match target.as_ref().zip(target_runner.as_ref()) {
        // Each explore's queries start as soon as its fields are known: the metadata walk of a
        // large project overlaps the queries instead of coming before all of them.
        None => {
            progress.set_total(selected.len() as u64);
            let fetch_slots = Semaphore::new(FETCHES_AT_ONCE);
            let base_url = base_url_of(client);
            let (runner, fetch_slots, base_url) = (&runner, &fetch_slots, base_url.as_str());
            let checks: Vec<_> = selected
                .iter()
                .map(|(model, name)| async move {
                    let explore = {
                        let _slot = fetch_slots.acquire().await.map_err(|_| closed())?;
                        fetch_explore(client, model, name, options, base_url).await?
                    };
                    check_explore(runner, &explore, options, None, progress).await
                })
                .collect();
            (run_all(checks).await?, Vec::new())
        }
        // Incremental mode compares every explore with the target before any query.
        Some((target, target_runner)) => {
            let explores = fetch_explores(client, &selected, options).await?;
            let (explores, unchanged, target_fields) =
                incremental::split_changed(client, target, explores, options).await?;
            progress.set_total(explores.len() as u64);
            let (runner, target_fields) = (&runner, &target_fields);
            let checks: Vec<_> = explores
                .iter()
                .map(|explore| async move {
                    let known = target_fields
                        .get(&(explore.model.clone(), explore.name.clone()))
                        .cloned()
                        .unwrap_or_default();
                    let baseline = Some((target_runner, known));
                    check_explore(runner, explore, options, baseline, progress).await
                })
                .collect();
            (run_all(checks).await?, unchanged)
        }
    };
    for (checked, findings, existing) in checks {
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
            query_seconds: 0.0,
        });
    }
    if let Some(target_runner) = &target_runner {
        result.counts.queries_run += target_runner.queries_run.load(Ordering::Relaxed);
    }
    if let Some(target) = target.filter(|t| !t.is_dev_workspace() && client.is_dev_workspace()) {
        target.close().await?;
    }
    result.counts.queries_run += runner.queries_run.load(Ordering::Relaxed);
    result.counts.queries_cancelled += runner.queries_cancelled.load(Ordering::Relaxed);
    Ok(())
}

/// Every check at once, results in the list's order: the runner's slots, not this loop, bound
/// the queries, so a slow explore never holds up the next one's first query. The first error
/// ends the run at once (the caller cancels the queries still running in Looker) rather than
/// after every other explore. (The futures are collected first: a stream over a lazy `map`
/// would hold the closure across awaits, which stops the future from being provably `Send` for
/// the bindings.)
async fn run_all<F>(checks: Vec<F>) -> Result<Vec<Checked>>
where
    F: std::future::Future<Output = Result<Checked>>,
{
    let count = checks.len().max(1);
    let indexed: Vec<_> = checks
        .into_iter()
        .enumerate()
        .map(|(index, check)| async move { Ok::<_, crate::Error>((index, check.await?)) })
        .collect();
    let mut done: Vec<(usize, Checked)> = futures::stream::iter(indexed)
        .buffer_unordered(count)
        .try_collect()
        .await?;
    done.sort_by_key(|(index, _)| *index);
    Ok(done.into_iter().map(|(_, checked)| checked).collect())
}

/// Check one explore: its fields in chunks, each searched when it fails.
async fn check_explore(
    runner: &QueryRunner,
    explore: &ExploreInfo,
    options: &ValidateOptions,
    baseline: Option<(&QueryRunner, HashSet<String>)>,
    progress: &Progress,
) -> Result<Checked> {
    let started = Instant::now();
    let mut check = ExploreCheck::new(runner, explore);
    check.baseline = baseline;
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
    let checked = CheckedExplore {
        model: explore.model.clone(),
        explore: explore.name.clone(),
        status: status_of(&findings),
        fields: explore.fields.len() as u64,
        queries: check.queries.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
        query_seconds: check.query_micros.load(Ordering::Relaxed) as f64 / 1e6,
    };
    Ok((checked, findings, check.existing.load(Ordering::Relaxed)))
}

fn closed() -> crate::Error {
    crate::Error::Internal {
        message: "the explore fetch slots closed".into(),
    }
}

fn status_of(findings: &[Finding]) -> String {
    if findings.is_empty() {
        "passed"
    } else if findings
        .iter()
        .all(|f| f.message.starts_with(investigate::TIMED_OUT))
    {
        "timed_out"
    } else if findings.iter().all(|f| {
        f.message.starts_with(investigate::TIMED_OUT)
            || f.message.starts_with(investigate::NOT_CHECKED)
    }) {
        "unchecked"
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
    let base_url = base_url_of(client);
    let fetches: Vec<_> = selected
        .iter()
        .map(|(model, explore)| fetch_explore(client, model, explore, options, &base_url))
        .collect();
    futures::stream::iter(fetches)
        .buffered(FETCHES_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// One explore with its fields (`GET /lookml_models/{model}/explores/{explore}`).
async fn fetch_explore(
    client: &LookerClient,
    model: &str,
    explore: &str,
    options: &ValidateOptions,
    base_url: &str,
) -> Result<ExploreInfo> {
    let path = format!("/lookml_models/{model}/explores/{explore}");
    let value: Value = client.request(ApiCall::get(&path)?).await?;
    Ok(explore_info(model, explore, &value, options, base_url))
}

/// The instance's address without a trailing slash, for the findings' links.
fn base_url_of(client: &LookerClient) -> String {
    client
        .settings()
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned()
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
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect();
            let opted_out = opted_out(&tags, &sql);
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

#[cfg(test)]
mod tests {
    use super::opted_out;

    #[test]
    fn an_opt_out_counts_in_a_tag_or_anywhere_in_the_sql_in_any_spacing() {
        let none: &[String] = &[];
        for sql in [
            "${TABLE}.a -- looker-ci: ignore",
            "${TABLE}.a --spectacles:ignore",
            "/* Spectacles : Ignore */ ${TABLE}.a",
            "${TABLE}.a # looker-ci:ignore",
        ] {
            assert!(opted_out(none, sql), "{sql}");
        }
        assert!(opted_out(&["Spectacles: ignore".into()], "${TABLE}.a"));
        assert!(opted_out(&["looker-ci:ignore".into()], "${TABLE}.a"));
        assert!(!opted_out(&["ignore".into()], "${TABLE}.a -- ignore me"));
        assert!(!opted_out(
            &["looker-ci: ignore-later".into()],
            "${TABLE}.a"
        ));
    }
}
