//! Opt-in logging for Node: `LOOKER_CI_LOG=debug` (any `tracing` filter) writes the core's log
//! lines to stderr. Nothing is logged otherwise.
//!
//! Lines go through the core's `NonBlockingWriter`: a CI log pipe that is slow, full or closed
//! drops lines (and says how many) instead of stalling the runtime, and a failed write is never
//! reported with `eprintln!` (which panics when stderr itself fails).

use std::sync::Once;

use looker_ci_core::log_writer::NonBlockingWriter;

static INIT: Once = Once::new();

pub fn init() {
    INIT.call_once(|| {
        if let Ok(filter) = std::env::var("LOOKER_CI_LOG") {
            let writer = NonBlockingWriter::stderr();
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .log_internal_errors(false)
                .try_init();
        }
    });
}
