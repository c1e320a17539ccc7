//! Opt-in logging for Node: `LOOKER_CI_LOG=debug` (any `tracing` filter) writes the core's log
//! lines to stderr. Nothing is logged otherwise.

use std::sync::Once;

static INIT: Once = Once::new();

pub fn init() {
    INIT.call_once(|| {
        if let Ok(filter) = std::env::var("LOOKER_CI_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .try_init();
        }
    });
}
