//! Build-time only, never published: its dependency list gives every build of the test command
//! one feature set for the shared dependencies, so they compile once (see `Cargo.toml`).
