//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use looker_ci_core::testing::FakeLooker;
use looker_ci_core::{LookerClient, RetryPolicy, Settings, StaticCredentials};

/// A FakeLooker and a client logged in to it with its API key.
pub async fn fake_and_client() -> (FakeLooker, LookerClient) {
    let fake = FakeLooker::start().await.expect("FakeLooker starts");
    let client = LookerClient::new(fake.settings()).expect("client builds");
    (fake, client)
}

/// Settings for `fake` with a timeout and a retry policy.
pub fn settings(fake: &FakeLooker, timeout: Duration, retry: RetryPolicy) -> Settings {
    Settings::builder()
        .base_url(fake.base_url())
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .timeout(timeout)
        .retry(retry)
        .build()
        .expect("valid settings")
}

pub fn client_with(settings: Settings) -> LookerClient {
    let provider = StaticCredentials::from_settings(&settings).unwrap();
    LookerClient::with_provider(settings, Arc::new(provider)).unwrap()
}

pub mod jwt;
pub mod moto;
pub mod oidc;
