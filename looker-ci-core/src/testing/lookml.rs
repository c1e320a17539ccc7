//! LookML validation (with Looker's per-workspace cache) and LookML data tests, on the code the
//! session sees.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::git::Code;
use super::project::{FakeDataTest, FakeLookmlError, FakeProject};
use super::reply::FakeReply;
use super::warehouse;

/// What `validate_project` reports as its duration (tests compare it).
const COMPUTATION_TIME: f64 = 0.01;

/// The last validation of each workspace (`production`, or `dev:<user id>`).
#[derive(Default)]
pub(crate) struct ValidationCache {
    entries: HashMap<String, Cached>,
}

struct Cached {
    branch: String,
    commit: String,
    result: Value,
}

/// A ProjectError from a LookML validation error.
fn project_error(project: &FakeProject, error: &FakeLookmlError) -> Value {
    json!({
        "severity": error.severity,
        "kind": "lookml",
        "message": error.message,
        "sanitized_message": error.message,
        "field_name": error.field,
        "file_path": format!("{}/{}", project.name, error.file),
        "line_number": error.line,
        "model_id": error.model,
        "explore": error.explore,
        "help_url": null,
        "params": {},
    })
}

impl ValidationCache {
    /// `POST /projects/{p}/validate`: validate and remember the result for this workspace.
    pub fn validate(&mut self, workspace: String, code: &Code) -> FakeReply {
        let project = &code.project;
        let errors: Vec<Value> = project
            .lookml_errors
            .iter()
            .map(|e| project_error(project, e))
            .collect();
        let result = json!({
            "errors": errors,
            "project_digest": code.commit,
            "models_not_validated": [],
            "computation_time": COMPUTATION_TIME,
        });
        self.entries.insert(
            workspace,
            Cached {
                branch: code.branch.clone(),
                commit: code.commit.clone(),
                result: result.clone(),
            },
        );
        FakeReply::json(200, result)
    }

    /// `GET /projects/{p}/validate`: the workspace's last result, `stale` when the code it saw
    /// is no longer checked out; 204 without a body when there is none.
    pub fn cached(&self, workspace: &str, code: &Code) -> FakeReply {
        match self.entries.get(workspace) {
            None => FakeReply::empty(204),
            Some(cached) => {
                let mut result = cached.result.clone();
                result["stale"] =
                    json!(cached.branch != code.branch || cached.commit != code.commit);
                FakeReply::json(200, result)
            }
        }
    }
}

/// The tests `file_id` (when given) selects.
fn in_file(test: &FakeDataTest, file_id: Option<&str>) -> bool {
    file_id.is_none_or(|f| f == test.file)
}

/// `GET /projects/{p}/lookml_tests`: LookmlTests.
pub(crate) fn list_tests(project: &FakeProject, file_id: Option<&str>) -> FakeReply {
    let tests: Vec<Value> = project
        .data_tests
        .iter()
        .filter(|t| in_file(t, file_id))
        .map(|t| {
            json!({
                "model_name": t.model,
                "name": t.name,
                "explore_name": t.explore,
                "query_url_params": format!("fields={}&limit=500", t.fields.join(",")),
                // Looker's paths start with the project's name.
                "file": format!("{}/{}", project.name, t.file),
                "line": t.line,
                "can": {},
            })
        })
        .collect();
    FakeReply::json(200, Value::Array(tests))
}

/// `GET /projects/{p}/lookml_tests/run`: LookmlTestResults. A test fails when it is set to, or
/// when its query meets a database error; each test runs one warehouse query (counted in
/// `queries_run`).
pub(crate) fn run_tests(
    project: &FakeProject,
    test: Option<&str>,
    model: Option<&str>,
    file_id: Option<&str>,
    queries_run: &mut u64,
) -> FakeReply {
    let results: Vec<Value> = project
        .data_tests
        .iter()
        .filter(|t| test.is_none_or(|name| name == t.name))
        .filter(|t| model.is_none_or(|name| name == t.model))
        .filter(|t| in_file(t, file_id))
        .map(|t| {
            *queries_run += 1;
            let failure = query_failure(project, t).or_else(|| {
                (!t.passes).then(|| {
                    t.message
                        .clone()
                        .unwrap_or_else(|| format!("{} failed", t.name))
                })
            });
            let errors: Vec<Value> = failure
                .iter()
                .map(|message| {
                    json!({
                        "severity": "error",
                        "kind": "lookml_test",
                        "message": message,
                        "file_path": format!("{}/{}", project.name, t.file),
                        "line_number": t.line,
                        "model_id": t.model,
                        "explore": t.explore,
                        "field_name": null,
                        "help_url": null,
                        "params": {},
                    })
                })
                .collect();
            json!({
                "model_name": t.model,
                "test_name": t.name,
                "assertions_count": 1,
                "assertions_failed": u8::from(failure.is_some()),
                "success": failure.is_none(),
                "errors": errors,
                "warnings": [],
                "can": {},
            })
        })
        .collect();
    FakeReply::json(200, Value::Array(results))
}

/// The database error (or unknown explore or field) the test's query meets, if any.
fn query_failure(project: &FakeProject, test: &FakeDataTest) -> Option<String> {
    if test.fields.is_empty() {
        return None;
    }
    match warehouse::execute(project, &test.model, &test.explore, &test.fields, Some(1)) {
        Ok(execution) => execution.result.err().map(|e| e.message),
        Err(invalid) => Some(match invalid {
            warehouse::Invalid::Model(m) => format!("Unknown model \"{m}\""),
            warehouse::Invalid::Explore(e) => format!("Unknown explore \"{e}\""),
            warehouse::Invalid::Field(f) => format!("Unknown field \"{f}\""),
            warehouse::Invalid::NoFields => "The test selects no fields".into(),
        }),
    }
}
