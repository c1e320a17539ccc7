//! Retries, Retry-After, timeouts and dropped connections, against FakeLooker's fault injection.

mod common;

use std::time::{Duration, Instant};

use looker_ci_core::testing::{FakeLooker, Fault};
use looker_ci_core::{ApiCall, Error, RetryPolicy};
use serde_json::Value;

fn quick_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_total_wait: Duration::from_secs(5),
    }
}

async fn logged_in(
    retry: RetryPolicy,
    timeout: Duration,
) -> (FakeLooker, looker_ci_core::LookerClient) {
    let fake = FakeLooker::start().await.unwrap();
    let client = common::client_with(common::settings(&fake, timeout, retry));
    client.me_json().await.unwrap();
    fake.reset_counters();
    (fake, client)
}

#[tokio::test]
async fn retry_after_on_429_is_honoured_in_seconds_and_as_a_date() {
    let (fake, client) = logged_in(quick_retries(4), Duration::from_secs(10)).await;
    fake.inject_fault(Fault::status(429).retry_after("1"), 1);
    // HTTP dates have 1 s resolution and this one is read ~1 s from now, after the first retry:
    // it then lies 0.9-2 s ahead.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    fake.inject_fault(Fault::status(429).retry_after(date), 1);
    let started = Instant::now();
    client.me_json().await.expect("succeeds after two 429s");
    // The hints were obeyed: 1 s, then at least 0.9 s (backoff alone would be under 0.1 s).
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.counters().requests, 3);
}

#[tokio::test]
async fn a_503_storm_is_retried_within_the_attempt_bound() {
    let (fake, client) = logged_in(quick_retries(4), Duration::from_secs(10)).await;
    fake.inject_fault(Fault::status(503), 2);
    client.me_json().await.expect("two 503s are absorbed");
    assert_eq!(fake.counters().requests, 3);

    fake.reset_counters();
    fake.inject_fault(Fault::status(503), 10);
    let err = client.me_json().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(fake.counters().requests, 4, "max_attempts bounds the storm");
    assert_eq!(fake.pending_faults(), 6);
}

#[tokio::test]
async fn gateway_errors_are_retried_but_500_is_not() {
    let (fake, client) = logged_in(quick_retries(4), Duration::from_secs(10)).await;
    fake.inject_fault(Fault::status(502), 1);
    fake.inject_fault(Fault::status(504), 1);
    client.me_json().await.unwrap();
    assert_eq!(fake.counters().requests, 3);
    fake.reset_counters();
    fake.inject_fault(Fault::status(500), 1);
    assert_eq!(client.me_json().await.unwrap_err().status(), Some(500));
    assert_eq!(fake.counters().requests, 1);
}

#[tokio::test]
async fn a_retry_after_beyond_the_wait_budget_fails_at_once() {
    let retry = RetryPolicy {
        max_total_wait: Duration::from_secs(2),
        ..quick_retries(4)
    };
    let (fake, client) = logged_in(retry, Duration::from_secs(10)).await;
    fake.inject_fault(Fault::status(429).retry_after("120"), 1);
    let err = client.me_json().await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(fake.counters().requests, 1);
}

#[tokio::test]
async fn non_idempotent_requests_are_not_retried() {
    let (fake, client) = logged_in(quick_retries(4), Duration::from_secs(10)).await;
    fake.inject_fault(Fault::status(503), 1);
    let err = client
        .request::<Value>(
            ApiCall::new("POST", "/queries")
                .unwrap()
                .json(serde_json::json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(fake.counters().requests, 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_idempotent_requests() {
    let (fake, client) = logged_in(quick_retries(3), Duration::from_secs(10)).await;
    fake.inject_fault(Fault::drop_connection(), 1);
    client.me_json().await.expect("the retry succeeds");
    assert_eq!(fake.counters().me_calls, 1);

    fake.inject_fault(Fault::drop_connection(), 5);
    let err = client.me_json().await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert_eq!(err.code(), "LOOKER_CI_CONNECTION");
}

#[tokio::test]
async fn a_hung_server_hits_the_total_timeout() {
    let (fake, client) = logged_in(RetryPolicy::none(), Duration::from_millis(500)).await;
    fake.inject_fault(Fault::delay(Duration::from_secs(30)), 1);
    let started = Instant::now();
    let err = client.me_json().await.unwrap_err();
    match &err {
        Error::Timeout {
            method,
            path,
            after,
        } => {
            assert_eq!((method.as_str(), path.as_str()), ("GET", "/user"));
            assert_eq!(*after, Duration::from_millis(500));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    // The timeout fired instead of waiting out the 30 s delay.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(err.to_string().contains("timed out"));
}

/// A call Looker takes minutes to answer (a LookML validation) asks for a longer limit than the
/// client's; other calls keep the client's.
#[tokio::test]
async fn a_call_may_ask_for_a_longer_timeout_than_the_clients() {
    let (fake, client) = logged_in(RetryPolicy::none(), Duration::from_millis(300)).await;
    fake.inject_fault(Fault::delay(Duration::from_millis(900)), 1);
    let call = ApiCall::get("/user")
        .unwrap()
        .timeout_at_least(Duration::from_secs(20));
    let user: Value = client.request(call).await.expect("answered within 20 s");
    assert!(user["id"].is_string() || user["id"].is_number(), "{user}");
    // Shorter than the client's: the client's stands.
    fake.inject_fault(Fault::delay(Duration::from_millis(900)), 1);
    let call = ApiCall::get("/user")
        .unwrap()
        .timeout_at_least(Duration::from_millis(10));
    let err = client.request::<Value>(call).await.unwrap_err();
    match err {
        Error::Timeout { after, .. } => assert_eq!(after, Duration::from_millis(300)),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

/// `timeout` is the budget of the whole call: slow failing attempts and their retries together
/// (it was per attempt: one call with a 2 s timeout took 7 s over 4 attempts).
#[tokio::test]
async fn the_timeout_bounds_the_whole_call_retries_included() {
    let (fake, client) = logged_in(quick_retries(4), Duration::from_millis(1500)).await;
    // Each attempt is answered 503 after 600 ms: two fit in the budget, the third is cut short.
    let slow_503 = Fault {
        delay: Some(Duration::from_millis(600)),
        ..Fault::status(503)
    };
    fake.inject_fault(slow_503, 4);
    let err = client.me_json().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // Per attempt, all four would have run (each takes 600 ms < 1.5 s) and ended in the 503.
    // Within one budget, the fourth attempt the retry policy allows is never sent.
    let sent = fake.counters().requests;
    assert!((2..=3).contains(&sent), "{sent} attempts");
    assert!(fake.pending_faults() >= 1);
}

#[tokio::test]
async fn login_is_retried_on_503_too() {
    let fake = FakeLooker::start().await.unwrap();
    let client = common::client_with(common::settings(
        &fake,
        Duration::from_secs(10),
        quick_retries(3),
    ));
    fake.inject_fault(Fault::status(503), 2);
    client.me_json().await.unwrap();
    assert_eq!(fake.counters().logins, 1);
}

/// A reply larger than `max_reply_bytes` is refused with an error naming the setting, and is
/// never held in full; smaller replies are unaffected.
#[tokio::test]
async fn a_reply_over_max_reply_bytes_is_an_error_naming_the_setting() {
    let fake = FakeLooker::start().await.unwrap();
    let mut settings = fake.settings();
    settings.max_reply_bytes = 1024;
    let client = looker_ci_core::LookerClient::new(settings).unwrap();
    client.me_json().await.expect("a small reply is read");
    let mut args = serde_json::Map::new();
    args.insert("lookml_model_name".into(), "thelook".into());
    args.insert("explore_name".into(), "orders".into());
    let err = client
        .call_operation("lookml_model_explore", args)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "LOOKER_CI_CONFIG", "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("max_reply_bytes") && text.contains("LOOKER_CI_MAX_REPLY_BYTES"),
        "{text}"
    );
    assert!(text.contains("larger than 1024 bytes"), "{text}");
    client.close().await.unwrap();
}
