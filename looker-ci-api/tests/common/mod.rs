//! Helpers shared by the typed crate's integration tests.
#![allow(dead_code)]

pub mod spec;

use looker_ci_api::LookerClient;
use looker_ci_api::testing::FakeLooker;

/// A FakeLooker and a client logged in to it with its API key.
pub async fn fake_and_client() -> (FakeLooker, LookerClient) {
    let fake = FakeLooker::start().await.expect("FakeLooker starts");
    let client = LookerClient::new(fake.settings()).expect("client builds");
    (fake, client)
}
