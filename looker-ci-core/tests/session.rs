//! The Looker session against FakeLooker: single flight across expiries, clamped lifetimes,
//! revocation, dev workspace, sudo, logout.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use looker_ci_core::testing::{FakeLooker, Fault};
use looker_ci_core::{ApiCall, Error, LookerClient, Settings};
use serde_json::{Value, json};

async fn burst(client: &LookerClient, callers: usize) {
    let calls = (0..callers).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.me_json().await })
    });
    for result in join_all(calls).await {
        let me = result.expect("task").expect("me() succeeds");
        assert_eq!(me["id"].as_str(), Some("1"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_callers_across_three_expiries_log_in_once_per_expiry() {
    let (fake, client) = common::fake_and_client().await;
    let lifetime = Duration::from_secs(3);
    fake.set_token_lifetime(lifetime);
    burst(&client, 1000).await;
    assert_eq!(fake.counters().logins, 1);
    for expiry in 1..=3u64 {
        // Let the token expire with nobody calling, then hit it with 1000 callers at once.
        tokio::time::sleep(lifetime + Duration::from_millis(200)).await;
        burst(&client, 1000).await;
        assert_eq!(fake.counters().logins, 1 + expiry, "after expiry {expiry}");
    }
    let counters = fake.counters();
    assert_eq!(counters.me_calls, 4000);
    // The cache refreshed before the server would have said 401.
    assert_eq!(counters.unauthorized, 0);
    assert_eq!(client.stats().logins, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continuous_load_across_expiries_refreshes_ahead_once_per_lifetime() {
    let (fake, client) = common::fake_and_client().await;
    fake.set_token_lifetime(Duration::from_secs(2));
    let started = Instant::now();
    let workers = (0..50).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            let mut calls = 0u32;
            while started.elapsed() < Duration::from_millis(6500) {
                client.me_json().await.expect("no caller sees an error");
                calls += 1;
            }
            calls
        })
    });
    let calls: u32 = join_all(workers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    let logins = fake.counters().logins;
    // 6.5 s of 2 s tokens refreshed 0.4-0.5 s ahead: 1 initial + 3 or 4 refreshes, never more.
    assert!(
        (4..=5).contains(&logins),
        "{logins} logins for {calls} calls"
    );
    assert_eq!(fake.counters().unauthorized, 0);
}

#[tokio::test]
async fn zero_or_one_second_expires_in_never_degrades_to_a_login_per_call() {
    for reported in [0, 1] {
        let (fake, client) = common::fake_and_client().await;
        fake.set_reported_expires_in(Some(json!(reported)));
        let started = Instant::now();
        let mut calls = 0u64;
        while calls < 300 || started.elapsed() < Duration::from_millis(1500) {
            client.me_json().await.unwrap();
            calls += 1;
        }
        let elapsed = started.elapsed().as_secs_f64();
        let logins = fake.counters().logins;
        // A 1 s lifetime (the floor) is used for at least 0.75 s before a refresh.
        let bound = (elapsed / 0.75).ceil() as u64 + 1;
        assert!(
            logins <= bound,
            "expires_in={reported}: {logins} logins, {calls} calls in {elapsed:.2}s"
        );
        assert!(
            logins * 20 < calls,
            "expires_in={reported}: {logins} logins for {calls} calls"
        );
    }
}

#[tokio::test]
async fn absurd_expires_in_is_clamped_and_still_works() {
    for reported in [
        Some(json!(-5)),
        None,
        Some(json!(10 * 86_400)),
        Some(json!("soon")),
    ] {
        let (fake, client) = common::fake_and_client().await;
        fake.set_reported_expires_in(reported.clone());
        for _ in 0..20 {
            client.me_json().await.unwrap();
        }
        assert_eq!(fake.counters().logins, 1, "expires_in={reported:?}");
    }
}

#[tokio::test]
async fn a_server_lifetime_shorter_than_reported_is_recovered_by_one_relogin() {
    let (fake, client) = common::fake_and_client().await;
    fake.set_token_lifetime(Duration::from_millis(300));
    fake.set_reported_expires_in(Some(json!(3600)));
    client.me_json().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    client.me_json().await.unwrap();
    let counters = fake.counters();
    assert_eq!(counters.logins, 2);
    assert_eq!(counters.unauthorized, 1);
    assert_eq!(client.stats().reauthentications, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_every_token_mid_run_costs_one_shared_relogin_and_no_errors() {
    let (fake, client) = common::fake_and_client().await;
    client.me_json().await.unwrap();
    let fake = Arc::new(fake);
    let stop = Instant::now() + Duration::from_millis(1500);
    let workers = (0..200).map(|_| {
        let client = client.clone();
        tokio::spawn(async move {
            while Instant::now() < stop {
                client.me_json().await.expect("callers see no error");
            }
        })
    });
    let revoker = {
        let fake = Arc::clone(&fake);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            fake.revoke_all_tokens();
        })
    };
    for w in join_all(workers).await {
        w.unwrap();
    }
    revoker.await.unwrap();
    let counters = fake.counters();
    assert_eq!(counters.logins, 2, "one initial login, one shared re-login");
    assert!(counters.unauthorized >= 1);
}

#[tokio::test]
async fn wrong_credentials_give_a_clear_api_error_without_the_secret() {
    let fake = FakeLooker::start().await.unwrap();
    let settings = Settings::builder()
        .base_url(fake.base_url())
        .client_id(fake.client_id())
        .client_secret("definitely-wrong-secret".to_owned().into())
        .build()
        .unwrap();
    let client = LookerClient::new(settings).unwrap();
    let err = client.me_json().await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(
        (api.status, api.method.as_str(), api.path.as_str()),
        (404, "POST", "/login")
    );
    assert_eq!(api.message, "Not found");
    // Looker's bare "Not found" is explained: the key was rejected, which key, from where.
    let hint = api.hint.as_deref().expect("a hint");
    assert!(
        hint.starts_with("Looker rejected the API client id/secret"),
        "{hint}"
    );
    assert!(
        hint.contains(&format!("\"{}\"", fake.client_id())),
        "{hint}"
    );
    assert!(err.to_string().contains(hint), "{err}");
    assert!(api.documentation_url.is_some());
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("definitely-wrong-secret"), "{shown}");
    }
    assert_eq!(fake.counters().failed_logins, 1);
}

#[tokio::test]
async fn close_logs_out_and_later_calls_are_refused() {
    let (fake, client) = common::fake_and_client().await;
    client.me_json().await.unwrap();
    assert_eq!(fake.live_tokens(), 1);
    client.close().await.unwrap();
    assert_eq!(fake.counters().logouts, 1);
    assert_eq!(fake.live_tokens(), 0);
    let err = client.me_json().await.unwrap_err();
    assert!(matches!(err, Error::Closed));
    assert!(err.to_string().contains("create a new client"));
    client.close().await.unwrap();
    assert_eq!(fake.counters().logouts, 1, "closing twice logs out once");
}

#[tokio::test]
async fn closing_an_unused_client_makes_no_request() {
    let (fake, client) = common::fake_and_client().await;
    client.close().await.unwrap();
    assert_eq!(fake.counters().requests, 0);
}

#[tokio::test]
async fn dev_workspace_is_reapplied_after_every_relogin() {
    let fake = FakeLooker::start().await.unwrap();
    let settings = Settings::builder()
        .base_url(fake.base_url())
        .client_id(fake.client_id())
        .client_secret(fake.client_secret())
        .dev_workspace(true)
        .build()
        .unwrap();
    let client = LookerClient::new(settings).unwrap();
    let workspace = |client: LookerClient| async move {
        let session: Value = client
            .request(ApiCall::get("/session").unwrap())
            .await
            .unwrap();
        session["workspace_id"].as_str().unwrap().to_owned()
    };
    assert_eq!(workspace(client.clone()).await, "dev");
    fake.revoke_all_tokens();
    assert_eq!(workspace(client.clone()).await, "dev");
    assert_eq!(fake.counters().logins, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_sudo_sessions_at_once() {
    let (fake, admin) = common::fake_and_client().await;
    fake.add_user("2", "Grace", "Hopper");
    fake.add_user("3", "Alan", "Turing");
    let grace = admin.login_user("2").unwrap();
    let alan = admin.login_user("3").unwrap();
    let (g, a, me) = tokio::join!(grace.me_json(), alan.me_json(), admin.me_json());
    assert_eq!(g.unwrap()["display_name"].as_str(), Some("Grace Hopper"));
    assert_eq!(a.unwrap()["display_name"].as_str(), Some("Alan Turing"));
    assert_eq!(me.unwrap()["id"].as_str(), Some("1"));
    assert_eq!(fake.counters().sudo_logins, 2);
    grace.close().await.unwrap();
    assert!(matches!(grace.me_json().await, Err(Error::Closed)));
    assert_eq!(alan.me_json().await.unwrap()["id"].as_str(), Some("3"));
    // Revocation: the sudo session re-logs in through its parent, which re-logs in too.
    fake.revoke_all_tokens();
    assert_eq!(alan.me_json().await.unwrap()["id"].as_str(), Some("3"));
    admin.close().await.unwrap();
    assert!(
        matches!(alan.me_json().await, Err(Error::Closed)),
        "closing the parent ends sudo sessions"
    );
    let unknown = admin_for(&fake)
        .login_user("99")
        .unwrap()
        .me_json()
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
}

#[tokio::test]
async fn login_user_of_an_unknown_user_says_so() {
    let (fake, admin) = common::fake_and_client().await;
    let err = admin
        .login_user("999")
        .unwrap()
        .me_json()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.path, "/login/999");
    let hint = api.hint.as_deref().unwrap_or_default();
    assert!(hint.contains("user id 999 was not found"), "{err}");
    assert!(
        err.to_string().contains("user id 999 was not found"),
        "{err}"
    );
    // The parent's own session is unharmed, and its errors get no sudo hint.
    assert_eq!(admin.me_json().await.unwrap()["id"].as_str(), Some("1"));
    fake.add_user("2", "Grace", "Hopper");
    assert!(admin.login_user("2").unwrap().me_json().await.is_ok());
    // Ids that could change the path are refused before any request.
    for bad in ["..", "%2e%2e", "1/../2", "1?x=2", "a b"] {
        let err = admin.login_user(bad).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidArgument { argument, .. } if argument == "user_id"),
            "{bad}: {err:?}"
        );
    }
}

fn admin_for(fake: &FakeLooker) -> LookerClient {
    LookerClient::new(fake.settings()).unwrap()
}

#[tokio::test]
async fn request_sends_query_and_json_body_and_can_return_raw_bytes() {
    let (fake, client) = common::fake_and_client().await;
    let updated: Value = client
        .request(
            ApiCall::new("PATCH", "/api/4.0/session")
                .unwrap()
                .json(json!({"workspace_id": "dev"})),
        )
        .await
        .unwrap();
    assert_eq!(updated["workspace_id"], "dev");
    let invalid = client
        .request::<Value>(
            ApiCall::new("PATCH", "/session")
                .unwrap()
                .json(json!({"workspace_id": "x"})),
        )
        .await
        .unwrap_err();
    assert_eq!(invalid.status(), Some(422));
    let raw = client
        .request_bytes(ApiCall::get("/user").unwrap().query("fields", "id"))
        .await
        .unwrap();
    let parsed: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(parsed["id"], "1");
    let missing = client
        .request::<Value>(ApiCall::get("/nope").unwrap())
        .await
        .unwrap_err();
    assert_eq!(missing.request(), Some(("GET", "/nope")));
    assert_eq!(missing.code(), "LOOKER_CI_API");
    let appid = fake.last_header("x-looker-appid").unwrap();
    assert!(appid.starts_with("looker-ci "), "{appid}");
    assert!(
        fake.last_header("user-agent")
            .unwrap()
            .starts_with("looker-ci/")
    );
}

/// A provider with a bug: its first call panics, the later ones answer with the fake's key.
#[derive(Debug)]
struct PanicsOnce {
    calls: std::sync::atomic::AtomicU32,
    inner: looker_ci_core::StaticCredentials,
}

#[looker_ci_core::async_trait]
impl looker_ci_core::CredentialProvider for PanicsOnce {
    fn name(&self) -> &str {
        "panics-once"
    }

    async fn api_credentials(&self) -> looker_ci_core::Result<looker_ci_core::ApiCredentials> {
        if self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            panic!("a provider bug");
        }
        self.inner.api_credentials().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_provider_fails_the_waiting_calls_with_a_typed_error_and_the_next_call_logs_in()
{
    use looker_ci_core::CredentialProvider;
    let fake = FakeLooker::start().await.unwrap();
    let provider = Arc::new(PanicsOnce {
        calls: Default::default(),
        inner: looker_ci_core::StaticCredentials::new(fake.client_id(), fake.client_secret()),
    });
    assert_eq!(provider.name(), "panics-once");
    let settings = Settings::builder()
        .base_url(fake.base_url())
        .build()
        .unwrap();
    let client = LookerClient::builder()
        .settings(settings)
        .credentials(provider.clone())
        .build()
        .unwrap();
    let first = join_all((0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.me_json().await })
    }))
    .await;
    for result in first {
        let error = result.expect("no caller task panics").unwrap_err();
        assert_eq!(error.code(), "LOOKER_CI_INTERNAL", "{error}");
    }
    assert_eq!(provider.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Nothing shared is poisoned: the next call logs in and succeeds.
    assert_eq!(client.me_json().await.unwrap()["id"].as_str(), Some("1"));
    assert_eq!(fake.counters().logins, 1);
}

/// One vocabulary: a key given in settings is the `settings` source whether the client was built
/// with `new` or through the chain, and the docs call it that too.
#[tokio::test]
async fn an_api_key_in_settings_is_described_as_settings_however_the_client_is_built() {
    let fake = FakeLooker::start().await.unwrap();
    let direct = LookerClient::new(fake.settings()).unwrap();
    let report = direct.describe().clone();
    assert_eq!(report.source, "settings", "{report}");
    assert!(
        report
            .detail
            .contains(&format!("client_id \"{}\"", fake.client_id())),
        "{report}"
    );
    assert!(report.proxy.is_none());
    let docs = include_str!("../../docs/credentials.md");
    assert!(
        docs.contains("`settings`"),
        "docs/credentials.md names the source"
    );
    direct.me_json().await.unwrap();
    direct.close().await.unwrap();
}

/// close() on a parent logs out its sudo sessions too; nothing stays live.
#[tokio::test]
async fn closing_the_parent_logs_out_its_sudo_sessions() {
    let (fake, admin) = common::fake_and_client().await;
    fake.add_user("2", "Grace", "Hopper");
    fake.add_user("3", "Alan", "Turing");
    let grace = admin.login_user("2").unwrap();
    let alan = admin.login_user("3").unwrap();
    grace.me_json().await.unwrap();
    alan.me_json().await.unwrap();
    assert_eq!(fake.live_tokens(), 3);
    admin.close().await.unwrap();
    assert_eq!(fake.live_tokens(), 0, "every sudo session was logged out");
    assert_eq!(fake.counters().logouts, 3);
    assert!(matches!(grace.me_json().await, Err(Error::Closed)));
}

/// A login still in flight when close() runs does not leave a live session behind, and the
/// call that waited for it sends nothing after close.
#[tokio::test]
async fn a_login_in_flight_during_close_is_logged_out_and_its_call_not_sent() {
    let fake = FakeLooker::start().await.unwrap();
    let client = LookerClient::new(fake.settings()).unwrap();
    fake.inject_fault(Fault::delay(Duration::from_millis(400)), 1); // the login
    let pending = {
        let client = client.clone();
        tokio::spawn(async move { client.me_json().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    client.close().await.unwrap();
    let outcome = pending.await.unwrap();
    assert!(matches!(outcome, Err(Error::Closed)), "{outcome:?}");
    assert_eq!(fake.live_tokens(), 0, "the late token was logged out");
    assert_eq!(
        fake.counters().me_calls,
        0,
        "the call was not sent after close"
    );
}
