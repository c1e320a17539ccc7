//! # looker-ci-core
//!
//! A Looker API 4.0 client for CI jobs: settings read like the official SDKs read them, a
//! session whose token is refreshed ahead of expiry by a single-flight cache, retries with
//! backoff, typed errors that never carry a secret, and [`testing::FakeLooker`] (feature
//! `testing`), a local emulator.
//!
//! ```no_run
//! # async fn run() -> looker_ci_core::Result<()> {
//! let client = looker_ci_core::LookerClient::from_env()?;
//! let me = client.me().await?; // typed: `api::models::User`
//! println!("logged in as {}", me.display_name.unwrap_or_default());
//! let explore = client
//!     .lookml_model_explore("thelook", "orders")
//!     .fields("id,name")
//!     .await?;
//! println!("{} fields", explore.fields.and_then(|f| f.dimensions).map_or(0, |d| d.len()));
//! client.close().await?;
//! # Ok(()) }
//! ```

pub mod api;
mod client;
pub mod credentials;
mod error;
mod ini;
pub mod retry;
mod session;
pub mod settings;
pub mod token_cache;
mod transport;

#[cfg(feature = "testing")]
pub mod testing;

pub use api::{OperationOutput, RawReply};
pub use client::{ApiCall, LookerClient};
pub use credentials::{ApiCredentials, CredentialProvider, StaticCredentials};
pub use error::{ApiError, Error, FieldError, Result};
pub use retry::RetryPolicy;
pub use session::Stats;
pub use settings::{Settings, SettingsBuilder, SettingsOptions};
pub use token_cache::RefreshPolicy;
pub use transport::USER_AGENT;

/// Re-exported so users can implement [`CredentialProvider`] without naming the crate.
pub use async_trait::async_trait;
/// Re-exported so users can build secrets without naming the crate.
pub use secrecy::{ExposeSecret, SecretString};
