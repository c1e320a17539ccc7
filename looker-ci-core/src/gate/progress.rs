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

    pub(crate) fn query_started(&self, task_id: &str) {
        self.running.fetch_add(1, Ordering::Relaxed);
        self.tasks_lock().insert(task_id.to_owned());
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
