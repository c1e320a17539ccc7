//! FakeLooker's stateful Looker world behind the CI calls: the project's git branches and the
//! code each workspace sees, models and explores, queries and async query tasks over a fake
//! warehouse, LookML validation, data tests, content validation and folders, deploys, scheduled
//! plans and datagroups. This file routes requests; each concern lives in its own module.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::time::Instant;

use super::content;
use super::git::{Code, Repo};
use super::lookml::{self, ValidationCache};
use super::project::{FakeModel, FakeProject};
use super::query_tasks::{Queries, comma_list, parse_limit, string_list};
use super::reply::{Caller, FakeReply};
use super::schedules::Schedules;
use super::warehouse::{explore_fields_json, title_case};

/// The world's state, changed by requests and by the test controls.
pub(crate) struct World {
    pub repo: Repo,
    /// The instance's other projects (those the main project imports), by id.
    pub others: BTreeMap<String, Repo>,
    pub queries: Queries,
    pub schedules: Schedules,
    validation: ValidationCache,
    /// The ref (or branch) last deployed to production, as sent.
    pub deployed_ref: Option<String>,
}

/// Decode `%XX` escapes of one path segment (a branch name may hold an encoded `/`).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl World {
    pub fn new() -> Self {
        World {
            repo: Repo::new(FakeProject::thelook()),
            others: BTreeMap::new(),
            queries: Queries::new(),
            schedules: Schedules::new(),
            validation: ValidationCache::default(),
            deployed_ref: None,
        }
    }

    /// The code the caller's workspace sees, with the views of the projects it imports locally
    /// (each as the same workspace sees it: production, or the branch checked out there).
    pub fn code_for(&mut self, caller: &Caller) -> Code {
        let code = self.repo.code_for(caller);
        self.with_imports(code, Some(caller))
    }

    /// Production's code, with its local imports' production views.
    pub fn production(&mut self) -> Code {
        let code = self.repo.production();
        self.with_imports(code, None)
    }

    fn with_imports(&mut self, mut code: Code, caller: Option<&Caller>) -> Code {
        let local: Vec<String> = code
            .project
            .imports
            .iter()
            .filter(|i| i.url.is_none())
            .map(|i| i.name.clone())
            .collect();
        if local.is_empty() {
            return code;
        }
        let mut merged = code.project.as_ref().clone();
        for name in local {
            let Some(repo) = self.others.get_mut(&name) else {
                continue;
            };
            let imported = match caller {
                Some(caller) => repo.code_for(caller),
                None => repo.production(),
            };
            for view in &imported.project.views {
                if merged.view(&view.name).is_none() {
                    merged.views.push(view.clone());
                }
            }
        }
        code.project = Arc::new(merged);
        code
    }

    /// Enter the dev workspace: the user's personal branch exists from now on.
    pub fn enter_dev(&mut self, caller: &Caller) {
        self.repo.checked_out(caller);
    }

    pub fn handle(
        &mut self,
        caller: &Caller,
        method: &str,
        route: &str,
        query: &str,
        body: &[u8],
        now: Instant,
    ) -> FakeReply {
        self.queries.advance(now);
        let params: HashMap<String, String> = serde_urlencoded::from_str(query).unwrap_or_default();
        let param = |name: &str| params.get(name).map(String::as_str);
        let segments: Vec<String> = route
            .trim_start_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let user = caller.user_id.as_str();
        match (method, parts.as_slice()) {
            ("GET", ["lookml_models"]) => {
                let code = self.code_for(caller);
                let models: Vec<Value> = code
                    .project
                    .models
                    .iter()
                    .map(|m| model_json(&code.project, m))
                    .collect();
                FakeReply::json(200, Value::Array(models))
            }
            ("GET", ["lookml_models", model]) => {
                let code = self.code_for(caller);
                match code.project.model(model) {
                    Some(m) => FakeReply::json(200, model_json(&code.project, m)),
                    None => FakeReply::error(404, "Not found"),
                }
            }
            ("GET", ["lookml_models", model, "explores", explore]) => {
                let code = self.code_for(caller);
                explore_json(&code.project, model, explore)
            }
            ("GET", ["projects"]) => {
                let mut projects = vec![project_json(&self.repo.project_id())];
                projects.extend(self.others.keys().map(|id| project_json(id)));
                FakeReply::json(200, Value::Array(projects))
            }
            (_, ["projects", project, rest @ ..]) => {
                if *project == self.repo.project_id() {
                    return self.project_route(caller, method, rest, &params, body);
                }
                match self.others.get_mut(*project) {
                    Some(repo) => other_project_route(repo, caller, method, rest, body),
                    None => FakeReply::error(404, "Not found"),
                }
            }
            ("GET", ["content_validation"]) => {
                let code = self.code_for(caller);
                let folders = param("space_ids").map(comma_list);
                let production = self.production();
                content::validate(&production.project, &code.project, folders.as_deref())
            }
            ("GET", ["folders", id]) => content::folder(&self.repo.production().project, id),
            ("GET", ["folders", id, "ancestors"]) => {
                content::folder_ancestors(&self.repo.production().project, id)
            }
            ("POST", ["queries"]) => {
                let code = self.code_for(caller);
                self.queries.create_query(&code.project, body)
            }
            ("GET", ["queries", id]) => self.queries.query_json(id),
            ("GET", ["queries", id, "run", format]) => {
                let code = self.code_for(caller);
                let limit = param("limit").and_then(|l| parse_limit(&json!(l)));
                self.queries.run_saved(&code.project, id, format, limit)
            }
            ("POST", ["queries", "run", format]) => self.run_inline(caller, format, body),
            ("POST", ["query_tasks"]) => {
                let code = if param("force_production") == Some("true") {
                    self.production()
                } else {
                    self.code_for(caller)
                };
                self.queries.create_task(user, &code.project, body, now)
            }
            ("GET", ["query_tasks", "multi_results"]) => {
                let ids = comma_list(param("query_task_ids").unwrap_or(""));
                self.queries.multi_results(user, &ids, now)
            }
            ("GET", ["query_tasks", id]) => self.queries.task(user, id, now),
            ("GET", ["query_tasks", id, "results"]) => self.queries.results(user, id, now),
            ("DELETE", ["running_queries", id]) => self.queries.kill(user, id, now),
            ("POST", ["scheduled_plans", "run_once"]) => self.schedules.run_once(body),
            ("GET", ["scheduled_plans", id]) => self.schedules.plan(id),
            ("POST", ["scheduled_plans", id, "run_once"]) => {
                self.schedules.run_once_by_id(id, body)
            }
            ("GET", ["datagroups"]) => self.schedules.datagroups(),
            ("GET", ["datagroups", id]) => self.schedules.datagroup_by_id(id),
            ("PATCH", ["datagroups", id]) => self.schedules.update_datagroup(id, body),
            _ => FakeReply::error(404, "Not found"),
        }
    }

    /// Routes under `/projects/{project_id}/`.
    fn project_route(
        &mut self,
        caller: &Caller,
        method: &str,
        rest: &[&str],
        params: &HashMap<String, String>,
        body: &[u8],
    ) -> FakeReply {
        let param = |name: &str| params.get(name).map(String::as_str);
        let json_body = || serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
        match (method, rest) {
            ("GET", []) => FakeReply::json(200, project_json(&self.repo.project_id())),
            ("GET", ["manifest"]) => {
                let code = self.repo.code_for(caller);
                FakeReply::json(200, manifest_json(&code.project))
            }
            ("POST", ["validate"]) => {
                let code = self.code_for(caller);
                self.validation.validate(caller.workspace_key(), &code)
            }
            ("GET", ["validate"]) => {
                let code = self.code_for(caller);
                self.validation.cached(&caller.workspace_key(), &code)
            }
            ("GET", ["lookml_tests"]) => {
                let code = self.code_for(caller);
                lookml::list_tests(&code.project, param("file_id"))
            }
            ("GET", ["lookml_tests", "run"]) => {
                let code = self.code_for(caller);
                lookml::run_tests(
                    &code.project,
                    param("test"),
                    param("model"),
                    param("file_id"),
                    &mut self.queries.counters.queries_run,
                )
            }
            ("POST", ["deploy_ref_to_production"]) => {
                self.deploy(caller, param("ref"), param("branch"))
            }
            ("GET", ["git_branch"]) => self.repo.current(caller),
            ("POST", ["git_branch"]) => self.repo.create(caller, &json_body()),
            ("PUT", ["git_branch"]) => self.repo.update(caller, &json_body()),
            ("GET", ["git_branches"]) => self.repo.all(caller),
            ("GET", ["git_branch", name]) => self.repo.find(name, caller),
            ("DELETE", ["git_branch", name]) => self.repo.delete(caller, name),
            _ => FakeReply::error(404, "Not found"),
        }
    }

    /// `POST /projects/{p}/deploy_ref_to_production?ref=|branch=`: production takes that
    /// commit. A `ref` FakeLooker does not know is recorded and accepted without changing the
    /// code (tests deploy made-up shas); an unknown `branch` is refused.
    fn deploy(
        &mut self,
        caller: &Caller,
        reference: Option<&str>,
        branch: Option<&str>,
    ) -> FakeReply {
        if !caller.can("deploy") {
            return FakeReply::error(
                403,
                &format!(
                    "User {} does not have the \"deploy\" permission",
                    caller.user_id
                ),
            );
        }
        let target = match (reference, branch) {
            (Some(_), Some(_)) => {
                return FakeReply::error(400, "Can only specify either a branch or a ref");
            }
            (None, None) => return FakeReply::error(400, "ref or branch is required"),
            (Some(reference), None) => {
                let sha = self.repo.resolve(reference);
                self.deployed_ref = Some(reference.to_owned());
                sha
            }
            (None, Some(branch)) => match self.repo.branch_commit(branch) {
                Some(sha) => {
                    let sha = sha.to_owned();
                    self.deployed_ref = Some(branch.to_owned());
                    Some(sha)
                }
                None => return FakeReply::error(400, &format!("Branch '{branch}' not found")),
            },
        };
        if let Some(sha) = target {
            self.repo.set_branch(super::git::PRODUCTION, &sha);
        }
        FakeReply::empty(204)
    }

    /// `POST /queries/run/{result_format}` over the session's code.
    fn run_inline(&mut self, caller: &Caller, format: &str, body: &[u8]) -> FakeReply {
        let Ok(query) = serde_json::from_slice::<Value>(body) else {
            return FakeReply::error(400, "the body must be a JSON query");
        };
        let code: Code = self.code_for(caller);
        let fields = string_list(&query["fields"]);
        self.queries.run_now(
            &code.project,
            query["model"].as_str().unwrap_or(""),
            query["view"].as_str().unwrap_or(""),
            &fields,
            parse_limit(&query["limit"]),
            format,
        )
    }
}

/// A Project.
fn project_json(id: &str) -> Value {
    json!({"id": id, "name": id, "uses_git": true,
           "git_remote_url": format!("git@example.com:looker/{id}.git"),
           "git_production_branch_name": super::git::PRODUCTION, "pull_request_mode": "off",
           "validation_required": false, "allow_warnings": true, "is_example": false,
           "can": {}})
}

/// `GET /projects/{p}/manifest`: the Manifest of the code the session sees.
fn manifest_json(project: &FakeProject) -> Value {
    let imports: Vec<Value> = project
        .imports
        .iter()
        .map(|i| {
            json!({"name": i.name, "url": i.url, "ref": i.reference,
                   "is_remote": i.url.is_some()})
        })
        .collect();
    json!({"name": project.name, "imports": imports,
           "localization_settings": {"default_locale": null, "localization_level": "permissive"},
           "can": {}})
}

/// Routes under `/projects/{id}/` of a project other than the main one: its git branches and
/// manifest (its models are not served; its views reach queries through the main project's
/// imports).
fn other_project_route(
    repo: &mut Repo,
    caller: &Caller,
    method: &str,
    rest: &[&str],
    body: &[u8],
) -> FakeReply {
    let json_body = || serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    match (method, rest) {
        ("GET", []) => FakeReply::json(200, project_json(&repo.project_id())),
        ("GET", ["manifest"]) => {
            let code = repo.code_for(caller);
            FakeReply::json(200, manifest_json(&code.project))
        }
        ("GET", ["git_branch"]) => repo.current(caller),
        ("POST", ["git_branch"]) => repo.create(caller, &json_body()),
        ("PUT", ["git_branch"]) => repo.update(caller, &json_body()),
        ("GET", ["git_branches"]) => repo.all(caller),
        ("GET", ["git_branch", name]) => repo.find(name, caller),
        ("DELETE", ["git_branch", name]) => repo.delete(caller, name),
        _ => FakeReply::error(404, "Not found"),
    }
}

/// A LookmlModel.
fn model_json(project: &FakeProject, model: &FakeModel) -> Value {
    let explores: Vec<Value> = model
        .explores
        .iter()
        .map(|e| {
            let label = e.label.clone().unwrap_or_else(|| title_case(&e.name));
            json!({"name": e.name, "label": label, "description": e.description,
                   "hidden": e.hidden, "group_label": model.label})
        })
        .collect();
    json!({
        "name": model.name,
        "project_name": project.name,
        "label": model.label.clone().unwrap_or_else(|| title_case(&model.name)),
        "explores": explores,
        "has_content": true,
        "allowed_db_connection_names": [model.connection],
        "unlimited_db_connections": false,
        "can": {"index": true, "show": true},
    })
}

/// `GET /lookml_models/{model}/explores/{explore}`: a LookmlModelExplore.
fn explore_json(project: &FakeProject, model_name: &str, explore_name: &str) -> FakeReply {
    let (Some(model), Some(explore)) = (
        project.model(model_name),
        project.explore(model_name, explore_name),
    ) else {
        return FakeReply::error(404, "Not found");
    };
    let views = project.explore_views(explore);
    let (dimensions, measures) = explore_fields_json(project, explore);
    let joins: Vec<Value> = explore
        .joins
        .iter()
        .map(|j| {
            let view = project.view(&j.name);
            let fields: Vec<&str> = view
                .map(|v| v.fields().map(|f| f.name.as_str()).collect())
                .unwrap_or_default();
            json!({
                "name": j.name,
                "from": null,
                "sql_on": j.sql_on,
                "relationship": j.relationship,
                "type": j.join_type,
                "view_label": title_case(&j.name),
                // Looker fills it only when the join overrides the view's table.
                "sql_table_name": null,
                "fields": fields,
                "dependent_fields": [],
                "required_joins": [],
                "outer_only": false,
                "foreign_key": null,
                "sql_foreign_key": null,
            })
        })
        .collect();
    let mut files = vec![model.file.clone()];
    files.extend(views.iter().map(|v| v.file.clone()));
    let label = explore
        .label
        .clone()
        .unwrap_or_else(|| title_case(&explore.name));
    FakeReply::json(
        200,
        json!({
            "id": format!("{model_name}::{explore_name}"),
            "name": explore.name,
            "label": label,
            "title": label,
            "description": explore.description,
            "hidden": explore.hidden,
            "tags": explore.tags,
            "model_name": model_name,
            "project_name": project.name,
            "view_name": explore.base_view(),
            "sql_table_name": views.first().map(|v| v.sql_table_name.clone()),
            "connection_name": model.connection,
            "dialect_name": "postgres",
            "source_file": model.file,
            "files": files,
            "lookml_link":
                format!("/projects/{}/files/{}?line={}", project.name, model.file, explore.line),
            "can_develop": true,
            "can_see_lookml": true,
            "can_explain": true,
            "can_save": true,
            "can_total": true,
            "errors": [],
            "always_join": [],
            "joins": joins,
            "fields": {"dimensions": dimensions, "measures": measures,
                       "filters": [], "parameters": []},
        }),
    )
}
