//! Runs validation queries as Looker asynchronous query tasks, never more at once than the
//! concurrency asked for (Looker's per-user limit is 15 by default), and keeps those slots busy:
//! each query is created (`POST /queries`) before it waits for a slot, so a freed slot is
//! refilled with one API call (`POST /query_tasks`); every running task is polled in one batched
//! `GET /query_tasks/multi_results`. A query past its timeout is killed in Looker
//! (`DELETE /running_queries/{id}`) and reported as timed out.
//!
//! Results are read as real Looker sends them: its Development Mode notes are no errors, an
//! error may be a single string, and a finished task may briefly show as `expired`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore, oneshot};

use crate::client::{ApiCall, LookerClient};
use crate::error::{Error, Result};
use crate::gate::progress::Progress;

/// Task ids per `multi_results` request: keeps the URL well under common proxy limits.
const POLL_BATCH: usize = 100;

/// How long a task may show as `expired` (or `missing`) before it is taken to be: Looker
/// briefly reports finished tasks so before their real status. After it the query runs once
/// more.
#[cfg(not(test))]
const EXPIRED_GRACE: Duration = Duration::from_secs(30);
#[cfg(test)]
const EXPIRED_GRACE: Duration = Duration::from_millis(300);

/// The start of Looker's notes about derived tables in Development Mode, which it lists among a
/// query's `errors` (alone, on a query that ran fine).
const DEV_MODE_NOTE: &str = "Note: This query contains derived tables with";

/// How one query ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QueryOutcome {
    Passed,
    Failed(QueryFailure),
    /// No answer: the query proves nothing either way.
    Unfinished(Unfinished),
}

/// Why a query gave no answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Unfinished {
    /// Still running after the timeout, and cancelled in Looker.
    TimedOut(Duration),
    /// Ended in Looker without a result: `killed` (by an admin, the database or Looker's own
    /// limit), `expired` even when run again, or `missing`.
    Ended(String),
}

/// The database's answer to a failing query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryFailure {
    pub message: String,
    pub sql: Option<String>,
}

type Waiters = HashMap<String, oneshot::Sender<Result<TaskEnd>>>;

/// Tasks Looker shows as `expired` or `missing`: since when, and the status.
type Lost = HashMap<String, (Instant, String)>;

/// The end state of a query task as `multi_results` reported it.
#[derive(Debug)]
enum TaskEnd {
    Complete,
    Error(QueryFailure),
    /// Killed by Looker or the database (not by us).
    Gone(String),
    /// Shown as `expired` or `missing` (the status) for longer than [`EXPIRED_GRACE`].
    Lost(String),
    /// Still running after the timeout, and cancelled.
    TimedOut(Duration),
}

pub(crate) struct QueryRunner {
    client: LookerClient,
    progress: Arc<Progress>,
    slots: Arc<Semaphore>,
    timeout: Option<Duration>,
    waiters: Arc<Mutex<Waiters>>,
    lost: Arc<Mutex<Lost>>,
    wake_poller: Arc<Notify>,
    poller: tokio::task::JoinHandle<()>,
    pub queries_run: AtomicU64,
    pub queries_cancelled: AtomicU64,
}

impl Drop for QueryRunner {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

impl QueryRunner {
    /// A runner with its own `concurrency` slots.
    pub fn new(
        client: LookerClient,
        progress: Arc<Progress>,
        concurrency: usize,
        timeout: Option<Duration>,
        poll_interval: Duration,
    ) -> Self {
        let slots = Arc::new(Semaphore::new(concurrency.max(1)));
        Self::sharing(client, progress, slots, timeout, poll_interval)
    }

    /// A runner drawing on `slots` shared with another runner of the same Looker user (Looker's
    /// limit is per user, whatever the session).
    pub fn sharing(
        client: LookerClient,
        progress: Arc<Progress>,
        slots: Arc<Semaphore>,
        timeout: Option<Duration>,
        poll_interval: Duration,
    ) -> Self {
        let waiters: Arc<Mutex<Waiters>> = Arc::default();
        let lost: Arc<Mutex<Lost>> = Arc::default();
        let wake_poller = Arc::new(Notify::new());
        let poller = tokio::spawn(poll_loop(
            client.clone(),
            Arc::clone(&waiters),
            Arc::clone(&lost),
            Arc::clone(&wake_poller),
            poll_interval,
        ));
        QueryRunner {
            client,
            progress,
            slots,
            timeout,
            waiters,
            lost,
            wake_poller,
            poller,
            queries_run: AtomicU64::new(0),
            queries_cancelled: AtomicU64::new(0),
        }
    }

    /// Run `fields` of `model/explore` as one query that returns no rows.
    pub async fn run(&self, model: &str, explore: &str, fields: &[String]) -> Result<QueryOutcome> {
        Ok(self.run_timed(model, explore, fields).await?.0)
    }

    /// [`Self::run`], how long the query was in Looker (from the creation of the task that
    /// answered to the poll that saw it end, without the wait for a slot), and how many tasks it
    /// took (2 when Looker lost the first one's result).
    pub async fn run_timed(
        &self,
        model: &str,
        explore: &str,
        fields: &[String],
    ) -> Result<(QueryOutcome, Duration, u64)> {
        let query: Value = self
            .client
            .request(ApiCall::new("POST", "/queries")?.json(json!({
                "model": model,
                "view": explore,
                "fields": fields,
                // No rows: the warehouse still compiles and plans every column's SQL.
                "filter_expression": "1=2",
                "limit": "1",
            })))
            .await?;
        let query_id = id_of(&query, "/queries")?;
        let _slot = self.slots.acquire().await.map_err(|_| Error::Internal {
            message: "query slots closed".into(),
        })?;
        let first = Instant::now();
        let task_id = self.start_task(&query_id).await?;
        let mut created = Instant::now();
        let mut tasks = 1;
        let mut end = self.wait(&task_id, self.timeout).await?;
        // Once more, within what is left of the timeout: the warehouse answers a query whose
        // result Looker lost.
        let left = self
            .timeout
            .map(|limit| limit.saturating_sub(first.elapsed()));
        if matches!(end, TaskEnd::Lost(_)) && left.is_none_or(|left| !left.is_zero()) {
            let task_id = self.start_task(&query_id).await?;
            created = Instant::now();
            tasks += 1;
            end = self.wait(&task_id, left).await?;
        }
        let outcome = match end {
            TaskEnd::Complete => QueryOutcome::Passed,
            TaskEnd::Error(failure) => QueryOutcome::Failed(failure),
            TaskEnd::Gone(status) | TaskEnd::Lost(status) => {
                QueryOutcome::Unfinished(Unfinished::Ended(status))
            }
            TaskEnd::TimedOut(after) => QueryOutcome::Unfinished(Unfinished::TimedOut(after)),
        };
        Ok((outcome, created.elapsed(), tasks))
    }

    /// Create the query's task (it starts when Looker has a slot for it) and return its id.
    async fn start_task(&self, query_id: &str) -> Result<String> {
        // The task is created by a task of its own that records its id whatever happens to this
        // future: a validation cancelled meanwhile still finds the query to cancel in Looker.
        let call = ApiCall::new("POST", "/query_tasks")?
            .query("cache", "false")
            .json(json!({"query_id": query_id, "result_format": "json_detail"}));
        let (client, progress) = (self.client.clone(), Arc::clone(&self.progress));
        progress.creation_started();
        let creation = tokio::spawn(async move {
            let created = match client.request::<Value>(call).await {
                Ok(task) => id_of(&task, "/query_tasks"),
                Err(error) => Err(error),
            };
            match &created {
                Ok(task_id) => progress.task_created(task_id),
                Err(_) => progress.creation_failed(),
            }
            created
        });
        creation.await.map_err(|_| Error::Internal {
            message: "the creation of a query task was stopped".into(),
        })?
    }

    /// Wait for the task's end (at most `limit`, then cancel it in Looker).
    async fn wait(&self, task_id: &str, limit: Option<Duration>) -> Result<TaskEnd> {
        self.queries_run.fetch_add(1, Ordering::Relaxed);
        self.progress.query_started();
        let _running = Running(&self.progress);
        let (done, ended) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(task_id.to_owned(), done);
        self.wake_poller.notify_one();
        let end = match limit {
            None => ended.await,
            Some(limit) => match tokio::time::timeout(limit, ended).await {
                Ok(end) => end,
                Err(_) => {
                    self.forget(task_id);
                    let lost = self
                        .lost
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(task_id);
                    self.progress.task_finished(task_id);
                    // A task Looker shows as expired has ended: nothing to cancel, and no
                    // timeout to report.
                    if let Some((_, status)) = lost {
                        return Ok(TaskEnd::Lost(status));
                    }
                    self.kill(task_id).await;
                    return Ok(TaskEnd::TimedOut(self.timeout.unwrap_or(limit)));
                }
            },
        };
        let end = match end {
            Ok(Ok(end)) => end,
            // The poll failed, so the task may still run in Looker: it stays listed for
            // `Progress::kill_running`.
            Ok(Err(error)) => return Err(error),
            Err(_) => {
                return Err(Error::Internal {
                    message: "the query poller stopped".into(),
                });
            }
        };
        self.progress.task_finished(task_id);
        Ok(end)
    }

    pub fn slots(&self) -> Arc<Semaphore> {
        Arc::clone(&self.slots)
    }

    fn forget(&self, task_id: &str) {
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(task_id);
    }

    /// Cancel a running query in Looker. A failure is logged, not raised: the query is already
    /// reported as timed out, and Looker ends it on its own timeout.
    async fn kill(&self, task_id: &str) {
        self.queries_cancelled.fetch_add(1, Ordering::Relaxed);
        let path = format!("/running_queries/{task_id}");
        let result = match ApiCall::new("DELETE", &path) {
            Ok(call) => self.client.request_bytes(call).await.map(drop),
            Err(e) => Err(e),
        };
        if let Err(error) = result {
            tracing::warn!(%task_id, %error, "could not cancel a timed-out query in Looker");
        }
    }
}

/// Counts a query as running until its future ends, however it ends.
struct Running<'a>(&'a Progress);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.query_ended();
    }
}

/// The `id` of what `POST {path}` created.
fn id_of(value: &Value, path: &str) -> Result<String> {
    match &value["id"] {
        Value::String(id) if !id.is_empty() => Ok(id.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::Decode {
            method: "POST".into(),
            path: path.into(),
            message: "the reply has no `id`".into(),
        }),
    }
}

/// Poll every waiting task in batches until none is left, then sleep until one is added.
async fn poll_loop(
    client: LookerClient,
    waiters: Arc<Mutex<Waiters>>,
    lost: Arc<Mutex<Lost>>,
    wake: Arc<Notify>,
    interval: Duration,
) {
    loop {
        if waiters.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            lost.lock().unwrap_or_else(|p| p.into_inner()).clear();
            wake.notified().await;
            continue;
        }
        tokio::time::sleep(interval).await;
        // Listed after the pause: a task created during it is in this poll, not the next.
        let ids = waiting_ids(&waiters);
        lost.lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|id, _| ids.contains(id));
        for batch in ids.chunks(POLL_BATCH) {
            match poll(&client, batch).await {
                Ok(ended) => {
                    let mut waiting = waiters.lock().unwrap_or_else(|p| p.into_inner());
                    let mut lost = lost.lock().unwrap_or_else(|p| p.into_inner());
                    for (id, end) in ended {
                        if let TaskEnd::Lost(status) = &end {
                            let (since, _) = lost
                                .entry(id.clone())
                                .or_insert_with(|| (Instant::now(), status.clone()));
                            if since.elapsed() < EXPIRED_GRACE {
                                continue;
                            }
                        }
                        lost.remove(&id);
                        if let Some(waiter) = waiting.remove(&id) {
                            let _ = waiter.send(Ok(end));
                        }
                    }
                }
                Err(error) => {
                    // The session already retried; every query of the batch fails with it.
                    let mut waiting = waiters.lock().unwrap_or_else(|p| p.into_inner());
                    for id in batch {
                        if let Some(waiter) = waiting.remove(id) {
                            let _ = waiter.send(Err(error.clone()));
                        }
                    }
                }
            }
        }
    }
}

fn waiting_ids(waiters: &Mutex<Waiters>) -> Vec<String> {
    waiters
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .keys()
        .cloned()
        .collect()
}

async fn poll(client: &LookerClient, ids: &[String]) -> Result<Vec<(String, TaskEnd)>> {
    let reply: Value = client
        .request(ApiCall::get("/query_tasks/multi_results")?.query("query_task_ids", ids.join(",")))
        .await?;
    Ok(ids
        .iter()
        .filter_map(|id| Some((id.clone(), end_of(reply.get(id)?)?)))
        .collect())
}

/// How a task's `multi_results` entry says it ended; `None` while it runs.
fn end_of(entry: &Value) -> Option<TaskEnd> {
    let status = entry["status"].as_str().unwrap_or("");
    let data = &entry["data"];
    Some(match status {
        "complete" => match failure_of(data) {
            // Some dialects report a failed query as complete with errors in its data.
            Some(failure) => TaskEnd::Error(failure),
            None => TaskEnd::Complete,
        },
        "error" => match failure_of(data) {
            Some(failure) => TaskEnd::Error(failure),
            // Looker's notes in Development Mode come as an `error` of a query that ran.
            None if only_notes(data) => TaskEnd::Complete,
            None => TaskEnd::Error(QueryFailure {
                message: "the query failed and Looker gave no message".into(),
                sql: data["sql"].as_str().map(str::to_owned),
            }),
        },
        "expired" | "missing" => TaskEnd::Lost(status.to_owned()),
        "killed" => TaskEnd::Gone(status.to_owned()),
        _ => return None,
    })
}

/// The first error of a result's `data` (Looker's notes are none), with its details and the
/// SQL. `data` lists `errors`, or, in some replies, names one `error` as a string.
fn failure_of(data: &Value) -> Option<QueryFailure> {
    let sql = data["sql"].as_str().map(str::to_owned);
    let first = data["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["message"].as_str().is_some_and(|m| !is_note(m)));
    let Some(first) = first else {
        // No error in the list: the single-string form, unless it is a note too.
        let error = data["error"].as_str().map(str::trim)?;
        return (!error.is_empty() && !is_note(error)).then(|| QueryFailure {
            message: error.to_owned(),
            sql,
        });
    };
    let mut message = first["message"].as_str().unwrap_or("").trim().to_owned();
    if let Some(details) = first["message_details"].as_str().map(str::trim)
        && !details.is_empty()
        && !message.contains(details)
    {
        message = format!("{message} {details}");
    }
    Some(QueryFailure { message, sql })
}

fn is_note(message: &str) -> bool {
    let message = message.trim_start();
    message.starts_with(DEV_MODE_NOTE) && message.contains("Development Mode")
}

/// Whether `data` gives errors and every one is a note.
fn only_notes(data: &Value) -> bool {
    let listed = data["errors"].as_array().is_some_and(|errors| {
        !errors.is_empty()
            && errors
                .iter()
                .all(|e| e["message"].as_str().is_some_and(is_note))
    });
    listed || data["error"].as_str().is_some_and(is_note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_keep_the_message_details_and_sql() {
        let data = json!({"errors": [{"message": "Query failed", "message_details":
            "column orders.statuz does not exist"}], "sql": "SELECT 1"});
        let failure = failure_of(&data).unwrap();
        assert_eq!(
            failure.message,
            "Query failed column orders.statuz does not exist"
        );
        assert_eq!(failure.sql.as_deref(), Some("SELECT 1"));
        assert!(failure_of(&json!({"data": []})).is_none());
    }

    #[test]
    fn looker_notes_are_skipped_and_a_single_error_string_is_read() {
        let note = "Note: This query contains derived tables with Development Mode filters. \
                    Query results in Production Mode might be different.";
        let noted = json!({"errors": [{"message": note}, {"message": "column x does not exist"}]});
        assert_eq!(
            failure_of(&noted).unwrap().message,
            "column x does not exist"
        );
        let only_note = json!({"errors": [{"message": note}], "sql": "SELECT 1"});
        assert!(failure_of(&only_note).is_none() && only_notes(&only_note));
        let note_as_string = json!({"id": "1", "error": note});
        assert!(failure_of(&note_as_string).is_none() && only_notes(&note_as_string));
        // A detailed list wins over a generic string.
        let both =
            json!({"error": "Query failed", "errors": [{"message": "column x does not exist"}]});
        assert_eq!(
            failure_of(&both).unwrap().message,
            "column x does not exist"
        );
        assert!(!only_notes(&json!({"errors": []})) && !only_notes(&noted));
        let single = json!({"id": "1", "error": "relation \"orders\" does not exist", "sql": "S"});
        let failure = failure_of(&single).unwrap();
        assert_eq!(failure.message, "relation \"orders\" does not exist");
        assert_eq!(failure.sql.as_deref(), Some("S"));
    }

    #[test]
    fn each_status_of_a_task_ends_it_as_looker_means() {
        let end = |entry: Value| format!("{:?}", end_of(&entry));
        assert_eq!(end(json!({"status": "running"})), "None");
        assert_eq!(end(json!({"status": "added"})), "None");
        assert_eq!(
            end(json!({"status": "complete", "data": {}})),
            "Some(Complete)"
        );
        let note = "Note: This query contains derived tables with conditional SQL for \
                    Development Mode. Query results in Production Mode might be different.";
        let noted = json!({"status": "error", "data": {"errors": [{"message": note}]}});
        assert_eq!(end(noted), "Some(Complete)");
        assert!(end(json!({"status": "error", "data": {}})).contains("gave no message"));
        assert_eq!(
            end(json!({"status": "expired"})),
            r#"Some(Lost("expired"))"#
        );
        assert_eq!(end(json!({"status": "killed"})), r#"Some(Gone("killed"))"#);
        assert_eq!(
            end(json!({"status": "missing"})),
            r#"Some(Lost("missing"))"#
        );
    }

    /// A FakeLooker whose finished tasks show as expired for good, and a runner on it.
    #[cfg(feature = "testing")]
    async fn expired_for_good(
        timeout: Option<Duration>,
    ) -> (crate::testing::FakeLooker, QueryRunner) {
        let fake = crate::testing::FakeLooker::start().await.unwrap();
        let client = LookerClient::new(fake.settings()).unwrap();
        fake.set_expired_polls(u32::MAX);
        let progress = Arc::new(Progress::new());
        let runner = QueryRunner::new(client, progress, 2, timeout, Duration::from_millis(20));
        (fake, runner)
    }

    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn a_task_expired_for_good_runs_once_more_then_is_unfinished() {
        let (fake, runner) = expired_for_good(None).await;
        let outcome = runner
            .run("thelook", "orders", &["orders.id".to_owned()])
            .await
            .unwrap();
        assert_eq!(
            outcome,
            QueryOutcome::Unfinished(Unfinished::Ended("expired".into()))
        );
        // Shown as expired past the grace, run again once, and expired again.
        assert_eq!(fake.warehouse_counters().query_tasks_created, 2);
        assert_eq!(runner.queries_run.load(Ordering::Relaxed), 2);
    }

    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn a_timeout_inside_the_expired_grace_reports_the_loss_not_a_timeout() {
        // The timeout (100 ms) ends before the grace (300 ms in tests) does.
        let (_fake, runner) = expired_for_good(Some(Duration::from_millis(100))).await;
        let (outcome, _, tasks) = runner
            .run_timed("thelook", "orders", &["orders.id".to_owned()])
            .await
            .unwrap();
        assert_eq!(
            outcome,
            QueryOutcome::Unfinished(Unfinished::Ended("expired".into()))
        );
        // Nothing to cancel (the task ended), and no time left to run it again.
        assert_eq!(runner.queries_cancelled.load(Ordering::Relaxed), 0);
        assert_eq!(tasks, 1);
    }
}
