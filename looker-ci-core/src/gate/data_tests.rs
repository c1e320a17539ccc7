//! The data-test validator (`assert`): the project's LookML tests for the selected explores, run
//! concurrently within the per-user query limit.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};
use crate::gate::options::ValidateOptions;
use crate::gate::progress::Progress;
use crate::gate::result::{CheckedExplore, Finding, FindingScope, Severity, ValidationResult};
use crate::gate::selector::ExploreSelector;
use crate::gate::shard;

/// A data test runs its query in the warehouse before Looker answers.
const DATA_TEST_TIMEOUT: Duration = Duration::from_secs(1800);

pub async fn run_data_tests(
    client: &LookerClient,
    options: &ValidateOptions,
    progress: &Progress,
    result: &mut ValidationResult,
) -> Result<()> {
    let project = &options.project;
    let tests: Value = client
        .request(ApiCall::get(&format!("/projects/{project}/lookml_tests"))?)
        .await?;
    let tests = tests.as_array().cloned().unwrap_or_default();
    if tests.is_empty() {
        return Err(Error::invalid_argument(
            "project",
            format!(
                "project `{project}` has no LookML data tests on this ref: add `test:` blocks, \
                 or leave `assert` out of the pipeline"
            ),
        ));
    }
    let mut available: Vec<(String, String)> = Vec::new();
    for pair in tests.iter().map(model_explore) {
        if !available.contains(&pair) {
            available.push(pair);
        }
    }
    let selected = ExploreSelector::parse(&options.explores)?.select(&available)?;
    let tests: Vec<Value> = tests
        .into_iter()
        .filter(|t| selected.contains(&model_explore(t)))
        .collect();
    let (tests, split) = shard::split(
        tests,
        result.shard,
        |t| format!("{}/{}", text(t, "model_name"), text(t, "name")),
        |_| 1,
    );
    result.split = split;
    progress.set_total(tests.len() as u64);
    let started = Instant::now();
    let runs: Vec<_> = tests
        .iter()
        .map(|test| async move {
            let name = test["name"].as_str().unwrap_or_default();
            let model = test["model_name"].as_str().unwrap_or_default();
            let call = ApiCall::get(&format!("/projects/{project}/lookml_tests/run"))?
                .query("test", name)
                .query("model", model)
                .timeout_at_least(DATA_TEST_TIMEOUT);
            let reply: Value = client.request(call).await?;
            let findings = findings_of(test, &reply, project);
            progress.explore_done(findings.len() as u64);
            Ok::<_, Error>((test, findings))
        })
        .collect();
    let outcomes: Vec<Result<(&Value, Vec<Finding>)>> = futures::stream::iter(runs)
        .buffered(options.concurrency)
        .collect()
        .await;
    let mut per_explore: BTreeMap<(String, String), (u64, bool)> = BTreeMap::new();
    for outcome in outcomes {
        let (test, findings) = outcome?;
        let entry = per_explore.entry(model_explore(test)).or_default();
        entry.0 += 1;
        entry.1 |= findings.iter().any(|f| f.severity >= Severity::Error);
        result.counts.tests_run += 1;
        result.counts.queries_run += 1;
        result.findings.extend(findings);
    }
    let seconds = started.elapsed().as_secs_f64();
    for ((model, explore), (count, failed)) in per_explore {
        result.counts.explores_checked += 1;
        result.explores.push(CheckedExplore {
            model,
            explore,
            status: if failed { "failed" } else { "passed" }.into(),
            fields: 0,
            queries: count,
            seconds,
            query_seconds: 0.0,
        });
    }
    Ok(())
}

fn model_explore(test: &Value) -> (String, String) {
    (text(test, "model_name"), text(test, "explore_name"))
}

/// A test's string field (empty when absent).
fn text(test: &Value, key: &str) -> String {
    test[key].as_str().unwrap_or_default().to_owned()
}

/// One finding per failed test (its assertion messages joined), one per warning.
fn findings_of(test: &Value, reply: &Value, project: &str) -> Vec<Finding> {
    let name = test["name"].as_str().unwrap_or_default();
    let base = |severity: Severity, message: String| {
        let mut f = Finding::new(severity, FindingScope::Test, message);
        f.test = Some(name.to_owned());
        f.model = test["model_name"].as_str().map(str::to_owned);
        f.explore = test["explore_name"].as_str().map(str::to_owned);
        f.file = test["file"]
            .as_str()
            .map(|file| crate::gate::lookml::in_repository(project, file));
        f.line = test["line"].as_u64().map(|l| l as u32);
        f
    };
    let messages = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["message"].as_str().map(str::to_owned))
            .collect()
    };
    let mut findings = Vec::new();
    for run in reply.as_array().into_iter().flatten() {
        if run["test_name"].as_str().is_some_and(|n| n != name) {
            continue;
        }
        if run["success"] == Value::Bool(false) {
            let mut text = messages(&run["errors"]).join("; ");
            if text.is_empty() {
                text = format!(
                    "{} of {} assertions failed",
                    run["assertions_failed"].as_u64().unwrap_or(0),
                    run["assertions_count"].as_u64().unwrap_or(0)
                );
            }
            findings.push(base(
                Severity::Error,
                format!("data test `{name}` failed: {text}"),
            ));
        }
        for warning in messages(&run["warnings"]) {
            findings.push(base(Severity::Warning, warning));
        }
    }
    findings
}
