//! Saved queries and async query tasks, with Looker's per-user limit on queries running at once.
//!
//! A task's outcome (its SQL and rows, or its database error) is decided when it is created, from
//! the code the session sees then; only its timing unfolds later. Time is `tokio::time::Instant`,
//! so tests with a paused clock control it. The schedule is evaluated lazily: before each request
//! the queue is replayed up to now, each task finishing exactly at `start + duration` and the
//! next queued task of the same user starting at that very instant.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::png;
use super::project::FakeProject;
use super::reply::FakeReply;
use super::warehouse::{self, Execution};

/// Looker's default number of queries one user may run at once.
pub(crate) const DEFAULT_CONCURRENCY: usize = 15;
/// How long finished results stay available before `multi_results` reports them `expired`.
const RESULT_TTL: Duration = Duration::from_secs(3600);
/// Result formats `POST /query_tasks` accepts (the spec's list).
const TASK_FORMATS: [&str; 13] = [
    "inline_json",
    "json",
    "json_detail",
    "json_fe",
    "json_bi",
    "csv",
    "html",
    "md",
    "txt",
    "xlsx",
    "gsxml",
    "sql",
    "odc",
];
/// The parts of a Query a client sets; two queries equal in these are the same query.
const QUERY_KEYS: [&str; 20] = [
    "model",
    "view",
    "fields",
    "pivots",
    "fill_fields",
    "filters",
    "filter_expression",
    "sorts",
    "limit",
    "column_limit",
    "total",
    "row_total",
    "subtotals",
    "vis_config",
    "filter_config",
    "visible_ui_sections",
    "dynamic_fields",
    "client_id",
    "query_timezone",
    "has_table_calculations",
];

/// Counts of warehouse work. Logical counts, safe to assert in tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WarehouseCounters {
    /// Queries the warehouse ran: query tasks that started, synchronous runs (inline queries,
    /// `GET /queries/{id}/run/{json,csv}`) and data tests.
    pub queries_run: u64,
    /// Query tasks killed with `DELETE /running_queries/{id}` while queued or running.
    pub queries_cancelled: u64,
    /// Successful `POST /query_tasks`.
    pub query_tasks_created: u64,
    /// Successful `POST /queries` (a query equal to an existing one keeps its id and still counts).
    pub queries_created: u64,
    /// The most query tasks running at once, all users together.
    pub max_running: u64,
    /// The most query tasks running at once for any single user.
    pub max_running_per_user: u64,
    /// Query tasks running now.
    pub running: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Added,
    Running,
    Complete,
    Error,
    Killed,
}

/// Looker's note in a query's `errors` when derived tables have conditional SQL for Development
/// Mode; it is no error (a passing query is then an `error` whose only entry is the note).
pub(crate) const DEV_MODE_NOTE: &str = "Note: This query contains derived tables with conditional \
     SQL for Development Mode. Query results in Production Mode might be different.";

/// Ways real Looker's query-task results differ from the plain case, each off by default.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ResultQuirks {
    /// Every finished task's `errors` start with [`DEV_MODE_NOTE`].
    pub dev_mode_note: bool,
    /// A finished task shows `expired` in its first this-many `multi_results` polls before its
    /// real status, as Looker briefly does.
    pub expired_polls: u32,
    /// Every finished task shows as `killed` (by an admin or the database, not by the client).
    pub killed: bool,
}

/// A query saved with `POST /queries`.
struct SavedQuery {
    json: Value,
    model: String,
    view: String,
    fields: Vec<String>,
    limit: Option<usize>,
}

struct Task {
    id: String,
    user: String,
    query_id: String,
    result_format: String,
    status: Status,
    /// Creation order, which is also the queue order.
    seq: u64,
    duration: Duration,
    finished: Option<Instant>,
    execution: Execution,
    /// `multi_results` polls that saw it finished.
    polls_finished: u32,
}

impl Task {
    fn finish_at(&self, started: Instant) -> Instant {
        started + self.duration
    }
}

pub(crate) struct Queries {
    saved: Vec<SavedQuery>,
    by_key: HashMap<String, usize>,
    tasks: HashMap<String, Task>,
    /// Per user, the queued task ids in order.
    queued: HashMap<String, VecDeque<String>>,
    /// Running task ids with their start instants.
    running: Vec<(String, Instant)>,
    next_task: u64,
    pub limit: usize,
    pub base_duration: Duration,
    pub counters: WarehouseCounters,
    pub quirks: ResultQuirks,
}

/// The spec types `limit` as a string; numbers are taken too.
pub(crate) fn parse_limit(value: &Value) -> Option<usize> {
    value
        .as_str()
        .and_then(|l| l.trim().parse::<i64>().ok())
        .or_else(|| value.as_i64())
        .and_then(|l| usize::try_from(l).ok())
}

/// The items of a comma-separated list (how the API passes arrays in a query string).
pub(crate) fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The strings of a JSON array (or of a comma-separated string).
pub(crate) fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Value::String(s) => comma_list(s),
        _ => Vec::new(),
    }
}

impl Queries {
    pub fn new() -> Self {
        Queries {
            saved: Vec::new(),
            by_key: HashMap::new(),
            tasks: HashMap::new(),
            queued: HashMap::new(),
            running: Vec::new(),
            next_task: 0,
            limit: DEFAULT_CONCURRENCY,
            base_duration: Duration::ZERO,
            counters: WarehouseCounters::default(),
            quirks: ResultQuirks::default(),
        }
    }

    /// `POST /queries`: validate against `project`, keep, and answer the Query.
    pub fn create_query(&mut self, project: &FakeProject, body: &[u8]) -> FakeReply {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
            return FakeReply::error(400, "the body must be a JSON query");
        };
        let model = body.get("model").and_then(Value::as_str).unwrap_or("");
        let view = body.get("view").and_then(Value::as_str).unwrap_or("");
        let fields = body.get("fields").map(string_list).unwrap_or_default();
        let limit = body.get("limit").and_then(parse_limit);
        if let Err(invalid) = warehouse::execute(project, model, view, &fields, Some(0)) {
            return invalid.reply();
        }
        let mut kept = Map::new();
        for key in QUERY_KEYS {
            kept.insert(key.into(), body.get(key).cloned().unwrap_or(Value::Null));
        }
        let key = Value::Object(kept.clone()).to_string();
        self.counters.queries_created += 1;
        if let Some(&index) = self.by_key.get(&key) {
            return FakeReply::json(200, self.saved[index].json.clone());
        }
        let id = (self.saved.len() + 1).to_string();
        let slug: String = (0..7).map(|_| fastrand::alphanumeric()).collect();
        let url = format!(
            "/explore/{model}/{view}?fields={}&limit={}",
            fields.join(","),
            limit.map_or_else(|| "500".to_owned(), |l| l.to_string())
        );
        let mut json = kept;
        json.insert("id".into(), json!(id));
        json.insert("slug".into(), json!(slug));
        json.insert("url".into(), json!(url));
        json.insert("share_url".into(), json!(format!("/x/{slug}")));
        json.insert("expanded_share_url".into(), json!(url));
        json.insert("can".into(), json!({"run": true, "see_results": true}));
        let json = Value::Object(json);
        self.by_key.insert(key, self.saved.len());
        self.saved.push(SavedQuery {
            json: json.clone(),
            model: model.into(),
            view: view.into(),
            fields,
            limit,
        });
        FakeReply::json(200, json)
    }

    fn saved(&self, id: &str) -> Option<&SavedQuery> {
        let index = id.parse::<usize>().ok()?.checked_sub(1)?;
        self.saved.get(index)
    }

    /// `GET /queries/{id}`.
    pub fn query_json(&self, id: &str) -> FakeReply {
        match self.saved(id) {
            Some(q) => FakeReply::json(200, q.json.clone()),
            None => FakeReply::error(404, "Not found"),
        }
    }

    /// `GET /queries/{id}/run/{format}`: `sql` only generates the SQL; other formats run now.
    pub fn run_saved(
        &mut self,
        project: &FakeProject,
        id: &str,
        format: &str,
        limit: Option<usize>,
    ) -> FakeReply {
        let Some(query) = self.saved(id) else {
            return FakeReply::error(404, "Not found");
        };
        let (model, view, fields) = (
            query.model.clone(),
            query.view.clone(),
            query.fields.clone(),
        );
        let limit = limit.or(query.limit);
        self.run_now(project, &model, &view, &fields, limit, format)
    }

    /// Run a query synchronously (inline queries and saved queries run directly) in `format`:
    /// `json` rows (a database error comes back as Looker does, a 200 with one `looker_error`
    /// row), `csv`, `txt` (tab-separated), `png` (a 1x1 picture of a query that ran), or `sql`
    /// (generated, not run).
    pub fn run_now(
        &mut self,
        project: &FakeProject,
        model: &str,
        view: &str,
        fields: &[String],
        limit: Option<usize>,
        format: &str,
    ) -> FakeReply {
        const FORMATS: [&str; 5] = ["json", "csv", "txt", "png", "sql"];
        if !FORMATS.contains(&format) {
            return FakeReply::error(
                400,
                &format!("FakeLooker runs queries as {FORMATS:?}, not `{format}`"),
            );
        }
        let execution = match warehouse::execute(project, model, view, fields, limit) {
            Ok(execution) => execution,
            Err(invalid) => return invalid.reply(),
        };
        if format == "sql" {
            return FakeReply::text("text/plain", execution.sql);
        }
        self.counters.queries_run += 1;
        let rows = match execution.result {
            Ok(rows) => rows,
            Err(error) if format == "json" => {
                return FakeReply::json(200, json!([{"looker_error": error.message}]));
            }
            Err(error) => return FakeReply::error(400, &error.message),
        };
        match format {
            "json" => {
                return FakeReply::json(
                    200,
                    Value::Array(rows.into_iter().map(Value::Object).collect()),
                );
            }
            // Looker's blue, whatever the rows: the picture only proves the query ran.
            "png" => return FakeReply::binary("image/png", png::one_pixel([66, 133, 244])),
            _ => {}
        }
        let separator = if format == "txt" { "\t" } else { "," };
        let mut csv = fields.join(separator);
        csv.push('\n');
        for row in rows {
            let cells: Vec<String> = fields
                .iter()
                .map(|f| match row.get(f) {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                })
                .collect();
            csv.push_str(&cells.join(separator));
            csv.push('\n');
        }
        let content_type = if format == "txt" {
            "text/plain"
        } else {
            "text/csv"
        };
        FakeReply::text(content_type, csv)
    }

    /// `POST /query_tasks`: decide the outcome from `project` now, queue the task, start it if
    /// the user has a free slot.
    pub fn create_task(
        &mut self,
        user: &str,
        project: &FakeProject,
        body: &[u8],
        now: Instant,
    ) -> FakeReply {
        let Ok(body) = serde_json::from_slice::<Value>(body) else {
            return FakeReply::error(400, "the body must be a JSON query task");
        };
        let query_id = match &body["query_id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return FakeReply::invalid("query_id", "is required"),
        };
        let Some(result_format) = body["result_format"].as_str() else {
            return FakeReply::invalid("result_format", "is required");
        };
        if !TASK_FORMATS.contains(&result_format) {
            return FakeReply::invalid(
                "result_format",
                &format!("must be one of {TASK_FORMATS:?}"),
            );
        }
        let Some(query) = self.saved(&query_id) else {
            return FakeReply::error(404, &format!("Query {query_id} not found"));
        };
        let execution = match warehouse::execute(
            project,
            &query.model,
            &query.view,
            &query.fields,
            query.limit,
        ) {
            Ok(execution) => execution,
            // The session's code may lack what the query was saved with.
            Err(invalid) => return invalid.reply(),
        };
        self.next_task += 1;
        // Looker's task ids are 32 hex digits; counting keeps them unique and readable.
        let id = format!("{:032x}", self.next_task);
        let task = Task {
            id: id.clone(),
            user: user.into(),
            query_id,
            result_format: result_format.into(),
            status: Status::Added,
            seq: self.next_task,
            duration: self.base_duration + execution.extra,
            finished: None,
            execution,
            polls_finished: 0,
        };
        let reply = task_json(&task, None);
        self.tasks.insert(id.clone(), task);
        self.queued.entry(user.into()).or_default().push_back(id);
        self.counters.query_tasks_created += 1;
        self.fill(user, now);
        FakeReply::json(200, reply)
    }

    /// Replay the schedule up to `now`: finish due tasks in time order; each finish lets the
    /// user's next queued task start at that instant.
    pub fn advance(&mut self, now: Instant) {
        // Each pass finishes one task, so this ends after at most `running + queued` passes.
        loop {
            let due = self
                .running
                .iter()
                .enumerate()
                .filter_map(|(i, (id, started))| {
                    let task = &self.tasks[id];
                    let end = task.finish_at(*started);
                    (end <= now).then_some((end, task.seq, i))
                })
                .min();
            let Some((end, _, index)) = due else { break };
            let (id, _) = self.running.swap_remove(index);
            let task = self.tasks.get_mut(&id).expect("running tasks exist");
            task.status = if task.execution.result.is_ok() {
                Status::Complete
            } else {
                Status::Error
            };
            task.finished = Some(end);
            let user = task.user.clone();
            self.fill(&user, end);
        }
        self.counters.running = self.running.len() as u64;
    }

    /// Start queued tasks of `user` at `at` while the user has free slots.
    fn fill(&mut self, user: &str, at: Instant) {
        loop {
            let running_for_user = self
                .running
                .iter()
                .filter(|(id, _)| self.tasks[id].user == user)
                .count();
            if running_for_user >= self.limit.max(1) {
                return;
            }
            let Some(id) = self.queued.get_mut(user).and_then(VecDeque::pop_front) else {
                return;
            };
            if let Some(task) = self.tasks.get_mut(&id) {
                task.status = Status::Running;
            }
            self.running.push((id, at));
            self.counters.queries_run += 1;
            self.counters.running = self.running.len() as u64;
            self.counters.max_running = self.counters.max_running.max(self.counters.running);
            self.counters.max_running_per_user = self
                .counters
                .max_running_per_user
                .max(running_for_user as u64 + 1);
        }
    }

    /// Counters back to zero, except what is running now.
    pub fn reset_counters(&mut self) {
        let running = self.running.len() as u64;
        let mut per_user: HashMap<&str, u64> = HashMap::new();
        for (id, _) in &self.running {
            *per_user.entry(self.tasks[id].user.as_str()).or_default() += 1;
        }
        self.counters = WarehouseCounters {
            running,
            max_running: running,
            max_running_per_user: per_user.values().copied().max().unwrap_or(0),
            ..WarehouseCounters::default()
        };
    }

    fn status_name(&self, task: &Task, now: Instant) -> &'static str {
        match task.status {
            Status::Added => "added",
            Status::Running => "running",
            Status::Killed => "killed",
            _ if task
                .finished
                .is_some_and(|f| now.duration_since(f) >= RESULT_TTL) =>
            {
                "expired"
            }
            Status::Complete => "complete",
            Status::Error => "error",
        }
    }

    /// The user's own task, if it exists.
    fn own(&self, user: &str, id: &str) -> Option<&Task> {
        self.tasks.get(id).filter(|t| t.user == user)
    }

    /// `GET /query_tasks/{id}`.
    pub fn task(&self, user: &str, id: &str, now: Instant) -> FakeReply {
        match self.own(user, id) {
            Some(task) => FakeReply::json(200, task_json(task, Some(self.status_name(task, now)))),
            None => FakeReply::error(404, "Not found"),
        }
    }

    /// `GET /query_tasks/multi_results?query_task_ids=a,b`: one entry per id, keyed by it.
    /// Unfinished tasks show only their status; another user's or an unknown id is `missing`.
    pub fn multi_results(&mut self, user: &str, ids: &[String], now: Instant) -> FakeReply {
        if ids.is_empty() {
            return FakeReply::error(400, "query_task_ids is required");
        }
        let quirks = self.quirks;
        let mut results = Map::new();
        for id in ids {
            let status = self.own(user, id).map(|task| self.status_name(task, now));
            let task = self.tasks.get_mut(id);
            let entry = match (status, task) {
                (Some(status @ ("complete" | "error")), Some(task)) => {
                    task.polls_finished += 1;
                    if quirks.killed {
                        json!({"status": "killed"})
                    } else if task.polls_finished <= quirks.expired_polls {
                        json!({"status": "expired"})
                    } else {
                        finished_entry(status, task, quirks)
                    }
                }
                (Some(status), _) => json!({"status": status}),
                (None, _) => json!({"status": "missing"}),
            };
            results.insert(id.clone(), entry);
        }
        FakeReply::json(200, Value::Object(results))
    }

    /// `GET /query_tasks/{id}/results`: 202 while queued or running; the result when complete;
    /// a database error as 200 with `errors` for `json_detail`, else as a 400.
    pub fn results(&self, user: &str, id: &str, now: Instant) -> FakeReply {
        let Some(task) = self.own(user, id) else {
            return FakeReply::error(404, "Not found");
        };
        match self.status_name(task, now) {
            "added" | "running" => FakeReply::empty(202),
            "complete" | "error" => match (&task.execution.result, task.result_format.as_str()) {
                (Err(error), format) if format != "json_detail" => {
                    FakeReply::error(400, &error.message)
                }
                _ => FakeReply::json(200, result_detail(task)),
            },
            _ => FakeReply::error(404, "Not found"),
        }
    }

    /// `DELETE /running_queries/{id}`: kill a queued or running task; a finished one is 404, as
    /// Looker answers.
    pub fn kill(&mut self, user: &str, id: &str, now: Instant) -> FakeReply {
        let Some(task) = self.tasks.get_mut(id).filter(|t| t.user == user) else {
            return FakeReply::error(404, "Not found");
        };
        match task.status {
            Status::Added => {
                task.status = Status::Killed;
                if let Some(queue) = self.queued.get_mut(user) {
                    queue.retain(|q| q != id);
                }
            }
            Status::Running => {
                task.status = Status::Killed;
                self.running.retain(|(r, _)| r != id);
                self.counters.running = self.running.len() as u64;
                self.fill(user, now);
            }
            _ => return FakeReply::error(404, "Not found"),
        }
        self.counters.queries_cancelled += 1;
        FakeReply::empty(204)
    }
}

/// A finished task's `multi_results` entry, with Looker's Development Mode note when asked.
fn finished_entry(status: &str, task: &Task, quirks: ResultQuirks) -> Value {
    let mut data = result_detail(task);
    if !quirks.dev_mode_note {
        return json!({"status": status, "data": data});
    }
    let mut errors = vec![json!({"message": DEV_MODE_NOTE})];
    if let Some(Value::Array(real)) = data.get_mut("errors").map(Value::take) {
        errors.extend(real);
    }
    data["errors"] = Value::Array(errors);
    json!({"status": "error", "data": data})
}

/// A QueryTask as `POST /query_tasks` and `GET /query_tasks/{id}` show it.
fn task_json(task: &Task, status: Option<&str>) -> Value {
    let finished = matches!(task.status, Status::Complete | Status::Error);
    json!({
        "id": task.id,
        "query_id": task.query_id,
        "status": status.unwrap_or("added"),
        "result_format": task.result_format,
        "source": "api",
        "runtime": finished.then_some(task.duration.as_secs_f64()),
        "cache": false,
        "cache_only": false,
        "force_production": false,
        "rebuild_pdts": false,
        "server_table_calcs": false,
        "generate_links": false,
        "look_id": null,
        "dashboard_id": null,
        "can": {"cancel": true},
    })
}

/// The `json_detail` result of a finished task: rows and SQL, or the database's errors and SQL.
fn result_detail(task: &Task) -> Value {
    let execution = &task.execution;
    let names =
        |names: &[String]| -> Vec<Value> { names.iter().map(|n| json!({"name": n})).collect() };
    let mut detail = json!({
        "id": task.id,
        "runtime": task.duration.as_secs_f64(),
        "from_cache": false,
        "sql": execution.sql,
        "fields": {"dimensions": names(&execution.dimensions),
                   "measures": names(&execution.measures)},
    });
    match &execution.result {
        Ok(rows) => {
            detail["data"] = Value::Array(rows.iter().cloned().map(Value::Object).collect());
        }
        Err(error) => {
            detail["data"] = json!([]);
            detail["errors"] = json!([error.to_json()]);
        }
    }
    detail
}
