//! Runs validation queries as Looker asynchronous query tasks, never more at once than the
//! concurrency asked for (Looker's per-user limit is 15 by default), and keeps those slots busy:
//! each query is created (`POST /queries`) before it waits for a slot, so a freed slot is
//! refilled with one API call (`POST /query_tasks`); every running task is polled in one batched
//! `GET /query_tasks/multi_results`. A query past its timeout is killed in Looker
//! (`DELETE /running_queries/{id}`) and reported as timed out.

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

/// How one query ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QueryOutcome {
    Passed,
    Failed(QueryFailure),
    TimedOut { after: Duration },
}

/// The database's answer to a failing query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryFailure {
    pub message: String,
    pub sql: Option<String>,
}

type Waiters = HashMap<String, oneshot::Sender<Result<TaskEnd>>>;

/// The end state of a query task as `multi_results` reported it.
#[derive(Debug)]
enum TaskEnd {
    Complete,
    Error(QueryFailure),
    /// Killed or expired by Looker (not by us).
    Gone(String),
}

pub(crate) struct QueryRunner {
    client: LookerClient,
    progress: Arc<Progress>,
    slots: Arc<Semaphore>,
    timeout: Option<Duration>,
    waiters: Arc<Mutex<Waiters>>,
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
        let wake_poller = Arc::new(Notify::new());
        let poller = tokio::spawn(poll_loop(
            client.clone(),
            Arc::clone(&waiters),
            Arc::clone(&wake_poller),
            poll_interval,
        ));
        QueryRunner {
            client,
            progress,
            slots,
            timeout,
            waiters,
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

    /// [`Self::run`], and how long the query was in Looker: from its task's creation to the
    /// poll that saw it end, without the wait for a slot.
    pub async fn run_timed(
        &self,
        model: &str,
        explore: &str,
        fields: &[String],
    ) -> Result<(QueryOutcome, Duration)> {
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
        let task_id = creation.await.map_err(|_| Error::Internal {
            message: "the creation of a query task was stopped".into(),
        })??;
        let created = Instant::now();
        let outcome = self.wait(&task_id).await?;
        Ok((outcome, created.elapsed()))
    }

    /// Wait for the task's end (at most the timeout, then cancel it in Looker).
    async fn wait(&self, task_id: &str) -> Result<QueryOutcome> {
        self.queries_run.fetch_add(1, Ordering::Relaxed);
        self.progress.query_started();
        let _running = Running(&self.progress);
        let (done, ended) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(task_id.to_owned(), done);
        self.wake_poller.notify_one();
        let end = match self.timeout {
            None => ended.await,
            Some(limit) => match tokio::time::timeout(limit, ended).await {
                Ok(end) => end,
                Err(_) => {
                    self.forget(task_id);
                    self.kill(task_id).await;
                    self.progress.task_finished(task_id);
                    return Ok(QueryOutcome::TimedOut { after: limit });
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
        match end {
            TaskEnd::Complete => Ok(QueryOutcome::Passed),
            TaskEnd::Error(failure) => Ok(QueryOutcome::Failed(failure)),
            TaskEnd::Gone(status) => Ok(QueryOutcome::Failed(QueryFailure {
                message: format!("Looker reported the query task as `{status}`"),
                sql: None,
            })),
        }
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
    wake: Arc<Notify>,
    interval: Duration,
) {
    loop {
        if waiters.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            wake.notified().await;
            continue;
        }
        tokio::time::sleep(interval).await;
        // Listed after the pause: a task created during it is in this poll, not the next.
        let ids = waiting_ids(&waiters);
        for batch in ids.chunks(POLL_BATCH) {
            match poll(&client, batch).await {
                Ok(ended) => {
                    let mut waiting = waiters.lock().unwrap_or_else(|p| p.into_inner());
                    for (id, end) in ended {
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
    let mut ended = Vec::new();
    for id in ids {
        let Some(entry) = reply.get(id) else { continue };
        let status = entry["status"].as_str().unwrap_or("");
        let end = match status {
            "complete" => match failure_of(&entry["data"]) {
                // Some dialects report a failed query as complete with errors in its data.
                Some(failure) => TaskEnd::Error(failure),
                None => TaskEnd::Complete,
            },
            "error" => TaskEnd::Error(failure_of(&entry["data"]).unwrap_or(QueryFailure {
                message: "the query failed and Looker gave no message".into(),
                sql: entry["data"]["sql"].as_str().map(str::to_owned),
            })),
            "killed" | "expired" => TaskEnd::Gone(status.to_owned()),
            _ => continue,
        };
        ended.push((id.clone(), end));
    }
    Ok(ended)
}

/// The first error of a result's `data`, with its details and the SQL.
fn failure_of(data: &Value) -> Option<QueryFailure> {
    let errors = data.get("errors")?.as_array()?;
    let first = errors.iter().find(|e| e["message"].is_string())?;
    let mut message = first["message"].as_str().unwrap_or("").trim().to_owned();
    if let Some(details) = first["message_details"].as_str().map(str::trim)
        && !details.is_empty()
        && !message.contains(details)
    {
        message = format!("{message} {details}");
    }
    Some(QueryFailure {
        message,
        sql: data["sql"].as_str().map(str::to_owned),
    })
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
}
