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

/// Everything logged at TRACE by this test binary (ours and, through `log`, our dependencies'):
/// a global subscriber, so tasks on every worker thread are captured. Installed once per binary.
pub fn capture_logs() -> Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .try_init()
                .expect("the only subscriber in this test binary");
            captured
        })
        .clone()
}

/// The output captured so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn client_with(settings: Settings) -> LookerClient {
    let provider = StaticCredentials::from_settings(&settings).unwrap();
    LookerClient::builder()
        .settings(settings)
        .credentials(Arc::new(provider))
        .build()
        .unwrap()
}

pub mod jwt;
pub mod moto;
pub mod oidc;
pub mod peer;
