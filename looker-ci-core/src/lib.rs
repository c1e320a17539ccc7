//! # looker-ci-core
//!
//! A Looker API 4.0 client for CI jobs: settings read like the official SDKs read them, a
//! session whose token is refreshed ahead of expiry by a single-flight cache, retries with
//! backoff, typed errors that never carry a secret, and [`testing::FakeLooker`] (feature
//! `testing`), a local emulator.
//!
//! This crate is the runtime: every operation of the API is reachable through one generic call
//! path ([`LookerClient::call_operation`], by operation id). The typed method per operation and
//! the model per schema are the `looker-ci-api` crate on top of it, which re-exports this one;
//! most applications depend on that crate alone.
//!
//! ```no_run
//! # async fn run() -> looker_ci_core::Result<()> {
//! let client = looker_ci_core::LookerClient::from_env()?;
//! let me = client.me_json().await?;
//! println!("logged in as {}", me["display_name"]);
//! let mut args = serde_json::Map::new();
//! args.insert("lookml_model_name".into(), "thelook".into());
//! args.insert("explore_name".into(), "orders".into());
//! let explore = client.call_operation("lookml_model_explore", args).await?;
//! println!("{explore:?}");
//! client.close().await?;
//! # Ok(()) }
//! ```

// Every public item is documented; `[lints] workspace = true` in Cargo.toml cannot be combined
// with crate lints there, so the lint is set here (clippy's `-D warnings` makes it an error).
#![warn(missing_docs)]

pub mod api;
pub mod audit;
pub mod ci_run;
#[cfg(feature = "cli")]
pub mod cli;
mod client;
mod client_builder;
pub mod credentials;
pub mod doctor;
pub mod env_contract;
mod error;
/// Entry points for the fuzz targets (`fuzz/`) and the corpus replay test; not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod gate;
mod http_client;
mod ini;
pub mod log_writer;
mod panic_guard;
pub mod retry;
mod session;
pub mod settings;
pub mod token_cache;
mod transport;

#[cfg(feature = "testing")]
pub mod testing;

pub use api::{OperationOutput, RawReply};
pub use audit::AuditTrail;
pub use ci_run::CiRun;
pub use client::{ApiCall, LookerClient};
pub use client_builder::LookerClientBuilder;
pub use credentials::{ApiCredentials, CredentialProvider, StaticCredentials};
pub use error::{ApiError, Error, FieldError, Result};
pub use http_client::USER_AGENT;
pub use panic_guard::catch_panic;
pub use retry::RetryPolicy;
pub use session::Stats;
pub use settings::{Settings, SettingsBuilder};
pub use token_cache::RefreshPolicy;

/// Re-exported so users can implement [`CredentialProvider`] without naming the crate.
pub use async_trait::async_trait;
/// Re-exported so users can build secrets without naming the crate.
pub use secrecy::{ExposeSecret, SecretString};
