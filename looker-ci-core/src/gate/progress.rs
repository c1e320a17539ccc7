//! Live counters of a running validation, read by the CLI's progress line (and by anyone who
//! polls them). Plain atomics: updating them never blocks a query.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::client::{ApiCall, LookerClient};

/// Counters of a running validation, shared with whoever shows its progress; read them with
/// [`Progress::snapshot`].
#[derive(Debug, Default)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    findings: AtomicU64,
    running: AtomicU64,
    /// Query task ids running in Looker now, to cancel when the validation is cancelled.
    tasks: Mutex<HashSet<String>>,
    /// Query tasks being created (`POST /query_tasks` in flight): a cancellation waits for
    /// their ids, so that a task Looker creates in that moment is cancelled too.
    creating: AtomicU64,
    created: tokio::sync::Notify,
}

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ProgressSnapshot {
    /// Explores (or tests) to check.
    pub total: u64,
    /// Explores (or tests) checked.
    pub done: u64,
    /// Findings so far.
    pub findings: u64,
    /// Queries running in Looker now.
    pub running: u64,
}

impl Progress {
    /// All counters at zero.
    pub fn new() -> Self {
        Progress::default()
    }

    pub(crate) fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    pub(crate) fn explore_done(&self, findings: u64) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
    }

    /// A query task is being created; [`Progress::task_created`] or
    /// [`Progress::creation_failed`] follows, whether or not its caller is still there.
    pub(crate) fn creation_started(&self) {
        self.creating.fetch_add(1, Ordering::AcqRel);
    }

    /// Looker created the query task `task_id`: listed for [`Progress::kill_running`].
    pub(crate) fn task_created(&self, task_id: &str) {
        self.tasks_lock().insert(task_id.to_owned());
        self.creation_ended();
    }

    /// The creation of a query task failed: there is nothing to cancel.
    pub(crate) fn creation_failed(&self) {
        self.creation_ended();
    }

    fn creation_ended(&self) {
        self.creating.fetch_sub(1, Ordering::AcqRel);
        self.created.notify_waiters();
    }

    /// A query holds a slot and runs.
    pub(crate) fn query_started(&self) {
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    /// The query's slot is free (however its future ended).
    pub(crate) fn query_ended(&self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
    }

    /// The query has ended in Looker (its result was read, or it was killed). A task whose future
    /// was dropped before that stays listed for [`Progress::kill_running`].
    pub(crate) fn task_finished(&self, task_id: &str) {
        self.tasks_lock().remove(task_id);
    }

    fn tasks_lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cancel every query still running in Looker (`DELETE /running_queries/{id}`); returns how
    /// many were cancelled. A failure is logged: Looker ends the query on its own timeout.
    pub(crate) async fn kill_running(&self, client: &LookerClient) -> usize {
        // Tasks still being created get their ids first. A creation is two requests (the query,
        // then its task), each ending by the client's request timeout: wait that long, no more.
        let longest_creation = client.settings().timeout * 2 + std::time::Duration::from_secs(1);
        let deadline = tokio::time::Instant::now() + longest_creation;
        loop {
            let created = self.created.notified();
            if self.creating.load(Ordering::Acquire) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, created).await.is_err() {
                tracing::warn!("query tasks still being created were not waited for");
                break;
            }
        }
        let tasks: Vec<String> = self.tasks_lock().drain().collect();
        let kills = tasks.iter().map(|id| async move {
            let call = ApiCall::new("DELETE", &format!("/running_queries/{id}"))?;
            client.request_bytes(call).await.map(drop)
        });
        let mut killed = 0;
        for (id, outcome) in tasks.iter().zip(futures::future::join_all(kills).await) {
            match outcome {
                Ok(()) => killed += 1,
                Err(e) => tracing::warn!(task = %id, error = %e, "could not cancel a query"),
            }
        }
        killed
    }

    /// The counters now (each read on its own: they may be a moment apart).
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            total: self.total.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
            findings: self.findings.load(Ordering::Relaxed),
            running: self.running.load(Ordering::Relaxed),
        }
    }
}
