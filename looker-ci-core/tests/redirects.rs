//! No client of ours follows a redirect: a 3xx from Looker is an error naming where it pointed,
//! and the other origin receives nothing (no client secret, no token, no proxy header).

use looker_ci_core::{ApiCall, LookerClient, Settings};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "redirect-test-secret";

fn client_for(server: &MockServer) -> LookerClient {
    let settings = Settings::builder()
        .base_url(server.uri())
        .client_id("id")
        .client_secret(SECRET.into())
        .build()
        .unwrap();
    LookerClient::new(settings).unwrap()
}

fn login_ok() -> Mock {
    Mock::given(method("POST"))
        .and(path("/api/4.0/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "redirect-test-token", "token_type": "Bearer", "expires_in": 3600
        })))
}

#[tokio::test]
async fn a_307_on_login_is_an_error_naming_the_target_and_the_secret_goes_nowhere() {
    let looker = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/4.0/login"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/steal?x=1", elsewhere.uri())),
        )
        .mount(&looker)
        .await;
    let error = client_for(&looker).me_json().await.unwrap_err();
    assert_eq!(error.code(), "LOOKER_CI_REDIRECT", "{error}");
    let text = error.to_string();
    assert!(
        text.contains(&format!("{}/steal", elsewhere.uri())),
        "{text}"
    );
    assert!(text.contains("307"), "{text}");
    assert!(!text.contains("x=1"), "the query is not repeated: {text}");
    assert!(!text.contains(SECRET));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert_eq!(
        looker.received_requests().await.unwrap().len(),
        1,
        "no retry"
    );
}

#[tokio::test]
async fn a_302_on_an_api_call_is_an_error_not_the_other_hosts_body() {
    let looker = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    login_ok().mount(&looker).await;
    Mock::given(method("GET"))
        .and(path("/api/4.0/user"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", "/elsewhere/user"))
        .mount(&looker)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "evil"})))
        .mount(&elsewhere)
        .await;
    let client = client_for(&looker);
    let error = client.me_json().await.unwrap_err();
    assert_eq!(error.code(), "LOOKER_CI_REDIRECT", "{error}");
    assert!(error.to_string().contains("/elsewhere/user"), "{error}");
    let error = client
        .request_bytes(ApiCall::get("/user").unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "LOOKER_CI_REDIRECT");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}
