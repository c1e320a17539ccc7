//! Live counters of a running validation, read by the CLI's progress line (and by anyone who
//! polls them). Plain atomics: updating them never blocks a query.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    findings: AtomicU64,
    running: AtomicU64,
}

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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

    pub(crate) fn query_started(&self) {
        self.running.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn query_ended(&self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            total: self.total.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
            findings: self.findings.load(Ordering::Relaxed),
            running: self.running.load(Ordering::Relaxed),
        }
    }
}
