//! What a person watching the job sees: a live progress line on stderr (redrawn on a terminal,
//! a line every 15 seconds in a CI log) and the summary on stdout, coloured only on a terminal
//! and never when NO_COLOR is set.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use crate::gate::report::{self, ReportFormat};
use crate::gate::{Progress, ValidationResult, ValidatorKind};

pub(super) fn spawn_progress(
    validator: ValidatorKind,
    progress: Arc<Progress>,
) -> tokio::task::JoinHandle<()> {
    let terminal = std::io::stderr().is_terminal();
    let every = if terminal {
        Duration::from_millis(250)
    } else {
        Duration::from_secs(15)
    };
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let p = progress.snapshot();
            let line = format!(
                "looker-ci {}: {}/{} done, {} queries running, {} findings, {:.0}s",
                validator.as_str(),
                p.done,
                p.total,
                p.running,
                p.findings,
                started.elapsed().as_secs_f64()
            );
            let mut err = std::io::stderr().lock();
            let _ = if terminal {
                write!(err, "\r\x1b[2K{line}")
            } else {
                writeln!(err, "{line}")
            };
            let _ = err.flush();
        }
    })
}

pub(super) fn clear_progress_line() {
    if std::io::stderr().is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

pub(super) fn print_summary(result: &ValidationResult, quiet: bool, terminal: bool) {
    let colour = terminal && std::env::var_os("NO_COLOR").is_none();
    let text = report::render(result, ReportFormat::Text);
    let mut out = std::io::stdout().lock();
    let lines: Vec<&str> = text.lines().collect();
    let shown: Vec<&str> = if quiet {
        lines.iter().rev().take(2).rev().copied().collect()
    } else {
        lines
    };
    for line in shown {
        let painted = match (colour, line.trim()) {
            (true, "PASSED") => format!("\x1b[32m{line}\x1b[0m"),
            (true, "FAILED") => format!("\x1b[31m{line}\x1b[0m"),
            _ => line.to_owned(),
        };
        let _ = writeln!(out, "{painted}");
    }
}
