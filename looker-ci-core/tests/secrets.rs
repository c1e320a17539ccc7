//! No secret reaches any output: every log line at TRACE (ours and our dependencies'), `Debug`
//! and `Display` of clients, settings and errors. Runs a scenario touching every code path that
//! handles a secret, then searches everything captured for each secret used.

mod common;

use std::time::Duration;

use looker_ci_core::testing::{FakeLooker, Fault};
use looker_ci_core::{ExposeSecret, LookerClient, Settings};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_trace_logs_debug_or_errors() {
    let captured = common::capture_logs();

    let fake = FakeLooker::start().await.unwrap();
    fake.add_user("2", "Grace", "Hopper");
    let mut shown: Vec<String> = vec![format!("{fake:?}")];

    let settings = Settings::builder()
        .base_url(fake.base_url())
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .dev_workspace(true)
        .build()
        .unwrap();
    shown.push(format!("{settings:?}"));
    let client = LookerClient::new(settings).unwrap();
    shown.push(format!("{client:?}"));

    // Logins, a refresh across expiry, a 401 recovery, retries, sudo, absurd expires_in.
    fake.set_token_lifetime(Duration::from_secs(1));
    client.me_json().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.me_json().await.unwrap();
    fake.revoke_all_tokens();
    client.me_json().await.unwrap();
    fake.inject_fault(Fault::status(503).retry_after("0"), 1);
    client.me_json().await.unwrap();
    fake.set_reported_expires_in(Some(json!(-1)));
    let sudo = client.login_user("2").unwrap();
    sudo.me_json().await.unwrap();
    shown.push(format!("{sudo:?}"));
    sudo.close().await.unwrap();

    // Failures: wrong secret, closed client, timeout.
    let wrong = LookerClient::new(
        Settings::builder()
            .base_url(fake.base_url())
            .client_id(fake.client_id())
            .client_secret("wrong-secret-do-not-print".to_owned().into())
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = wrong.me_json().await.unwrap_err();
    shown.push(format!("{err} {err:?}"));
    client.close().await.unwrap();
    let err = client.me_json().await.unwrap_err();
    shown.push(format!("{err} {err:?}"));

    let logs = captured.text();
    assert!(
        logs.contains("TRACE") || logs.contains("DEBUG"),
        "logs were captured"
    );
    assert!(
        logs.contains("lifetime too short") || logs.contains("no usable lifetime"),
        "the clamp is logged at debug level"
    );

    let mut secrets: Vec<String> = fake
        .issued_tokens()
        .iter()
        .map(|t| t.expose_secret().to_owned())
        .collect();
    assert!(secrets.len() >= 4, "several tokens were issued");
    secrets.push(fake.client_secret().expose_secret().to_owned());
    secrets.push("wrong-secret-do-not-print".to_owned());
    let everything = format!("{logs}\n{}", shown.join("\n"));
    for secret in &secrets {
        assert!(
            !everything.contains(secret.as_str()),
            "a secret leaked into the output"
        );
    }
}
