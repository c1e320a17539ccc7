//! # looker-ci-api
//!
//! The whole Looker API 4.0, typed, on top of [`looker_ci_core`]'s session: a method per
//! operation (generated from the official spec, one extension trait per API area, all
//! implemented for [`LookerClient`]) and a serde model per schema ([`models`]).
//!
//! The core runs every request (credentials, token refresh, retries, errors); this crate only
//! shapes arguments and decodes replies, so code that calls the API through the core's operation
//! table (like the Python and Node bindings) does not compile it. Everything of the core is
//! re-exported here: one dependency is enough.
//!
//! Models are plain structs: build a request body with `..Default::default()`, so that a field a
//! new Looker release adds keeps your code compiling. What looker-ci hands back (`ApiError`,
//! `Stats`, reports, findings) is `#[non_exhaustive]`: read it by field or destructure it with
//! `..`; enums that will grow need a `_` arm in a `match`.
//!
//! ```no_run
//! use looker_ci_api::prelude::*;
//!
//! # async fn run() -> looker_ci_api::Result<()> {
//! let client = LookerClient::from_env()?;
//! let me = client.me().await?; // models::User
//! println!("logged in as {}", me.display_name.unwrap_or_default());
//! let explore = client
//!     .lookml_model_explore("thelook", "orders")
//!     .fields("id,name")
//!     .await?;
//! println!("{} fields", explore.fields.and_then(|f| f.dimensions).map_or(0, |d| d.len()));
//! client.close().await?;
//! # Ok(()) }
//! ```

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod methods;
pub mod models;
mod request;

pub use looker_ci_core::*;
pub use request::ResponseFuture;

/// What the typed methods are called on: a [`LookerClient`]. Sealed: the extension traits of
/// [`methods`] are implemented for it and nothing else.
pub trait AsLookerClient: sealed::Sealed {
    /// The client whose session sends the request.
    fn looker_client(&self) -> &LookerClient;
}

impl AsLookerClient for LookerClient {
    fn looker_client(&self) -> &LookerClient {
        self
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for looker_ci_core::LookerClient {}
}

/// `use looker_ci_api::prelude::*` brings the client, the models and every typed method into
/// scope.
pub mod prelude {
    pub use crate::methods::traits::*;
    pub use crate::models;
    pub use crate::{AsLookerClient, LookerClient, OperationOutput};
}

// The Rust snippets users copy from the README and the guides compile (rustdoc
// runs them as doctests; `no_run` where they need a Looker). The examples crate's
// `guide_snippets` runs those of the README and the getting-started guides against FakeLooker
// (scripts/check_snippets.py).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeSnippets;

#[cfg(doctest)]
#[doc = include_str!("../../docs/getting-started-rust.md")]
struct GettingStartedRustSnippets;

#[cfg(doctest)]
#[doc = include_str!("../../docs/testing.md")]
struct TestingGuideSnippets;

#[cfg(doctest)]
#[doc = include_str!("../../docs/ci.md")]
struct CiGuideSnippets;
